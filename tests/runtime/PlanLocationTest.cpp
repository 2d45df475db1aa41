// Located runtime errors: the PlanInterpreter reports a user error at the plan node it
// comes from, through the plan's location table (the runtime never sees the IR), and a
// deadlock report names the workload, each blocked process's statement and channel.
#include "pto/wsp/runtime/PlanInterpreter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pto::wsp::rt {
namespace {

using namespace pto::wsp::abi;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Bytecode C(int64_t v) { return Bytecode::constant(v); }

// "buf" 64x64 int32, kernel "work" on one 16x16 tile; located in "w.wsp".
struct Located {
  Plan p;
  uint32_t at(uint32_t line, uint32_t col) { return p.locations.add({"w.wsp", line, col, ""}); }
  Located() {
    p.locations.workload = at(1, 1);
    p.tensors.push_back({"buf", 0, 4, {64, 64}, {64, 1}, 64 * 64 * 4, false});
    p.tensors.back().loc = at(2, 1);
    p.kernels.push_back({"work", {{ParamKind::InOut, 16, 16, 0}}, 0, 10, at(3, 1)});
  }
  PlanNode call(Bytecode row, uint32_t loc) {
    PlanNode n;
    n.kind = NodeKind::Call;
    n.views = {{0, {std::move(row), C(0)}, {16, 16}}};
    n.loc = loc;
    return n;
  }
};

std::string runError(const Plan& p, std::vector<int64_t> symbols = {}) {
  try {
    PlanInterpreter in(p, {.engine = {.schedule = p.schedule}, .symbols = std::move(symbols)});
    in.run();
  } catch (const UserError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PlanLocation, DivisionByZeroIsLocatedAtTheLoop) {
  Located l;
  l.p.symbols.push_back({"D", 1});
  PlanNode loop;
  loop.kind = NodeKind::Loop;
  loop.expr = Bytecode::binary(BytecodeOp::Div, C(4), Bytecode::sym(0));
  loop.children = {l.call(C(0), l.at(8, 5))};
  loop.loc = l.at(7, 3);
  l.p.processes.push_back({"main", {loop}, 1, l.p.locations.workload});
  EXPECT_EQ(runError(l.p, {1}), "no error");
  const std::string e = runError(l.p, {0});
  EXPECT_THAT(e, StartsWith("w.wsp:7:3: error: scalar expression: division by zero (4 / 0)")) << e;
  EXPECT_THAT(e, HasSubstr("w.wsp:7:3: note: help: the divisor reads")) << e;
}

TEST(PlanLocation, OutOfBoundsViewIsLocatedAtTheCall) {
  Located l;
  l.p.symbols.push_back({"B", 4});
  PlanNode loop;
  loop.kind = NodeKind::Loop;
  loop.expr = Bytecode::sym(0);
  loop.children = {l.call(Bytecode::binary(BytecodeOp::Mul, Bytecode::var(0), C(16)), l.at(8, 5))};
  loop.loc = l.at(7, 3);
  l.p.processes.push_back({"main", {loop}, 1, l.p.locations.workload});
  EXPECT_EQ(runError(l.p), "no error");
  const std::string e = runError(l.p, {100});
  EXPECT_THAT(e, StartsWith("w.wsp:8:5: error: view of tensor 'buf' is out of bounds in dim 0: [64, 80) of 64")) << e;
}

TEST(PlanLocation, NegativeLoopExtentSaysNegative) {
  Located l;
  l.p.symbols.push_back({"N", 1});
  PlanNode loop;
  loop.kind = NodeKind::Loop;
  loop.expr = Bytecode::sym(0);
  loop.children = {l.call(C(0), l.at(8, 5))};
  loop.loc = l.at(7, 3);
  l.p.processes.push_back({"main", {loop}, 1, l.p.locations.workload});
  const std::string e = runError(l.p, {-3});
  EXPECT_THAT(e, StartsWith("w.wsp:7:3: error: loop extent is negative (-3) in process 'main'")) << e;
}

TEST(PlanLocation, HeapExhaustionIsLocatedAtThePoolHeapDirective) {
  Located l;
  l.p.tensors.push_back({"tmp", 0, 4, {16, 16}, {16, 1}, 1024, true});
  l.p.processes.push_back({"main", {l.call(C(0), l.at(8, 5))}, 0, l.p.locations.workload});
  l.p.schedule.heapBytes = 1000;
  // Without a directive the default size is the workload's.
  EXPECT_THAT(runError(l.p), StartsWith("w.wsp:1:1: error: runtime-managed tensors need 1024 bytes"));
  l.p.locations.poolHeap = l.at(12, 3);
  const std::string e = runError(l.p);
  EXPECT_THAT(e, StartsWith("w.wsp:12:3: error: runtime-managed tensors need 1024 bytes of the heap arena, "
                            "which has 1000"))
      << e;
  EXPECT_THAT(e, HasSubstr("w.wsp:12:3: note: help: raise pool heap to at least 1024")) << e;
}

TEST(PlanLocation, DeadlockNamesWorkloadStatementAndChannel) {
  Located l;
  l.p.channels.push_back({"orphan", 1, 0, l.at(4, 3)});
  PlanNode consume;
  consume.kind = NodeKind::Consume;
  consume.children = {l.call(C(0), l.at(10, 7))};
  consume.loc = l.at(9, 5);
  l.p.processes.push_back({"main", {l.call(C(16), l.at(6, 3))}, 0, l.p.locations.workload});
  l.p.processes.push_back({"storer", {consume}, 1, l.at(8, 3)});
  PlanInterpreter in(l.p, {});
  try {
    in.runOrThrow();
    FAIL();
  } catch (const DeadlockError& d) {
    const std::string e = d.what();
    EXPECT_THAT(e, StartsWith("w.wsp:1:1: error: deadlock: ")) << e;
    EXPECT_THAT(e, HasSubstr("w.wsp:9:5: note: process 'storer' (#1) at t=0 waits on channel 'orphan' empty")) << e;
    EXPECT_THAT(e, HasSubstr("w.wsp:4:3: note: channel 'orphan' is declared here")) << e;
  }
}

TEST(PlanLocation, TableInternsFilesAndPositions) {
  PlanLocations t;
  EXPECT_EQ(t.add({}), 0u);
  const uint32_t a = t.add({"a.wsp", 3, 4, ""});
  EXPECT_EQ(t.add({"a.wsp", 3, 4, ""}), a);
  const uint32_t b = t.add({"b.wsp", 3, 4, ""});
  EXPECT_NE(a, b);
  t.add({"a.wsp", 5, 1, ""});
  EXPECT_EQ(t.files.size(), 2u);
  EXPECT_EQ(t.at(b).str(), "b.wsp:3:4");
  EXPECT_FALSE(t.at(0).valid());
  EXPECT_FALSE(t.at(99).valid());
}

}  // namespace
}  // namespace pto::wsp::rt
