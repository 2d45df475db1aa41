// A lower bound, not the runtime: the least a semantic clock must do per task on the
// chain benchmark (bench_runtime's (d) variant), to tell how far the Engine's issue
// path could ever get below oneTBB's ~25 ns/task run of a prebuilt chain.
//
// Kept: the task ring with in-order retirement at the window, one explicit dependency
// deduplicated by stamp, round_robin, worker free times, issue/start/finish, the
// ring-stall count, two high-water marks, per-worker counters and the timeline digest
// (the same mixing as Engine.cpp). Left out, all of which the Engine must do: argument
// and dependency validation, the TensorMap, heap ring and ready-queue resources, the
// dep-list pool check, scopes and pending retirement, processes, tracing, dispatch
// through the policy registry and the hand-off to the host executor.
//
//   bench_clock_floor [--tasks N]       prints ns/task (best of 5)
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

struct alignas(64) Rec {
  uint64_t finish, retire, cumDeps, pad[4];
  uint32_t seen, pad2;
};

struct Times {
  uint64_t id, issue, ready, start, finish;
  uint32_t worker, numDeps;
};

class FloorClock {
 public:
  FloorClock(uint64_t window, uint32_t workers)
      : ring_(std::bit_ceil(window)), mask_(ring_.size() - 1), window_(window), workers_(workers),
        free_(workers), tasks_(workers), busy_(workers) {}

  // noinline: one call per task, like Engine::issue.
  [[gnu::noinline]] Times issue(const uint64_t* deps, size_t n, uint64_t cycles, uint32_t kernel) {
    const uint64_t seq = tail_;
    const uint32_t w = next_;
    next_ = next_ + 1 == workers_ ? 0 : next_ + 1;
    uint64_t t0 = time_;
    const uint64_t tNoStall = t0;
    while (seq - head_ + 1 > window_) {  // ring full: wait for the oldest to retire
      const Rec& r = ring_[head_ & mask_];
      t0 = std::max(t0, r.retire);
      baseDeps_ = r.cumDeps;
      ++head_;
    }
    uint64_t ready = 0, nDeps = 0;
    for (size_t i = 0; i < n; ++i) {
      if (deps[i] < head_) continue;
      Rec& p = ring_[deps[i] & mask_];
      if (p.seen == static_cast<uint32_t>(seq)) continue;
      p.seen = static_cast<uint32_t>(seq);
      ++nDeps;
      ready = std::max(ready, p.finish);
    }
    const uint64_t start = std::max({t0, ready, free_[w]});
    const uint64_t finish = start + cycles;
    free_[w] = finish;
    time_ = t0;
    totDeps_ += nDeps;
    Rec& r = ring_[seq & mask_];
    r.finish = finish;
    r.retire = lastRetire_ = std::max(finish, lastRetire_);
    r.cumDeps = totDeps_;
    r.seen = static_cast<uint32_t>(seq);
    tail_ = seq + 1;
    if (t0 != tNoStall) {
      ++ringStalls_;
      ringStallCycles_ += t0 - tNoStall;
    }
    ringHigh_ = std::max(ringHigh_, tail_ - head_);
    depsHigh_ = std::max(depsHigh_, totDeps_ - baseDeps_);
    ++tasks_[w];
    busy_[w] += cycles;
    const uint64_t line = (seq * 0x9e3779b97f4a7c15ull) ^
                          (((uint64_t{kernel} << 32) | w) * 0xc2b2ae3d27d4eb4full) ^
                          (t0 * 0x165667b19e3779f9ull) ^ (start * 0xd6e8feb86659fd93ull) ^
                          ((finish + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
    digest_ = (digest_ ^ line) * 0x9e3779b97f4a7c15ull;
    digest_ ^= digest_ >> 29;
    return {seq, t0, ready, start, finish, w, static_cast<uint32_t>(nDeps)};
  }
  uint64_t digest() const { return digest_ ^ ringStalls_ ^ ringHigh_ ^ depsHigh_; }

 private:
  std::vector<Rec> ring_;
  uint64_t mask_, window_;
  uint32_t workers_, next_ = 0;
  uint64_t tail_ = 0, head_ = 0, time_ = 0, lastRetire_ = 0, totDeps_ = 0, baseDeps_ = 0;
  uint64_t ringStalls_ = 0, ringStallCycles_ = 0, ringHigh_ = 0, depsHigh_ = 0;
  uint64_t digest_ = 0x243f6a8885a308d3ull;
  std::vector<uint64_t> free_, tasks_, busy_;
};

}  // namespace

int main(int argc, char** argv) {
  size_t n = 1'000'000;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--tasks") == 0) n = std::strtoull(argv[++i], nullptr, 10);
  double best = 1e30;
  uint64_t check = 0;
  for (int rep = 0; rep < 5; ++rep) {
    FloorClock c(16384, 2);  // bench_runtime's window and worker count
    uint64_t dep[1];
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t sum = 0;
    for (size_t s = 0; s < n; ++s) {
      dep[0] = s - 1;
      sum += c.issue(dep, s > 0 ? 1 : 0, /*cycles*/ 1, /*kernel*/ 0).finish;
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
        static_cast<double>(n);
    best = std::min(best, ns);
    // A chain of unit tasks finishes at n: checks that the loop did the work.
    if (sum != n * (n + 1) / 2) {
      std::fprintf(stderr, "wrong finish times\n");
      return 1;
    }
    check ^= c.digest();
  }
  std::printf("semantic clock floor (chain, explicit edges): %.1f ns/task (best of 5; digest %016llx)\n", best,
              static_cast<unsigned long long>(check));
  return 0;
}
