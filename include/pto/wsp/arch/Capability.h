// Capability matrices: for a target, how every schedule directive, CSP feature and
// predicate mechanism is handled. The matrices themselves belong to the targets
// (src/target/<name>/, target/Target.h); this header defines their shape. Feature names are stable
// strings (docs/capabilities.md); schedule ones derive from ir::Directive
// (directiveName + policy / pool resource), see featuresOf().
//
// Feature data is static and immutable; every function is thread-safe; returned
// references and views stay valid for the life of the process.
#pragma once

#include "pto/wsp/ir/Schedule.h"
#include "pto/wsp/ir/TileOp.h"
#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::arch {

// enforced:    the target implements the semantics exactly;
// recorded:    kept in the artifact (plan / manifest) but does not change execution;
// diagnosed:   ignored, reported once as a warning;
// unsupported: compile-time error.
enum class Support : uint8_t { Enforced, Recorded, Diagnosed, Unsupported };
std::string_view supportName(Support s);  // "enforced" "recorded" "diagnosed" "unsupported"
std::optional<Support> parseSupport(std::string_view s);

enum class FeatureGroup : uint8_t { Schedule, Csp, Predicate };
std::string_view featureGroupName(FeatureGroup g);  // "schedule" "csp" "predicate"

struct FeatureInfo {
  std::string_view name;  // stable, e.g. "dispatch.round_robin", "csp.replicate"
  FeatureGroup group;
  std::string_view description;
};
// Every feature, in documentation order.
std::span<const FeatureInfo> allFeatures();
const FeatureInfo* findFeature(std::string_view name);

struct Capability {
  std::string_view feature;
  Support support;
  std::string_view note;  // one line: how the target realises it, or why not
};

// One row of a matrix's [ops] section: whether the target lowers a tile op (enforced) or
// refuses it with a located compile-time error naming the op (unsupported), and how or
// why. Targets derive these rows from the code that lowers or refuses the op, so the
// matrix cannot drift from the emitter.
struct OpCapability {
  ir::TileOpKind op;
  Support support;
  std::string note;  // one line: what the op lowers to, or why not
};

struct CapabilityMatrix {
  std::string_view target;  // the target's registered name
  std::string_view arch;    // default arch instance of the target
  std::vector<Capability> entries;  // one per allFeatures() entry, same order
  std::vector<OpCapability> ops = {};  // one per ir::TileOpKind, in enum order

  // The [ops] row of `k`.
  const OpCapability& op(ir::TileOpKind k) const;

  // The entry for a feature; PTO_INTERNAL_ASSERT on a name not in allFeatures().
  const Capability& at(std::string_view feature) const;
  Support support(std::string_view feature) const { return at(feature).support; }
  // Throws UserError at `loc` if the feature is unsupported on this target or is not a
  // known feature name (e.g. "dispatch.<typo>"); returns the support level otherwise
  // (callers warn once on Diagnosed).
  Support require(std::string_view feature, const SourceLoc& loc) const;
  // Fixed-width text table: feature, support, note, then the [ops] rows (the `ptowsp
  // targets` view).
  std::string table() const;
};

// PTO_INTERNAL_ASSERT that `m` has one entry per allFeatures() entry and one [ops] row per
// ir::TileOpKind, in order.
void checkMatrix(const CapabilityMatrix& m);
// The matrices of the registered targets (the target registry publishes each one it
// holds, which must outlive the process): require()'s help names the targets that
// support what this one does not.
void publishMatrix(const CapabilityMatrix& m);
std::vector<const CapabilityMatrix*> publishedMatrices();

// The feature names a schedule directive exercises: dispatch(hash) -> dispatch.hash;
// task_window -> task_window; channel / channel_defaults -> channel.capacity and
// channel.latency; pool(tensormap) -> pool.tensormap; streams / stream_by / timing -> same.
// An unknown policy or pool resource yields "dispatch.<policy>" / "pool.<resource>",
// which findFeature() rejects (the verifier reports those with the legal values).
std::vector<std::string> featuresOf(const ir::Directive& d);

// {"target": ..., "arch": ..., "features": [{"name", "group", "support", "note"}...]}
// (what the artifact manifest embeds).
nlohmann::ordered_json capabilitiesToJson(const CapabilityMatrix& m);
// [{"op", "support", "note"}...], one per [ops] row (`ptowsp targets --json` adds it as "ops").
nlohmann::ordered_json opsToJson(const CapabilityMatrix& m);
// Every tile op with the same support and note (cpu_sim's tile library, test targets).
std::vector<OpCapability> uniformOps(Support s, std::string_view note);

}  // namespace pto::wsp::arch
