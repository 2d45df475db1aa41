// PlanInterpreter: loops (parallel / sequential / dynamic / sparse), cond on slots,
// symbols changed without a new plan, CSP pipeline makespans by hand, deadlock
// reports (scope vs window, channel nobody produces, full channel), host execution.
#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/runtime/host/HostExecutor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>

namespace pto::wsp::rt {
namespace {

using namespace pto::wsp::abi;
using ::testing::HasSubstr;

Bytecode C(int64_t v) { return Bytecode::constant(v); }
Bytecode B(BytecodeOp op, const Bytecode& a, const Bytecode& b) { return Bytecode::binary(op, a, b); }

// Tensor 0: 64x64 int32 "buf". Kernel 0 "work": one InOut 16x16 tile, cost `cost`.
Plan basePlan(uint64_t cost = 10) {
  Plan p;
  p.tensors.push_back({"buf", 0, 4, {64, 64}, {64, 1}, 64 * 64 * 4, false});
  p.kernels.push_back({"work", {{ParamKind::InOut, 16, 16, 0}}, 0, cost});
  return p;
}

// A call of kernel 0 on tile (row var*16 mod 64, col (var/4)*16) or a fixed tile.
PlanNode call(Bytecode row, Bytecode col, Bytecode key = {}) {
  PlanNode n;
  n.kind = NodeKind::Call;
  n.kernel = 0;
  n.views = {{0, {std::move(row), std::move(col)}, {16, 16}}};
  n.dispatchKey = std::move(key);
  return n;
}
PlanNode distinctTile(uint32_t var) {  // 16 distinct tiles for var in [0, 16)
  return call(B(BytecodeOp::Mul, B(BytecodeOp::Mod, Bytecode::var(var), C(4)), C(16)),
              B(BytecodeOp::Mul, B(BytecodeOp::Div, Bytecode::var(var), C(4)), C(16)));
}
PlanNode loop(Bytecode extent, std::vector<PlanNode> body, LoopKind k = LoopKind::Parallel, uint32_t var = 0,
              AxisKind axis = AxisKind::Dense) {
  PlanNode n;
  n.kind = NodeKind::Loop;
  n.loopKind = k;
  n.axis = axis;
  n.var = var;
  n.expr = std::move(extent);
  n.children = std::move(body);
  return n;
}

PlanRunResult runPlan(const Plan& p, EngineConfig ec, std::vector<int64_t> syms = {}) {
  PlanInterpreter in(p, {.engine = ec, .symbols = std::move(syms)});
  return in.run();
}

TEST(PlanInterp, ParallelLoopOnRoundRobinWorkers) {
  Plan p = basePlan(10);
  p.processes.push_back({"main", {loop(C(16), {distinctTile(0)})}, 1});
  for (uint32_t W : {1u, 3u, 4u}) {
    PlanRunResult r = runPlan(p, {.schedule = {.workers = W}});
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.stats.totalCycles, (16 + W - 1) / W * 10) << W;
    EXPECT_EQ(r.stats.tasks, 16u);
  }
}

TEST(PlanInterp, ScheduleSectionConfiguresTheEngine) {
  abi::ScheduleConfig s;
  s.workers = 6;
  s.dispatch = "hash";
  s.syncLatency = 9;
  s.taskWindow = 77;
  EngineConfig c = engineConfigFor(s);
  EXPECT_EQ(c.schedule.workers, 6u);
  EXPECT_EQ(c.schedule.dispatch, "hash");
  EXPECT_EQ(c.schedule.syncLatency, 9u);
  EXPECT_EQ(c.schedule.taskWindow, 77u);
  EXPECT_EQ(c.schedule.tensorMapCapacity, 65536u);
  EXPECT_EQ(c.sink, nullptr);
}

TEST(PlanInterp, SameTileIsADataChain) {
  Plan p = basePlan(10);
  p.processes.push_back({"main", {loop(C(8), {call(C(0), C(0))})}, 1});
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 4}}).stats.totalCycles, 80u);
}

TEST(PlanInterp, SequentialLoopOrdersIterations) {
  // Each iteration: 2 independent tiles; sequential -> iteration i+1 after i.
  Plan p = basePlan(10);
  PlanNode body0 = call(C(0), B(BytecodeOp::Mul, Bytecode::var(0), C(16)));
  PlanNode body1 = call(C(16), B(BytecodeOp::Mul, Bytecode::var(0), C(16)));
  p.processes.push_back({"main", {loop(C(4), {body0, body1}, LoopKind::Sequential)}, 1});
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 4, .syncLatency = 1}});
  ASSERT_TRUE(r.ok);
  // 4 iterations of 10 cycles, each later iteration after one sync latency.
  EXPECT_EQ(r.stats.totalCycles, 4 * 10 + 3 * 1u);
  p.processes[0].body[0].loopKind = LoopKind::Parallel;
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 8, .syncLatency = 1}}).stats.totalCycles, 10u);
}

TEST(PlanInterp, SymbolsResizeDynamicLoopsWithoutANewPlan) {
  Plan p = basePlan(10);
  p.symbols.push_back({"n", 4});
  p.processes.push_back({"main", {loop(Bytecode::sym(0), {distinctTile(0)}, LoopKind::Parallel, 0, AxisKind::DenseDyn)}, 1});
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 2}}).stats.tasks, 4u);
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 2}}, {16}).stats.tasks, 16u);
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 2}}, {16}).stats.totalCycles, 80u);
  EXPECT_THROW(runPlan(p, {.schedule = {.workers = 2}}, {-1}), UserError);
}

TEST(PlanInterp, RaggedSparseCondSelAndSlots) {
  Plan p = basePlan(1);
  p.slots.push_back({"enable"});
  // for i in sparse{1, 5, 9}: for j in ragged(i % 4): call tile(j, i)
  PlanNode inner = loop(B(BytecodeOp::Mod, Bytecode::var(0), C(4)),
                        {call(B(BytecodeOp::Mul, Bytecode::var(1), C(16)), C(0))}, LoopKind::Parallel, 1, AxisKind::Ragged);
  PlanNode sparse = loop(C(3), {inner}, LoopKind::Parallel, 0, AxisKind::Sparse);
  sparse.value = B(BytecodeOp::Add, Bytecode::var(0), C(1));  // i = 1, 2, 3: ragged lengths 1 + 2 + 3 = 6 calls
  PlanNode set;
  set.kind = NodeKind::SlotSet;
  set.slot = 0;
  set.expr = C(1);
  PlanNode cond;
  cond.kind = NodeKind::Cond;
  cond.expr = Bytecode::slot(0);
  cond.children = {sparse, call(C(0), C(0))};  // else: 1 call
  PlanNode sel;
  sel.kind = NodeKind::Sel;
  sel.expr = C(1);
  sel.children = {call(C(0), C(0)), call(C(16), C(16)), call(C(32), C(32))};
  p.processes.push_back({"main", {cond, set, cond, sel}, 2});
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 2}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.tasks, 1u + 6u + 1u);
  EXPECT_EQ(r.slots[0], 1u);
}

// Producer: for i < 3: send(c, load) ; consumer: consume(c) { compute }.
// Costs 10 each, channel latency 5, affinity workers 0 / 1 (keys 0 / 1).
Plan pipeline(uint32_t capacity) {
  Plan p = basePlan(10);
  p.channels.push_back({"c2s", capacity, 5});
  PlanNode send;
  send.kind = NodeKind::Send;
  send.channel = 0;
  send.children = {call(B(BytecodeOp::Mul, Bytecode::var(0), C(16)), C(0), C(0))};
  PlanNode consume;
  consume.kind = NodeKind::Consume;
  consume.channel = 0;
  consume.var = 0;
  consume.children = {call(C(0), C(16), C(1))};  // a different tile: ordering by the token only
  consume.children[0].views[0].offsets[1] = C(48);
  p.processes.push_back({"load", {loop(C(3), {send})}, 1});
  p.processes.push_back({"compute", {consume}, 1});
  return p;
}

TEST(PlanInterp, CspPipelineMakespanByHand) {
  // capacity 1: P0 [0,10] tok 15 | C0 [15,25] | P1 waits for tok0 consumed (15): [15,25]
  // tok 30 | C1 [30,40] | P2 waits for tok1 consumed (30): [30,40] tok 45 | C2 [45,55].
  PlanRunResult r1 = runPlan(pipeline(1), {.schedule = {.workers = 2, .dispatch = "affinity"}, .trace = true});
  ASSERT_TRUE(r1.ok);
  EXPECT_EQ(r1.stats.totalCycles, 55u);
  // capacity 2: P0 [0,10] P1 [10,20] | C0 [15,25] | P2 waits for tok0 consumed (15):
  // [20,30] tok 35 | C1 [25,35] | C2 [35,45].
  PlanRunResult r2 = runPlan(pipeline(2), {.schedule = {.workers = 2, .dispatch = "affinity"}});
  ASSERT_TRUE(r2.ok);
  EXPECT_EQ(r2.stats.totalCycles, 45u);
  EXPECT_EQ(r2.stats.workers[0].tasks, 3u);
  EXPECT_EQ(r2.stats.workers[1].tasks, 3u);
}

TEST(PlanInterp, ScopeBiggerThanWindowDeadlocksWithKnob) {
  Plan p = basePlan(10);
  PlanNode scope;
  scope.kind = NodeKind::Scope;
  scope.children = {loop(C(6), {distinctTile(0)})};
  p.processes.push_back({"main", {scope}, 1});
  auto t0 = std::chrono::steady_clock::now();
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 2, .taskWindow = 4}});
  (void)t0;
  ASSERT_FALSE(r.ok);
  const DeadlockReport& d = *r.deadlock;
  ASSERT_EQ(d.blocked.size(), 1u);
  EXPECT_THAT(d.blocked[0].waitsOn, HasSubstr("task_ring full"));
  ASSERT_EQ(d.knobs.size(), 1u);
  EXPECT_EQ(d.knobs[0].text(), "raise task_window to at least 5 (now 4)");
  EXPECT_THAT(d.text(), HasSubstr("scope depth 1, 4 tasks held by scopes"));
  EXPECT_EQ(d.toJson()["scopes"][0]["held_tasks"], 4);
  EXPECT_EQ(runPlan(p, {.schedule = {.workers = 2, .taskWindow = 6}}).ok, true);
  PlanInterpreter in(p, {.engine = {.schedule = {.taskWindow = 4}}});
  EXPECT_THROW(in.runOrThrow(), DeadlockError);
}

TEST(PlanInterp, ConsumeOnChannelNobodyProducesIsReported) {
  Plan p = basePlan(10);
  p.channels.push_back({"orphan", 1, 0});
  PlanNode consume;
  consume.kind = NodeKind::Consume;
  consume.channel = 0;
  consume.children = {call(C(0), C(0))};
  p.processes.push_back({"main", {call(C(16), C(16)), consume}, 1});
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 1}});
  ASSERT_FALSE(r.ok);
  ASSERT_EQ(r.deadlock->blocked.size(), 1u);
  EXPECT_EQ(r.deadlock->blocked[0].localTime, 0u);
  EXPECT_EQ(r.deadlock->blocked[0].waitsOn, "channel 'orphan' empty (no process sends on it)");
  EXPECT_EQ(r.stats.tasks, 1u);
}

TEST(PlanInterp, FullChannelCycleNamesTheCapacityKnob) {
  // A sends 2 tokens on c (capacity 1) and only then on d; B consumes d before c.
  Plan p = basePlan(10);
  p.channels.push_back({"c", 1, 0});
  p.channels.push_back({"d", 1, 0});
  auto send = [&](uint32_t ch, int64_t row) {
    PlanNode s;
    s.kind = NodeKind::Send;
    s.channel = ch;
    s.children = {call(C(row), C(0))};
    return s;
  };
  PlanNode consD, consC;
  consD.kind = consC.kind = NodeKind::Consume;
  consD.channel = 1;
  consC.channel = 0;
  p.processes.push_back({"A", {send(0, 0), send(0, 16), send(1, 32)}, 1});
  p.processes.push_back({"B", {consD, consC}, 1});
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 2}});
  ASSERT_FALSE(r.ok);
  ASSERT_EQ(r.deadlock->blocked.size(), 2u);
  EXPECT_THAT(r.deadlock->text(), HasSubstr("channel 'c' full (1 of 1 tokens)"));
  EXPECT_THAT(r.deadlock->text(), HasSubstr("channel 'd' empty"));
  ASSERT_EQ(r.deadlock->knobs.size(), 1u);
  EXPECT_EQ(r.deadlock->knobs[0].text(), "raise channel c capacity to at least 2 (now 1)");
  p.channels[0].capacity = 2;
  EXPECT_TRUE(runPlan(p, {.schedule = {.workers = 2}}).ok);
}

// --- host execution: kernels touch real memory; slot_load feeds a cond ----------------
void addOne(const uint64_t* a, uint32_t) {  // InOut int32 tile 16x16, row stride a[1]
  auto* base = reinterpret_cast<int32_t*>(a[0]);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) base[i * static_cast<int64_t>(a[1]) + j * static_cast<int64_t>(a[2])] += 1;
}

TEST(PlanInterp, HostExecutionSlotLoadAndDeterminism) {
  Plan p = basePlan(10);
  p.slots.push_back({"v"});
  // 8 x addOne on tile (0,0) (a chain), 16 distinct tiles once, slot = buf[3][3],
  // if slot == 9: one more addOne on (0,0).
  PlanNode load;
  load.kind = NodeKind::SlotLoad;
  load.slot = 0;
  load.views = {{0, {C(0), C(0)}, {16, 16}}};
  load.row = C(3);
  load.col = C(3);
  PlanNode cond;
  cond.kind = NodeKind::Cond;
  cond.expr = B(BytecodeOp::Eq, Bytecode::slot(0), C(9));
  cond.children = {call(C(0), C(0))};
  p.processes.push_back({"main", {loop(C(8), {call(C(0), C(0))}), loop(C(16), {distinctTile(0)}), load, cond}, 1});
  uint64_t hash = 0;
  for (uint32_t threads : {1u, 2u, 4u})
    for (int run = 0; run < 5; ++run) {
      std::vector<int32_t> buf(64 * 64, 0);
      HostExecutor ex({.hostThreads = threads, .window = 16});
      PlanInterpreter in(p, {.engine = {.schedule = {.workers = 3, .taskWindow = 16}, .sink = &ex},
                             .kernels = {{&addOne, nullptr}},
                             .tensorBase = {buf.data()}});
      PlanRunResult r = in.run();
      ASSERT_TRUE(r.ok);
      EXPECT_EQ(r.slots[0], 9u);
      EXPECT_EQ(buf[0], 10);
      EXPECT_EQ(buf[63 * 64 + 63], 1);
      if (hash == 0) hash = r.stats.timelineHash;
      EXPECT_EQ(r.stats.timelineHash, hash);
      EXPECT_EQ(r.stats.tasks, 8u + 16u + 1u);
    }
}

// Tensor element reads (Load) wait for the element's writer in semantic time, then read
// the bound memory: a loop sized by data written by an earlier task starts after it.
TEST(PlanInterp, LoadWaitsForTheWriterThenReadsMemory) {
  Plan p = basePlan(10);
  p.tensors.push_back({"lens", 0, 4, {4}, {1}, 16, false, ElemKind::Signed});
  p.kernels.push_back({"set_len", {{ParamKind::Out, 1, 4, 0}}, 1, 10});
  PlanNode writer;
  writer.kind = NodeKind::Call;
  writer.kernel = 1;
  writer.views = {{1, {C(0)}, {4}}};
  PlanNode body = loop(Bytecode::load(1, C(2)), {distinctTile(0)});
  p.processes.push_back({"main", {writer, body}, 1});
  std::vector<int32_t> lens = {9, 9, 3, 9};
  std::vector<int32_t> buf(64 * 64);
  auto run = [&](uint32_t workers) {
    PlanInterpreter in(p, {.engine = {.schedule = {.workers = workers}}, .tensorBase = {buf.data(), lens.data()}});
    return in.run();
  };
  // Writer on w0 [0, 10); the loop's extent is read at t = 10; 3 tasks round robin on 2
  // workers: w1 [10, 20), w0 [10, 20), w1 [20, 30). Without the wait: 20.
  PlanRunResult r = run(2);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.tasks, 4u);
  EXPECT_EQ(r.stats.totalCycles, 30u);
  lens[2] = -5 + 5;  // zero iterations: only the writer
  EXPECT_EQ(run(2).stats.tasks, 1u);
  lens[2] = -1;
  EXPECT_THROW(run(2), UserError);  // negative extent
  // Unbound memory and out-of-range elements are user errors naming the tensor.
  try {
    runPlan(p, {.schedule = {.workers = 2}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor 'lens' is read at run time (element 2) but no memory is bound"));
  }
  p.processes[0].body[1].expr = Bytecode::load(1, C(4));
  try {
    run(2);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("read of element 4 of tensor 'lens' which has 4 elements"));
  }
}

// Runtime-managed tensors without a caller pointer live in the HEAP_ARENA: zeroed memory
// for the kernels, and the Engine's arena shrinks by their (64-byte aligned) bytes.
TEST(PlanInterp, RuntimeManagedTensorsTakeArenaBytes) {
  Plan p = basePlan(10);
  p.tensors.push_back({"tmp", 0, 4, {10, 25}, {25, 1}, 1000, true});
  p.kernels.push_back({"use_tmp", {{ParamKind::Out, 2, 25, 0}}, 1, 5});
  PlanNode c;
  c.kind = NodeKind::Call;
  c.kernel = 1;
  c.views = {{1, {C(2), C(0)}, {2, 25}}};
  p.processes.push_back({"main", {c}, 0});
  static uint64_t base = 0;
  base = 0;
  struct Hook {
    static uint64_t cycles(const uint64_t* a, uint32_t) {
      base = a[0];
      return 5;
    }
  };
  PlanInterpreter in(p, {.engine = {.schedule = {.heapBytes = 4096}}, .kernels = {{}, {nullptr, &Hook::cycles}}});
  PlanRunResult r = in.run();
  ASSERT_TRUE(r.ok);
  // The stats show the whole arena, with the temp held for the whole run.
  EXPECT_EQ(r.stats.at(Resource::HeapArena).capacity, 4096u);
  EXPECT_EQ(r.stats.at(Resource::HeapArena).highWater, 1024u);
  ASSERT_NE(base, 0u);
  EXPECT_EQ((base - 2 * 25 * 4) % 64, 0u);  // row 2 of an aligned block
  EXPECT_EQ(*reinterpret_cast<const float*>(base), 0.0f);
  try {
    runPlan(p, {.schedule = {.heapBytes = 1000}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("runtime-managed tensors need 1024 bytes of the heap arena, which has 1000"));
    EXPECT_THAT(e.what(), HasSubstr("raise pool heap to at least 1024"));
  }
  // A caller pointer wins: no arena bytes are taken.
  std::vector<float> mine(250);
  PlanInterpreter bound(p, {.engine = {.schedule = {.heapBytes = 4096}}, .tensorBase = {nullptr, mine.data()}});
  const PlanRunResult rb = bound.run();
  EXPECT_EQ(rb.stats.at(Resource::HeapArena).capacity, 4096u);
  EXPECT_EQ(rb.stats.at(Resource::HeapArena).highWater, 0u);
}

// send value: the token exists at the sender's time; plan slot inits are the default.
TEST(PlanInterp, ValueSendsAndSlotInits) {
  Plan p = basePlan(10);
  p.channels.push_back({"idx", 1, 5});
  p.slots.push_back({"s", 7});
  PlanNode send;
  send.kind = NodeKind::Send;
  send.channel = 0;
  send.expr = B(BytecodeOp::Add, Bytecode::var(0), Bytecode::slot(0));  // 7, 8, 9
  p.processes.push_back({"main", {}, 0});
  p.processes.push_back({"producer", {loop(C(3), {send})}, 1});
  PlanNode consume;
  consume.kind = NodeKind::Consume;
  consume.channel = 0;
  consume.var = 0;
  consume.children = {distinctTile(0)};
  PlanNode last;
  last.kind = NodeKind::SlotSet;
  last.slot = 0;
  last.expr = B(BytecodeOp::Mul, Bytecode::slot(0), C(2));
  p.processes.push_back({"consumer", {consume, last}, 1});
  PlanRunResult r = runPlan(p, {.schedule = {.workers = 4}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.stats.tasks, 3u);
  EXPECT_EQ(r.slots[0], 14u);
  PlanInterpreter over(p, {.engine = {.schedule = {.workers = 4}}, .slots = {1}});
  EXPECT_EQ(over.run().slots[0], 2u);
}

}  // namespace
}  // namespace pto::wsp::rt
