#include "pto/wsp/api/Examples.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"

#include <gtest/gtest.h>

using namespace pto::wsp;

TEST(Examples, AllFiveVerifyClean) {
  ASSERT_EQ(examples::all().size(), 5u);
  for (const examples::Example& ex : examples::all()) {
    ir::Module m = ex.build();
    EXPECT_EQ(m.name, ex.name);
    DiagnosticList d = ir::verify(m);
    EXPECT_TRUE(d.empty()) << ex.name << ":\n" << d.render();
    ASSERT_EQ(m.workloads.size(), 1u) << ex.name;
    EXPECT_FALSE(m.workloads[0].schedule.empty()) << ex.name;
  }
}

TEST(Examples, DeterministicAndEqual) {
  for (const examples::Example& ex : examples::all()) EXPECT_TRUE(ex.build() == ex.build()) << ex.name;
  EXPECT_FALSE(examples::rmsnorm() == examples::softmax());
}

// The builder examples survive the text format: parse(print(m)) == m (the .wsp printer and
// parser live in src/ir/text, owned by the text stream).
TEST(Examples, RoundTripThroughText) {
  for (const examples::Example& ex : examples::all()) {
    ir::Module m = ex.build();
    std::string text = ir::text::print(m);
    ir::Module back = ir::text::parse(text, std::string(ex.name) + ".wsp");
    EXPECT_TRUE(back == m) << ex.name << ":\n" << text;
    EXPECT_EQ(ir::text::print(back), text) << ex.name;
    EXPECT_TRUE(ir::verify(back).empty()) << ir::verify(back).render();
  }
}
