// The on-disk memo of the compiler's --version output (compilerIdentity with a memoDir).
#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/CompilerInvocation.h"

#include "ArtifactTestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
using pto::wsp::artifact::test::TempDir;

namespace {

// The process-wide identity table is keyed by the requested name, so each test asks for
// g++ under a spelling no other test uses (a symlink in its own directory).
std::string linkedCompiler(const std::filesystem::path& dir) {
  const std::string real = compilerIdentity("g++").path;
  std::filesystem::create_symlink(real, dir / "g++");
  return (dir / "g++").string();
}

}  // namespace

TEST(CompilerIdentityMemo, WritesTheProbedVersion) {
  TempDir tmp;
  const std::string cxx = linkedCompiler(tmp.path());
  const CompilerIdentity& id = compilerIdentity(cxx, tmp.path() / "memo");
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "memo")) {
    ++files;
    const std::string text = readFile(e.path());
    EXPECT_NE(text.find(id.version), std::string::npos) << text;
  }
  EXPECT_EQ(files, 1u);
}

TEST(CompilerIdentityMemo, AFreshLookupReadsTheMemoInsteadOfProbing) {
  TempDir tmp;
  const std::string cxx = linkedCompiler(tmp.path());
  const CompilerIdentity& first = compilerIdentity(cxx, tmp.path() / "memo");
  std::filesystem::path memo;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "memo")) memo = e.path();
  ASSERT_FALSE(memo.empty());
  writeFileAtomic(memo, "pto-wsp compiler identity v1 " + first.path + "\nplanted version 1.2.3");
  // "dir/./g++" resolves to the same binary but is a new request for the in-memory table,
  // so only the memo can supply the planted version.
  const std::string again = (tmp.path() / "." / "g++").string();
  EXPECT_EQ(compilerIdentity(again, tmp.path() / "memo").version, "planted version 1.2.3");
  // A memo whose header names another binary is ignored: the compiler is probed again.
  writeFileAtomic(memo, "pto-wsp compiler identity v1 /not/this/compiler\nwrong");
  const std::string third = (tmp.path() / "." / "." / "g++").string();
  EXPECT_EQ(compilerIdentity(third, tmp.path() / "memo").version, first.version);
}
