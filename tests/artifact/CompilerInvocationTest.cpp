#include "pto/wsp/artifact/CompilerInvocation.h"

#include "ArtifactTestUtil.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <thread>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
using pto::wsp::artifact::test::TempDir;

TEST(RunProcess, CapturesStdoutAndStderrAndExitStatus) {
  TempDir tmp;
  ProcessResult r = runProcess({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"}, tmp.path() / "log");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_NE(r.log.find("to-out"), std::string::npos);
  EXPECT_NE(r.log.find("to-err"), std::string::npos);
  EXPECT_EQ(r.describe(), "exited with status 3");
}

TEST(RunProcess, ArgumentsAreNeverInterpretedByAShell) {
  TempDir tmp;
  const std::string arg = "$HOME; touch pwned `id` *";
  ProcessResult r = runProcess({"echo", arg}, tmp.path() / "log");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.log, arg + "\n");
}

TEST(RunProcess, MissingProgramIsReportedNotThrown) {
  TempDir tmp;
  ProcessResult r = runProcess({"ptowsp-no-such-program-xyz"}, tmp.path() / "log");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.describe().find("could not be started"), std::string::npos) << r.describe();
  EXPECT_NE(r.describe().find("ptowsp-no-such-program-xyz"), std::string::npos);
}

TEST(RunProcess, TimeoutKillsTheWholeProcessGroup) {
  TempDir tmp;
  const auto pidFile = tmp.path() / "grandchild.pid";
  ProcessOptions opts;
  opts.timeout = std::chrono::milliseconds(300);
  // The shell starts a grandchild (like g++ starts cc1plus) and waits for it.
  ProcessResult r = runProcess({"sh", "-c", "sleep 30 & echo $! > \"$0\"; wait", pidFile.string()},
                               tmp.path() / "log", opts);
  EXPECT_TRUE(r.timedOut);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.describe().find("timed out"), std::string::npos);
  std::ifstream in(pidFile);
  pid_t grandchild = 0;
  ASSERT_TRUE(in >> grandchild);
  // The orphaned grandchild is reaped by init shortly after being killed.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    // Gone, or a zombie waiting for a (possibly lazy) init to reap it.
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pidField, comm, state;
    gone = !(stat >> pidField >> comm >> state) || state == "Z" || state == "X";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the timeout";
}

TEST(CompilerIdentity, ResolvesPathAndVersionOncePerProcess) {
  const CompilerIdentity& a = compilerIdentity("g++");
  EXPECT_EQ(a.path.front(), '/');
  EXPECT_FALSE(a.version.empty());
  EXPECT_EQ(&a, &compilerIdentity("g++"));
}

TEST(CompilerIdentity, EnvironmentOverrideAndMissingCompiler) {
  const char* old = std::getenv("PTO_WSP_CXX");
  std::string saved = old ? old : "";
  ::setenv("PTO_WSP_CXX", "ptowsp-no-such-compiler", 1);
  try {
    compilerIdentity();
    ADD_FAILURE() << "expected UserError";
  } catch (const UserError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("C++ compiler 'ptowsp-no-such-compiler' not found"), std::string::npos) << msg;
    EXPECT_NE(msg.find("help: install g++ (C++20) or set $PTO_WSP_CXX"), std::string::npos) << msg;
  }
  // An explicit request wins over the environment.
  EXPECT_NO_THROW(compilerIdentity("g++"));
  if (old)
    ::setenv("PTO_WSP_CXX", saved.c_str(), 1);
  else
    ::unsetenv("PTO_WSP_CXX");
}

TEST(CompilerInvocation, CountsCompilesAndLinksSeparately) {
  TempDir tmp;
  const CompilerIdentity& cc = compilerIdentity("g++");
  uint64_t compiles = compilerInvocationCount(InvocationKind::Compile);
  uint64_t links = compilerInvocationCount(InvocationKind::Link);
  uint64_t total = compilerInvocationCount();
  ProcessResult r = invokeCompiler(cc, InvocationKind::Compile, {"--version"}, tmp.path() / "log",
                                   std::chrono::seconds(30));
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(compilerInvocationCount(InvocationKind::Compile), compiles + 1);
  EXPECT_EQ(compilerInvocationCount(InvocationKind::Link), links);
  EXPECT_EQ(compilerInvocationCount(), total + 1);
}

TEST(CompilerInvocation, FailureDiagnosticQuotesFirstLinesAndTheFirstLateError) {
  CompilerIdentity cc{"g++", "/usr/bin/g++", "g++ 12"};
  ProcessResult r;
  r.exitCode = 1;
  r.logPath = "/cache/v1/objects/abc.log";
  for (int i = 0; i < 30; ++i) r.log += fmt::format("In instantiation {}\n", i);
  r.log += "k.cpp:7:3: error: 'nope' was not declared in this scope\n";
  Diagnostic d = compilerFailure(SourceLoc{"k.cpp", 0, 0, "kernel 'k'"}, "kernel 'k' failed to compile", cc, r, 3);
  EXPECT_EQ(d.render(),
            "k.cpp (in kernel 'k'): error: kernel 'k' failed to compile: g++ exited with status 1\n"
            "k.cpp (in kernel 'k'): note: compiler output (first 3 of 31 lines):\n"
            "  In instantiation 0\n"
            "  In instantiation 1\n"
            "  In instantiation 2\n"
            "  ...\n"
            "  k.cpp:7:3: error: 'nope' was not declared in this scope\n"
            "k.cpp (in kernel 'k'): note: help: the full compiler log is at /cache/v1/objects/abc.log");
}
