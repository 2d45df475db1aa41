// Shared pieces of the two mapping forms (AieMapping.cpp: CSP, GridMapping.cpp: plain
// grids): host tile walks, host streams through the memtile, kernel declarations.
#pragma once

#include "pto/wsp/target/aie/AieMapping.h"

#include <map>
#include <string>
#include <vector>

namespace pto::wsp::target::aie::detail {

// "aie target: ..." errors all carry this prefix-free help convention.
[[noreturn]] void refuse(const SourceLoc& loc, std::string message, std::string help);

// The tiles a stream of views visits, one per token, as one DMA pattern over the host
// buffer (dims outermost first, in elements). Refuses transposed / strided views and
// walks that are not an arithmetic progression of tiles.
struct TileWalk {
  std::array<int64_t, 4> offsets{}, sizes{}, strides{};
};
TileWalk tileWalk(const ir::Tensor& t, const std::vector<std::vector<int64_t>>& offsetsPerToken, const ir::View& v);

// View offsets with `vars` bound (compile-time constants only).
std::vector<int64_t> viewOffsets(const ir::View& v, const ir::Env& env);

class MappingBuilder {
 public:
  MappingBuilder(const ir::Module& m, const ir::Workload& w, const AieDevice& d);

  const ir::Module& module() const { return m_; }
  const ir::Workload& workload() const { return w_; }
  const AieDevice& device() const { return d_; }
  Mapping& mapping() { return map_; }

  const ir::Tensor& tensor(const ir::View& v) const;
  MemrefType tileType(const ir::View& v) const;
  std::string fifoName(std::string base);  // unique, identifier-safe
  void useTile(TileCoord t);
  void addFifo(ObjectFifo f);
  // Declares kernel `k` (once) and checks the call's arguments against its params.
  void declareKernel(const ir::Kernel& k);
  // A constant scalar argument (no loop variables): its value, or a located refusal.
  CoreArg scalarArg(const ir::Expr& e, const ir::KernelParam& p, const SourceLoc& callLoc) const;

  // Host tensor -> cores through the memtile of the first core's column. `split`: one
  // element per core, the memtile element holds one tile per core (link dst offsets);
  // otherwise every core gets the same element (a broadcast FIFO). Returns the FIFO each
  // core acquires, per core.
  std::vector<std::string> hostInput(const ir::Tensor& t, const TileWalk& walk, const MemrefType& tile,
                                     const std::vector<TileCoord>& cores, bool split, int64_t depth,
                                     const std::string& what, const SourceLoc& loc);
  // Cores -> host tensor; one FIFO per core, joined at the memtile (link src offsets).
  std::vector<std::string> hostOutput(const ir::Tensor& t, const TileWalk& walk, const MemrefType& tile,
                                      const std::vector<TileCoord>& cores, int64_t depth, const std::string& what,
                                      const SourceLoc& loc);
  Mapping finish();

 private:
  void addBuffer(const ir::Tensor& t);
  void addDma(const ir::Tensor& t, const std::string& fifo, int col, bool toHost, const TileWalk& walk,
              const SourceLoc& loc);
  std::vector<std::pair<std::string, std::string>> annotations(const ir::Tensor& t) const;

  const ir::Module& m_;
  const ir::Workload& w_;
  const AieDevice& d_;
  Mapping map_;
  std::map<std::string, int> names_;
  std::map<int, int64_t> nextBd_;
};

// The plain-grid form (GridMapping.cpp).
Mapping mapGrid(MappingBuilder& b, const ir::Loop& grid);

}  // namespace pto::wsp::target::aie::detail
