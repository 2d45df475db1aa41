// The C++ builder versions of the reference examples. The builder names values and braces
// bodies the way a .wsp file does, so each builds exactly the module that parsing
// examples/<name>/<name>.wsp gives: the tests assert that both print the same text.
#include "pto/wsp/api/Builder.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace pto::wsp;
using ir::DType;
using ir::TensorRole;

namespace {

ir::Module rmsnorm() {
  ModuleBuilder M("rmsnorm");
  auto X = M.tensor("X", {256, 128}, DType::F16);
  auto W = M.tensor("W", {1, 128}, DType::F16);
  auto Y = M.tensor("Y", {256, 128}, DType::F16, TensorRole::Output);
  auto rms = M.kernel("rmsnorm", [](KernelBuilder& k) {
    auto x = k.in("x", 16, 128, DType::F16);
    auto w = k.in("w", 1, 128, DType::F16);
    auto y = k.out("y", 16, 128, DType::F16);
    auto eps = k.scalar("eps", DType::F32);
    auto xh = k.load(x).named("xh");
    auto xf = k.cast(xh, DType::F32).named("xf");
    auto sq = (xf * xf).named("sq");
    auto ms = rowmean(sq).named("ms");  // [16, 1]
    auto e = (ms + eps).named("e");
    auto r = rsqrt(e).named("r");
    auto n = (xf * r).named("n");  // row broadcast: scale each row by its 1/rms
    auto wh = k.load(w).named("wh");
    auto wf = k.cast(wh, DType::F32).named("wf");
    auto o = (n * wf).named("o");  // column broadcast: scale each column by its weight
    k.store(y, k.cast(o, DType::F16).named("oh"));
  });
  Var b("b"), t("t");
  M.workload("rms")
      .P({b.in(Dense(4)), t.in(Dense(4))},
         [&](WorkloadBuilder& w) {
           w.call(rms, {X.at({(b * 4 + t) * 16, 0}), W.at({0, 0}), Y.at({(b * 4 + t) * 16, 0}), 1e-6});
         })
      .dispatch("round_robin", {{"workers", 4}})
      .task_window(16);
  return M.buildVerified();
}

ir::Module softmax() {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  ModuleBuilder M("softmax");
  auto X = M.tensor("X", {64, 512}, DType::F32);
  auto Mx = M.tensor("M", {64, 1}, DType::F32, TensorRole::Temp);
  auto S = M.tensor("S", {64, 1}, DType::F32, TensorRole::Temp);
  auto Y = M.tensor("Y", {64, 512}, DType::F32, TensorRole::Output);
  auto fillCol = M.kernel("fill_col", [](KernelBuilder& k) {
    auto t = k.out("t", 16, 1, DType::F32);
    auto v = k.scalar("v", DType::F32);
    k.store(t, k.fill(16, 1, DType::F32, v).named("f"));
  });
  auto maxStep = M.kernel("max_step", [](KernelBuilder& k) {  // phase 1: m = max(m, rowmax(x))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.inout("m", 16, 1, DType::F32);
    auto xt = k.load(x).named("xt");
    auto bm = rowmax(xt).named("bm");
    auto mt = k.load(m).named("mt");
    k.store(m, max(mt, bm).named("nm"));
  });
  auto sumStep = M.kernel("sum_step", [](KernelBuilder& k) {  // phase 2: s += rowsum(exp(x - m))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.inout("s", 16, 1, DType::F32);
    auto xt = k.load(x).named("xt");
    auto mt = k.load(m).named("mt");
    auto d = (xt - mt).named("d");
    auto e = exp(d).named("e");
    auto bs = rowsum(e).named("bs");
    auto st = k.load(s).named("st");
    k.store(s, (st + bs).named("ns"));
  });
  auto norm = M.kernel("normalize", [](KernelBuilder& k) {  // phase 3: y = exp(x - m) / s
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.in("s", 16, 1, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto xt = k.load(x).named("xt");
    auto mt = k.load(m).named("mt");
    auto d = (xt - mt).named("d");
    auto e = exp(d).named("e");
    auto st = k.load(s).named("st");
    k.store(y, (e / st).named("yt"));
  });
  Var r("r"), c("c");
  M.workload("softmax")
      .sequential([&](WorkloadBuilder& w) {
        w.P({r.in(Dense(4))}, [&](WorkloadBuilder& w1) {  // phase 1: running row max
          w1.call(fillCol, {Mx.at({r * 16, 0}), kNegInf});
          w1.seq(c.in(Dense(4)), [&](WorkloadBuilder& w2) {
            w2.call(maxStep, {X.at({r * 16, c * 128}), Mx.at({r * 16, 0})});
          });
        });
        w.P({r.in(Dense(4))}, [&](WorkloadBuilder& w1) {  // phase 2: running row sum of exp(x - m)
          w1.call(fillCol, {S.at({r * 16, 0}), 0.0});
          w1.seq(c.in(Dense(4)), [&](WorkloadBuilder& w2) {
            w2.call(sumStep, {X.at({r * 16, c * 128}), Mx.at({r * 16, 0}), S.at({r * 16, 0})});
          });
        });
        w.P({r.in(Dense(4)), c.in(Dense(4))}, [&](WorkloadBuilder& w1) {  // phase 3: normalise
          w1.call(norm, {X.at({r * 16, c * 128}), Mx.at({r * 16, 0}), S.at({r * 16, 0}), Y.at({r * 16, c * 128})});
        });
      })
      .dispatch_custom(r, {{"workers", 4}})
      .task_window(32);
  return M.buildVerified();
}

ir::Module bgemm() {
  ModuleBuilder M("bgemm");
  auto A = M.tensor("A", {4, 128, 256}, DType::F16);
  auto B = M.tensor("B", {4, 256, 128}, DType::F16);
  auto C = M.tensor("C", {4, 128, 128}, DType::F32, TensorRole::Output);
  auto zero = M.kernel("zero", [](KernelBuilder& k) {
    auto c = k.out("c", 64, 64, DType::F32);
    k.store(c, k.fill(64, 64, DType::F32, 0.0).named("z"));
  });
  auto gemm = M.kernel("gemm_step", [](KernelBuilder& k) {  // c += a x b, f32 accumulate
    auto a = k.in("a", 64, 64, DType::F16);
    auto b = k.in("b", 64, 64, DType::F16);
    auto c = k.inout("c", 64, 64, DType::F32);
    auto at = k.load(a).named("at");
    auto bt = k.load(b).named("bt");
    auto acc = k.load(c).named("acc");
    k.store(c, k.matmul(at, bt, acc).named("ct"));
  });
  Var b("b"), m("m"), n("n"), kk("k");
  M.workload("bgemm")
      .P({b.in(Dense(4)), m.in(Dense(2)), n.in(Dense(2))},
         [&](WorkloadBuilder& w) {
           w.call(zero, {C.at({b, m * 64, n * 64})});
           w.seq(kk.in(Dense(4)), [&](WorkloadBuilder& s) {
             s.call(gemm, {A.at({b, m * 64, kk * 64}), B.at({b, kk * 64, n * 64}), C.at({b, m * 64, n * 64})});
           });
         })
      .dispatch_custom((b * 4 + m * 2 + n) % 8, {{"workers", 8}})
      .task_window(64)
      .pool("tensormap", 1024);
  return M.buildVerified();
}

ir::Module pipeline() {
  ModuleBuilder M("pipeline");
  auto X = M.tensor("X", {128, 128}, DType::F32);
  auto Buf = M.tensor("Buf", {128, 128}, DType::F32, TensorRole::Temp);
  auto Res = M.tensor("Res", {128, 128}, DType::F32, TensorRole::Temp);
  auto Y = M.tensor("Y", {128, 128}, DType::F32, TensorRole::Output);
  auto ld = M.kernel("load_tile", [](KernelBuilder& k) {
    auto src = k.in("src", 16, 128, DType::F32);
    auto dst = k.out("dst", 16, 128, DType::F32);
    k.store(dst, k.load(src).named("t"));
  });
  auto work = M.kernel("compute", [](KernelBuilder& k) {
    auto a = k.in("a", 16, 128, DType::F32);
    auto b = k.out("b", 16, 128, DType::F32);
    k.store(b, silu(k.load(a).named("t")).named("s"));
  });
  auto st = M.kernel("store_tile", [](KernelBuilder& k) {
    auto a = k.in("a", 16, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    k.store(y, k.load(a).named("t"));
  });
  // Channels carry the row-block index: stage k+1 of block i overlaps stage k of block i+1.
  Var i("i");
  M.workload("pipeline")
      .channel("l2c", ir::ChannelElem::Index)
      .channel("c2s", ir::ChannelElem::Index)
      .process("loader", {"l2c"}, {},
               [&](WorkloadBuilder& w) {
                 w.seq(i.in(Dense(8)), [&](WorkloadBuilder& s) {
                   s.call(ld, {X.at({i * 16, 0}), Buf.at({i * 16, 0})});
                   s.sendValue("l2c", i);
                 });
               })
      .process("worker", {"c2s"}, {"l2c"},
               [&](WorkloadBuilder& w) {
                 w.consume("l2c", i, [&](WorkloadBuilder& c) {
                   c.call(work, {Buf.at({i * 16, 0}), Res.at({i * 16, 0})});
                   c.sendValue("c2s", i);
                 });
               })
      .process("storer", {}, {"c2s"},
               [&](WorkloadBuilder& w) {
                 w.consume("c2s", i, [&](WorkloadBuilder& c) { c.call(st, {Res.at({i * 16, 0}), Y.at({i * 16, 0})}); });
               })
      .connect("l2c", "loader", "worker")
      .connect("c2s", "worker", "storer")
      .replicate("worker", 2)
      .dispatch("least_loaded", {{"workers", 4}})
      .task_window(8)
      .channel_defaults(2, 0)
      .channel_config("l2c", 2, 10)
      .streams(2)
      .timing({{"trace", 1}});
  return M.buildVerified();
}

ir::Module moe() {
  ModuleBuilder M("moe");
  auto expertSlot = M.slot("expert");
  auto X = M.tensor("X", {64, 128}, DType::F32);
  auto Wg = M.tensor("Wg", {128, 2}, DType::F32);
  auto W0 = M.tensor("W0", {128, 128}, DType::F32);
  auto W1 = M.tensor("W1", {128, 128}, DType::F32);
  auto G = M.tensor("G", {4, 1}, DType::I32, TensorRole::Temp);
  auto Y = M.tensor("Y", {64, 128}, DType::F32, TensorRole::Output);

  auto gate = M.kernel("gate", [](KernelBuilder& k) {  // g = index of the block's best expert
    auto x = k.in("x", 16, 128, DType::F32);
    auto wg = k.in("wg", 128, 2, DType::F32);
    auto g = k.out("g", 1, 1, DType::I32);
    auto xt = k.load(x).named("xt");
    auto wt = k.load(wg).named("wt");
    auto sc = k.matmul(xt, wt).named("sc");            // [16, 2] scores
    auto tot = colsum(sc).named("tot");                 // [1, 2] per-expert score of the block
    auto [v, i] = k.topk(tot, 1);  // winner (largest score) and its index
    v.named("v");
    k.store(g, i.named("i"));
  });
  auto expert = [](ir::TileOpKind act) {
    return [act](KernelBuilder& k) {
      auto x = k.in("x", 16, 128, DType::F32);
      auto w = k.in("w", 128, 128, DType::F32);
      auto y = k.out("y", 16, 128, DType::F32);
      auto xt = k.load(x).named("xt");
      auto wt = k.load(w).named("wt");
      auto h = k.matmul(xt, wt).named("h");
      k.store(y, k.unary(act, h).named("a"));
    };
  };
  auto expert0 = M.kernel("expert0", expert(ir::TileOpKind::Gelu));
  auto expert1 = M.kernel("expert1", expert(ir::TileOpKind::Silu));

  Var t("t");
  M.workload("moe")
      .seq(t.in(Dense(4)),
           [&](WorkloadBuilder& w) {
             w.call(gate, {X.at({t * 16, 0}), Wg.at({0, 0}), G.at({t, 0})});
             // Routing changes only the slot value between runs, never the compiled code.
             w.slot_load(expertSlot, G.view({t, 0}, 1, 1), 0, 0);
             w.when(eq(expertSlot, 0), [&](WorkloadBuilder& e) {
                e.call(expert0, {X.at({t * 16, 0}), W0.at({0, 0}), Y.at({t * 16, 0})});
              }).otherwise([&](WorkloadBuilder& e) {
               e.call(expert1, {X.at({t * 16, 0}), W1.at({0, 0}), Y.at({t * 16, 0})});
             });
           })
      .dispatch("round_robin", {{"workers", 2}})
      .task_window(16);
  return M.buildVerified();
}

struct Example {
  std::string_view name;
  ir::Module (*build)();
};
constexpr std::array<Example, 5> kBuilt{{
    {"rmsnorm", &rmsnorm},
    {"softmax", &softmax},
    {"bgemm", &bgemm},
    {"pipeline", &pipeline},
    {"moe", &moe},
}};

std::string readExample(std::string_view name) {
  const std::string n(name);
  const std::string path = std::string(PTO_WSP_SOURCE_DIR) + "/examples/" + n + "/" + n + ".wsp";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The first line where the printed forms differ, both versions shown.
std::string firstDifference(const std::string& fromFile, const std::string& fromBuilder) {
  std::vector<std::string> a = splitLines(fromFile), b = splitLines(fromBuilder);
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string la = i < a.size() ? a[i] : "<end of text>";
    std::string lb = i < b.size() ? b[i] : "<end of text>";
    if (la != lb)
      return "first difference at printed line " + std::to_string(i + 1) + ":\n  file:    " + la +
             "\n  builder: " + lb;
  }
  return "printed forms are identical (the difference is not visible in the text format)";
}

}  // namespace

// The builder and the parser give the same IR for every example with a builder version:
// same printed text, and structurally equal modules (source locations ignored).
TEST(ExampleBuilders, PrintSameTextAsParsedWspFile) {
  for (const Example& ex : kBuilt) {
    std::string path = "examples/" + std::string(ex.name) + "/" + std::string(ex.name) + ".wsp";
    ir::Module parsed = ir::text::parse(readExample(ex.name), path);
    ir::Module built = ex.build();
    std::string fromFile = ir::text::print(parsed), fromBuilder = ir::text::print(built);
    EXPECT_EQ(fromBuilder, fromFile) << ex.name << ": " << firstDifference(fromFile, fromBuilder);
    EXPECT_TRUE(parsed == built) << ex.name << ": parse(" << path << ") != the builder's module";
  }
}

TEST(ExampleBuilders, VerifyCleanAndDeterministic) {
  for (const Example& ex : kBuilt) {
    ir::Module m = ex.build();
    EXPECT_EQ(m.name, ex.name);
    DiagnosticList d = ir::verify(m);
    EXPECT_TRUE(d.empty()) << ex.name << ":\n" << d.render();
    EXPECT_TRUE(m == ex.build()) << ex.name;
  }
  EXPECT_FALSE(rmsnorm() == softmax());
}

TEST(ExampleBuilders, RoundTripThroughText) {
  for (const Example& ex : kBuilt) {
    ir::Module m = ex.build();
    std::string text = ir::text::print(m);
    ir::Module back = ir::text::parse(text, std::string(ex.name) + ".wsp");
    EXPECT_TRUE(back == m) << ex.name << ":\n" << text;
    EXPECT_EQ(ir::text::print(back), text) << ex.name;
  }
}
