// TaskObserver: an optional per-issue hook of the Engine (EngineConfig::observer). The
// Engine calls it once per committed task with the task's semantic times and its
// semantic producers, so aggregates (runtime/Profile.h) can be kept without the Engine
// storing anything per task for them.
#pragma once

#include <cstdint>
#include <span>

namespace pto::wsp::rt {

struct IssuedTask {
  uint64_t id = 0;
  uint32_t kernel = 0;
  uint32_t worker = 0;
  uint32_t process = 0;
  bool structural = false;  // a join: no worker, no cycles
  uint64_t cycles = 0;
  uint64_t issue = 0, ready = 0, start = 0, finish = 0;
  // Producers found for the task, unordered; those >= depFrom are its semantic
  // dependencies (older ones had retired and only matter to the host).
  std::span<const uint64_t> preds = {};
  uint64_t depFrom = 0;
};

// Thread-safety: called from the Engine's orchestrating thread only.
class TaskObserver {
 public:
  virtual ~TaskObserver() = default;
  virtual void onIssue(const IssuedTask& t) = 0;
};

}  // namespace pto::wsp::rt
