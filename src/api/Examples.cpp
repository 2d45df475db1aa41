// The five reference workloads written with the C++ builder. Each builds exactly the module
// that parsing examples/<name>/<name>.wsp gives (tests/api/ExamplesTest.cpp asserts
// structural equality), so the builder and the text format describe one set of examples.
#include "pto/wsp/api/Examples.h"

#include "pto/wsp/api/Builder.h"
#include "pto/wsp/ir/Visitor.h"
#include "pto/wsp/support/Assert.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace pto::wsp::examples {

using ir::DType;
using ir::TensorRole;

namespace {

// SSA value names per kernel, in the order the kernel's ops produce them.
using ValueNames = std::map<std::string, std::vector<std::string>>;

// The builder names SSA values t0, t1, ... in emission order; the .wsp files use readable
// names (%xh, %xf, ...). Renames each listed kernel's values so both spell the same module.
void nameValues(ir::Module& m, const ValueNames& names) {
  for (const auto& [kernel, wanted] : names) {
    auto it = std::find_if(m.kernels.begin(), m.kernels.end(), [&](const ir::Kernel& k) { return k.name == kernel; });
    PTO_INTERNAL_ASSERT(it != m.kernels.end(), "example names values of unknown kernel '{}'", kernel);
    std::map<std::string, std::string> rename;
    size_t next = 0;
    for (ir::TileInst& inst : it->body) {
      for (std::string& o : inst.operands) {
        auto r = rename.find(o);
        PTO_INTERNAL_ASSERT(r != rename.end(), "kernel '{}': operand '{}' used before defined", kernel, o);
        o = r->second;
      }
      for (std::string& res : inst.results) {
        PTO_INTERNAL_ASSERT(next < wanted.size(), "kernel '{}': more values than names ({})", kernel, wanted.size());
        rename[res] = wanted[next];
        res = wanted[next++];
      }
    }
    PTO_INTERNAL_ASSERT(next == wanted.size(), "kernel '{}': {} values but {} names", kernel, next, wanted.size());
  }
}

// `s` as a { block }: the builder returns a one-statement body unwrapped, while the parser
// keeps `{ s }` as a Block, and the .wsp files brace every body.
ir::Stmt braced(const ir::Stmt& s) {
  if (!s.defined() || s.as<ir::Block>()) return s;
  return ir::Block::make({s}, s.loc());
}

// Braces every workload, loop, branch, process, consume and scope body.
class BraceBodies : public ir::IRMutator {
 public:
  using ir::IRMutator::mutate;
  ir::Stmt mutate(const ir::Loop&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Loop>(), self);  // keeps the node alive
    const auto* s = done.as<ir::Loop>();
    return ir::Loop::make(s->loopKind, s->vars, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Cond&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Cond>(), self);  // keeps the node alive
    const auto* s = done.as<ir::Cond>();
    std::vector<ir::CondBranch> branches = s->branches;
    for (ir::CondBranch& b : branches) b.body = braced(b.body);
    return ir::Cond::make(std::move(branches), braced(s->otherwise), s->loc);
  }
  ir::Stmt mutate(const ir::Process&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Process>(), self);  // keeps the node alive
    const auto* s = done.as<ir::Process>();
    return ir::Process::make(s->name, s->produces, s->consumes, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Consume&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Consume>(), self);  // keeps the node alive
    const auto* s = done.as<ir::Consume>();
    return ir::Consume::make(s->channel, s->var, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Scope&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Scope>(), self);  // keeps the node alive
    const auto* s = done.as<ir::Scope>();
    return ir::Scope::make(braced(s->body), s->loc);
  }
};

void braceBodies(ir::Module& m) {
  BraceBodies b;
  for (ir::Workload& w : m.workloads) w.body = braced(b.mutate(w.body));
}

// build() + value names + braced bodies + verify (throws UserError like
// ModuleBuilder::buildVerified).
ir::Module finish(const ModuleBuilder& M, const ValueNames& names) {
  ir::Module m = M.build();
  nameValues(m, names);
  braceBodies(m);
  ir::verifyOrThrow(m);
  return m;
}

}  // namespace

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
    auto xh = k.load(x);
    auto xf = k.cast(xh, DType::F32);
    auto sq = xf * xf;
    auto ms = rowmean(sq);  // [16, 1]
    auto e = ms + eps;
    auto r = rsqrt(e);
    auto n = xf * r;  // row broadcast: scale each row by its 1/rms
    auto wh = k.load(w);
    auto wf = k.cast(wh, DType::F32);
    auto o = n * wf;  // column broadcast: scale each column by its weight
    k.store(y, k.cast(o, DType::F16));
  });
  Var b("b"), t("t");
  M.workload("rms")
      .P({b.in(Dense(4)), t.in(Dense(4))},
         [&](WorkloadBuilder& w) {
           w.call(rms, {X.at({(b * 4 + t) * 16, 0}), W.at({0, 0}), Y.at({(b * 4 + t) * 16, 0}), 1e-6});
         })
      .dispatch("round_robin", {{"workers", 4}})
      .task_window(16);
  return finish(M, {{"rmsnorm", {"xh", "xf", "sq", "ms", "e", "r", "n", "wh", "wf", "o", "oh"}}});
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
    k.store(t, k.fill(16, 1, DType::F32, v));
  });
  auto maxStep = M.kernel("max_step", [](KernelBuilder& k) {  // phase 1: m = max(m, rowmax(x))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.inout("m", 16, 1, DType::F32);
    auto xt = k.load(x);
    auto bm = rowmax(xt);
    auto mt = k.load(m);
    k.store(m, max(mt, bm));
  });
  auto sumStep = M.kernel("sum_step", [](KernelBuilder& k) {  // phase 2: s += rowsum(exp(x - m))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.inout("s", 16, 1, DType::F32);
    auto xt = k.load(x);
    auto mt = k.load(m);
    auto d = xt - mt;
    auto e = exp(d);
    auto bs = rowsum(e);
    auto st = k.load(s);
    k.store(s, st + bs);
  });
  auto norm = M.kernel("normalize", [](KernelBuilder& k) {  // phase 3: y = exp(x - m) / s
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.in("s", 16, 1, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto xt = k.load(x);
    auto mt = k.load(m);
    auto d = xt - mt;
    auto e = exp(d);
    auto st = k.load(s);
    k.store(y, e / st);
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
  return finish(M, {{"fill_col", {"f"}},
                    {"max_step", {"xt", "bm", "mt", "nm"}},
                    {"sum_step", {"xt", "mt", "d", "e", "bs", "st", "ns"}},
                    {"normalize", {"xt", "mt", "d", "e", "st", "yt"}}});
}

ir::Module bgemm() {
  ModuleBuilder M("bgemm");
  auto A = M.tensor("A", {4, 128, 256}, DType::F16);
  auto B = M.tensor("B", {4, 256, 128}, DType::F16);
  auto C = M.tensor("C", {4, 128, 128}, DType::F32, TensorRole::Output);
  auto zero = M.kernel("zero", [](KernelBuilder& k) {
    auto c = k.out("c", 64, 64, DType::F32);
    k.store(c, k.fill(64, 64, DType::F32, 0.0));
  });
  auto gemm = M.kernel("gemm_step", [](KernelBuilder& k) {  // c += a x b, f32 accumulate
    auto a = k.in("a", 64, 64, DType::F16);
    auto b = k.in("b", 64, 64, DType::F16);
    auto c = k.inout("c", 64, 64, DType::F32);
    auto at = k.load(a);
    auto bt = k.load(b);
    auto acc = k.load(c);
    k.store(c, k.matmul(at, bt, acc));
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
  return finish(M, {{"zero", {"z"}}, {"gemm_step", {"at", "bt", "acc", "ct"}}});
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
    k.store(dst, k.load(src));
  });
  auto work = M.kernel("compute", [](KernelBuilder& k) {
    auto a = k.in("a", 16, 128, DType::F32);
    auto b = k.out("b", 16, 128, DType::F32);
    k.store(b, silu(k.load(a)));
  });
  auto st = M.kernel("store_tile", [](KernelBuilder& k) {
    auto a = k.in("a", 16, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    k.store(y, k.load(a));
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
  return finish(M, {{"load_tile", {"t"}}, {"compute", {"t", "s"}}, {"store_tile", {"t"}}});
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
    auto xt = k.load(x);
    auto wt = k.load(wg);
    auto sc = k.matmul(xt, wt);            // [16, 2] scores
    auto tot = colsum(sc);                 // [1, 2] per-expert score of the block
    auto [top, idx] = k.topk(tot, 1);      // winner (largest score) and its index
    k.store(g, idx);
  });
  auto expert = [](ir::TileOpKind act) {
    return [act](KernelBuilder& k) {
      auto x = k.in("x", 16, 128, DType::F32);
      auto w = k.in("w", 128, 128, DType::F32);
      auto y = k.out("y", 16, 128, DType::F32);
      auto xt = k.load(x);
      auto wt = k.load(w);
      auto h = k.matmul(xt, wt);
      k.store(y, k.unary(act, h));
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
  return finish(M, {{"gate", {"xt", "wt", "sc", "tot", "v", "i"}},
                    {"expert0", {"xt", "wt", "h", "a"}},
                    {"expert1", {"xt", "wt", "h", "a"}}});
}

namespace {
constexpr std::array<Example, 5> kAll{{
    {"rmsnorm", &rmsnorm},
    {"softmax", &softmax},
    {"bgemm", &bgemm},
    {"pipeline", &pipeline},
    {"moe", &moe},
}};
}  // namespace

std::span<const Example> all() { return kAll; }

}  // namespace pto::wsp::examples
