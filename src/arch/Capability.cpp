#include "pto/wsp/arch/Capability.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

namespace pto::wsp::arch {

namespace {
using S = Support;
using G = FeatureGroup;

constexpr std::array<FeatureInfo, 24> kFeatures{{
    {"dispatch.round_robin", G::Schedule, "task i runs on worker i mod W"},
    {"dispatch.hash", G::Schedule, "worker = hash(key) mod W"},
    {"dispatch.affinity", G::Schedule, "tasks with the same key run on the same worker"},
    {"dispatch.least_loaded", G::Schedule, "earliest-free worker in semantic time (work-steal-lite)"},
    {"dispatch.custom", G::Schedule, "worker = a ScalarExpr key evaluated per task"},
    {"task_window", G::Schedule, "at most n issued, unretired tasks; issue stalls when full"},
    {"channel.capacity", G::Schedule, "tokens a channel holds before send blocks (default 1)"},
    {"channel.latency", G::Schedule, "cycles from a token's task finishing to the token being available"},
    {"pool.tensormap", G::Schedule, "bounded TensorMap pool (tile-region dependency entries)"},
    {"pool.deplist", G::Schedule, "bounded dependency-list pool"},
    {"pool.heap", G::Schedule, "bounded heap arena for runtime-managed intermediates"},
    {"pool.ready_queue", G::Schedule, "bounded per-worker ready queues"},
    {"streams", G::Schedule, "number of hardware streams / queues"},
    {"stream_by", G::Schedule, "key expression assigning tasks to streams"},
    {"timing", G::Schedule, "timing annotations (profiling / expected-cycle hints)"},
    {"csp.channel", G::Csp, "typed channels between processes (send / consume)"},
    {"csp.replicate", G::Csp, "replicate(process, n): n distinct process instances"},
    {"csp.multi_producer", G::Csp, "several producers on one channel; closed when the last ends"},
    {"csp.consume", G::Csp, "consume(ch, body): run body per token until closed and empty"},
    {"pred.cond_symbol", G::Predicate, "cond / P.when on runtime symbols"},
    {"pred.cond_slot", G::Predicate, "cond / P.when on slots written by tasks (slot_load)"},
    {"pred.dynamic_axis", G::Predicate, "DenseDyn / Ragged axes sized at run time"},
    {"pred.sparse_select", G::Predicate, "P.sel over a Sparse axis (indptr / indices tensors)"},
    {"pred.dispatch_key_slot", G::Predicate, "dispatch keys reading slots written at run time"},
}};

CapabilityMatrix makeCpuSim() {
  return {"cpu_sim", "ascend910b",
          {
              {"dispatch.round_robin", S::Enforced, "runtime policy registry"},
              {"dispatch.hash", S::Enforced, "runtime policy registry (xxHash of the key)"},
              {"dispatch.affinity", S::Enforced, "runtime policy registry"},
              {"dispatch.least_loaded", S::Enforced, "earliest-free worker in semantic time"},
              {"dispatch.custom", S::Enforced, "key ScalarExpr evaluated in the artifact per task"},
              {"task_window", S::Enforced, "bounded task ring, stall-only"},
              {"channel.capacity", S::Enforced, "runtime channel; send blocks when full"},
              {"channel.latency", S::Enforced, "added to token time in semantic time"},
              {"pool.tensormap", S::Enforced, "bounded TensorMap pool, stall-only"},
              {"pool.deplist", S::Enforced, "bounded dep-list pool, stall-only"},
              {"pool.heap", S::Enforced, "bounded heap arena, stall-only"},
              {"pool.ready_queue", S::Enforced, "bounded ready queues, stall-only"},
              {"streams", S::Recorded, "kept in the manifest; host workers have no streams"},
              {"stream_by", S::Recorded, "kept in the manifest; host workers have no streams"},
              {"timing", S::Recorded, "kept in the manifest; semantic time comes from the cost model"},
              {"csp.channel", S::Enforced, "runtime channels with tokens"},
              {"csp.replicate", S::Enforced, "n process instances in the runtime"},
              {"csp.multi_producer", S::Enforced, "channel closes when the last producer ends"},
              {"csp.consume", S::Enforced, "runtime consume loop"},
              {"pred.cond_symbol", S::Enforced, "evaluated in the artifact; no recompile"},
              {"pred.cond_slot", S::Enforced, "slot read after the writing task finishes"},
              {"pred.dynamic_axis", S::Enforced, "bounds evaluated per run; no recompile"},
              {"pred.sparse_select", S::Enforced, "indptr / indices read at run time"},
              {"pred.dispatch_key_slot", S::Enforced, "slot read after the writing task finishes"},
          }};
}

CapabilityMatrix makeAscend() {
  const char* rec = "kept in the plan for on-device expansion; host_build_graph assigns cores itself";
  return {"ascend", "ascend910b",
          {
              {"dispatch.round_robin", S::Recorded, rec},
              {"dispatch.hash", S::Recorded, rec},
              {"dispatch.affinity", S::Recorded, rec},
              {"dispatch.least_loaded", S::Recorded, rec},
              {"dispatch.custom", S::Recorded, rec},
              {"task_window", S::Recorded, "host_build_graph builds the whole graph (max 131072 tasks)"},
              {"channel.capacity", S::Diagnosed, "channels become add_successor edges, which have no capacity"},
              {"channel.latency", S::Recorded, "semantic model only; edges carry no latency"},
              {"pool.tensormap", S::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.deplist", S::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.heap", S::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"pool.ready_queue", S::Recorded, "sizes for the tensormap_and_ringbuffer runtime"},
              {"streams", S::Recorded, "kept in the emitted tree's metadata"},
              {"stream_by", S::Recorded, "kept in the emitted tree's metadata"},
              {"timing", S::Recorded, "kept in the emitted tree's metadata"},
              {"csp.channel", S::Enforced, "each token becomes an add_successor edge"},
              {"csp.replicate", S::Enforced, "unrolled into n process instances at orchestration"},
              {"csp.multi_producer", S::Enforced, "edges from every producer"},
              {"csp.consume", S::Enforced, "consumer tasks depend on the producing tasks"},
              {"pred.cond_symbol", S::Enforced, "evaluated by the orchestration function"},
              {"pred.cond_slot", S::Unsupported, "the graph is built before any task runs: no slot value yet"},
              {"pred.dynamic_axis", S::Enforced, "sizes are orchestration arguments"},
              {"pred.sparse_select", S::Enforced, "index tensors read from their host copy at orchestration"},
              {"pred.dispatch_key_slot", S::Unsupported, "the graph is built before any task runs: no slot value yet"},
          }};
}

CapabilityMatrix makeAie() {
  return {"aie", "aie_npu1",
          {
              {"dispatch.round_robin", S::Enforced, "processes / tasks placed on compute tiles at compile time"},
              {"dispatch.hash", S::Enforced, "static keys hashed at compile time"},
              {"dispatch.affinity", S::Enforced, "static keys placed at compile time"},
              {"dispatch.least_loaded", S::Diagnosed, "static array: placed round-robin at compile time"},
              {"dispatch.custom", S::Unsupported, "runtime keys cannot move work between statically placed cores"},
              {"task_window", S::Diagnosed, "no task ring: object FIFO depth bounds in-flight work"},
              {"channel.capacity", S::Enforced, "object FIFO depth"},
              {"channel.latency", S::Recorded, "semantic model only"},
              {"pool.tensormap", S::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.deplist", S::Diagnosed, "no runtime pools: dependencies are static"},
              {"pool.heap", S::Diagnosed, "no runtime heap: buffers are static"},
              {"pool.ready_queue", S::Diagnosed, "no runtime queues: cores run fixed programs"},
              {"streams", S::Recorded, "kept in the manifest"},
              {"stream_by", S::Recorded, "kept in the manifest"},
              {"timing", S::Recorded, "kept in the manifest"},
              {"csp.channel", S::Enforced, "aie.objectfifo between producer and consumer tiles"},
              {"csp.replicate", S::Enforced, "n cores running the process"},
              {"csp.multi_producer", S::Unsupported, "an object FIFO has one producer: give each producer its own channel"},
              {"csp.consume", S::Enforced, "objectfifo acquire(Consume) / release loop"},
              {"pred.cond_symbol", S::Unsupported, "static core programs: bind the symbol to a constant"},
              {"pred.cond_slot", S::Unsupported, "static core programs cannot branch on task-written slots"},
              {"pred.dynamic_axis", S::Unsupported, "static buffer sizes: give the axis a constant size"},
              {"pred.sparse_select", S::Unsupported, "static DMA patterns: densify the selection"},
              {"pred.dispatch_key_slot", S::Unsupported, "static placement cannot read task-written slots"},
          }};
}

struct Matrices {
  std::array<CapabilityMatrix, 3> all{makeCpuSim(), makeAscend(), makeAie()};
  Matrices() {
    for (const CapabilityMatrix& m : all) {
      PTO_INTERNAL_ASSERT(m.entries.size() == kFeatures.size(), "capability matrix '{}' has {} entries, want {}",
                          m.target, m.entries.size(), kFeatures.size());
      for (size_t i = 0; i < kFeatures.size(); ++i)
        PTO_INTERNAL_ASSERT(m.entries[i].feature == kFeatures[i].name, "capability matrix '{}' entry {} is '{}', want '{}'",
                            m.target, i, m.entries[i].feature, kFeatures[i].name);
    }
  }
};
const Matrices& matrices() {
  static const Matrices m;  // thread-safe static init
  return m;
}
constexpr std::array<std::string_view, 3> kTargets{"cpu_sim", "ascend", "aie"};
}  // namespace

std::string_view supportName(Support s) {
  switch (s) {
    case S::Enforced: return "enforced";
    case S::Recorded: return "recorded";
    case S::Diagnosed: return "diagnosed";
    case S::Unsupported: return "unsupported";
  }
  return "?";
}
std::optional<Support> parseSupport(std::string_view s) {
  for (Support x : {S::Enforced, S::Recorded, S::Diagnosed, S::Unsupported})
    if (supportName(x) == s) return x;
  return std::nullopt;
}
std::string_view featureGroupName(FeatureGroup g) {
  switch (g) {
    case G::Schedule: return "schedule";
    case G::Csp: return "csp";
    case G::Predicate: return "predicate";
  }
  return "?";
}

std::span<const FeatureInfo> allFeatures() { return kFeatures; }
const FeatureInfo* findFeature(std::string_view name) {
  for (const FeatureInfo& f : kFeatures)
    if (f.name == name) return &f;
  return nullptr;
}

const Capability& CapabilityMatrix::at(std::string_view feature) const {
  for (const Capability& c : entries)
    if (c.feature == feature) return c;
  PTO_UNREACHABLE("unknown capability feature '{}' asked of target '{}'", feature, target);
}

Support CapabilityMatrix::require(std::string_view feature, const SourceLoc& loc) const {
  if (!findFeature(feature)) {
    // e.g. featuresOf(dispatch("fifo")) on an unverified schedule: a user typo.
    Diagnostic d = makeError(loc, fmt::format("unknown feature '{}' (target '{}')", feature, target));
    std::string names;
    for (const FeatureInfo& f : kFeatures) names += (names.empty() ? "" : ", ") + std::string(f.name);
    d.help(fmt::format("known features: {}", names));
    throw UserError(std::move(d));
  }
  const Capability& c = at(feature);
  if (c.support == S::Unsupported) {
    Diagnostic d = makeError(loc, fmt::format("'{}' is not supported on target '{}': {}", feature, target, c.note));
    std::string others;
    for (const CapabilityMatrix& m : matrices().all)
      if (m.support(feature) != S::Unsupported) others += (others.empty() ? "" : ", ") + std::string(m.target);
    d.help(others.empty() ? std::string("remove it from the workload or schedule")
                          : fmt::format("remove it, or compile for a target that supports it: {}", others));
    throw UserError(std::move(d));
  }
  return c.support;
}

std::string CapabilityMatrix::table() const {
  std::string out = fmt::format("target {} (default arch {})\n", target, arch);
  FeatureGroup g = G::Schedule;
  bool first = true;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (first || kFeatures[i].group != g) {
      g = kFeatures[i].group;
      out += fmt::format("  [{}]\n", featureGroupName(g));
      first = false;
    }
    out += fmt::format("  {:<24} {:<12} {}\n", entries[i].feature, supportName(entries[i].support), entries[i].note);
  }
  return out;
}

std::span<const std::string_view> knownTargets() { return kTargets; }

const CapabilityMatrix* findCapabilities(std::string_view target) {
  for (const CapabilityMatrix& m : matrices().all)
    if (m.target == target) return &m;
  return nullptr;
}

const CapabilityMatrix& capabilities(std::string_view target, const SourceLoc& loc) {
  if (const CapabilityMatrix* m = findCapabilities(target)) return *m;
  Diagnostic d = makeError(loc, fmt::format("unknown target '{}'", target));
  d.help(fmt::format("known targets: {}", fmt::join(kTargets, ", ")));
  throw UserError(std::move(d));
}

std::vector<std::string> featuresOf(const ir::Directive& d) {
  using K = ir::DirectiveKind;
  switch (d.kind) {
    case K::Dispatch: return {"dispatch." + d.policy};
    case K::TaskWindow: return {"task_window"};
    case K::ChannelDefaults:
    case K::Channel: return {"channel.capacity", "channel.latency"};
    case K::Pool: return {"pool." + d.target};
    case K::Streams: return {"streams"};
    case K::StreamBy: return {"stream_by"};
    case K::Timing: return {"timing"};
  }
  return {};
}

nlohmann::ordered_json capabilitiesToJson(const CapabilityMatrix& m) {
  nlohmann::ordered_json j;
  j["target"] = m.target;
  j["arch"] = m.arch;
  j["features"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < m.entries.size(); ++i)
    j["features"].push_back({{"name", m.entries[i].feature},
                             {"group", featureGroupName(kFeatures[i].group)},
                             {"support", supportName(m.entries[i].support)},
                             {"note", m.entries[i].note}});
  return j;
}

}  // namespace pto::wsp::arch
