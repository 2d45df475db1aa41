// Plan format: ScalarExpr bytecode evaluation/checking, binary round trip, rejection of
// malformed plans.
#include "pto/wsp/abi/Plan.h"

#include "pto/wsp/support/Diagnostic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

namespace pto::wsp::abi {
namespace {

using ::testing::HasSubstr;

Bytecode C(int64_t v) { return Bytecode::constant(v); }
Bytecode B(BytecodeOp op, const Bytecode& a, const Bytecode& b) { return Bytecode::binary(op, a, b); }

TEST(PlanExpr, EvaluatesArithmeticLogicAndSelect) {
  const int64_t syms[] = {10, -3};
  const uint64_t slots[] = {7};
  const int64_t vars[] = {4};
  BytecodeEnv env{syms, 2, slots, 1, vars, 1};
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Add, Bytecode::sym(0), Bytecode::var(0)), env), 14);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Mul, Bytecode::slot(0), Bytecode::sym(1)), env), -21);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Div, C(-7), C(2)), env), -3);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Mod, C(-7), C(2)), env), -1);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Min, C(3), C(-2)), env), -2);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Max, C(3), C(-2)), env), 3);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Le, Bytecode::var(0), C(4)), env), 1);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::And, C(1), Bytecode::unary(BytecodeOp::Not, C(5))), env), 0);
  EXPECT_EQ(evalBytecode(Bytecode::select(B(BytecodeOp::Gt, Bytecode::sym(0), C(5)), C(100), C(200)), env), 100);
  EXPECT_EQ(evalBytecode(Bytecode::unary(BytecodeOp::Neg, C(INT64_MAX)), env), -INT64_MAX);
  EXPECT_EQ(evalBytecode(Bytecode{}, env), 0);
  int64_t v = 0;
  EXPECT_TRUE(C(42).isConstant(&v));
  EXPECT_EQ(v, 42);
  try {
    evalBytecode(B(BytecodeOp::Div, C(1), B(BytecodeOp::Sub, Bytecode::sym(0), C(10))), env);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("division by zero (1 / 0)"));
  }
}

TEST(PlanExpr, OverflowIsAnErrorNotAWrap) {
  // (b + 1) * 2^62 * 4 with b = 0 (a view offset of the hostile-input suite).
  const int64_t vars[] = {0};
  BytecodeEnv env{nullptr, 0, nullptr, 0, vars, 1};
  const Bytecode e = B(BytecodeOp::Mul, B(BytecodeOp::Mul, B(BytecodeOp::Add, Bytecode::var(0), C(1)),
                                          C(int64_t{1} << 62)),
                       C(4));
  try {
    evalBytecode(e, env);
    FAIL() << "expected UserError";
  } catch (const UserError& err) {
    EXPECT_THAT(err.what(), HasSubstr("error: scalar expression: integer overflow: 4611686018427387904 * 4 does "
                                      "not fit in int64"));
    EXPECT_THAT(err.what(), HasSubstr("help: "));
  }
  EXPECT_THROW(evalBytecode(B(BytecodeOp::Add, C(INT64_MAX), C(1)), env), UserError);
  EXPECT_THROW(evalBytecode(B(BytecodeOp::Sub, C(INT64_MIN), C(1)), env), UserError);
  EXPECT_THROW(evalBytecode(Bytecode::unary(BytecodeOp::Neg, C(INT64_MIN)), env), UserError);
  EXPECT_THROW(evalBytecode(B(BytecodeOp::Div, C(INT64_MIN), C(-1)), env), UserError);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Mod, C(INT64_MIN), C(-1)), env), 0);
  EXPECT_EQ(evalBytecode(B(BytecodeOp::Add, C(INT64_MAX - 1), C(1)), env), INT64_MAX);
}

TEST(PlanExpr, CheckerRejectsBadBytecode) {
  EXPECT_EQ(checkBytecode(B(BytecodeOp::Add, C(1), C(2)), 0, 0, 0), "");
  EXPECT_THAT(checkBytecode(Bytecode::sym(3), 2, 0, 0), HasSubstr("symbol index 3 out of range"));
  Bytecode under;
  under.code = {static_cast<uint8_t>(BytecodeOp::Add)};
  EXPECT_THAT(checkBytecode(under, 0, 0, 0), HasSubstr("stack underflow"));
  Bytecode two = C(1);
  const Bytecode c2 = C(2);
  two.code.insert(two.code.end(), c2.code.begin(), c2.code.end());
  EXPECT_THAT(checkBytecode(two, 0, 0, 0), HasSubstr("leaves 2 values"));
  Bytecode trunc = C(1);
  trunc.code.pop_back();
  EXPECT_THAT(checkBytecode(trunc, 0, 0, 0), HasSubstr("truncated"));
  EXPECT_THROW(evalBytecode(trunc, {}), UserError);
}

Plan samplePlan() {
  Plan p;
  p.schedule.workers = 4;
  p.schedule.dispatch = "least_loaded";
  p.schedule.syncLatency = 12;
  p.schedule.taskWindow = 128;
  p.tensors.push_back({"x", 1, 4, {64, 64}, {64, 1}, 64 * 64 * 4, false});
  p.tensors.push_back({"tmp", 1, 4, {16, 64}, {64, 1}, 16 * 64 * 4, true});
  p.tensors.push_back({"lens", 6, 4, {8}, {1}, 32, false, ElemKind::Signed, {Bytecode::sym(0)}, {C(1)}});
  p.kernels.push_back({"add", {{ParamKind::In, 16, 16, 1}, {ParamKind::Out, 16, 16, 1}, {ParamKind::Scalar, 0, 0, 0}}, 0, 120});
  p.symbols.push_back({"n", 4});
  p.slots.push_back({"flag"});
  p.channels.push_back({"c2s", 2, 30});
  PlanNode call;
  call.kind = NodeKind::Call;
  call.kernel = 0;
  call.views = {{0, {B(BytecodeOp::Mul, Bytecode::var(0), C(16)), C(0)}, {16, 16}},
                {1, {C(0), B(BytecodeOp::Mul, Bytecode::var(0), C(16))}, {16, 31}, 1, 2, true}};
  call.scalars = {Bytecode::sym(0)};
  call.dispatchKey = Bytecode::var(0);
  PlanNode send;
  send.kind = NodeKind::Send;
  send.channel = 0;
  send.children = {call};
  PlanNode loop;
  loop.kind = NodeKind::Loop;
  loop.loopKind = LoopKind::Sequential;
  loop.axis = AxisKind::DenseDyn;
  loop.var = 0;
  loop.expr = Bytecode::sym(0);
  loop.children = {send};
  PlanNode cond;
  cond.kind = NodeKind::Cond;
  cond.expr = Bytecode::slot(0);
  cond.children = {call};
  PlanNode sparse;
  sparse.kind = NodeKind::Loop;
  sparse.axis = AxisKind::Sparse;
  sparse.expr = C(2);
  sparse.value = Bytecode::load(0, Bytecode::var(0));
  sparse.var = 0;
  sparse.children = {cond};
  PlanNode scope;
  scope.kind = NodeKind::Scope;
  scope.children = {loop, sparse};
  PlanNode load;
  load.kind = NodeKind::SlotLoad;
  load.slot = 0;
  load.views = {{0, {C(0), C(0)}, {1, 1}}};
  PlanNode set;
  set.kind = NodeKind::SlotSet;
  set.slot = 0;
  set.expr = C(1);
  PlanNode sendValue;
  sendValue.kind = NodeKind::Send;
  sendValue.channel = 0;
  sendValue.expr = Bytecode::unary(BytecodeOp::CvtF16, C(3));
  p.processes.push_back({"producer", {set, scope, load, sendValue}, 1});
  PlanNode consume;
  consume.kind = NodeKind::Consume;
  consume.channel = 0;
  consume.var = 0;
  consume.children = {call};
  p.processes.push_back({"consumer", {consume}, 1});
  return p;
}

TEST(PlanExpr, LoadReadsThroughTheEnvAndConvertsFloats) {
  struct Mem {
    static int64_t read(void* ctx, uint32_t t, int64_t i) { return static_cast<const int64_t*>(ctx)[t * 4 + i]; }
  };
  int64_t mem[8] = {5, 6, 7, 8, 50, 60, 70, 80};
  const int64_t vars[] = {2};
  BytecodeEnv env{nullptr, 0, nullptr, 0, vars, 1, &Mem::read, mem};
  EXPECT_EQ(evalBytecode(Bytecode::load(1, Bytecode::var(0)), env), 70);
  EXPECT_EQ(evalBytecode(Bytecode::load(0, Bytecode::load(0, C(0))), BytecodeEnv{nullptr, 0, nullptr, 0, nullptr, 0, &Mem::read, mem}),
            60);  // mem[0][5] -> tensor 1 element 1
  EXPECT_EQ(checkBytecode(Bytecode::load(1, C(0)), 0, 0, 0, 2), "");
  EXPECT_THAT(checkBytecode(Bytecode::load(2, C(0)), 0, 0, 0, 2), HasSubstr("tensor index 2 out of range (2)"));
  EXPECT_TRUE(readsRuntimeState(Bytecode::load(0, C(1))));
  EXPECT_FALSE(readsRuntimeState(B(BytecodeOp::Mul, Bytecode::sym(0), C(2))));
  try {
    evalBytecode(Bytecode::load(0, C(3)), {});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("reads element 3 of tensor 0 but no tensor memory is bound"));
  }
  // Kernel ABI float encodings (hand values from the IEEE formats).
  EXPECT_EQ(floatBits(1.0, FloatFormat::F16), 0x3C00u);
  EXPECT_EQ(floatBits(-2.0, FloatFormat::F16), 0xC000u);
  EXPECT_EQ(floatBits(65504.0, FloatFormat::F16), 0x7BFFu);
  EXPECT_EQ(floatBits(65520.0, FloatFormat::F16), 0x7C00u);          // rounds up to inf
  EXPECT_EQ(floatBits(0x1p-24, FloatFormat::F16), 0x0001u);          // smallest subnormal
  EXPECT_EQ(floatBits(1.0 + 0x1p-11, FloatFormat::F16), 0x3C00u);    // tie -> even
  EXPECT_EQ(floatBits(1.0 + 3 * 0x1p-11, FloatFormat::F16), 0x3C02u);  // tie -> even (up)
  EXPECT_EQ(floatBits(1.0, FloatFormat::BF16), 0x3F80u);
  EXPECT_EQ(floatBits(-INFINITY, FloatFormat::BF16), 0xFF80u);
  EXPECT_EQ(floatBits(1.0, FloatFormat::F32), 0x3F800000u);
  EXPECT_EQ(floatBits(-INFINITY, FloatFormat::F32), 0xFF800000u);
  EXPECT_EQ(floatBits(1e300, FloatFormat::F32), 0x7F800000u);           // overflow -> inf
  EXPECT_EQ(floatBits(0.1, FloatFormat::F32), 0x3DCCCCCDu);             // as (float)0.1
  EXPECT_EQ(floatBits(0x1p-149, FloatFormat::F32), 0x00000001u);        // smallest subnormal
  EXPECT_EQ(floatBits(std::nan(""), FloatFormat::F32) & 0x7FC00000u, 0x7FC00000u);
  EXPECT_EQ(floatBits(1.0, FloatFormat::F64), 0x3FF0000000000000ull);
  EXPECT_EQ(evalBytecode(Bytecode::unary(BytecodeOp::CvtF32, C(2)), {}), 0x40000000);
  EXPECT_EQ(evalBytecode(Bytecode::unary(BytecodeOp::CvtBF16, C(-1)), {}), 0xBF80);
}

TEST(Plan, BinaryRoundTrip) {
  Plan p = samplePlan();
  // The location table travels with the plan: nodes, channels, processes, kernels.
  p.locations.workload = p.locations.add({"a.wsp", 1, 1, ""});
  p.locations.poolHeap = p.locations.add({"a.wsp", 30, 3, ""});
  p.processes[0].loc = p.locations.workload;
  p.processes[0].body[0].loc = p.locations.add({"b.wsp", 7, 5, ""});
  p.channels[0].loc = p.locations.add({"a.wsp", 4, 3, ""});
  p.kernels[0].loc = p.locations.add({"a.wsp", 2, 1, ""});
  ASSERT_EQ(validatePlan(p), "");
  std::vector<uint8_t> bytes = serializePlan(p);
  Plan q = deserializePlan(bytes);
  EXPECT_EQ(p, q);
  EXPECT_EQ(serializePlan(q), bytes);
  EXPECT_EQ(q.locations.at(q.processes[0].body[0].loc).str(), "b.wsp:7:5");
  EXPECT_EQ(q.locations.at(q.locations.poolHeap).str(), "a.wsp:30:3");
  // An index past the table, or an entry naming a missing file, is a malformed plan.
  Plan bad = p;
  bad.channels[0].loc = 99;
  EXPECT_THAT(validatePlan(bad), HasSubstr("channel 'c2s' has location 99"));
  bad = p;
  bad.processes[0].body[0].loc = 99;
  EXPECT_THAT(validatePlan(bad), HasSubstr("location 99 (only 5)"));
  bad = p;
  bad.locations.entries[0].file = 7;
  EXPECT_THAT(validatePlan(bad), HasSubstr("location file 7 (only 2)"));
}

TEST(Plan, MalformedBytesAreUserErrors) {
  std::vector<uint8_t> bytes = serializePlan(samplePlan());
  std::vector<uint8_t> bad = bytes;
  bad[0] = 'X';
  EXPECT_THROW(deserializePlan(bad), UserError);
  bad = bytes;
  bad[8] = 99;  // version
  try {
    deserializePlan(bad);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("plan format version 99, this runtime reads version 3"));
    EXPECT_THAT(e.what(), HasSubstr("recompile it"));
  }
  // Every truncation is rejected, never read out of bounds.
  for (size_t n = 0; n < bytes.size(); n += 7) {
    std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    EXPECT_THROW(deserializePlan(t), UserError) << n;
  }
  bad = bytes;
  bad.push_back(0);
  EXPECT_THROW(deserializePlan(bad), UserError);
}

TEST(Plan, ValidationNamesTheProblem) {
  Plan p = samplePlan();
  p.processes[1].body[0].channel = 5;
  EXPECT_THAT(validatePlan(p), HasSubstr("channel 5 (only 1)"));
  p = samplePlan();
  p.processes[0].body[1].children[0].children[0].children[0].scalars.clear();
  EXPECT_THAT(validatePlan(p), HasSubstr("call of 'add' has 2 views and 0 scalars, the kernel takes 2 and 1"));
  p = samplePlan();
  p.processes[0].body[3].expr = {};  // send value without a value
  EXPECT_THAT(validatePlan(p), HasSubstr("a send without a call needs a token value"));
  p = samplePlan();
  p.tensors[2].shapeExprs = {Bytecode::slot(0)};  // sizes read symbols only
  EXPECT_THAT(validatePlan(p), HasSubstr("tensor 'lens' size expression: slot index 0 out of range (0)"));
  p = samplePlan();
  p.tensors[2].strideExprs = {C(1), C(1)};
  EXPECT_THAT(validatePlan(p), HasSubstr("has 1 shape and 2 stride expressions for rank 1"));
  p = samplePlan();
  p.processes[0].body[2].views[0].extents[1] = 0;
  EXPECT_THAT(validatePlan(p), HasSubstr("view extent 0"));
  p = samplePlan();
  p.processes[0].body[1].children[1].value = Bytecode::load(7, C(0));
  EXPECT_THAT(validatePlan(p), HasSubstr("loop value: tensor index 7 out of range (3)"));
  p = samplePlan();
  p.channels[0].capacity = 0;
  EXPECT_THAT(validatePlan(p), HasSubstr("capacity 0"));
  EXPECT_THROW(deserializePlan(serializePlan(p)), UserError);
}

}  // namespace
}  // namespace pto::wsp::abi

namespace pto::wsp::abi {
namespace {

// `var op constant` is answered without the stack machine (evalTrivialBytecode); the
// same expression with a `+ 0` on the variable takes the stack machine. Both must give
// the same value, or both the same user error (overflow, division by zero).
TEST(Bytecode, VarOpConstantShortcutMatchesTheStackMachine) {
  const int64_t values[] = {0, 1, -1, 7, -7, 63, 64, 65, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
  const BytecodeOp ops[] = {BytecodeOp::Add, BytecodeOp::Sub, BytecodeOp::Mul, BytecodeOp::Div,
                            BytecodeOp::Mod, BytecodeOp::Min, BytecodeOp::Lt};
  auto outcome = [](const Bytecode& e, const BytecodeEnv& env) -> std::string {
    try {
      return std::to_string(evalBytecode(e, env));
    } catch (const UserError& err) {
      return std::string("error: ") + err.what();
    }
  };
  int shortcut = 0;
  for (int64_t v : values)
    for (int64_t k : values)
      for (BytecodeOp op : ops) {
        const int64_t vars[] = {v};
        const BytecodeEnv env{nullptr, 0, nullptr, 0, vars, 1};
        const Bytecode fast = Bytecode::binary(op, Bytecode::var(0), Bytecode::constant(k));
        const Bytecode slow = Bytecode::binary(
            op, Bytecode::binary(BytecodeOp::Add, Bytecode::var(0), Bytecode::constant(0)), Bytecode::constant(k));
        ASSERT_EQ(fast.code.size(), 15u);
        EXPECT_EQ(outcome(fast, env), outcome(slow, env)) << "v=" << v << " k=" << k << " op=" << int(op);
        int64_t out = 0;
        if (evalTrivialBytecode(fast, vars, 1, out)) {
          ++shortcut;
          EXPECT_EQ(std::to_string(out), outcome(slow, env));
        }
      }
  EXPECT_GT(shortcut, 400);  // the shortcut answered the ordinary cases
  // An out-of-range variable is never answered by the shortcut.
  int64_t out = 0;
  EXPECT_FALSE(evalTrivialBytecode(Bytecode::binary(BytecodeOp::Mod, Bytecode::var(3), Bytecode::constant(64)),
                                   values, 1, out));
}

}  // namespace
}  // namespace pto::wsp::abi
