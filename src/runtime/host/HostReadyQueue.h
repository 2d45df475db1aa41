// Private to the host executor: a bounded multi-producer multi-consumer queue of
// ring-slot indices (Vyukov's bounded MPMC queue). Each worker owns one; the
// orchestrator and finishing workers push, the owner pops and idle workers steal.
//
// Cell sequence numbers are doubled (2*pos free for the push at pos, 2*pos+1 full)
// so that capacity 1 works; the classic scheme needs capacity >= 2.
// Capacity is exact (any value >= 1, not rounded up to a power of two) because it is
// the READY_QUEUE bound the user configured; a power-of-two capacity takes a mask
// instead of a division.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace pto::wsp::rt::detail {

class ReadyQueue {
 public:
  explicit ReadyQueue(uint32_t capacity)
      : cap_(capacity),
        mask_((capacity & (capacity - 1)) == 0 ? capacity - 1 : 0),
        cells_(std::make_unique<Cell[]>(capacity)) {
    for (uint32_t i = 0; i < capacity; ++i) cells_[i].seq.store(2ull * i, std::memory_order_relaxed);
  }

  // Thread-safe. Returns false when full (never blocks). On success `sizeAfter` is an
  // approximation of the occupancy right after the push (for high-water marks).
  bool tryPush(uint32_t value, uint64_t& sizeAfter) {
    uint64_t pos = enq_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[index(pos)];
      const uint64_t seq = c.seq.load(std::memory_order_acquire);
      const int64_t diff = static_cast<int64_t>(seq) - static_cast<int64_t>(2 * pos);
      if (diff == 0) {
        if (enq_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          c.value = value;
          c.seq.store(2 * pos + 1, std::memory_order_release);
          const uint64_t d = deq_.load(std::memory_order_relaxed);
          sizeAfter = pos + 1 > d ? pos + 1 - d : 1;
          return true;
        }
      } else if (diff < 0) {
        return false;  // the cell still holds the value from one lap ago: full
      } else {
        pos = enq_.load(std::memory_order_relaxed);
      }
    }
  }

  // Thread-safe. Returns false when empty.
  bool tryPop(uint32_t& value) {
    uint64_t pos = deq_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& c = cells_[index(pos)];
      const uint64_t seq = c.seq.load(std::memory_order_acquire);
      const int64_t diff = static_cast<int64_t>(seq) - static_cast<int64_t>(2 * pos + 1);
      if (diff == 0) {
        if (deq_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          value = c.value;
          c.seq.store(2 * (pos + cap_), std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = deq_.load(std::memory_order_relaxed);
      }
    }
  }

  // Racy hint (no synchronisation): true when the queue looks non-empty.
  bool maybeNonEmpty() const {
    return enq_.load(std::memory_order_relaxed) != deq_.load(std::memory_order_relaxed);
  }

 private:
  struct Cell {
    std::atomic<uint64_t> seq{0};
    uint32_t value = 0;
  };
  uint64_t index(uint64_t pos) const { return mask_ != 0 || cap_ == 1 ? pos & mask_ : pos % cap_; }

  const uint64_t cap_;
  const uint64_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<uint64_t> enq_{0};
  alignas(64) std::atomic<uint64_t> deq_{0};
};

}  // namespace pto::wsp::rt::detail
