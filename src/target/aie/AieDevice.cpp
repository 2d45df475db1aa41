#include "pto/wsp/target/aie/AieDevice.h"

#include <fmt/format.h>

namespace pto::wsp::target::aie {

std::string_view tileKindName(TileKind k) {
  switch (k) {
    case TileKind::Shim: return "shim";
    case TileKind::Mem: return "memtile";
    case TileKind::Compute: return "compute";
  }
  return "?";
}

std::string TileCoord::str() const { return fmt::format("({}, {})", col, row); }

AieDevice AieDevice::npu1(const arch::ArchModel& a) {
  AieDevice d;
  d.arch = a.name;
  if (const auto* m = a.memory("tile_local")) d.computeMemBytes = m->capacityBytes;
  if (const auto* m = a.memory("memtile")) d.memtileBytes = m->capacityBytes;
  return d;
}

TileKind AieDevice::kind(TileCoord t) const {
  if (t.row == shimRow) return TileKind::Shim;
  if (t.row == memRow) return TileKind::Mem;
  return TileKind::Compute;
}

DmaChannels AieDevice::dma(TileKind k) const {
  switch (k) {
    case TileKind::Shim: return shimDma;
    case TileKind::Mem: return memtileDma;
    case TileKind::Compute: return computeDma;
  }
  return {};
}

TileCoord AieDevice::computeTile(int k) const { return {k / computeRows, firstComputeRow + k % computeRows}; }

}  // namespace pto::wsp::target::aie
