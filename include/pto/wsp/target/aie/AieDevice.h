// The AIE device the aie target places onto: mlir-aie's npu1_4col (AIE-ML, 4 columns;
// row 0 shim tiles, row 1 memory tiles, rows 2..5 compute tiles). Memory capacities come
// from the arch instance (aie_npu1: tile_local, memtile); DMA channel and buffer
// descriptor counts are the device's (../shared/design/MLIR-AIE.md).
#pragma once

#include "pto/wsp/arch/ArchModel.h"

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace pto::wsp::target::aie {

// The mlir-aie version the emitted text is written for, and what differs by version.
inline constexpr std::string_view kMlirAieCommit = "78da3d91";
inline constexpr int kDeviceEnum = 8;  // npu1_4col at 78da3d91 (8 = npu2 from 2025-06)
inline constexpr std::string_view kDeviceName = "npu1_4col";

enum class TileKind : uint8_t { Shim, Mem, Compute };
std::string_view tileKindName(TileKind k);  // "shim", "memtile", "compute"

struct TileCoord {
  int col = 0, row = 0;
  std::string str() const;  // "(0, 2)"
  friend auto operator<=>(const TileCoord&, const TileCoord&) = default;
};

// DMA channels of one tile, per direction: MM2S = memory to stream (out),
// S2MM = stream to memory (in).
struct DmaChannels {
  int mm2s = 0, s2mm = 0;
};

// Limits of one DMA transfer as a shim buffer descriptor sees it (32-bit words).
struct DmaLimits {
  int wrapBits = 10;  // sizes of dims 0 and 1 (innermost first) < 2^wrapBits
  int stepBits = 20;  // strides (in words, minus one) <= 2^stepBits
  int repeatMax = 64; // outermost size (the repeat count)
  int alignBytes = 4; // offsets, inner sizes and strides in multiples of 4 bytes
};

struct AieDevice {
  std::string arch;  // arch instance the capacities come from
  int columns = 4;
  int shimRow = 0, memRow = 1, firstComputeRow = 2, computeRows = 4;
  uint64_t computeMemBytes = 64 * 1024;  // data memory per compute tile
  uint64_t memtileBytes = 512 * 1024;    // per memory tile
  DmaChannels computeDma{2, 2}, memtileDma{6, 6}, shimDma{2, 2};
  int shimBdIds = 16;  // buffer descriptor ids per shim tile
  DmaLimits shimLimits{};

  // npu1_4col; capacities taken from `a` when it declares tile_local / memtile.
  static AieDevice npu1(const arch::ArchModel& a);
  int rows() const { return firstComputeRow + computeRows; }
  int computeTiles() const { return columns * computeRows; }
  bool contains(TileCoord t) const { return t.col >= 0 && t.col < columns && t.row >= 0 && t.row < rows(); }
  TileKind kind(TileCoord t) const;
  DmaChannels dma(TileKind k) const;
  // Compute tile number k in column-major order: (0,2) (0,3) (0,4) (0,5) (1,2) ...
  TileCoord computeTile(int k) const;
};

}  // namespace pto::wsp::target::aie
