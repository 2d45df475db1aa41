#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/ir/Schedule.h"
#include "pto/wsp/target/Target.h"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

using namespace pto::wsp;
using namespace pto::wsp::arch;

namespace {
// The registered targets' names and matrices (the built-ins, in registration order).
std::vector<std::string_view> knownTargets() {
  std::vector<std::string_view> out;
  for (const target::Target* t : target::TargetRegistry::global().all())
    if (t->name() == "cpu_sim" || t->name() == "ascend" || t->name() == "aie") out.push_back(t->name());
  return out;
}
const CapabilityMatrix& capabilities(std::string_view t) { return target::TargetRegistry::global().get(t).capabilities(); }
}  // namespace

TEST(Capability, EveryTargetCoversEveryFeatureInOrder) {
  ASSERT_EQ(knownTargets().size(), 3u);
  for (std::string_view t : knownTargets()) {
    const CapabilityMatrix& m = capabilities(t);
    ASSERT_EQ(m.entries.size(), allFeatures().size()) << t;
    for (size_t i = 0; i < m.entries.size(); ++i) {
      EXPECT_EQ(m.entries[i].feature, allFeatures()[i].name);
      EXPECT_FALSE(m.entries[i].note.empty()) << t << " " << m.entries[i].feature;
    }
    // The default arch of every target is a built-in instance.
    EXPECT_NE(findBuiltinArch(m.arch), nullptr) << m.arch;
  }
}

TEST(Capability, FeatureNamesAlignWithScheduleIr) {
  // Every policy and pool resource the schedule IR accepts has a capability entry.
  for (std::string_view p : ir::dispatchPolicies())
    EXPECT_NE(findFeature("dispatch." + std::string(p)), nullptr) << p;
  for (std::string_view r : ir::poolResources())
    EXPECT_NE(findFeature("pool." + std::string(r)), nullptr) << r;
  using ir::Directive;
  EXPECT_EQ(featuresOf(Directive::dispatch("least_loaded")), std::vector<std::string>{"dispatch.least_loaded"});
  EXPECT_EQ(featuresOf(Directive::taskWindow(8)), std::vector<std::string>{"task_window"});
  EXPECT_EQ(featuresOf(Directive::channel("c", 2, 5)),
            (std::vector<std::string>{"channel.capacity", "channel.latency"}));
  EXPECT_EQ(featuresOf(Directive::pool("heap", 64)), std::vector<std::string>{"pool.heap"});
  EXPECT_EQ(featuresOf(Directive::streams(2)), std::vector<std::string>{"streams"});
  for (const ir::Directive& d : {Directive::streams(2), Directive::timing({}), Directive::taskWindow(4),
                                 Directive::channelDefaults(1, 0), Directive::dispatch("hash")})
    for (const std::string& f : featuresOf(d)) EXPECT_NE(findFeature(f), nullptr) << f;
}

TEST(Capability, SpecificEntries) {
  EXPECT_EQ(capabilities("cpu_sim").support("task_window"), Support::Enforced);
  EXPECT_EQ(capabilities("cpu_sim").support("streams"), Support::Recorded);
  EXPECT_EQ(capabilities("aie").support("channel.capacity"), Support::Enforced);
  EXPECT_EQ(capabilities("aie").support("task_window"), Support::Diagnosed);
  EXPECT_EQ(capabilities("ascend").support("pred.cond_slot"), Support::Unsupported);
}

TEST(Capability, RequireUnsupportedIsALocatedError) {
  SourceLoc loc{"moe.wsp", 12, 5, {}};
  EXPECT_EQ(capabilities("aie").require("channel.capacity", loc), Support::Enforced);
  try {
    capabilities("aie").require("dispatch.custom", loc);
    FAIL();
  } catch (const UserError& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("moe.wsp:12:5: error: 'dispatch.custom' is not supported on target 'aie'"), std::string::npos) << w;
    EXPECT_NE(w.find("help: remove it, or compile for a target that supports it: cpu_sim, ascend"), std::string::npos) << w;
  }
}

TEST(Capability, RequireUnknownFeatureIsAUserError) {
  try {
    capabilities("cpu_sim").require(featuresOf(ir::Directive::dispatch("fifo"))[0], SourceLoc{"s.wsp", 2, 1, {}});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("s.wsp:2:1: error: unknown feature 'dispatch.fifo' (target 'cpu_sim')"),
              std::string::npos) << e.what();
  }
}

TEST(Capability, UnknownTargetListsKnownOnes) {
  try {
    capabilities("gpu");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("known targets: cpu_sim, ascend, aie"), std::string::npos) << e.what();
  }
}

TEST(Capability, TableAndJson) {
  const CapabilityMatrix& m = capabilities("ascend");
  std::string t = m.table();
  EXPECT_NE(t.find("target ascend (default arch ascend910b)"), std::string::npos) << t;
  EXPECT_NE(t.find("[predicate]"), std::string::npos);
  EXPECT_NE(t.find("pred.cond_slot           unsupported"), std::string::npos) << t;
  nlohmann::json j = capabilitiesToJson(m);
  EXPECT_EQ(j["target"], "ascend");
  EXPECT_EQ(j["features"].size(), allFeatures().size());
  EXPECT_EQ(j["features"][0]["name"], "dispatch.round_robin");
  EXPECT_EQ(j["features"][0]["support"], "recorded");
  for (const auto& f : j["features"]) EXPECT_TRUE(parseSupport(f["support"].get<std::string>()).has_value());
  // The [ops] section: one row per tile op, after the features.
  EXPECT_GT(t.find("  [ops]\n"), t.find("[predicate]")) << t;
  EXPECT_NE(t.find("\n  sort                     unsupported  tile op 'sort' has no PTO-ISA lowering"), std::string::npos) << t;
  EXPECT_NE(t.find("\n  matmul                   enforced     AIC: "), std::string::npos) << t;
  nlohmann::json ops = opsToJson(m);
  ASSERT_EQ(ops.size(), static_cast<size_t>(ir::kNumTileOps));
  EXPECT_EQ(ops[0]["op"], "load");
  EXPECT_EQ(ops[0]["support"], "enforced");
}

TEST(Capability, EveryTargetHasOneOpsRowPerTileOp) {
  for (std::string_view t : knownTargets()) {
    const CapabilityMatrix& m = capabilities(t);
    ASSERT_EQ(m.ops.size(), static_cast<size_t>(ir::kNumTileOps)) << t;
    for (const ir::TileOpInfo& info : ir::allTileOps()) {
      EXPECT_EQ(m.op(info.kind).op, info.kind) << t;
      EXPECT_FALSE(m.op(info.kind).note.empty()) << t << " " << info.name;
    }
  }
  // cpu_sim and aie lower every op through the tile library.
  for (const OpCapability& o : capabilities("cpu_sim").ops) EXPECT_EQ(o.support, Support::Enforced);
  for (const OpCapability& o : capabilities("aie").ops) EXPECT_EQ(o.support, Support::Enforced);
}

TEST(Capability, DocumentedMatrixMatchesTheCode) {
  // docs/capabilities.md is generated from `ptowsp targets --json`; a changed entry must
  // be regenerated there.
  std::ifstream in(PTO_WSP_SOURCE_DIR "/docs/capabilities.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  for (size_t i = 0; i < allFeatures().size(); ++i) {
    std::string row = fmt::format("| `{}` |", allFeatures()[i].name);
    for (std::string_view t : knownTargets()) row += fmt::format(" {} |", supportName(capabilities(t).entries[i].support));
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/capabilities.md lacks the row: " << row;
  }
  for (const ir::TileOpInfo& info : ir::allTileOps()) {
    std::string row = fmt::format("| `{}` |", info.name);
    for (std::string_view t : knownTargets()) row += fmt::format(" {} |", supportName(capabilities(t).op(info.kind).support));
    row += fmt::format(" {} |", capabilities("ascend").op(info.kind).note);
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/capabilities.md lacks the [ops] row: " << row;
  }
}
