// Lowered control flow (multi-branch cond, scope, sequential, slots), scalar encodings,
// schedule defaults / overrides and the errors lowering reports.
#include "PlanLoweringTestUtil.h"

#include <algorithm>

namespace pto::wsp::lower {
namespace {

using ::testing::HasSubstr;
using namespace plantest;

const char* kControl = R"(module ctl
symbol M = 2
slot $flag = 1
input X : f32[64, 16]
output Y : f32[64, 16]
kernel k(in x : Tile[1, 16, f32], out y : Tile[1, 16, f32], f : Scalar[f32], on : Scalar[bool]) {
  %t = load x
  store y, %t
}
workload ctl {
  P i in dense(4) {
    cond {
      when (i == 0) call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16], i, i)
      when (i < M) {
        call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16], 0.5, 0)
        call k(X[i + 8 : 1, 0 : 16], Y[i + 8 : 1, 0 : 16], 0.5, 3)
      }
      otherwise call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16], 1.0, 1)
    }
  }
  sequential {
    scope { call k(X[20 : 1, 0 : 16], Y[20 : 1, 0 : 16], 2.0, 1) }
    slot_set $flag = $flag + 1
  }
  when ($flag == 2) call k(X[30 : 1, 0 : 16], Y[30 : 1, 0 : 16], 2.0, 1)
}
workload keyed {
  P i in dense(6) {
    call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16], 1.0, 1)
  }
}
schedule {
  dispatch round_robin(workers = 2)
  dispatch affinity(workers = 3) key i + $flag
  pool heap 4096
  pool ready_queue 8
  pool deplist 100
}
workload mixed {
  P i in dense(2) {
    call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16], i * 0.5, 1)
  }
}
)";

TEST(PlanLoweringControl, MultiBranchCondScopeSequentialAndSlots) {
  ir::Module m = parseText(kControl, "ctl.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("ctl"), arch910b(), caps());
  // No dispatch directive: the arch's vector workers (48 AIV on ascend910b).
  EXPECT_EQ(r.plan.schedule.workers, 48u);
  EXPECT_EQ(r.features, (std::vector<std::string>{"pred.cond_slot", "pred.cond_symbol"}));
  // when / when / otherwise -> Cond(i == 0, b1, Cond(i < M, b2, e)).
  const abi::PlanNode& outer = r.plan.processes[0].body[0].children[0];
  ASSERT_EQ(outer.kind, abi::NodeKind::Cond);
  ASSERT_EQ(outer.children.size(), 2u);
  EXPECT_EQ(outer.children[0].kind, abi::NodeKind::Call);
  const abi::PlanNode& inner = outer.children[1];
  ASSERT_EQ(inner.kind, abi::NodeKind::Cond);
  EXPECT_EQ(inner.children[0].kind, abi::NodeKind::Combine);  // the two-call block
  EXPECT_EQ(inner.children[1].kind, abi::NodeKind::Call);     // otherwise
  EXPECT_EQ(r.plan.processes[0].body[1].kind, abi::NodeKind::Seq);
  EXPECT_EQ(r.plan.processes[0].body[1].children[0].kind, abi::NodeKind::Scope);
  EXPECT_EQ(r.plan.slots[0].init, 1u);
  // Scalars: the non-constant f32 `i` converts at run time, bools compare with 0.
  const abi::PlanNode& first = outer.children[0];
  EXPECT_EQ(first.scalars[0], abi::Bytecode::unary(abi::BytecodeOp::CvtF32, abi::Bytecode::var(0)));
  EXPECT_EQ(first.scalars[1], abi::Bytecode::binary(abi::BytecodeOp::Ne, abi::Bytecode::var(0), abi::Bytecode::constant(0)));
  int64_t half = 0;
  ASSERT_TRUE(inner.children[0].children[0].scalars[0].isConstant(&half));
  EXPECT_EQ(static_cast<uint64_t>(half), 0x3F000000u);

  // M = 2: i=0 one call, i=1 two, i=2,3 one each; scope call; $flag 1 -> 2: one more.
  rt::PlanRunResult a = dryRun(r.plan);
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(kernelTasks(a.stats), 7u);
  EXPECT_EQ(a.slots[0], 2u);
  EXPECT_EQ(kernelTasks(dryRun(r.plan, {4}).stats), 9u);  // i=1..3 take the two-call branch
}

TEST(PlanLoweringControl, LaterDirectivesWinAndKeysAreExprs) {
  ir::Module m = parseText(kControl, "ctl.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("keyed"), arch910b(), caps());
  const abi::ScheduleConfig& s = r.plan.schedule;
  EXPECT_EQ(s.dispatch, "affinity");
  EXPECT_EQ(s.workers, 3u);
  EXPECT_EQ(s.heapBytes, 4096u);
  EXPECT_EQ(s.readyQueueCapacity, 8u);
  EXPECT_EQ(s.depListCapacity, 100u);
  for (const char* f : {"dispatch.affinity", "dispatch.round_robin", "pool.deplist", "pool.heap", "pool.ready_queue",
                        "pred.dispatch_key_slot"})
    EXPECT_NE(std::find(r.features.begin(), r.features.end(), f), r.features.end()) << f;
  const abi::PlanNode& call = r.plan.processes[0].body[0].children[0];
  EXPECT_EQ(call.dispatchKey, abi::Bytecode::binary(abi::BytecodeOp::Add, abi::Bytecode::var(0), abi::Bytecode::slot(0)));
  // key = i + 1 mod 3 for i = 0..5: each worker gets 2 tasks.
  rt::PlanRunResult run = dryRun(r.plan);
  ASSERT_TRUE(run.ok);
  for (const auto& w : run.stats.workers) EXPECT_EQ(w.tasks, 2u);
}

TEST(PlanLoweringControl, FloatMixAndUnknownTargetAreErrors) {
  ir::Module m = parseText(kControl, "ctl.wsp");
  try {
    lowerWorkload(m, *m.findWorkload("mixed"), arch910b(), caps());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("scalar argument 'f' of 'k' mixes float literals with run-time values"));
  }
  try {
    lowerWorkload(m, *m.findWorkload("ctl"), arch910b(), caps("tpu"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tpu"));
  }
}

TEST(PlanLoweringControl, ReplicateCountMustBeConstant) {
  ir::Module m = parseText(R"(module rep
symbol R = 2
input X : f32[16, 16]
output Y : f32[16, 16]
kernel k(in x : Tile[1, 16, f32], out y : Tile[1, 16, f32]) {
  %t = load x
  store y, %t
}
workload w {
  channel c : index
  process p produces(c) {
    P i in dense(4) { send c value i }
  }
  process q consumes(c) {
    consume c as j { call k(X[j : 1, 0 : 16], Y[j : 1, 0 : 16]) }
  }
  connect p -> q via c
  replicate p R
}
)", "rep.wsp");
  try {
    lowerWorkload(m, *m.findWorkload("w"), arch910b(), caps());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("replicate p R: the count must be a constant >= 1"));
    EXPECT_THAT(e.what(), HasSubstr("rep.wsp:18"));
  }
}

}  // namespace
}  // namespace pto::wsp::lower
