// Private to the host executor: the parking primitive (Linux futex), a CPU pause and a
// prefetch for writing.
// Kept out of include/ because it is an implementation detail of HostExecutor.cpp.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace pto::wsp::rt::detail {

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

#if defined(__x86_64__)
// PREFETCHW (CPUID 0x80000001 ECX bit 8: every x86-64 core of the last decade; older
// ones may fault on it, so it is asked for once).
inline const bool kHasPrefetchW = [] {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(0x80000001u, &a, &b, &c, &d) != 0 && (c & (1u << 8)) != 0;
}();
#endif

// Takes the line of `p` exclusive ahead of a load and stores to it, for a line another
// core last touched: a load would fetch it shared and the store then wait for that
// core's copy to be invalidated, two transfers where this makes one, early.
// __builtin_prefetch(p, 1) is not it: without -mprfchw (the build targets plain
// x86-64) it is a read prefetch.
inline void prefetchForWrite(const void* p) {
#if defined(__x86_64__)
  if (kHasPrefetchW) {
    asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
    return;
  }
#endif
  __builtin_prefetch(p, 1);
}

// Full fence for the Dekker-style parking handshakes. GCC's TSan does not support
// atomic_thread_fence (-Wtsan); under TSan a relaxed locked RMW keeps the hardware
// fence on x86 without adding happens-before edges that could hide real races.
inline void fullFence() {
#if defined(__SANITIZE_THREAD__)
  static std::atomic<uint32_t> dummy{0};
  dummy.fetch_add(0, std::memory_order_relaxed);
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t),
              "futex word must be a plain 32-bit integer");

// Sleeps while `*word == expected`, at most `timeoutNs` (0: no timeout). Spurious
// returns are allowed; callers re-check their condition. std::atomic::wait has no
// timeout, and the watchdog needs one.
inline void futexWait(std::atomic<uint32_t>& word, uint32_t expected, uint64_t timeoutNs) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeoutNs != 0) {
    ts.tv_sec = static_cast<time_t>(timeoutNs / 1000000000ull);
    ts.tv_nsec = static_cast<long>(timeoutNs % 1000000000ull);
    tsp = &ts;
  }
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, tsp,
          nullptr, 0);
}

inline void futexWake(std::atomic<uint32_t>& word, int count) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr,
          nullptr, 0);
}

inline uint64_t monoNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace pto::wsp::rt::detail
