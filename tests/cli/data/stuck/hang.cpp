// external kernel of stuck.wsp: never returns (sleeps, so it costs no CPU while the
// abandoned host thread waits for the process to exit).
#include <chrono>
#include <cstdint>
#include <thread>
extern "C" void pto_k_hang(const uint64_t*, uint32_t) {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
