// A host kernel that does not return until released: the tests of host deadlocks and
// teardown (HostExecutorTest, EngineHostTest) use it as "a kernel that never returns".
// Every test resets it first and releases it before it ends, so the executor thread
// left inside it (detached by a destruction that gave up) leaves before the next test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace pto::wsp::rt::testing {

struct StuckKernel {
  static inline std::atomic<int> gate{0};
  static inline std::atomic<int> exited{0};

  static void fn(const uint64_t*, uint32_t) {
    while (gate.load(std::memory_order_acquire) == 0)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    exited.fetch_add(1);
  }
  static void reset() {
    gate = 0;
    exited = 0;
  }
  static void open() { gate.store(1, std::memory_order_release); }
  // Opens the gate and waits until one stuck call has returned.
  static void releaseAndWait() {
    open();
    while (exited.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

}  // namespace pto::wsp::rt::testing
