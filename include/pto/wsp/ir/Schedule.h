// Schedule IR: an ordered list of directives attached to a workload. Each directive has a
// stable name (directiveName) that capability matrices key on.
#pragma once

#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir {

enum class DirectiveKind : uint8_t {
  Dispatch,         // dispatch(policy, params...): task -> worker mapping
  TaskWindow,       // task_window(n, unit, mode): bound on issued, unretired tasks
  ChannelDefaults,  // channel_defaults(capacity, latency) for every channel
  Channel,          // channel(name, capacity, latency) for one channel
  Pool,             // pool(resource, size): bounded runtime resource size
  Streams,          // streams(n)           record-only knob
  StreamBy,         // stream_by(key expr)   record-only knob
  Timing,           // timing(params...)     record-only knob
};
// Stable names: "dispatch", "task_window", "channel_defaults", "channel", "pool",
// "streams", "stream_by", "timing".
std::string_view directiveName(DirectiveKind k);
std::optional<DirectiveKind> parseDirectiveKind(std::string_view s);

// Legal values, for verification and "expected one of" messages.
std::span<const std::string_view> dispatchPolicies();  // round_robin hash affinity least_loaded custom
std::span<const std::string_view> poolResources();     // tensormap deplist heap ready_queue
std::span<const std::string_view> windowUnits();       // tasks
std::span<const std::string_view> windowModes();       // stall

struct NamedExpr {
  std::string name;
  Expr value;
  friend bool operator==(const NamedExpr&, const NamedExpr&) = default;
};

// One directive. Only the fields of its kind are meaningful (others stay default):
//   Dispatch:        policy, params (e.g. workers=4), key (custom policy: the key expr)
//   TaskWindow:      size, unit ("tasks"), mode ("stall")
//   ChannelDefaults: capacity, latency
//   Channel:         target (channel name), capacity, latency
//   Pool:            target (resource name), size
//   Streams:         size
//   StreamBy:        key
//   Timing:          params
// Values are plain strings / integers so that a bad value reaches the verifier (which
// reports it with the legal alternatives) instead of being unrepresentable.
struct Directive {
  DirectiveKind kind = DirectiveKind::Dispatch;
  std::string policy;
  std::vector<NamedExpr> params;
  Expr key;
  int64_t size = 0;
  std::string unit = "tasks";
  std::string mode = "stall";
  std::string target;
  int64_t capacity = 1;
  int64_t latency = 0;
  SourceLoc loc;

  static Directive dispatch(std::string policy, std::vector<NamedExpr> params = {}, Expr key = {}, SourceLoc loc = {});
  static Directive taskWindow(int64_t n, std::string unit = "tasks", std::string mode = "stall", SourceLoc loc = {});
  static Directive channelDefaults(int64_t capacity, int64_t latency, SourceLoc loc = {});
  static Directive channel(std::string name, int64_t capacity, int64_t latency, SourceLoc loc = {});
  static Directive pool(std::string resource, int64_t size, SourceLoc loc = {});
  static Directive streams(int64_t n, SourceLoc loc = {});
  static Directive streamBy(Expr key, SourceLoc loc = {});
  static Directive timing(std::vector<NamedExpr> params, SourceLoc loc = {});
  std::string_view name() const { return directiveName(kind); }
};
bool operator==(const Directive& a, const Directive& b);  // ignores loc

struct Schedule {
  std::vector<Directive> directives;  // in source order; later ones win on conflicts
  bool empty() const { return directives.empty(); }
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

}  // namespace pto::wsp::ir
