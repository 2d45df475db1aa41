// PlanInterpreter call sites (each Call node compiled once per run): the fast paths of a
// lone process (a loop of one call run back to back, a boundary at once, folds of
// long seq frames) give the same tasks, joins, cycles and timeline as the general
// stepping of several processes; errors of a call's values come in the same order, at
// the same call, after the same tasks; seq frames are found in any nesting.
#include "pto/wsp/runtime/PlanInterpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace pto::wsp::rt {
namespace {

using namespace pto::wsp::abi;
using ::testing::HasSubstr;

Bytecode C(int64_t v) { return Bytecode::constant(v); }
Bytecode V(uint32_t i) { return Bytecode::var(i); }
Bytecode B(BytecodeOp op, const Bytecode& a, const Bytecode& b) { return Bytecode::binary(op, a, b); }

// Tensor 0: 64x64 int32 "buf"; kernel 0 "work": one InOut 16x16 tile and a scalar.
Plan basePlan() {
  Plan p;
  p.tensors.push_back({"buf", 0, 4, {64, 64}, {64, 1}, 64 * 64 * 4, false});
  p.kernels.push_back({"work", {{ParamKind::InOut, 16, 16, 0}, {ParamKind::Scalar, 0, 0, 0}}, 0, 10});
  return p;
}
PlanNode call(Bytecode row, Bytecode col, Bytecode key = {}) {
  PlanNode n;
  n.kind = NodeKind::Call;
  n.views = {{0, {std::move(row), std::move(col)}, {16, 16}}};
  n.scalars = {C(3)};
  n.dispatchKey = std::move(key);
  return n;
}
PlanNode tileOf(uint32_t var) {  // 16 distinct tiles, var % 16
  return call(B(BytecodeOp::Mul, B(BytecodeOp::Mod, V(var), C(4)), C(16)),
              B(BytecodeOp::Mul, B(BytecodeOp::Mod, B(BytecodeOp::Div, V(var), C(4)), C(4)), C(16)), V(var));
}
// Kernel 1 "copy": an In tile of tensor 0 and an Out tile of tensor 1 (64x64 int32
// "out"), no scalar: a call site whose values are its views' dims alone.
Plan plainPlan() {
  Plan p = basePlan();
  p.tensors.push_back({"out", 0, 4, {64, 64}, {64, 1}, 64 * 64 * 4, false});
  p.kernels.push_back({"copy", {{ParamKind::In, 16, 16, 0}, {ParamKind::Out, 16, 16, 0}}, 1, 10});
  return p;
}
PlanNode copyCall(Bytecode inRow, Bytecode outRow, Bytecode outCol) {
  PlanNode n;
  n.kind = NodeKind::Call;
  n.kernel = 1;
  n.views = {{0, {std::move(inRow), C(16)}, {16, 16}}, {1, {std::move(outRow), std::move(outCol)}, {16, 16}}};
  return n;
}
PlanNode loop(Bytecode extent, std::vector<PlanNode> body, LoopKind k, uint32_t var) {
  PlanNode n;
  n.kind = NodeKind::Loop;
  n.loopKind = k;
  n.var = var;
  n.expr = std::move(extent);
  n.children = std::move(body);
  return n;
}
PlanNode node(NodeKind k, std::vector<PlanNode> children, Bytecode expr = {}) {
  PlanNode n;
  n.kind = k;
  n.children = std::move(children);
  n.expr = std::move(expr);
  return n;
}

// The plan's main process alone, and beside an empty second process (which turns the
// lone-process paths off): the same run.
void expectSoloMatchesShared(Plan p, const ScheduleConfig& sc, uint64_t tasks, uint64_t joins) {
  PlanRunResult solo = PlanInterpreter(p, {.engine = {.schedule = sc}}).run();
  p.processes.push_back({"idle", {}, 0});
  PlanRunResult shared = PlanInterpreter(p, {.engine = {.schedule = sc}}).run();
  ASSERT_TRUE(solo.ok);
  ASSERT_TRUE(shared.ok);
  EXPECT_EQ(solo.stats.tasks, tasks);
  EXPECT_EQ(solo.stats.joins, joins);
  EXPECT_EQ(solo.stats.tasks, shared.stats.tasks);
  EXPECT_EQ(solo.stats.joins, shared.stats.joins);
  EXPECT_EQ(solo.stats.totalCycles, shared.stats.totalCycles);
  EXPECT_EQ(solo.stats.timelineHash, shared.stats.timelineHash);
  ASSERT_EQ(solo.stats.workers.size(), shared.stats.workers.size());
  for (size_t w = 0; w < solo.stats.workers.size(); ++w) {
    EXPECT_EQ(solo.stats.workers[w].tasks, shared.stats.workers[w].tasks) << w;
    EXPECT_EQ(solo.stats.workers[w].busyCycles, shared.stats.workers[w].busyCycles) << w;
  }
}

TEST(PlanCallSite, SequentialLoopOfOneCallMatchesStepping) {
  Plan p = basePlan();
  p.processes.push_back({"main", {loop(C(300), {tileOf(0)}, LoopKind::Sequential, 0)}, 1});
  expectSoloMatchesShared(p, {.workers = 4}, 300, 0);  // each iteration's task is its join
}

TEST(PlanCallSite, ParallelLoopOfAPlainCallMatchesStepping) {
  // copy(in[i % 4 * 16][16], out[i % 4 * 16][i / 4 % 4 * 16]): reads shared by four
  // tasks, 16 distinct output tiles.
  Plan p = plainPlan();
  const Bytecode row = B(BytecodeOp::Mul, B(BytecodeOp::Mod, V(0), C(4)), C(16));
  const Bytecode col = B(BytecodeOp::Mul, B(BytecodeOp::Mod, B(BytecodeOp::Div, V(0), C(4)), C(4)), C(16));
  p.processes.push_back({"main", {loop(C(200), {copyCall(row, row, col)}, LoopKind::Parallel, 0)}, 1});
  expectSoloMatchesShared(p, {.workers = 4}, 200, 0);
  expectSoloMatchesShared(p, {.workers = 4, .taskWindow = 16}, 200, 0);
}

TEST(PlanCallSite, FoldsOfLongSeqFramesMatchStepping) {
  // seq i < 2 { parallel j < 200 { call } }: the seq frame folds every 64 collected
  // tasks into a join (after 64, 127, 190 calls), and the boundary joins the other 10.
  Plan p = basePlan();
  p.processes.push_back(
      {"main", {loop(C(2), {loop(C(200), {tileOf(1)}, LoopKind::Parallel, 1)}, LoopKind::Sequential, 0)}, 2});
  expectSoloMatchesShared(p, {.workers = 8}, 400 + 7, 7);
  // The same under a window smaller than a fold: folds and boundaries block and retry.
  expectSoloMatchesShared(p, {.workers = 8, .taskWindow = 16}, 400 + 7, 7);
}

TEST(PlanCallSite, NestedSeqFramesMatchStepping) {
  // seq i < 3 { Seq { parallel j < 70 { call }, Sel(i % 2) { call, Cond(i) { call } } } }
  Plan p = basePlan();
  PlanNode sel = node(NodeKind::Sel, {tileOf(0), node(NodeKind::Cond, {tileOf(0)}, V(0))}, B(BytecodeOp::Mod, V(0), C(2)));
  PlanNode seq = node(NodeKind::Seq, {loop(C(70), {tileOf(1)}, LoopKind::Parallel, 1), sel});
  p.processes.push_back({"main", {loop(C(3), {seq}, LoopKind::Sequential, 0)}, 2});
  // 3 x 70 + 3 calls (i = 0: sel 0; i = 1: sel 1, cond true; i = 2: sel 0); the 70 of
  // each iteration fold once in both seq frames (Seq and loop) and take a boundary join
  // before the Sel; the loop's boundary joins more than one task each time.
  PlanRunResult r = PlanInterpreter(p, {.engine = {.schedule = {.workers = 4}}}).run();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.kernelTasks, 213u);
  expectSoloMatchesShared(p, {.workers = 4}, r.stats.tasks, r.stats.joins);
  EXPECT_GT(r.stats.joins, 6u);
}

TEST(PlanCallSite, SeqFramesUnderConsumeAndSend) {
  // producer: seq k < 5 { send(call) }; consumer: seq i < 5-ish { consume { Seq { call, call } } }
  Plan p = basePlan();
  p.channels.push_back({"c", 2, 0});
  PlanNode send = node(NodeKind::Send, {tileOf(0)});
  send.channel = 0;
  PlanNode consume = node(NodeKind::Consume, {node(NodeKind::Seq, {tileOf(0), tileOf(0)})});
  consume.channel = 0;
  consume.var = 0;
  p.processes.push_back({"main", {loop(C(5), {send}, LoopKind::Sequential, 0)}, 1});
  p.processes.push_back({"consumer", {node(NodeKind::Seq, {consume})}, 1});
  PlanRunResult r = PlanInterpreter(p, {.engine = {.schedule = {.workers = 2}}}).run();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.kernelTasks, 15u);
}

std::string errorAfter(const Plan& p, uint64_t* tasks) {
  PlanInterpreter in(p, {.engine = {.schedule = {.workers = 2}}});
  try {
    in.run();
  } catch (const UserError& e) {
    *tasks = in.engine().stats().tasks;
    return e.what();
  }
  return "no error";
}

TEST(PlanCallSite, ErrorsComeAtTheSameCallAfterTheSameTasks) {
  uint64_t tasks = 0;
  {  // a constant offset out of bounds: at its call, not when the site is compiled
    Plan p = basePlan();
    p.processes.push_back({"main", {call(C(0), C(0)), call(C(16), C(0)), call(C(64), C(0))}, 0});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("view of tensor 'buf' is out of bounds in dim 0: [64, 80) of 64"));
    EXPECT_EQ(tasks, 2u);
  }
  {  // an offset i * 32 in a loop of one call leaves the tensor at i = 2
    Plan p = basePlan();
    p.processes.push_back({"main", {loop(C(4), {call(C(0), B(BytecodeOp::Mul, V(0), C(32)))}, LoopKind::Sequential, 0)}, 1});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("view of tensor 'buf' is out of bounds in dim 1: [64, 80) of 64"));
    EXPECT_EQ(tasks, 2u);
  }
  {  // i * INT64_MAX overflows at i = 2 (not a wrapped offset)
    Plan p = basePlan();
    const int64_t big = std::numeric_limits<int64_t>::max();
    p.processes.push_back(
        {"main", {loop(C(4), {call(C(0), C(0), B(BytecodeOp::Mul, V(0), C(big)))}, LoopKind::Parallel, 0)}, 1});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("integer overflow"));
    EXPECT_EQ(tasks, 2u);
  }
  {  // the same in a parallel loop of a call with views only: the out view's column
    Plan p = plainPlan();
    p.processes.push_back(
        {"main", {loop(C(4), {copyCall(V(0), C(0), B(BytecodeOp::Mul, V(0), C(32)))}, LoopKind::Parallel, 0)}, 1});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("view of tensor 'out' is out of bounds in dim 1: [64, 80) of 64"));
    EXPECT_EQ(tasks, 2u);
  }
  {  // a division by zero in the dispatch key, after the view's bounds were fine
    Plan p = basePlan();
    p.processes.push_back({"main", {call(C(0), C(0)), call(C(0), C(0), B(BytecodeOp::Div, V(0), C(0)))}, 1});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("division by zero"));
    EXPECT_EQ(tasks, 1u);
  }
  {  // the first error of a call in parameter order: the view's, before the scalar's
    Plan p = basePlan();
    PlanNode c = call(C(64), C(0));
    c.scalars = {B(BytecodeOp::Div, C(1), C(0))};
    p.processes.push_back({"main", {c}, 0});
    EXPECT_THAT(errorAfter(p, &tasks), HasSubstr("out of bounds in dim 0"));
  }
}

TEST(PlanCallSite, ArgumentWordsFollowTheOffsets) {
  // The kernel's cycles function sees the argument words: base = &buf[row][col], the
  // strides, the scalar. Rows i * 16 % 64 in a loop of one call, col 16 fixed.
  static std::vector<uint64_t> seen;
  seen.clear();
  Plan p = basePlan();
  p.processes.push_back(
      {"main", {loop(C(6), {call(B(BytecodeOp::Mod, B(BytecodeOp::Mul, V(0), C(16)), C(64)), C(16))}, LoopKind::Parallel, 0)}, 1});
  std::vector<int32_t> buf(64 * 64);
  PlanRunConfig cfg{.engine = {.schedule = {.workers = 2}}};
  cfg.kernels = {{nullptr, [](const uint64_t* a, uint32_t n) -> uint64_t {
                    EXPECT_EQ(n, 4u);
                    seen.push_back(a[0]);
                    EXPECT_EQ(a[1], 64u);
                    EXPECT_EQ(a[2], 1u);
                    EXPECT_EQ(a[3], 3u);
                    return 10;
                  }}};
  cfg.tensorBase = {buf.data()};
  ASSERT_TRUE(PlanInterpreter(p, std::move(cfg)).run().ok);
  ASSERT_EQ(seen.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(seen[i], reinterpret_cast<uint64_t>(&buf[(i * 16 % 64) * 64 + 16])) << i;
}

TEST(PlanCallSite, ArgumentWordsOfAPlainCall) {
  // copy(in[i][16], out[i * 16 % 64][i]) with only `out` in memory: the in view's base
  // word stays 0, the out view's is &out[i * 16 % 64][i].
  static std::vector<uint64_t> seen;
  seen.clear();
  Plan p = plainPlan();
  p.processes.push_back(
      {"main",
       {loop(C(6), {copyCall(V(0), B(BytecodeOp::Mod, B(BytecodeOp::Mul, V(0), C(16)), C(64)), V(0))},
             LoopKind::Parallel, 0)},
       1});
  std::vector<int32_t> out(64 * 64);
  PlanRunConfig cfg{.engine = {.schedule = {.workers = 2}}};
  cfg.kernels = {{}, {nullptr, [](const uint64_t* a, uint32_t n) -> uint64_t {
                        EXPECT_EQ(n, 6u);
                        EXPECT_EQ(a[0], 0u);
                        EXPECT_EQ(a[1], 64u);
                        EXPECT_EQ(a[2], 1u);
                        seen.push_back(a[3]);
                        EXPECT_EQ(a[4], 64u);
                        EXPECT_EQ(a[5], 1u);
                        return 10;
                      }}};
  cfg.tensorBase = {nullptr, out.data()};
  ASSERT_TRUE(PlanInterpreter(p, std::move(cfg)).run().ok);
  ASSERT_EQ(seen.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(seen[i], reinterpret_cast<uint64_t>(&out[(i * 16 % 64) * 64 + i])) << i;
}

}  // namespace
}  // namespace pto::wsp::rt
