#include "pto/wsp/abi/PlanPrinter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pto::wsp::abi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Plan smallPlan() {
  Plan p;
  p.symbols = {{"S", 64}};
  p.slots = {{"flag", 0}};
  p.tensors.push_back({"X", 0, 4, {64, 16}, {16, 1}, 4096, false, ElemKind::Float, {}, {}});
  p.tensors.push_back({"Len", 0, 4, {4}, {1}, 16, false, ElemKind::Signed, {}, {}});
  p.kernels.push_back({"k", {{ParamKind::In, 16, 16, 0}, {ParamKind::Scalar, 0, 0, 0}}, 0, 99});
  p.channels.push_back({"c", 2, 5});
  PlanNode call;
  call.kind = NodeKind::Call;
  call.kernel = 0;
  call.views.push_back({0, {Bytecode::binary(BytecodeOp::Mul, Bytecode::var(0), Bytecode::constant(16)), Bytecode::constant(0)}, {16, 16}});
  call.scalars.push_back(Bytecode::select(Bytecode::binary(BytecodeOp::Lt, Bytecode::sym(0), Bytecode::constant(8)), Bytecode::slot(0),
                                      Bytecode::load(1, Bytecode::var(0))));
  PlanNode loop;
  loop.kind = NodeKind::Loop;
  loop.loopKind = LoopKind::Sequential;
  loop.axis = AxisKind::DenseDyn;
  loop.expr = Bytecode::binary(BytecodeOp::Div, Bytecode::sym(0), Bytecode::constant(16));
  loop.children.push_back(call);
  PlanNode send;
  send.kind = NodeKind::Send;
  send.channel = 0;
  send.expr = Bytecode::var(0);
  loop.children.push_back(send);
  p.processes.push_back({"main", {loop}, 1});
  return p;
}

TEST(PlanPrinter, PrintsTablesAndNodesWithTheirNames) {
  const std::string t = printPlan(smallPlan());
  EXPECT_THAT(t, HasSubstr("symbol S = 64\n"));
  EXPECT_THAT(t, HasSubstr("slot flag = 0\n"));
  EXPECT_THAT(t, HasSubstr("tensor X float32 [64x16] strides [16x1] bytes=4096\n"));
  EXPECT_THAT(t, HasSubstr("kernel k(in dtype0[16x16], scalar dtype0) fn=0 cost=99\n"));
  EXPECT_THAT(t, HasSubstr("channel c capacity=2 latency=5\n"));
  EXPECT_THAT(t, HasSubstr("process main vars=1 {\n  for %0 in 0..S / 16 (dense_dyn) {\n"));
  EXPECT_THAT(t, HasSubstr("    call k(X[%0 * 16, 0] extent 16x16, (S < 8) ? slot flag : Len[%0])\n"));
  EXPECT_THAT(t, HasSubstr("    send c value %0\n  }\n}\n"));
}

TEST(PlanPrinter, LocationsPrintCompactlyWithoutDirectories) {
  Plan p = smallPlan();
  p.locations.workload = p.locations.add({"/some/checkout/w.wsp", 1, 1, ""});
  p.processes[0].loc = p.locations.workload;
  p.processes[0].body[0].loc = p.locations.add({"/some/checkout/w.wsp", 7, 3, ""});
  p.channels[0].loc = p.locations.add({"/elsewhere/lib.wsp", 4, 5, ""});
  const std::string t = printPlan(p);
  EXPECT_THAT(t, HasSubstr("locations 3 in w.wsp, lib.wsp @1:1\n"));
  EXPECT_THAT(t, HasSubstr("channel c capacity=2 latency=5 @lib.wsp:4:5\n"));
  EXPECT_THAT(t, HasSubstr("process main vars=1 @1:1 {\n  for %0 in 0..S / 16 (dense_dyn) @7:3 {\n"));
  EXPECT_THAT(t, Not(HasSubstr("checkout")));
}

TEST(PlanPrinter, DtypeNamesComeFromTheCaller) {
  PlanPrintOptions o;
  o.dtypeName = [](uint8_t) { return std::string("f32"); };
  EXPECT_THAT(printPlan(smallPlan(), o), HasSubstr("tensor X f32 [64x16]"));
}

TEST(PlanPrinter, MalformedBytecodePrintsInsteadOfThrowing) {
  const Plan p = smallPlan();
  Bytecode bad;
  bad.code = {static_cast<uint8_t>(BytecodeOp::Add)};
  EXPECT_EQ(printBytecode(bad, p), "<malformed: stack underflow>");
  bad.code = {200};
  EXPECT_EQ(printBytecode(bad, p), "<malformed: opcode 200>");
  EXPECT_EQ(printBytecode(Bytecode::sym(7), p), "<bad symbol 7>");
  EXPECT_EQ(printBytecode(Bytecode{}, p), "0");
}

}  // namespace
}  // namespace pto::wsp::abi
