#include "MappingBuilder.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

namespace pto::wsp::target::aie {

int64_t MemrefType::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}
int64_t MemrefType::bytes() const { return numel() * ir::dtypeBytes(dtype); }
std::string mlirElementType(ir::DType t) {
  if (t == ir::DType::Bool) return "i8";  // one byte per element, as the host stores it
  const auto n = ir::dtypeName(t);
  return ir::isUnsignedInt(t) ? "ui" + std::string(n.substr(1)) : std::string(n);
}

std::string MemrefType::str() const {
  return fmt::format("memref<{}x{}>", fmt::join(shape, "x"), mlirElementType(dtype));
}

KernelDecl kernelDecl(const ir::Kernel& k) {
  KernelDecl d{k.name, {}, k.loc};
  for (const auto& p : k.params) {
    if (p.isTile())
      d.argTypes.push_back(MemrefType{{p.tile.rows, p.tile.cols}, p.tile.dtype}.str());
    else
      d.argTypes.push_back(mlirElementType(p.scalarType));
  }
  return d;
}

const ObjectFifo* Mapping::fifo(std::string_view name) const {
  for (const auto& f : fifos)
    if (f.name == name) return &f;
  return nullptr;
}

namespace detail {

void refuse(const SourceLoc& loc, std::string message, std::string help) {
  throw UserError(makeError(loc, "aie target: " + std::move(message)).help(help));
}

std::vector<int64_t> viewOffsets(const ir::View& v, const ir::Env& env) {
  std::vector<int64_t> out;
  for (const auto& o : v.offsets) {
    try {
      out.push_back(ir::evalExpr(o, env));
    } catch (const UserError&) {
      refuse(v.loc, fmt::format("view offset {} of '{}' is not a compile-time value", ir::toString(o), v.tensor),
             "the aie mapping places every tile at compile time: offsets may read loop and consume variables only");
    }
  }
  return out;
}

TileWalk tileWalk(const ir::Tensor& t, const std::vector<std::vector<int64_t>>& offsetsPerToken, const ir::View& v) {
  if (v.transposed)
    refuse(v.loc, fmt::format("transposed view of '{}' is not supported", v.tensor),
           "the shim DMA moves 32-bit words and cannot transpose the tile; pass the region untransposed");
  if (v.rowStep != 1 || v.colStep != 1)
    refuse(v.loc, fmt::format("strided view of '{}' (steps {}, {}) is not supported", v.tensor, v.rowStep, v.colStep),
           "use unit steps");
  auto shape = t.staticShape();
  if (!shape)
    refuse(t.loc, fmt::format("tensor '{}' has a dynamic shape {}", t.name, t.shapeStr()),
           "dynamic axes are not supported by the aie target: give every dim a constant size");
  std::vector<int64_t> rowMajor(shape->size(), 1);
  for (size_t d = shape->size() - 1; d-- > 0;) rowMajor[d] = rowMajor[d + 1] * (*shape)[d + 1];
  const int64_t width = shape->back();
  std::vector<int64_t> addr;
  for (const auto& o : offsetsPerToken) {
    int64_t a = 0;
    for (size_t d = 0; d < o.size(); ++d) a += o[d] * rowMajor[d];
    addr.push_back(a);
  }
  PTO_INTERNAL_ASSERT(!addr.empty(), "a tile walk of no tokens");
  const int64_t step = addr.size() > 1 ? addr[1] - addr[0] : 0;
  for (size_t k = 1; k < addr.size(); ++k)
    if (addr[k] - addr[k - 1] != step)
      refuse(v.loc,
             fmt::format("tiles of '{}' are visited at element offsets {}, {}, {}: not an arithmetic progression",
                         v.tensor, addr[k - 2 < addr.size() ? k - 1 : 0], addr[k - 1], addr[k]),
             "one shim DMA pattern walks the tiles: order the loop so successive tiles are equally spaced");
  if (step < 0)
    refuse(v.loc, fmt::format("tiles of '{}' are visited backwards (step {} elements)", v.tensor, step),
           "DMA strides are positive: reverse the loop");
  const int64_t rows = shape->size() == 1 ? 1 : v.rows;
  const int64_t n = static_cast<int64_t>(addr.size());
  TileWalk w;
  w.offsets = {0, 0, 0, addr[0]};
  if (v.cols == width && (n == 1 || step == rows * width)) {
    w.sizes = {1, 1, 1, n * rows * width};  // contiguous: the linear form needs no wrap limits
    w.strides = {0, 0, 0, 1};
  } else {
    w.sizes = {1, n, rows, v.cols};
    w.strides = {0, n > 1 ? step : 0, rows > 1 ? width : 0, 1};
  }
  return w;
}

MappingBuilder::MappingBuilder(const ir::Module& m, const ir::Workload& w, const AieDevice& d) : m_(m), w_(w), d_(d) {
  map_.module = m.name;
  map_.workload = w.name;
  map_.kernelObject = m.name + "_kernels.o";
  map_.loc = w.loc;
}

const ir::Tensor& MappingBuilder::tensor(const ir::View& v) const {
  const ir::Tensor* t = m_.findTensor(v.tensor);
  PTO_INTERNAL_ASSERT(t != nullptr, "verified module names an unknown tensor");
  return *t;
}

MemrefType MappingBuilder::tileType(const ir::View& v) const {
  return {{v.rows, v.cols}, tensor(v).dtype};
}

std::string MappingBuilder::fifoName(std::string base) {
  for (auto& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  int& n = names_[base];
  return n++ == 0 ? base : fmt::format("{}_{}", base, n - 1);
}

void MappingBuilder::useTile(TileCoord t) {
  if (std::find(map_.tiles.begin(), map_.tiles.end(), t) == map_.tiles.end()) map_.tiles.push_back(t);
}

void MappingBuilder::addFifo(ObjectFifo f) {
  useTile(f.producer);
  for (auto c : f.consumers) useTile(c);
  map_.fifos.push_back(std::move(f));
}

void MappingBuilder::declareKernel(const ir::Kernel& k) {
  for (const auto& d : map_.kernels)
    if (d.name == k.name) return;
  map_.kernels.push_back(kernelDecl(k));
}

CoreArg MappingBuilder::scalarArg(const ir::Expr& e, const ir::KernelParam& p, const SourceLoc& callLoc) const {
  CoreArg a;
  a.isFifo = false;
  a.scalarType = p.scalarType;
  if (p.scalarType == ir::DType::Bool || ir::dtypeName(p.scalarType).starts_with("u"))
    refuse(p.loc, fmt::format("scalar parameter '{}' of type {} is not supported", p.name, ir::dtypeName(p.scalarType)),
           "use a signed integer or float scalar");
  try {
    a.scalar = ir::evalExprF(e, m_.defaultEnv());
  } catch (const UserError&) {
    refuse(callLoc, fmt::format("scalar argument {} for '{}' is not a compile-time constant", ir::toString(e), p.name),
           "the aie target passes scalars as constants in the core program: bind symbols to constants");
  }
  return a;
}

std::vector<std::pair<std::string, std::string>> MappingBuilder::annotations(const ir::Tensor& t) const {
  std::vector<std::string> dist;
  for (size_t d = 0; d < t.rank(); ++d) dist.push_back(d < t.dist.size() ? t.dist[d].str() : "R");
  std::vector<int> order = t.dimOrder;
  if (order.empty()) {
    order.resize(t.rank());
    std::iota(order.begin(), order.end(), 0);
  }
  return {{"pto.tensor", t.name},
          {"pto.sharding", fmt::format("{}", fmt::join(dist, ","))},
          {"pto.layout", fmt::format("dims {}", fmt::join(order, ","))}};
}

void MappingBuilder::addBuffer(const ir::Tensor& t) {
  for (const auto& b : map_.buffers)
    if (b.tensor == t.name) return;
  bool identity = t.strides.empty();
  for (size_t d = 0; d < t.dimOrder.size(); ++d) identity = identity && t.dimOrder[d] == static_cast<int>(d);
  if (!identity)
    refuse(t.loc, fmt::format("tensor '{}' has a non-row-major memory layout", t.name),
           "the aie runtime sequence addresses host buffers row-major: drop the strides / dim order");
  map_.buffers.push_back({t.name, MemrefType{*t.staticShape(), t.dtype}, t.loc});
}

void MappingBuilder::addDma(const ir::Tensor& t, const std::string& fifo, int col, bool toHost, const TileWalk& walk,
                            const SourceLoc& loc) {
  addBuffer(t);
  HostDma d;
  d.tensor = t.name;
  d.fifo = fifo;
  d.col = col;
  d.id = nextBd_[col]++;
  d.toHost = toHost;
  d.offsets = walk.offsets;
  d.sizes = walk.sizes;
  d.strides = walk.strides;
  d.loc = loc;
  map_.dmas.push_back(d);
}

std::vector<std::string> MappingBuilder::hostInput(const ir::Tensor& t, const TileWalk& walk, const MemrefType& tile,
                                                   const std::vector<TileCoord>& cores, bool split, int64_t depth,
                                                   const std::string& what, const SourceLoc& loc) {
  PTO_INTERNAL_ASSERT(!cores.empty(), "host input without consumers");
  const int col = cores.front().col;
  const TileCoord shim{col, d_.shimRow}, mem{col, d_.memRow};
  const auto n = static_cast<int64_t>(cores.size());
  MemrefType memElem = tile;
  if (split && n > 1) memElem.shape.front() *= n;
  ObjectFifo in{fifoName(t.name + "_shim"), shim, {mem}, depth, memElem, "host input '" + t.name + "' (shim -> memtile)",
                "", annotations(t), loc};
  FifoLink link{mem, {in.name}, {}, {}, {}, loc};
  std::vector<std::string> out;
  if (split && n > 1) {
    for (int64_t k = 0; k < n; ++k) {
      ObjectFifo f{fifoName(fmt::format("{}_{}", t.name, k)), mem, {cores[k]}, depth, tile,
                   fmt::format("{} to core {}", what, cores[k].str()), "", annotations(t), loc};
      link.outs.push_back(f.name);
      link.dstOffsets.push_back(k * tile.numel());
      out.push_back(f.name);
      addFifo(std::move(f));
    }
  } else {
    ObjectFifo f{fifoName(t.name), mem, cores, depth, tile, what, "", annotations(t), loc};
    link.outs.push_back(f.name);
    out.assign(cores.size(), f.name);
    addFifo(std::move(f));
  }
  addDma(t, in.name, col, false, walk, loc);
  addFifo(std::move(in));
  map_.links.push_back(std::move(link));
  return out;
}

std::vector<std::string> MappingBuilder::hostOutput(const ir::Tensor& t, const TileWalk& walk, const MemrefType& tile,
                                                    const std::vector<TileCoord>& cores, int64_t depth,
                                                    const std::string& what, const SourceLoc& loc) {
  PTO_INTERNAL_ASSERT(!cores.empty(), "host output without producers");
  const int col = cores.front().col;
  const TileCoord shim{col, d_.shimRow}, mem{col, d_.memRow};
  const auto n = static_cast<int64_t>(cores.size());
  MemrefType memElem = tile;
  memElem.shape.front() *= n;
  FifoLink link{mem, {}, {}, {}, {}, loc};
  std::vector<std::string> out;
  for (int64_t k = 0; k < n; ++k) {
    ObjectFifo f{fifoName(n > 1 ? fmt::format("{}_{}", t.name, k) : t.name), cores[k], {mem}, depth, tile,
                 fmt::format("{} from core {}", what, cores[k].str()), "", annotations(t), loc};
    link.ins.push_back(f.name);
    if (n > 1) link.srcOffsets.push_back(k * tile.numel());
    out.push_back(f.name);
    addFifo(std::move(f));
  }
  ObjectFifo o{fifoName(t.name + "_shim"), mem, {shim}, depth, memElem,
               "host output '" + t.name + "' (memtile -> shim)", "", annotations(t), loc};
  link.outs.push_back(o.name);
  addDma(t, o.name, col, true, walk, loc);
  addFifo(std::move(o));
  map_.links.push_back(std::move(link));
  return out;
}

Mapping MappingBuilder::finish() {
  std::sort(map_.tiles.begin(), map_.tiles.end());
  return std::move(map_);
}

}  // namespace detail
}  // namespace pto::wsp::target::aie
