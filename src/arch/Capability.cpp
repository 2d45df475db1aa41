#include "pto/wsp/arch/Capability.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>
#include <mutex>

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

const OpCapability& CapabilityMatrix::op(ir::TileOpKind k) const {
  for (const OpCapability& o : ops)
    if (o.op == k) return o;
  PTO_UNREACHABLE("target '{}' has no [ops] row for '{}'", target, ir::tileOpInfo(k).name);
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
    for (const CapabilityMatrix* m : publishedMatrices())
      if (m->support(feature) != S::Unsupported) others += (others.empty() ? "" : ", ") + std::string(m->target);
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
  out += "  [ops]\n";
  for (const OpCapability& o : ops)
    out += fmt::format("  {:<24} {:<12} {}\n", ir::tileOpInfo(o.op).name, supportName(o.support), o.note);
  return out;
}

void checkMatrix(const CapabilityMatrix& m) {
  PTO_INTERNAL_ASSERT(m.entries.size() == kFeatures.size(), "capability matrix '{}' has {} entries, want {}", m.target,
                      m.entries.size(), kFeatures.size());
  for (size_t i = 0; i < kFeatures.size(); ++i)
    PTO_INTERNAL_ASSERT(m.entries[i].feature == kFeatures[i].name, "capability matrix '{}' entry {} is '{}', want '{}'",
                        m.target, i, m.entries[i].feature, kFeatures[i].name);
  PTO_INTERNAL_ASSERT(m.ops.size() == static_cast<size_t>(ir::kNumTileOps), "capability matrix '{}' has {} [ops] rows, want {}",
                      m.target, m.ops.size(), ir::kNumTileOps);
  for (size_t i = 0; i < m.ops.size(); ++i)
    PTO_INTERNAL_ASSERT(static_cast<size_t>(m.ops[i].op) == i, "capability matrix '{}' [ops] row {} is '{}'", m.target, i,
                        ir::tileOpInfo(m.ops[i].op).name);
}

namespace {
struct Published {
  std::mutex mu;
  std::vector<const CapabilityMatrix*> all;
};
Published& published() {
  static Published p;
  return p;
}
}  // namespace

void publishMatrix(const CapabilityMatrix& m) {
  checkMatrix(m);
  Published& p = published();
  std::lock_guard lk(p.mu);
  p.all.push_back(&m);
}

std::vector<const CapabilityMatrix*> publishedMatrices() {
  Published& p = published();
  std::lock_guard lk(p.mu);
  return p.all;
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

nlohmann::ordered_json opsToJson(const CapabilityMatrix& m) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const OpCapability& o : m.ops)
    j.push_back({{"op", ir::tileOpInfo(o.op).name}, {"support", supportName(o.support)}, {"note", o.note}});
  return j;
}

std::vector<OpCapability> uniformOps(Support s, std::string_view note) {
  std::vector<OpCapability> out;
  for (const ir::TileOpInfo& t : ir::allTileOps()) out.push_back({t.kind, s, std::string(note)});
  return out;
}

}  // namespace pto::wsp::arch
