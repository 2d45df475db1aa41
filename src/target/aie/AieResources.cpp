#include "pto/wsp/target/aie/AieResources.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>

namespace pto::wsp::target::aie {

namespace {

std::string kib(uint64_t bytes) {
  return bytes % 1024 == 0 ? fmt::format("{} KiB", bytes / 1024) : fmt::format("{} B", bytes);
}

struct Checker {
  const Mapping& m;
  const AieDevice& d;
  std::vector<Diagnostic> out;

  Diagnostic& error(const SourceLoc& loc, std::string msg) {
    out.push_back(makeError(loc, "aie target: " + std::move(msg)));
    return out.back();
  }

  void tiles() {
    auto check = [&](TileCoord t, const SourceLoc& loc, const std::string& what) {
      if (!d.contains(t))
        error(loc, fmt::format("{} is placed on tile {}, outside the {} array (columns 0..{}, rows 0..{})", what, t.str(),
                               kDeviceName, d.columns - 1, d.rows() - 1))
            .help("use fewer cores or streams");
    };
    for (const auto& f : m.fifos) {
      check(f.producer, f.loc, fmt::format("the producer of object FIFO '{}'", f.name));
      for (auto c : f.consumers) check(c, f.loc, fmt::format("a consumer of object FIFO '{}'", f.name));
    }
    for (const auto& c : m.cores) {
      check(c.tile, c.loc, "the core of " + c.what);
      if (d.contains(c.tile) && d.kind(c.tile) != TileKind::Compute)
        error(c.loc, fmt::format("the core of {} is on {} tile {}", c.what, tileKindName(d.kind(c.tile)), c.tile.str()))
            .help("cores run on compute tiles (rows 2..5)");
    }
    for (const auto& dma : m.dmas)
      if (dma.col < 0 || dma.col >= d.columns)
        error(dma.loc, fmt::format("DMA of '{}' uses shim column {}, outside 0..{}", dma.tensor, dma.col, d.columns - 1))
            .help("use fewer streams");
  }

  void memory() {
    // Each FIFO end allocates depth x element on its tile (a conservative count: mlir-aie
    // shares one buffer set between neighbouring compute tiles). Linked FIFOs at a
    // memtile share the larger side's buffers.
    std::map<TileCoord, uint64_t> used;
    std::map<TileCoord, std::vector<std::string>> parts;
    std::set<std::string> linkedAtMem;
    for (const auto& l : m.links) {
      uint64_t most = 0;
      std::string name;
      for (const auto& list : {l.ins, l.outs})
        for (const auto& n : list)
          if (const auto* f = m.fifo(n)) {
            linkedAtMem.insert(n);
            const uint64_t b = static_cast<uint64_t>(f->depth * f->elem.bytes());
            if (b > most) most = b, name = fmt::format("'{}' {} x {}", n, f->depth, kib(f->elem.bytes()));
          }
      used[l.memtile] += most;
      parts[l.memtile].push_back(name);
    }
    auto add = [&](TileCoord t, const ObjectFifo& f) {
      if (d.contains(t) && d.kind(t) == TileKind::Mem && linkedAtMem.count(f.name)) return;
      used[t] += static_cast<uint64_t>(f.depth * f.elem.bytes());
      parts[t].push_back(fmt::format("'{}' {} x {}", f.name, f.depth, kib(f.elem.bytes())));
    };
    for (const auto& f : m.fifos) {
      add(f.producer, f);
      for (auto c : f.consumers) add(c, f);
    }
    for (const auto& c : m.cores) {
      used[c.tile] += kCoreStackBytes;
      parts[c.tile].push_back("stack " + kib(kCoreStackBytes));
    }
    for (const auto& [t, bytes] : used) {
      if (!d.contains(t) || d.kind(t) == TileKind::Shim) continue;
      const bool compute = d.kind(t) == TileKind::Compute;
      const uint64_t limit = compute ? d.computeMemBytes : d.memtileBytes;
      if (bytes <= limit) continue;
      error(locOf(t), fmt::format("{} tile {} needs {} of data memory, limit {} ({})", tileKindName(d.kind(t)), t.str(),
                                  kib(bytes), kib(limit), fmt::join(parts[t], " + ")))
          .help("lower the channel capacity (FIFO depth) or use smaller tiles");
    }
  }

  SourceLoc locOf(TileCoord t) const {
    for (const auto& f : m.fifos)
      if (f.producer == t || std::find(f.consumers.begin(), f.consumers.end(), t) != f.consumers.end()) {
        if (!f.channel.empty()) return f.loc;
      }
    for (const auto& f : m.fifos)
      if (f.producer == t || std::find(f.consumers.begin(), f.consumers.end(), t) != f.consumers.end()) return f.loc;
    return m.loc;
  }

  void channels() {
    std::map<TileCoord, std::vector<std::string>> mm2s, s2mm;
    for (const auto& f : m.fifos) {
      mm2s[f.producer].push_back(f.name);
      for (auto c : f.consumers) s2mm[c].push_back(f.name);
    }
    auto check = [&](const std::map<TileCoord, std::vector<std::string>>& use, bool out) {
      for (const auto& [t, names] : use) {
        if (!d.contains(t)) continue;
        const auto ch = d.dma(d.kind(t));
        const int limit = out ? ch.mm2s : ch.s2mm;
        if (static_cast<int>(names.size()) <= limit) continue;
        error(locOf(t), fmt::format("{} tile {} needs {} {} DMA channels, limit {} (object FIFOs {})",
                                    tileKindName(d.kind(t)), t.str(), names.size(), out ? "MM2S (outgoing)" : "S2MM (incoming)",
                                    limit, fmt::join(names, ", ")))
            .help("use fewer streams per tile: fewer workers per column or fewer host tensors per core");
      }
    };
    check(mm2s, true);
    check(s2mm, false);
  }

  void bdIds() {
    std::map<int, int> count;
    for (const auto& dma : m.dmas) ++count[dma.col];
    for (const auto& [col, n] : count)
      if (n > d.shimBdIds) {
        const auto it = std::find_if(m.dmas.begin(), m.dmas.end(), [&](const HostDma& x) { return x.col == col; });
        error(it->loc, fmt::format("shim tile ({}, 0) needs {} buffer descriptor ids, limit {}", col, n, d.shimBdIds))
            .help("fewer host transfers per column");
      }
  }

  void transfers() {
    const auto& lim = d.shimLimits;
    for (const auto& dma : m.dmas) {
      const HostBuffer* buf = nullptr;
      for (const auto& b : m.buffers)
        if (b.tensor == dma.tensor) buf = &b;
      if (!buf) continue;
      const int64_t eb = ir::dtypeBytes(buf->type.dtype);
      int64_t offset = 0;
      for (int i = 0; i < 4; ++i) offset += dma.offsets[i] * (i == 3 ? 1 : dma.strides[i]);
      const std::string what = fmt::format("DMA of '{}' (object FIFO '{}')", dma.tensor, dma.fifo);
      if (offset * eb % lim.alignBytes != 0)
        error(dma.loc, fmt::format("{} starts at byte offset {}, not {}-byte aligned", what, offset * eb, lim.alignBytes))
            .help("align the first tile to 4 bytes");
      if (dma.sizes[3] * eb % lim.alignBytes != 0)
        error(dma.loc, fmt::format("{} moves rows of {} bytes, not a multiple of {}", what, dma.sizes[3] * eb,
                                   lim.alignBytes))
            .help("make the tile's row a multiple of 4 bytes");
      for (int i = 0; i < 4; ++i)
        if (dma.sizes[i] < 1)
          error(dma.loc, fmt::format("{} has size {} in dim {}", what, dma.sizes[i], i)).help("sizes are positive");
      const bool linear = dma.sizes[0] == 1 && dma.sizes[1] == 1 && dma.sizes[2] == 1 && dma.strides[3] == 1;
      if (linear) continue;  // contiguous transfers are exempt from the wrap / step limits
      for (int i = 0; i < 3; ++i)
        if (dma.sizes[i] > 1 && dma.strides[i] * eb % lim.alignBytes != 0)
          error(dma.loc, fmt::format("{} steps {} bytes in dim {}, not a multiple of {}", what, dma.strides[i] * eb, i,
                                     lim.alignBytes))
              .help("make tile strides a multiple of 4 bytes");
      const int64_t wrapMax = (int64_t{1} << lim.wrapBits) - 1;
      const int64_t innerWords = dma.sizes[3] * eb / lim.alignBytes;
      if (innerWords > wrapMax)
        error(dma.loc, fmt::format("{} moves {} words in its innermost dim, limit {}", what, innerWords, wrapMax))
            .help("use narrower tiles");
      if (dma.sizes[2] > wrapMax)
        error(dma.loc, fmt::format("{} wraps {} rows, limit {}", what, dma.sizes[2], wrapMax)).help("use shorter tiles");
      if (dma.sizes[0] > lim.repeatMax)
        error(dma.loc, fmt::format("{} repeats {} times, limit {}", what, dma.sizes[0], lim.repeatMax))
            .help("fewer repetitions");
      const int64_t stepMax = int64_t{1} << lim.stepBits;
      for (int i = 0; i < 3; ++i) {
        const int64_t words = dma.strides[i] * eb / lim.alignBytes;
        if (dma.sizes[i] > 1 && words - 1 > stepMax)
          error(dma.loc, fmt::format("{} steps {} words in dim {}, limit {}", what, words, i, stepMax + 1))
              .help("a smaller tensor or a different tile order");
      }
    }
  }

  void links() {
    std::set<std::string> in, outs;
    for (const auto& l : m.links) {
      in.insert(l.ins.begin(), l.ins.end());
      outs.insert(l.outs.begin(), l.outs.end());
    }
    for (const auto& f : m.fifos) {
      const bool fromMem = d.contains(f.producer) && d.kind(f.producer) == TileKind::Mem;
      bool toMem = false;
      for (auto c : f.consumers) toMem = toMem || (d.contains(c) && d.kind(c) == TileKind::Mem);
      if (fromMem && !outs.count(f.name))
        error(f.loc, fmt::format("object FIFO '{}' leaves memtile {} but no objectfifo.link feeds it ({})", f.name,
                                 f.producer.str(), f.what))
            .help("link it to the FIFO that brings the data into the memtile");
      if (toMem && !in.count(f.name))
        error(f.loc, fmt::format("object FIFO '{}' ends at a memtile but no objectfifo.link forwards it ({})", f.name,
                                 f.what))
            .help("link it to the FIFO that carries the data on");
    }
  }
};

}  // namespace

std::vector<Diagnostic> resourceViolations(const Mapping& m, const AieDevice& d) {
  Checker c{m, d, {}};
  c.tiles();
  c.memory();
  c.channels();
  c.bdIds();
  c.transfers();
  c.links();
  return std::move(c.out);
}

void checkResources(const Mapping& m, const AieDevice& d) {
  auto v = resourceViolations(m, d);
  if (!v.empty()) throw UserError(std::move(v));
}

}  // namespace pto::wsp::target::aie
