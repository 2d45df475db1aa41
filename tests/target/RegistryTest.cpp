#include "pto/wsp/target/Target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pto::wsp::target {
namespace {

TEST(TargetRegistry, HoldsTheBuiltInsInOrderWithTheirDefaultArchs) {
  std::vector<std::string> names, archs;
  for (const Target* t : TargetRegistry::global().all()) {
    names.emplace_back(t->name());
    archs.emplace_back(t->defaultArch());
    EXPECT_EQ(t->capabilities().target, t->name());
    EXPECT_FALSE(t->summary().empty());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("cpu_sim", "ascend", "aie"));
  EXPECT_THAT(archs, ::testing::ElementsAre("ascend910b", "ascend910b", "aie_npu1"));
  EXPECT_TRUE(TargetRegistry::global().get("cpu_sim").canRun());
  EXPECT_EQ(TargetRegistry::global().find("gpu"), nullptr);
}

TEST(TargetRegistry, UnknownTargetIsALocatedError) {
  try {
    (void)TargetRegistry::global().get("gpu", SourceLoc{"m.wsp", 0, 0, "compile options > target"});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unknown target 'gpu'"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("known targets: cpu_sim, ascend, aie"));
  }
}

TEST(TargetRegistry, DuplicateNameIsRefused) {
  EXPECT_THROW(targets::registerCpuSim(TargetRegistry::global()), UserError);
}

}  // namespace
}  // namespace pto::wsp::target
