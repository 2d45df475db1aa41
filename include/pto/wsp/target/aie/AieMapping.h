// The aie target's mapping: a workload placed onto an AIE array as MLIR-AIE sees it
// (docs/aie.md). Two forms, both static (every count, offset and trip is known here):
//
//  * CSP workloads: each process instance -> one compute-tile core (replicate(n) -> n
//    cores); each channel -> object FIFOs of depth = the channel capacity whose element is
//    the tile the tokens index; replicated ends are served round-robin (token k goes to /
//    comes from instance k mod n). Host tensors reach cores shim -> memtile -> core
//    through linked FIFOs.
//  * plain parallel workloads: one `P` grid of calls; iteration L (row-major over the grid)
//    runs on core L mod n, cores placed column-major; per-iteration tiles are split /
//    joined at the memtile with link offsets, loop-invariant tiles are broadcast once.
//
// Anything outside these forms is a located UserError naming the unsupported feature.
// The mapping is pure data; the resource checker (AieResources.h) and the emitter
// (AieEmitter.h) read it.
#pragma once

#include "pto/wsp/ir/DType.h"
#include "pto/wsp/ir/Module.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/target/aie/AieDevice.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace pto::wsp::target::aie {

// MLIR spelling of an element type: f32, bf16, i32, ui8; bool is i8 (one byte).
std::string mlirElementType(ir::DType t);

// An object FIFO element / host buffer type: memref<shape x dtype>.
struct MemrefType {
  std::vector<int64_t> shape;
  ir::DType dtype = ir::DType::F32;
  int64_t numel() const;
  int64_t bytes() const;
  std::string str() const;  // "memref<16x128xf32>"
  friend bool operator==(const MemrefType&, const MemrefType&) = default;
};

struct ObjectFifo {
  std::string name;
  TileCoord producer;
  std::vector<TileCoord> consumers;  // > 1 = broadcast
  int64_t depth = 2;
  MemrefType elem;
  std::string what;  // for messages: "channel 'l2c' (loader -> worker#1)"
  std::string channel;  // the workload channel it carries ("" for host streams)
  std::vector<std::pair<std::string, std::string>> annotations;  // emitted as pto.* attributes
  SourceLoc loc;
};

// objectfifo.link at a memtile: ins -> outs, element offsets for joins (src) / splits (dst).
struct FifoLink {
  TileCoord memtile;
  std::vector<std::string> ins, outs;
  std::vector<int64_t> srcOffsets, dstOffsets;
  SourceLoc loc;
};

enum class Port : uint8_t { Produce = 0, Consume = 1 };

struct FifoUse {
  std::string fifo;
  Port port = Port::Consume;
  friend bool operator==(const FifoUse&, const FifoUse&) = default;
};

struct CoreArg {
  bool isFifo = true;
  std::string fifo;  // tile argument: the acquired element of this FIFO
  ir::DType scalarType = ir::DType::F32;
  double scalar = 0;  // scalar argument: its compile-time value
};

struct CoreCall {
  std::string kernel;
  std::vector<CoreArg> args;
  SourceLoc loc;
};

// One pass of a loop body: acquire `acquires` in order, run `calls`, release them.
struct CoreStep {
  std::vector<FifoUse> acquires;
  std::vector<CoreCall> calls;
};

struct CoreProgram {
  TileCoord tile;
  std::string what;           // "process 'worker' instance 1", "grid core 3"
  std::vector<FifoUse> once;  // acquired before the loop, released after it
  int64_t trips = 0;          // loop trips; each trip runs every step in order
  std::vector<CoreStep> steps;
  SourceLoc loc;
};

// func.func private declaration of an external kernel: one argument per kernel param.
struct KernelDecl {
  std::string name;
  std::vector<std::string> argTypes;  // "memref<16x128xf32>", "f32"
  SourceLoc loc;
};

struct HostBuffer {
  std::string tensor;
  MemrefType type;
  SourceLoc loc;
};

// One npu.dma_memcpy_nd: dims outermost first, in elements of the buffer's dtype.
struct HostDma {
  std::string tensor;
  std::string fifo;  // the shim FIFO (metadata)
  int col = 0;       // shim column
  int64_t id = 0;    // buffer descriptor id on that shim
  bool toHost = false;
  std::array<int64_t, 4> offsets{}, sizes{}, strides{};
  SourceLoc loc;
};

struct Mapping {
  std::string module, workload;
  bool csp = false;
  std::vector<TileCoord> tiles;  // every tile used, sorted
  std::vector<ObjectFifo> fifos;
  std::vector<FifoLink> links;
  std::vector<KernelDecl> kernels;
  std::vector<CoreProgram> cores;
  std::vector<HostBuffer> buffers;  // runtime_sequence arguments, in order
  std::vector<HostDma> dmas;
  std::string kernelObject;  // link_with of every core
  SourceLoc loc;

  const ObjectFifo* fifo(std::string_view name) const;
};

// The func.func declaration of kernel `k`: memref<rows x cols x T> per tile param, the
// MLIR scalar type per scalar param.
KernelDecl kernelDecl(const ir::Kernel& k);

// Builds the mapping of workload `w` of `m` onto `d`. Throws UserError (located) when the
// workload uses a feature the mapping does not support or the stream graph is cyclic.
// Resource limits are not checked here (checkResources).
Mapping mapWorkload(const ir::Module& m, const ir::Workload& w, const AieDevice& d);

}  // namespace pto::wsp::target::aie
