// Dispatch policies (SEMANTICS.md section 5): named modules that map a task to one of
// W workers deterministically. Adding a policy adds a module under
// src/runtime/policies/ and one line in DispatchPolicy.cpp's built-in list; it never
// changes the plan format or the Engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::rt {

// Everything a policy may look at. All of it is semantic state, so the choice never
// depends on host timing.
struct DispatchContext {
  uint64_t seq = 0;                        // issue order of the task
  uint64_t key = 0;                        // the task's dispatch key (a value; for
                                           // `custom` the plan's ScalarExpr result)
  uint32_t kernel = 0;
  std::span<const uint64_t> workerFree = {};  // semantic time each worker becomes free
};

// One instance per Engine; not thread-safe. pick() must be a function of its context:
// an issue that ends Blocked or rejected may have asked it, and the task issued next
// (with the same seq) asks again. The only state is a cyclic policy's counter, which
// the Engine rewinds then (rewindCyclic).
class DispatchPolicy {
 public:
  virtual ~DispatchPolicy() = default;
  virtual std::string_view name() const = 0;
  // Returns a worker index in [0, numWorkers()).
  virtual uint32_t pick(const DispatchContext& ctx) = 0;
  uint32_t numWorkers() const { return workers_; }
  // A cyclic policy's next worker needs no context: the Engine's issue of every task asks
  // cyclic() and takes nextCyclic() inline, without building one or a virtual call.
  bool cyclic() const { return cyclic_; }
  // Task i of the stream to worker i mod W: the counter of a policy built cyclic (the
  // same one its pick() advances).
  uint32_t nextCyclic() {
    const uint32_t w = next_;
    next_ = next_ + 1 == workers_ ? 0 : next_ + 1;
    return w;
  }
  // The Engine's: the counter back to w, the worker nextCyclic() gave an issue that
  // then ended Blocked or rejected (the next task of the stream gets w again).
  void rewindCyclic(uint32_t w) { next_ = w; }

 protected:
  explicit DispatchPolicy(uint32_t workers, bool cyclic = false) : workers_(workers), cyclic_(cyclic) {}

 private:
  uint32_t workers_;
  bool cyclic_;
  uint32_t next_ = 0;
};

using DispatchFactory = std::function<std::unique_ptr<DispatchPolicy>(uint32_t workers)>;

// Registry of policies by name. The built-in ones (round_robin, hash, affinity,
// least_loaded, custom) are present from the start. Thread-safe.
class DispatchRegistry {
 public:
  static DispatchRegistry& global();
  // Throws UserError if `name` is taken.
  void add(std::string name, DispatchFactory f);
  // Throws UserError "unknown dispatch policy 'x'" with a help note listing the
  // registered names; `workers` must be >= 1.
  std::unique_ptr<DispatchPolicy> create(std::string_view name, uint32_t workers) const;
  std::vector<std::string> names() const;  // sorted
  bool has(std::string_view name) const;

 private:
  DispatchRegistry();
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// One registration hook per built-in policy module (src/runtime/policies/*.cpp).
namespace policies {
void registerRoundRobin(DispatchRegistry& r);
void registerHash(DispatchRegistry& r);
void registerAffinity(DispatchRegistry& r);
void registerLeastLoaded(DispatchRegistry& r);
void registerCustom(DispatchRegistry& r);
}  // namespace policies

}  // namespace pto::wsp::rt
