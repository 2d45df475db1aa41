#include "pto/wsp/ir/Schedule.h"

#include "pto/wsp/support/ScheduleKnobs.h"

#include <array>

namespace pto::wsp::ir {

namespace {
constexpr std::array<std::string_view, 8> kDirNames{"dispatch", "task_window", "channel_defaults", "channel",
                                                    "pool",     "streams",     "stream_by",        "timing"};
constexpr std::array<std::string_view, 5> kPolicies{"round_robin", "hash", "affinity", "least_loaded", "custom"};
// The `pool` resource words, in knob-table order (support/ScheduleKnobs.h).
constexpr auto kPools = [] {
  std::array<std::string_view, 4> a{};
  size_t n = 0;
  for (const KnobInfo& k : kScheduleKnobs)
    if (!k.pool.empty()) a[n++] = k.pool;
  return a;
}();
constexpr std::array<std::string_view, 1> kUnits{"tasks"};
constexpr std::array<std::string_view, 1> kModes{"stall"};
}  // namespace

std::string_view directiveName(DirectiveKind k) { return kDirNames[static_cast<size_t>(k)]; }

std::optional<DirectiveKind> parseDirectiveKind(std::string_view s) {
  for (size_t i = 0; i < kDirNames.size(); ++i)
    if (kDirNames[i] == s) return static_cast<DirectiveKind>(i);
  return std::nullopt;
}

std::span<const std::string_view> dispatchPolicies() { return kPolicies; }
std::span<const std::string_view> poolResources() { return kPools; }
std::span<const std::string_view> windowUnits() { return kUnits; }
std::span<const std::string_view> windowModes() { return kModes; }

Directive Directive::dispatch(std::string policy, std::vector<NamedExpr> params, Expr key, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::Dispatch;
  d.policy = std::move(policy);
  d.params = std::move(params);
  d.key = std::move(key);
  d.loc = std::move(loc);
  return d;
}
Directive Directive::taskWindow(int64_t n, std::string unit, std::string mode, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::TaskWindow;
  d.size = n;
  d.unit = std::move(unit);
  d.mode = std::move(mode);
  d.loc = std::move(loc);
  return d;
}
Directive Directive::channelDefaults(int64_t capacity, int64_t latency, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::ChannelDefaults;
  d.capacity = capacity;
  d.latency = latency;
  d.loc = std::move(loc);
  return d;
}
Directive Directive::channel(std::string name, int64_t capacity, int64_t latency, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::Channel;
  d.target = std::move(name);
  d.capacity = capacity;
  d.latency = latency;
  d.loc = std::move(loc);
  return d;
}
Directive Directive::pool(std::string resource, int64_t size, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::Pool;
  d.target = std::move(resource);
  d.size = size;
  d.loc = std::move(loc);
  return d;
}
Directive Directive::streams(int64_t n, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::Streams;
  d.size = n;
  d.loc = std::move(loc);
  return d;
}
Directive Directive::streamBy(Expr key, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::StreamBy;
  d.key = std::move(key);
  d.loc = std::move(loc);
  return d;
}
Directive Directive::timing(std::vector<NamedExpr> params, SourceLoc loc) {
  Directive d;
  d.kind = DirectiveKind::Timing;
  d.params = std::move(params);
  d.loc = std::move(loc);
  return d;
}

bool operator==(const Directive& a, const Directive& b) {
  return a.kind == b.kind && a.policy == b.policy && a.params == b.params && a.key == b.key && a.size == b.size &&
         a.unit == b.unit && a.mode == b.mode && a.target == b.target && a.capacity == b.capacity &&
         a.latency == b.latency;
}

}  // namespace pto::wsp::ir
