// ArchModel: the architecture description every cycle in PTO-WSP's semantic time is
// derived from (memory hierarchy, execution units and their overlap, worker lanes, sync
// primitives, issue/dispatch cost, clock). Instances: ascend910b, aie_npu1, host_cpu
// (arch/Instances.h); JSON form: arch/ArchJson.h, schema in docs/arch-json.md.
//
// An ArchModel is a plain value: copyable, comparable, immutable once built. Sharing a
// const ArchModel between threads is safe.
#pragma once

#include "pto/wsp/ir/DType.h"
#include "pto/wsp/ir/TileOp.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::arch {

// Version of the JSON schema (docs/arch-json.md). Bump on any incompatible change.
inline constexpr int kArchSchemaVersion = 1;

// Where an address space sits: global (off-chip / device-wide), shared (between the
// workers of a cluster or column), local (private to one worker).
enum class MemLevel : uint8_t { Global, Shared, Local };
std::string_view memLevelName(MemLevel l);  // "global", "shared", "local"
std::optional<MemLevel> parseMemLevel(std::string_view s);

// One address space (GM, L2, L1, UB, L0A/B/C; DDR, memtile, tile_local; DRAM, cache).
struct MemorySpace {
  std::string name;
  MemLevel level = MemLevel::Local;
  uint64_t capacityBytes = 0;  // of one instance
  uint32_t instances = 1;      // how many exist on the device
  // Bandwidth one worker sees on this space's port, bytes per cycle (for a shared global
  // memory: its fair share when every lane streams; docs/arch-json.md says how each
  // instance derives it).
  double bytesPerCycle = 0;
  uint32_t latencyCycles = 0;  // cycles before the first byte of an access arrives
  std::string note;            // source or derivation of the numbers
  // Software-managed (UB, L1, AIE tile memory): a kernel's live tiles must fit in it,
  // checked by the cost model (docs/cost-model.md, "Scratchpad footprint"). Caches and
  // global memories are not scratchpads.
  bool scratchpad = false;
  friend bool operator==(const MemorySpace&, const MemorySpace&) = default;
};

enum class UnitKind : uint8_t { Vector, Matrix, Dma, Scalar };
std::string_view unitKindName(UnitKind k);  // "vector", "matrix", "dma", "scalar"
std::optional<UnitKind> parseUnitKind(std::string_view s);

// Per-cycle MAC block of a matrix unit: C[m,n] += A[m,k] x B[k,n] every cycle.
struct MatrixShape {
  uint32_t m = 0, k = 0, n = 0;
  friend bool operator==(const MatrixShape&, const MatrixShape&) = default;
};

// One execution unit (an independent pipeline unless an exclusive group says otherwise).
// Fields used per kind:
//   vector: bytesPerCycle (lanes(dtype) = floor(bytesPerCycle / dtypeBytes)),
//           startupCycles, dtypes, opPasses;
//   matrix: matrixShapes (per input dtype), startupCycles;
//   dma:    bytesPerCycle, startupCycles;
//   scalar: cyclesPerOp (cycles to issue one tile op).
struct ExecUnit {
  std::string name;
  UnitKind kind = UnitKind::Vector;
  uint32_t startupCycles = 0;  // fixed cost per op on this unit (pipeline fill, setup)
  double bytesPerCycle = 0;
  std::vector<ir::DType> dtypes;                  // vector: supported; empty = all
  std::map<ir::DType, MatrixShape> matrixShapes;  // matrix: input dtype -> block
  // vector: passes over the data per op (instructions per element vector); ops not
  // listed use defaultVectorPasses() (the reference lowering's instruction count).
  std::map<ir::TileOpKind, uint32_t> opPasses;
  uint32_t cyclesPerOp = 0;  // scalar
  std::string note;
  friend bool operator==(const ExecUnit&, const ExecUnit&) = default;
};

// Vector instructions per element vector of the reference lowering (docs/cost-model.md):
// 1 for native ops (add, exp, ...), more for composed ones (sigmoid = neg, exp, add,
// reciprocal = 4); sort/topk: per bitonic stage; 0 for non-vector ops.
uint32_t defaultVectorPasses(ir::TileOpKind k);
// u.opPasses[k] when listed, else defaultVectorPasses(k).
uint32_t vectorPasses(const ExecUnit& u, ir::TileOpKind k);

// What a data transfer is used for by the tile ops (cost model).
enum class TransferRole : uint8_t {
  Load,       // tile load: global -> local buffer
  Store,      // tile store: local buffer -> global
  MatmulIn,   // optional: stage matmul operands into the matrix unit's inputs
  MatmulOut,  // optional: move the matmul result out of the accumulator
};
std::string_view transferRoleName(TransferRole r);  // "load" "store" "matmul_in" "matmul_out"
std::optional<TransferRole> parseTransferRole(std::string_view s);

// A data path between two address spaces, moved by a DMA unit. Its cycles for B bytes:
//   from.latencyCycles + unit.startupCycles
//   + ceil(B / min(unit.bytesPerCycle, from.bytesPerCycle, to.bytesPerCycle)).
struct Transfer {
  TransferRole role = TransferRole::Load;
  std::string from, to;  // MemorySpace names
  std::string unit;      // ExecUnit name (kind dma)
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// A class of interchangeable workers (dispatch lanes): AIC / AIV cores, AIE compute
// tiles, CPU cores.
struct WorkerClass {
  std::string name;
  uint32_t count = 0;
  std::vector<std::string> units;     // ExecUnit names each worker of this class has
  std::vector<std::string> memories;  // MemorySpace names private to each worker
  friend bool operator==(const WorkerClass&, const WorkerClass&) = default;
};

// pipe: between units of one worker (Ascend set_flag/wait_flag, AIE locks);
// core: between workers (cross-core flags); task: a task dependency resolved by the
// runtime (added to ready(T), docs/semantics.md).
enum class SyncScope : uint8_t { Pipe, Core, Task };
std::string_view syncScopeName(SyncScope s);  // "pipe", "core", "task"
std::optional<SyncScope> parseSyncScope(std::string_view s);

struct SyncPrimitive {
  std::string name;
  SyncScope scope = SyncScope::Pipe;
  uint32_t latencyCycles = 0;
  std::string note;
  friend bool operator==(const SyncPrimitive&, const SyncPrimitive&) = default;
};

struct ArchModel {
  std::string name;
  std::string description;
  double clockGhz = 1.0;
  std::vector<MemorySpace> memories;
  std::vector<ExecUnit> units;
  std::vector<Transfer> transfers;
  std::vector<WorkerClass> workers;
  // Units in one group share one pipeline and never overlap; a unit in no group is its
  // own pipeline and overlaps with every other pipeline (docs/cost-model.md).
  std::vector<std::vector<std::string>> exclusiveGroups;
  std::vector<SyncPrimitive> syncs;
  uint32_t issueCycles = 0;     // orchestrator cost to issue one task (semantics: issue)
  uint32_t dispatchCycles = 0;  // worker-side launch cost of one task
  std::string note;             // sources

  friend bool operator==(const ArchModel&, const ArchModel&) = default;

  // Lookups: nullptr when absent. Linear scans over a handful of entries.
  const MemorySpace* memory(std::string_view n) const;
  const ExecUnit* unit(std::string_view n) const;
  const ExecUnit* firstUnit(UnitKind k) const;
  const Transfer* transfer(TransferRole r) const;
  const WorkerClass* workerClass(std::string_view n) const;
  const SyncPrimitive* sync(SyncScope s) const;  // first primitive of that scope
  uint32_t syncLatency(SyncScope s) const;       // 0 when none is declared
  uint32_t totalWorkers() const;
  // Index of the pipeline `unit` runs on: units of one exclusive group share an index.
  // Pipelines are numbered by first appearance in `units`. -1 for an unknown unit.
  int pipeOf(std::string_view unit) const;
  double cyclesToNs(double cycles) const { return cycles / clockGhz; }
};

// Multi-line human-readable summary (the `ptowsp arch show` view): clock, workers,
// memories, units with their pipelines, transfers, exclusive groups, syncs.
std::string formatArch(const ArchModel& a);
// "192 KiB", "64 GiB", "100 B": exact binary units when divisible.
std::string formatBytes(uint64_t bytes);

}  // namespace pto::wsp::arch
