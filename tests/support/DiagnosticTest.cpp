#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/Hash.h"

#include <gtest/gtest.h>

using namespace pto::wsp;

TEST(Diagnostic, RendersLocationMessageAndNotes) {
  Diagnostic d = makeError({"a.wsp", 3, 7, {}}, "expected tile 16x128, got 16x64");
  d.help("change the view to 16x128");
  EXPECT_EQ(d.render(),
            "a.wsp:3:7: error: expected tile 16x128, got 16x64\n"
            "a.wsp:3:7: note: help: change the view to 16x128");
}

TEST(Diagnostic, BuilderContextIsShown) {
  SourceLoc loc{"model.cpp", 10, 0, "workload 'rms' > call rmsnorm"};
  EXPECT_EQ(loc.str(), "model.cpp:10 (in workload 'rms' > call rmsnorm)");
}

TEST(Diagnostic, ListThrowsOnlyOnErrors) {
  DiagnosticList l;
  l.warning({"x.wsp", 1, 1, {}}, "unused channel 'c'");
  EXPECT_NO_THROW(l.throwIfErrors());
  l.error({"x.wsp", 2, 1, {}}, "unknown kernel 'foo'");
  try {
    l.throwIfErrors();
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().size(), 2u);
    EXPECT_NE(std::string(e.what()).find("x.wsp:2:1: error: unknown kernel 'foo'"), std::string::npos);
  }
}

TEST(Hash, StreamingIsOrderAndBoundarySensitive) {
  EXPECT_NE(Hasher().str("ab").str("c").digest(), Hasher().str("a").str("bc").digest());
  EXPECT_EQ(Hasher().str("abc").pod(7).digest(), Hasher().str("abc").pod(7).digest());
  EXPECT_EQ(hashHex(0x1234).size(), 16u);
  Hasher h;
  h.str("x");
  Hasher copy = h;
  EXPECT_EQ(copy.digest(), h.digest());
}
