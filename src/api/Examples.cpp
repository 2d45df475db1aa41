#include "pto/wsp/api/Examples.h"

#include "pto/wsp/api/Builder.h"

#include <array>
#include <limits>

namespace pto::wsp::examples {

using ir::DType;
using ir::TensorRole;

ir::Module rmsnorm() {
  ModuleBuilder M("rmsnorm");
  auto X = M.tensor("x", {64, 4096}, DType::F32);
  auto W = M.tensor("w", {1, 4096}, DType::F32);
  auto Y = M.tensor("y", {64, 4096}, DType::F32, TensorRole::Output);
  auto rms = M.kernel("rmsnorm", [](KernelBuilder& k) {
    auto x = k.in("x", 16, 128, DType::F32);
    auto w = k.in("w", 1, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto eps = k.scalar("eps", DType::F32);
    auto t = k.load(x);
    auto r = rsqrt(rowmean(t * t) + eps);  // [16,1]
    auto wt = k.load(w);                   // [1,128]
    k.store(y, t * r * wt);                // row broadcast, then column broadcast
  });
  Var b("b"), t("t");
  M.workload("rmsnorm")
      .P({b.in(Dense(4)), t.in(Dense(32))},
         [&](WorkloadBuilder& w) {
           w.call(rms, {X.at({b * 16, t * 128}), W.at({0, t * 128}), Y.at({b * 16, t * 128}), 1e-6});
         })
      .dispatch("round_robin", {{"workers", 4}})
      .task_window(64);
  return M.buildVerified();
}

ir::Module softmax() {
  constexpr double kNegInf = -std::numeric_limits<double>::infinity();
  ModuleBuilder M("softmax");
  auto X = M.tensor("x", {64, 1024}, DType::F32);
  auto Mx = M.tensor("row_max", {64, 1}, DType::F32, TensorRole::Temp);
  auto Sm = M.tensor("row_sum", {64, 1}, DType::F32, TensorRole::Temp);
  auto Y = M.tensor("y", {64, 1024}, DType::F32, TensorRole::Output);
  auto init = M.kernel("init", [&](KernelBuilder& k) {
    auto m = k.out("m", 16, 1, DType::F32);
    auto s = k.out("s", 16, 1, DType::F32);
    k.store(m, k.fill(16, 1, DType::F32, kNegInf));
    k.store(s, k.fill(16, 1, DType::F32, 0.0));
  });
  auto maxAcc = M.kernel("max_acc", [](KernelBuilder& k) {  // phase 1: m = max(m, rowmax(x))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.inout("m", 16, 1, DType::F32);
    auto xt = k.load(x);
    auto mt = k.load(m);
    k.store(m, max(mt, rowmax(xt)));
  });
  auto sumAcc = M.kernel("sum_acc", [](KernelBuilder& k) {  // phase 2: s += rowsum(exp(x - m))
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.inout("s", 16, 1, DType::F32);
    auto xt = k.load(x);
    auto mt = k.load(m);
    auto st = k.load(s);
    k.store(s, st + rowsum(exp(xt - mt)));
  });
  auto norm = M.kernel("normalize", [](KernelBuilder& k) {  // phase 3: y = exp(x - m) / s
    auto x = k.in("x", 16, 128, DType::F32);
    auto m = k.in("m", 16, 1, DType::F32);
    auto s = k.in("s", 16, 1, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto xt = k.load(x);
    auto mt = k.load(m);
    auto st = k.load(s);
    k.store(y, exp(xt - mt) / st);
  });
  Var b("b"), t("t");
  M.workload("softmax")
      .sequential([&](WorkloadBuilder& w) {
        w.P({b.in(Dense(4))}, [&](WorkloadBuilder& w1) {
          w1.call(init, {Mx.at({b * 16, 0}), Sm.at({b * 16, 0})});
          w1.seq(t.in(Dense(8)), [&](WorkloadBuilder& w2) {
            w2.call(maxAcc, {X.at({b * 16, t * 128}), Mx.at({b * 16, 0})});
          });
        });
        w.P({b.in(Dense(4))}, [&](WorkloadBuilder& w1) {
          w1.seq(t.in(Dense(8)), [&](WorkloadBuilder& w2) {
            w2.call(sumAcc, {X.at({b * 16, t * 128}), Mx.at({b * 16, 0}), Sm.at({b * 16, 0})});
          });
        });
        w.P({b.in(Dense(4)), t.in(Dense(8))}, [&](WorkloadBuilder& w1) {
          w1.call(norm, {X.at({b * 16, t * 128}), Mx.at({b * 16, 0}), Sm.at({b * 16, 0}), Y.at({b * 16, t * 128})});
        });
      })
      .dispatch("least_loaded", {{"workers", 8}})
      .task_window(128);
  return M.buildVerified();
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
  auto gemm = M.kernel("gemm_acc", [](KernelBuilder& k) {  // c += a x b, f32 accumulate
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
      .dispatch_custom((b * 2 + m) % 4, {{"workers", 4}})
      .task_window(32)
      .pool("tensormap", 1024);
  return M.buildVerified();
}

ir::Module pipeline() {
  ModuleBuilder M("pipeline");
  auto X = M.tensor("x", {128, 128}, DType::F32);
  auto Bf = M.tensor("stage_in", {128, 128}, DType::F32, TensorRole::Temp);
  auto Cf = M.tensor("stage_out", {128, 128}, DType::F32, TensorRole::Temp);
  auto Y = M.tensor("y", {128, 128}, DType::F32, TensorRole::Output);
  auto copy = [](KernelBuilder& k) {
    auto src = k.in("src", 16, 128, DType::F32);
    auto dst = k.out("dst", 16, 128, DType::F32);
    k.store(dst, k.load(src));
  };
  auto ld = M.kernel("load_tile", copy);
  auto st = M.kernel("store_tile", copy);
  auto work = M.kernel("compute", [](KernelBuilder& k) {
    auto in = k.in("src", 16, 128, DType::F32);
    auto out = k.out("dst", 16, 128, DType::F32);
    k.store(out, gelu(k.load(in)) * 0.5);
  });
  Var i("i"), j("j"), r("r");
  // Token values: the k-th send on a channel carries k (docs/ir.md), so i/j are tile rows.
  M.workload("pipeline")
      .channel("c_ld")
      .channel("c_st")
      .process("loader", {"c_ld"}, {},
               [&](WorkloadBuilder& w) {
                 w.P({r.in(Dense(8))}, [&](WorkloadBuilder& p) {
                   p.send("c_ld", ld, {X.at({r * 16, 0}), Bf.at({r * 16, 0})});
                 });
               })
      .process("worker", {"c_st"}, {"c_ld"},
               [&](WorkloadBuilder& w) {
                 w.consume("c_ld", i, [&](WorkloadBuilder& c) {
                   c.send("c_st", work, {Bf.at({i * 16, 0}), Cf.at({i * 16, 0})});
                 });
               })
      .process("storer", {}, {"c_st"},
               [&](WorkloadBuilder& w) {
                 w.consume("c_st", j, [&](WorkloadBuilder& c) { c.call(st, {Cf.at({j * 16, 0}), Y.at({j * 16, 0})}); });
               })
      .connect("c_ld", "loader", "worker")
      .connect("c_st", "worker", "storer")
      .channel_defaults(2, 0)
      .channel_config("c_st", 4, 100)
      .dispatch("round_robin", {{"workers", 3}})
      .task_window(16);
  return M.buildVerified();
}

ir::Module moe() {
  constexpr int kBlocks = 4;
  ModuleBuilder M("moe");
  auto H = M.tensor("h", {64, 128}, DType::F32);
  auto WG = M.tensor("w_gate", {128, 8}, DType::F32);
  auto W0 = M.tensor("w_expert0", {128, 128}, DType::F32);
  auto W1 = M.tensor("w_expert1", {128, 128}, DType::F32);
  auto R = M.tensor("route", {kBlocks, 16}, DType::I32, TensorRole::Temp);
  auto Y = M.tensor("y", {64, 128}, DType::F32, TensorRole::Output);
  std::array<ir::Expr, kBlocks> e;
  for (int blk = 0; blk < kBlocks; ++blk) e[blk] = M.slot("route_b" + std::to_string(blk));

  auto gate = M.kernel("gate", [](KernelBuilder& k) {  // route[blk] = argmax_j (h x w_gate)[row 0, j]
    auto h = k.in("h", 16, 128, DType::F32);
    auto wg = k.in("wg", 128, 8, DType::F32);
    auto route = k.out("route", 1, 16, DType::I32);
    auto ht = k.load(h);
    auto wt = k.load(wg);
    auto scores = k.matmul(ht, wt);       // [16,8] f32
    auto [top, idx] = k.topk(scores, 1);  // [16,1] values and i32 indices
    k.store(route, k.transpose(idx));     // one expert id per token: [1,16]
  });
  auto expert = [](KernelBuilder& k) {
    auto h = k.in("h", 16, 128, DType::F32);
    auto w = k.in("w", 128, 128, DType::F32);
    auto y = k.out("y", 16, 128, DType::F32);
    auto ht = k.load(h);
    auto wt = k.load(w);
    k.store(y, silu(k.matmul(ht, wt)));
  };
  auto expert0 = M.kernel("expert0", expert);
  auto expert1 = M.kernel("expert1", expert);

  Var b("b");
  WorkloadBuilder& W = M.workload("moe");
  W.P({b.in(Dense(kBlocks))}, [&](WorkloadBuilder& w) {
    w.call(gate, {H.at({b * 16, 0}), WG.at({0, 0}), R.at({b, 0})});
  });
  // Route each block by its first token's expert id (block-level routing).
  for (int blk = 0; blk < kBlocks; ++blk) {
    W.slot_load(e[blk], R.view({blk, 0}, 1, 16), 0, 0);
    W.when(eq(e[blk], 0), [&](WorkloadBuilder& w) {
       w.call(expert0, {H.at({blk * 16, 0}), W0.at({0, 0}), Y.at({blk * 16, 0})});
     }).otherwise([&](WorkloadBuilder& w) {
      w.call(expert1, {H.at({blk * 16, 0}), W1.at({0, 0}), Y.at({blk * 16, 0})});
    });
  }
  W.dispatch("least_loaded", {{"workers", 2}}).task_window(32);
  return M.buildVerified();
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
