// The orchestration plan: what the compiler (lower) emits and the runtime
// (PlanInterpreter) executes. Compact, serialisable, no host pointers: tensors, kernels
// and channels are referred to by index, kernel functions by index into the artifact's
// kernel table, and every runtime value (loop bounds, offsets, conditions, dispatch
// keys) is plan bytecode (abi/Bytecode.h) over int64 evaluated by the runtime, so
// changing a symbol, a slot or a dynamic size never recompiles anything.
//
// Serialisation: serializePlan/deserializePlan (binary, little-endian, "PTOPLAN" magic
// + kPlanVersion); deserialisation validates indices and bytecode and throws
// UserError on a malformed plan.
//
// Locations: the plan carries a compact location table (PlanLocations): tensors,
// kernels, channels, processes and every node hold one small index into it (0 =
// unknown), so the runtime reports its user errors as `file:line:col: error: ...` at the
// .wsp construct without ever seeing the IR. The runtime reads the table only to
// report an error, so cycles and timelines never depend on it.
#pragma once

#include "pto/wsp/abi/Bytecode.h"
#include "pto/wsp/abi/ScheduleConfig.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::abi {

inline constexpr uint32_t kPlanVersion = 3;  // 3: the location table

// --- locations -----------------------------------------------------------------------------
// One source position; `file` indexes PlanLocations::files (interned names).
struct PlanLoc {
  uint32_t file = 0;
  uint32_t line = 0, col = 0;
  bool operator==(const PlanLoc&) const = default;
};

// The plan's location table. Index 0 means "unknown"; index i > 0 is entries[i - 1].
struct PlanLocations {
  std::vector<std::string> files;
  std::vector<PlanLoc> entries;
  uint32_t workload = 0;  // the workload declaration
  uint32_t poolHeap = 0;  // the `pool heap` directive that sized the heap arena (0: default)

  // Interns loc (file names once, equal positions once); 0 for an unknown location.
  uint32_t add(const SourceLoc& loc);
  // The location at `index`; unknown for 0 or an index past the table.
  SourceLoc at(uint32_t index) const;
  bool operator==(const PlanLocations&) const = default;
};


// --- tables --------------------------------------------------------------------------------
// How the runtime reads one element (Load, slot_load): the dtype code is the compiler's.
enum class ElemKind : uint8_t { Float, Signed, Unsigned, Bool };

// shape / strides / bytes are the values for the symbols' default values. A tensor whose
// shape depends on symbols also carries shapeExprs / strideExprs (over symbols only):
// the runtime evaluates them once per run, so a dynamic size never re-lowers.
// Tensors and views have rank 1..kMaxTensorRank (the runtime tracks the leading dims of
// a rank > 4 tensor's regions as one, runtime/PlanInterpreter).
inline constexpr size_t kMaxTensorRank = 8;

struct PlanTensor {
  std::string name;
  uint8_t dtype = 0;        // ir::DType code (the compiler's), opaque to the runtime
  uint8_t elemBytes = 4;
  std::vector<int64_t> shape;    // elements
  std::vector<int64_t> strides;  // elements
  uint64_t bytes = 0;
  bool runtimeManaged = false;   // an intermediate allocated from the HEAP_ARENA
  ElemKind elem = ElemKind::Float;
  std::vector<Bytecode> shapeExprs = {};   // empty = static shape
  std::vector<Bytecode> strideExprs = {};  // empty = static strides
  uint32_t loc = 0;                        // PlanLocations index: the declaration
  bool operator==(const PlanTensor&) const = default;
};

enum class ParamKind : uint8_t { In, Out, InOut, Scalar };

struct PlanParam {
  ParamKind kind = ParamKind::In;
  int64_t rows = 0, cols = 0;  // tile shape (tile params)
  uint8_t dtype = 0;
  bool operator==(const PlanParam&) const = default;
};

struct PlanKernel {
  std::string name;
  std::vector<PlanParam> params;
  uint32_t fnIndex = 0;   // index into the artifact's kernel function table
  uint64_t cost = 0;      // cycles when the artifact gives no cycle function
  uint32_t loc = 0;       // PlanLocations index: the kernel declaration
  bool operator==(const PlanKernel&) const = default;
};

struct PlanSymbol {
  std::string name;
  int64_t defaultValue = 0;
  bool operator==(const PlanSymbol&) const = default;
};

struct PlanSlot {
  std::string name;
  uint64_t init = 0;  // value at the start of a run (PlanRunConfig::slots overrides)
  bool operator==(const PlanSlot&) const = default;
};

struct PlanChannel {
  std::string name;
  uint32_t capacity = 1;   // logical tokens (SEMANTICS.md section 6)
  uint64_t latency = 0;    // cycles from the sending task's finish to the token
  uint32_t loc = 0;        // PlanLocations index: the channel declaration
  bool operator==(const PlanChannel&) const = default;
};

// A tile view (ir::View): tensor + per-dimension offset expressions + static extents.
// extents[d] = elements spanned along dim d (1 for leading dims, ir::View::span): the
// TensorMap region is [offset, offset + extent) per dim. The tile's argument words are
// base = &T[offsets], row stride = strides[r-2] * rowStep (0 for rank 1), col stride =
// strides[r-1] * colStep, swapped when transposed (tile element (i, j) walks the
// tensor's col dim with i).
struct PlanView {
  uint32_t tensor = 0;
  std::vector<Bytecode> offsets;
  std::vector<int64_t> extents;
  int64_t rowStep = 1, colStep = 1;
  bool transposed = false;
  bool operator==(const PlanView&) const = default;
};

enum class NodeKind : uint8_t {
  Loop,      // var over an axis; parallel or sequential iterations; children = body
  Sel,       // runs children[index]; index = expr
  Cond,      // children[0] if expr != 0 else children[1] (if present)
  Call,      // one task: kernel, views (tile params in order), scalars, dispatch key
  Seq,       // children in order, each after the previous one finished (structural)
  Combine,   // children in order, no structural ordering (data deps still apply)
  Scope,     // children inside a scope (outputs stay live until its end)
  Send,      // children = {Call}: issues it, token = expr or the task id, at its finish;
             // children = {}: token = expr at the process's time (send value)
  Consume,   // for each token of channel: bind var = token value, run children
  SlotLoad,  // slot = element (row, col) of view (waits for its writer)
  SlotSet,   // slot = expr
};

enum class LoopKind : uint8_t { Parallel, Sequential };
// Every axis runs iterations 0 .. expr-1 (expr evaluated on entry); the var is the
// iteration number, or value(iteration) when `value` is set (the var holds the
// iteration number while `value` is evaluated). The kind is informational.
enum class AxisKind : uint8_t {
  Dense,     // extent = constant expr
  DenseDyn,  // extent = expr over symbols/slots (a runtime value)
  Ragged,    // extent = Load(lengths, outer)
  Sparse,    // extent = Load(indptr, o+1) - Load(indptr, o); value = Load(indices, Load(indptr, o) + var)
};

struct PlanNode {
  NodeKind kind = NodeKind::Combine;
  // Loop
  LoopKind loopKind = LoopKind::Parallel;
  AxisKind axis = AxisKind::Dense;
  uint32_t var = 0;                 // binding index (Loop, Consume)
  Bytecode value;                       // Loop: the var's value per iteration (empty = iteration)
  // Loop extent / Sel index / Cond condition / SlotSet value / Send token value
  Bytecode expr;
  // Call
  uint32_t kernel = 0;
  std::vector<PlanView> views;
  std::vector<Bytecode> scalars;
  Bytecode dispatchKey;
  // Send / Consume
  uint32_t channel = 0;
  // SlotLoad / SlotSet
  uint32_t slot = 0;
  Bytecode row, col;                    // SlotLoad element (view in views[0])
  uint32_t loc = 0;                     // PlanLocations index: the statement (a Call: the task site)
  std::vector<PlanNode> children;
  bool operator==(const PlanNode&) const = default;
};

struct PlanProcess {
  std::string name;
  std::vector<PlanNode> body;       // a Combine of these
  uint32_t numVars = 0;             // binding slots used by the body
  uint32_t loc = 0;                 // PlanLocations index: the process (main: the workload)
  bool operator==(const PlanProcess&) const = default;
};

struct Plan {
  uint32_t version = kPlanVersion;
  ScheduleConfig schedule;  // sizes, policy, issue/sync costs (abi/ScheduleConfig.h)
  std::vector<PlanTensor> tensors;
  std::vector<PlanKernel> kernels;
  std::vector<PlanSymbol> symbols;
  std::vector<PlanSlot> slots;
  std::vector<PlanChannel> channels;
  std::vector<PlanProcess> processes;  // process 0 = the plain workload
  PlanLocations locations;
  bool operator==(const Plan&) const = default;
};

std::vector<uint8_t> serializePlan(const Plan& p);
// Throws UserError ("malformed plan: ...") on bad magic/version/truncation/indices.
Plan deserializePlan(const std::vector<uint8_t>& bytes);
// Structural validation (indices, bytecode, node shapes); "" if fine.
std::string validatePlan(const Plan& p);

}  // namespace pto::wsp::abi
