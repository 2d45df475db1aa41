// Private state of workload -> plan lowering (PlanLowering*.cpp): the tables being
// built, the variable bindings in scope, the schedule facts calls need.
#pragma once

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/arch/ArchModel.h"
#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/ir/Module.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp::lower::detail {

struct PlanLowerer {
  const ir::Module& m;
  const ir::Workload& w;
  const arch::ArchModel& a;
  const arch::CapabilityMatrix& caps;
  abi::Plan plan;
  std::set<std::string> features;
  std::map<std::string, uint32_t, std::less<>> tensorIdx, symbolIdx, slotIdx, channelIdx, kernelIdx;
  // Variables in scope (innermost last) -> binding index of the current process.
  std::vector<std::pair<std::string, uint32_t>> vars;
  uint32_t numVars = 0;
  // The schedule's dispatch key (custom / hash / affinity), converted at each call.
  ir::Expr dispatchKey;
  SourceLoc dispatchLoc;

  PlanLowerer(const ir::Module& mod, const ir::Workload& wl, const arch::ArchModel& arch,
              const arch::CapabilityMatrix& c)
      : m(mod), w(wl), a(arch), caps(c) {}

  // The plan's location-table index of `l` (0 when unknown).
  uint32_t loc(const SourceLoc& l) { return plan.locations.add(l); }
  // Checks `feature` against the target (located error when unsupported) and records it.
  void require(std::string_view feature, const SourceLoc& loc);

  // PlanExpr.cpp: integer/bool ir::Expr -> bytecode over the current bindings.
  abi::Bytecode expr(const ir::Expr& e, std::string_view what);
  // Symbols-only expression (tensor sizes): no vars, slots or loads.
  abi::Bytecode symbolExpr(const ir::Expr& e, std::string_view what);
  // A scalar kernel argument with the ABI encoding of its declared type.
  abi::Bytecode scalarArg(const ir::Expr& e, ir::DType t, const SourceLoc& loc, std::string_view what);
  uint32_t bindVar(const std::string& name);  // new binding, pushed on `vars`
  const uint32_t* lookupVar(std::string_view name) const;

  // PlanSchedule.cpp: schedule directives -> plan.schedule, channel sizes, features.
  void lowerSchedule();

  // PlanLowering.cpp
  void lowerTables();
  std::vector<abi::PlanNode> stmts(const ir::Stmt& s);
  abi::PlanNode stmt(const ir::Stmt& s);  // stmtNode, located at the statement
  abi::PlanNode stmtNode(const ir::Stmt& s);
  abi::PlanNode one(const ir::Stmt& s);  // a statement list as one node (Combine)
  abi::PlanNode loop(const ir::Loop& l, size_t varIdx);
  abi::PlanNode call(const ir::Call& c);
  abi::PlanView view(const ir::View& v);
  uint32_t kernel(const ir::Kernel& k);
  void lowerProcesses();
};

}  // namespace pto::wsp::lower::detail
