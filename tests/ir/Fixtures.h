// Small valid modules for IR tests, built with the raw IR API.
#pragma once

#include "pto/wsp/ir/Module.h"
#include "pto/wsp/ir/Verifier.h"

#include <gtest/gtest.h>

#include <string>

namespace pto::wsp::ir::test {

inline SourceLoc L(uint32_t line) { return SourceLoc{"t.wsp", line, 1, {}}; }

inline TileInst inst(TileOpKind op, std::vector<std::string> results, std::vector<TileType> types,
                     std::vector<std::string> operands, std::string param = {}) {
  TileInst i;
  i.op = op;
  i.results = std::move(results);
  i.resultTypes = std::move(types);
  i.operands = std::move(operands);
  i.param = std::move(param);
  return i;
}

inline constexpr TileType kT{16, 128, DType::F32};

// scale(x: in 16x128 f32, y: out 16x128 f32): y = x * 2
inline Kernel scaleKernel() {
  TileInst mul = inst(TileOpKind::Mul, {"b"}, {kT}, {"a"});
  mul.broadcast = Broadcast::Scalar;
  mul.scalar = ScalarOperand::of(Expr(2.0));
  return Kernel::make(
      "scale",
      {KernelParam::makeTile("x", ParamDir::In, kT, L(2)), KernelParam::makeTile("y", ParamDir::Out, kT, L(3))},
      {inst(TileOpKind::Load, {"a"}, {kT}, {}, "x"), mul, inst(TileOpKind::Store, {}, {}, {"b"}, "y")}, L(1));
}

inline Stmt scaleCall(Expr r, Expr c, uint32_t line = 20) {
  return Call::make("scale",
                    {CallArg::ofView(View::make("x", {r, c}, 16, 128, L(line))),
                     CallArg::ofView(View::make("y", {r, c}, 16, 128, L(line)))},
                    L(line));
}

// Module "m": x, y [64, 4096] f32; P b in dense(4), t in dense(32): scale(x[b*16, t*128], y[...]).
inline Module baseModule(Stmt body = {}) {
  Module m;
  m.name = "m";
  m.symbols.push_back({"S", 4096, L(4)});
  m.slots.push_back({"e0", 0, L(5)});
  m.tensors.push_back(Tensor::make("x", {Expr(64), symbol("S")}, DType::F32, TensorRole::Input, L(6)));
  m.tensors.push_back(Tensor::make("y", {Expr(64), Expr(4096)}, DType::F32, TensorRole::Output, L(7)));
  m.kernels.push_back(scaleKernel());
  if (!body.defined())
    body = Loop::make(LoopKind::Parallel, {{"b", Axis::dense(4)}, {"t", Axis::dense(32)}},
                      scaleCall(var("b") * 16, var("t") * 128), L(10));
  m.workloads.push_back(Workload::make("main", body, {}, L(9)));
  return m;
}

// All rendered errors, one per line block, for EXPECT messages.
inline std::string errors(const Module& m) { return verify(m).render(); }

// The single error of `m` must contain `text`.
inline ::testing::AssertionResult hasError(const Module& m, const std::string& text) {
  DiagnosticList d = verify(m);
  for (const Diagnostic& x : d.all())
    if (x.severity == Severity::Error && x.render().find(text) != std::string::npos)
      return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no error containing\n  " << text << "\ngot:\n" << d.render();
}

}  // namespace pto::wsp::ir::test
