// The built-in architecture instances. Every number is either taken from a public source
// (docs/arch-json.md cites them; ../shared/design/FACTS.md) or marked "assumption" in
// its note; derived numbers show their arithmetic here and in the note.
#include "pto/wsp/arch/ArchRegistry.h"

namespace pto::wsp::arch {

namespace {
using ir::DType;
constexpr uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

MemorySpace mem(std::string name, MemLevel level, uint64_t cap, uint32_t inst, double bpc,
                uint32_t lat, std::string note, bool scratchpad = false) {
  return MemorySpace{std::move(name), level, cap, inst, bpc, lat, std::move(note), scratchpad};
}
ExecUnit unit(std::string name, UnitKind kind, uint32_t startup, double bpc, std::string note) {
  ExecUnit u;
  u.name = std::move(name);
  u.kind = kind;
  u.startupCycles = startup;
  u.bytesPerCycle = bpc;
  u.note = std::move(note);
  return u;
}
ExecUnit scalar(uint32_t cyclesPerOp, std::string note) {
  ExecUnit u = unit("scalar", UnitKind::Scalar, 0, 0, std::move(note));
  u.cyclesPerOp = cyclesPerOp;
  return u;
}
}  // namespace

ArchModel makeAscend910b() {
  ArchModel a;
  a.name = "ascend910b";
  a.description = "Ascend 910B-class NPU: 24 AIC (cube) + 48 AIV (vector) cores, 1.8 GHz";
  a.clockGhz = 1.8;  // FACTS: clock about 1.8 GHz
  // HBM: 1.6 TB/s / 1.8 GHz = 888.9 B/cycle for the chip; the share of one AI-core
  // cluster (1 AIC + 2 AIV) when all 24 stream at once is 888.9 / 24 = 37.04 B/cycle.
  const double hbmPerCycle = 1.6e12 / 1.8e9;
  a.memories = {
      mem("GM", MemLevel::Global, 64 * GiB, 1, hbmPerCycle / 24, 400,
          "HBM 64 GiB, 1.6 TB/s (FACTS); bytes_per_cycle = 1.6e12/1.8e9/24 clusters; latency: assumption"),
      mem("L2", MemLevel::Shared, 192 * MiB, 1, 2 * hbmPerCycle / 24, 200,
          "192 MiB (FACTS); bandwidth 2x the HBM share and latency: assumption"),
      mem("L1", MemLevel::Local, 512 * KiB, 24, 256, 20, "512 KiB per AIC (FACTS); port and latency: assumption", true),
      mem("UB", MemLevel::Local, 192 * KiB, 48, 256, 10,
          "192 KiB per AIV (FACTS); port = vector width 256 B (DaVinci 2048-bit vector); latency: assumption", true),
      mem("L0A", MemLevel::Local, 64 * KiB, 24, 512, 1, "64 KiB (FACTS); port = one 16x16 f16 fractal (512 B) per cycle", true),
      mem("L0B", MemLevel::Local, 64 * KiB, 24, 512, 1, "64 KiB (FACTS); port = one 16x16 f16 fractal (512 B) per cycle", true),
      mem("L0C", MemLevel::Local, 128 * KiB, 24, 1024, 1, "128 KiB (FACTS); port = one 16x16 f32 block (1 KiB) per cycle", true),
  };
  ExecUnit vec = unit("vector", UnitKind::Vector, 8, 256,
                      "2048-bit (256 B) vector unit per AIV (Huawei DaVinci, Hot Chips 31); startup: assumption");
  vec.dtypes = {DType::F16, DType::BF16, DType::F32, DType::I8,  DType::I16,
                DType::I32, DType::U8,   DType::U16, DType::U32, DType::Bool};
  ExecUnit cube = unit("cube", UnitKind::Matrix, 16, 0,
                       "16x16x16 f16 MACs per cycle (FACTS); K = 32 B / dtype bytes (16x32 B fractal rows); startup: assumption");
  cube.matrixShapes = {{DType::F16, {16, 16, 16}}, {DType::BF16, {16, 16, 16}},
                       {DType::F32, {16, 8, 16}},  {DType::I8, {16, 32, 16}}};
  a.units = {
      vec,
      cube,
      unit("mte2", UnitKind::Dma, 32, 128, "GM/L2 -> L1/UB engine (FACTS: MTE); rate and startup: assumption"),
      unit("mte3", UnitKind::Dma, 32, 128, "UB -> GM engine; rate and startup: assumption"),
      unit("mte1", UnitKind::Dma, 8, 256, "L1 -> L0A/L0B engine; rate and startup: assumption"),
      unit("fixpipe", UnitKind::Dma, 8, 128, "L0C -> L1/GM (FACTS: FixPipe); rate and startup: assumption"),
      scalar(4, "scalar unit issuing to the pipes; cycles per tile op: assumption"),
  };
  a.transfers = {
      {TransferRole::Load, "GM", "UB", "mte2"},
      {TransferRole::Store, "UB", "GM", "mte3"},
      {TransferRole::MatmulIn, "L1", "L0A", "mte1"},
      // The result leaves L0C for L1; the kernel's store op then writes it to GM, so
      // the GM write is counted once.
      {TransferRole::MatmulOut, "L0C", "L1", "fixpipe"},
  };
  a.workers = {
      {"aic", 24, {"cube", "mte1", "mte2", "mte3", "fixpipe", "scalar"}, {"L1", "L0A", "L0B", "L0C"}},
      {"aiv", 48, {"vector", "mte2", "mte3", "scalar"}, {"UB"}},
  };
  // Every pipe (PIPE_V, PIPE_M, PIPE_MTE1/2/3, PIPE_FIX, PIPE_S) runs independently and is
  // ordered by set_flag/wait_flag: no exclusive groups.
  a.exclusiveGroups = {};
  a.syncs = {
      {"set_flag_wait_flag", SyncScope::Pipe, 10, "pipe-to-pipe flag inside a core; latency: assumption"},
      {"cross_core_flag", SyncScope::Core, 200, "AIC <-> AIV flag; latency: assumption"},
      {"task_dependency", SyncScope::Task, 360, "runtime resolves a dependency and launches the successor (0.2 us): assumption"},
  };
  a.issueCycles = 180;    // AICPU issues one task in 0.1 us: assumption
  a.dispatchCycles = 90;  // core picks up a task in 0.05 us: assumption
  a.note = "sources: CANN platform_config Ascend910B*.ini (cores, buffers), ../shared/design/FACTS.md";
  return a;
}

ArchModel makeAieNpu1() {
  ArchModel a;
  a.name = "aie_npu1";
  a.description = "AMD AIE-ML NPU1 (npu1_4col): 4 columns x 4 compute tiles, memory tiles, shim DMA";
  a.clockGhz = 1.0;  // assumption: AIE-ML array clock of about 1 GHz
  a.memories = {
      mem("DDR", MemLevel::Global, 16 * GiB, 1, 4 * 2 * 4.0, 300,
          "host memory via 4 shim tiles x 2 MM2S channels x 4 B (32-bit streams, AMD AM020); capacity, latency: assumption"),
      mem("memtile", MemLevel::Shared, 512 * KiB, 4, 4.0, 40,
          "512 KiB per column (FACTS); a 32-bit stream port = 4 B/cycle per channel (AM020); latency: assumption"),
      mem("tile_local", MemLevel::Local, 64 * KiB, 16, 64, 6,
          "64 KiB data memory per compute tile (FACTS); 2 x 256-bit loads = 64 B/cycle (AM020); latency: assumption", true),
  };
  ExecUnit vec = unit("vector", UnitKind::Vector, 8, 64, "512-bit (64 B) vector datapath (AM020); startup: assumption");
  vec.dtypes = {DType::BF16, DType::F32, DType::I8,  DType::I16, DType::I32,
                DType::U8,   DType::U16, DType::U32, DType::Bool};
  // No native transcendental or divide instructions on AIE-ML: LUT / polynomial sequences
  // (instruction counts of the aie_api reference lowerings: assumption).
  using K = ir::TileOpKind;
  vec.opPasses = {{K::Div, 4},  {K::Exp, 4},     {K::Log, 4},   {K::Sqrt, 4},
                  {K::Rsqrt, 4}, {K::Tanh, 6},   {K::Sigmoid, 6}, {K::Silu, 7},
                  {K::Gelu, 14}, {K::Sin, 12},   {K::Cos, 12}};
  ExecUnit mac = unit("mac", UnitKind::Matrix, 8, 0,
                      "aie::mmul native shapes on AIE-ML: bf16 4x8x4, int8 4x8x8, int16 4x4x4; startup: assumption");
  mac.matrixShapes = {{DType::BF16, {4, 8, 4}}, {DType::I8, {4, 8, 8}}, {DType::I16, {4, 4, 4}}};
  a.units = {
      vec,
      mac,
      unit("dma_in", UnitKind::Dma, 20, 4, "tile DMA S2MM channel, 32-bit stream = 4 B/cycle (AM020); startup: assumption"),
      unit("dma_out", UnitKind::Dma, 20, 4, "tile DMA MM2S channel, 32-bit stream = 4 B/cycle (AM020); startup: assumption"),
      scalar(10, "scalar core: loop/call overhead per tile op: assumption"),
  };
  // Data reaches a compute tile through object FIFOs: shim -> memtile -> tile (FACTS).
  a.transfers = {
      {TransferRole::Load, "memtile", "tile_local", "dma_in"},
      {TransferRole::Store, "tile_local", "memtile", "dma_out"},
  };
  a.workers = {{"compute_tile", 16, {"vector", "mac", "dma_in", "dma_out", "scalar"}, {"tile_local"}}};
  // Vector and matrix instructions use the same VLIW vector slot.
  a.exclusiveGroups = {{"vector", "mac"}};
  a.syncs = {
      {"lock", SyncScope::Pipe, 2, "core <-> DMA lock acquire/release: assumption"},
      {"stream_switch", SyncScope::Core, 40, "tile-to-tile object FIFO handoff: assumption"},
      {"objectfifo_token", SyncScope::Task, 40, "dependency between tasks = object FIFO acquire: assumption"},
  };
  a.issueCycles = 10;  // statically placed cores: per-task loop overhead, assumption
  a.dispatchCycles = 0;
  a.note = "sources: ../shared/design/FACTS.md (array, memories), AMD AM020 AIE-ML architecture manual (streams, vector)";
  return a;
}

ArchModel makeHostCpu() {
  ArchModel a;
  a.name = "host_cpu";
  a.description = "host machine class: 2 x86-64 cores with AVX-512, 2.6 GHz";
  a.clockGhz = 2.6;  // nominal clock reported by /proc/cpuinfo on the reference machine
  a.memories = {
      mem("DRAM", MemLevel::Global, 16 * GiB, 1, 41e9 / 2.6e9, 260,
          "triad 41 GB/s (FACTS) / 2.6 GHz = 15.77 B/cycle; capacity and 100 ns latency: assumption"),
      mem("cache", MemLevel::Shared, 32 * MiB, 1, 100e9 / 2.6e9, 50,
          "100 GB/s low end of cached triad (FACTS) / 2.6 GHz = 38.46 B/cycle; capacity, latency: assumption"),
      mem("L1D", MemLevel::Local, 48 * KiB, 2, 128, 5, "2 x 64 B loads per cycle; capacity and latency: assumption"),
  };
  ExecUnit vec = unit("vector", UnitKind::Vector, 2, 64, "one 512-bit (AVX-512) result per cycle; startup: assumption");
  // No vector exp/log/trig instructions: polynomial sequences (SLEEF-style); divide and
  // square root are multi-cycle (instruction counts / throughput ratios: assumption).
  using K = ir::TileOpKind;
  vec.opPasses = {{K::Div, 4},      {K::Sqrt, 4}, {K::Rsqrt, 2},  {K::Exp, 8},  {K::Log, 8},  {K::Tanh, 10},
                  {K::Sigmoid, 10}, {K::Silu, 11}, {K::Gelu, 18}, {K::Sin, 12}, {K::Cos, 12}};
  ExecUnit fma = unit("fma", UnitKind::Matrix, 2, 0,
                      "2 x 512-bit FMA pipes = 32 f32 MACs/cycle (FACTS: OpenBLAS 240 GFLOP/s ~ 64 flop/cycle at boost)");
  // f16/bf16 tiles are converted to f32 by the tile library, then use the f32 FMA rate.
  fma.matrixShapes = {{DType::F32, {1, 1, 32}}, {DType::F16, {1, 1, 32}}, {DType::BF16, {1, 1, 32}},
                      {DType::F64, {1, 1, 16}}};
  a.units = {
      vec,
      fma,
      unit("load_store", UnitKind::Dma, 0, 128, "the core's load/store ports (2 x 64 B); assumption"),
      scalar(2, "per-op call and loop overhead of the tile library: assumption"),
  };
  a.transfers = {
      {TransferRole::Load, "DRAM", "L1D", "load_store"},
      {TransferRole::Store, "L1D", "DRAM", "load_store"},
  };
  a.workers = {{"core", 2, {"vector", "fma", "load_store", "scalar"}, {"L1D"}}};
  // One core executes its instruction stream: vector, FMA and load/store work of a tile
  // op do not overlap with another op's (the scalar front end does).
  a.exclusiveGroups = {{"vector", "fma", "load_store"}};
  a.syncs = {
      {"program_order", SyncScope::Pipe, 0, "same core: no synchronisation needed"},
      {"cache_line_transfer", SyncScope::Core, 100, "core-to-core cache line (about 40 ns): assumption"},
      {"ready_queue_handoff", SyncScope::Task, 100, "about 38 ns (FACTS: oneTBB 37 ns/task on a chain)"},
  };
  a.issueCycles = 100;  // about 38 ns per task (FACTS: oneTBB flow graph 37 ns/task)
  a.dispatchCycles = 0;
  a.note = "sources: ../shared/design/FACTS.md (performance anchors of the 2 vCPU AVX-512 machine class)";
  return a;
}

}  // namespace pto::wsp::arch
