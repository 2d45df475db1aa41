// Program API: numbers against a plain C++ reference, runtime values that never
// recompile (acceptance test a), located errors, dry run vs execute, stats and trace.
#include "ProgramTestSupport.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/CompilerInvocation.h"
#include "pto/wsp/artifact/Package.h"
#include "pto/wsp/runtime/DeadlockReport.h"

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <vector>

namespace pto::wsp {
namespace {

using namespace pto::wsp::testing;
using ::testing::HasSubstr;

class ProgramTest : public ::testing::Test {
 protected:
  // One compile shared by the fixture's tests (shared cache: only the first process of a
  // ctest run compiles).
  static void SetUpTestSuite() {
    dir_ = testRoot() / "small";
    std::filesystem::create_directories(dir_);
    program_ = std::make_unique<Program>(Program::compileFile(writeSmallModule(dir_), optionsFor(dir_ / "cache")));
  }
  static void TearDownTestSuite() { program_.reset(); }

  void SetUp() override {
    x_.resize(128 * 32);
    for (size_t i = 0; i < x_.size(); ++i) x_[i] = static_cast<float>(i % 97) * 0.25f - 3.0f;
    y_.assign(x_.size(), -7.0f);
    z_.assign(x_.size(), -7.0f);
    Program& p = *program_;
    p.bind("X", std::span<float>(x_));
    p.bind("Y", std::span<float>(y_));
    p.bind("Z", std::span<float>(z_));
    p.setSymbol("N", 4);
    p.setSymbol("K", 1);
    p.setSlot("s", 0);
    p.setThreads(2);
  }

  // Rows [0, 16 * n) follow the kernels, the rest is untouched.
  void expectResults(int n, float a) {
    for (size_t i = 0; i < x_.size(); ++i) {
      const bool written = i < static_cast<size_t>(n) * 16 * 32;
      ASSERT_FLOAT_EQ(y_[i], written ? x_[i] * a : -7.0f) << "Y element " << i;
      ASSERT_FLOAT_EQ(z_[i], written ? x_[i] + 1.0f : -7.0f) << "Z element " << i;
    }
  }

  static inline std::filesystem::path dir_;
  static inline std::unique_ptr<Program> program_;
  std::vector<float> x_, y_, z_;
};

TEST_F(ProgramTest, NumbersMatchPlainCppReference) {
  program_->execute();
  program_->synchronize();
  expectResults(4, 2.0f);
  EXPECT_EQ(program_->stats().tasks, 8u);
  EXPECT_FALSE(program_->stats().dryRun);
}

TEST_F(ProgramTest, SymbolSlotAndDynamicSizeChangesCompileNothing) {
  const uint64_t before = artifact::compilerInvocationCount();
  program_->setSymbol("N", 3);  // dense_dyn extent
  program_->execute();
  program_->synchronize();
  expectResults(3, 2.0f);
  EXPECT_EQ(program_->stats().tasks, 6u);

  y_.assign(y_.size(), -7.0f);
  z_.assign(z_.size(), -7.0f);
  program_->setSymbol("N", 8);
  program_->setSlot("s", 1);  // picks the other branch: a = 3
  program_->execute();
  program_->synchronize();
  expectResults(8, 3.0f);
  EXPECT_EQ(program_->stats().tasks, 16u);
  EXPECT_EQ(artifact::compilerInvocationCount(), before);
}

TEST_F(ProgramTest, DeclaredCyclesOfExternalKernelReachTotalCycles) {
  program_->setSymbol("N", 1);
  program_->setSymbol("K", 50);  // plus1 declares 100 * K = 5000 cycles
  const uint64_t k50 = program_->dryRun().totalCycles;
  program_->setSymbol("K", 100);
  const uint64_t k100 = program_->dryRun().totalCycles;
  EXPECT_GE(k50, 5000u);
  EXPECT_EQ(k100 - k50, 5000u) << "the one plus1 task is the critical path: +5000 declared cycles";
  EXPECT_TRUE(program_->stats().dryRun);
}

TEST_F(ProgramTest, DryRunAndExecuteAgreeForEveryThreadCount) {
  const ProgramStats dry = program_->dryRun();
  ASSERT_GT(dry.totalCycles, 0u);
  for (unsigned threads : {1u, 2u, 4u}) {
    program_->setThreads(threads);
    program_->execute();
    program_->synchronize();
    const ProgramStats s = program_->stats();
    EXPECT_EQ(s.totalCycles, dry.totalCycles) << threads << " threads";
    EXPECT_EQ(s.tasks, dry.tasks) << threads << " threads";
    EXPECT_EQ(s.run.timelineHash, dry.run.timelineHash) << threads << " threads";
    ASSERT_EQ(s.run.workers.size(), dry.run.workers.size());
    for (size_t w = 0; w < s.run.workers.size(); ++w) {
      EXPECT_EQ(s.run.workers[w].tasks, dry.run.workers[w].tasks);
      EXPECT_EQ(s.run.workers[w].busyCycles, dry.run.workers[w].busyCycles);
    }
    expectResults(4, 2.0f);
  }
}

TEST_F(ProgramTest, StatsJsonHasDocumentedKeys) {
  program_->execute();
  program_->synchronize();
  const nlohmann::json j = program_->stats().toJson();
  for (const char* k : {"total_cycles", "tasks", "stalls", "workers", "host_ms", "compile_ms", "dry_run",
                        "timeline_hash"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["tasks"], 8);
  EXPECT_TRUE(j["stalls"].contains("task_ring"));
  EXPECT_EQ(j["workers"].size(), 2u);
  EXPECT_THAT(program_->stats().toText(), HasSubstr("total_cycles"));
}

TEST_F(ProgramTest, TraceNamesKernels) {
  const auto out = dir_ / "trace.json";
  program_->traceTo(out);
  program_->execute();
  program_->synchronize();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "trace.json.partial"));
  const nlohmann::json j = nlohmann::json::parse(artifact::readFile(out));
  ASSERT_TRUE(j.contains("traceEvents"));
  size_t scale[2] = {}, plus1[2] = {};  // by process: 0 semantic, 1 host
  for (const auto& e : j["traceEvents"])
    if (e.value("ph", "") == "X") {
      const int pid = e.value("pid", -1);
      ASSERT_TRUE(pid == 0 || pid == 1) << e.dump();
      scale[pid] += e.value("name", "") == "scale";
      plus1[pid] += e.value("name", "") == "plus1";
    }
  for (int pid : {0, 1}) {
    EXPECT_EQ(scale[pid], 4u) << "process " << pid;
    EXPECT_EQ(plus1[pid], 4u) << "process " << pid;
  }
}

TEST_F(ProgramTest, SlotReadsFinalValue) {
  program_->setSlot("s", 1);
  program_->dryRun();
  EXPECT_EQ(program_->slot("s"), 1u);
}

TEST_F(ProgramTest, UnknownNamesAreLocatedAndListAlternatives) {
  try {
    program_->bind("Q", x_.data(), x_.size() * 4);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const Diagnostic& d = e.diagnostics().at(0);
    EXPECT_EQ(d.message, "module 'small' has no tensor 'Q'");
    EXPECT_THAT(d.loc.file, HasSubstr("ProgramTest.cpp"));
    EXPECT_GT(d.loc.line, 0u);
    EXPECT_THAT(e.what(), HasSubstr("'X', 'Y', 'Z'"));
  }
  try {
    program_->setSymbol("M", 1);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no symbol 'M'"));
    EXPECT_THAT(e.what(), HasSubstr("'N', 'K'"));
    EXPECT_THAT(e.diagnostics().at(0).loc.file, HasSubstr("ProgramTest.cpp"));
  }
  for (int which = 0; which < 2; ++which) {
    try {
      if (which == 0) program_->setSlot("t", 1);
      else (void)program_->slot("t");
      FAIL() << "expected UserError";
    } catch (const UserError& e) {
      EXPECT_THAT(e.what(), HasSubstr("no slot 't'"));
      EXPECT_THAT(e.what(), HasSubstr("known slots: 's'"));
    }
  }
}

TEST_F(ProgramTest, WrongBufferSizesAreLocatedErrors) {
  try {
    program_->bind("X", x_.data(), 100 * 4);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().at(0).message,
              "buffer for tensor 'X' ([128, 32] f32) is 400 bytes, expected 16384 bytes (4096 elements of 4 bytes)");
    EXPECT_THAT(e.diagnostics().at(0).loc.file, HasSubstr("ProgramTest.cpp"));
    EXPECT_THAT(e.what(), HasSubstr("small.wsp"));  // the note points at the declaration
  }
  try {
    program_->bind("Y", y_.data(), 16383);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a multiple of the 4-byte element"));
  }
}

TEST_F(ProgramTest, UnboundTensorsAtExecuteAreListed) {
  Program p = Program::compileFile(dir_ / "small.wsp", optionsFor(dir_ / "cache"));
  EXPECT_EQ(p.stats().compilerInvocations, 0u) << "warm compile";
  p.bind("X", std::span<float>(x_));
  try {
    p.execute();
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("2 tensors are not bound: 'Y', 'Z'"));
    EXPECT_THAT(e.what(), HasSubstr("help: bind every input and output"));
  }
  EXPECT_NO_THROW(p.dryRun()) << "a dry run needs no bound outputs";
}

TEST_F(ProgramTest, SymbolWithoutDefaultMustBeSetBeforeARun) {
  std::string text = kSmallWsp;
  text.replace(text.find("symbol N = 4"), 12, "symbol N");
  writeText(dir_ / "nodefault.wsp", text);
  Program p = Program::compileFile(dir_ / "nodefault.wsp", optionsFor(dir_ / "cache"));
  EXPECT_EQ(p.stats().compilerInvocations, 0u) << "same kernels: only the plan differs";
  p.bind("X", std::span<float>(x_));
  p.bind("Y", std::span<float>(y_));
  p.bind("Z", std::span<float>(z_));
  try {
    p.dryRun();
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_EQ(e.diagnostics().at(0).message, "symbol 'N' has no value");
    EXPECT_THAT(e.what(), HasSubstr("nodefault.wsp:3"));  // the declaration note
    EXPECT_THAT(e.what(), HasSubstr("setSymbol(\"N\", value)"));
  }
  p.setSymbol("N", 2);
  p.execute();
  p.synchronize();
  expectResults(2, 2.0f);
}

TEST_F(ProgramTest, ManifestRecordsEverything) {
  const artifact::Manifest& m = program_->manifest();
  EXPECT_EQ(m.target, "cpu_sim");
  EXPECT_EQ(m.archInstance, "ascend910b");
  EXPECT_TRUE(m.capabilities.contains("features"));
  ASSERT_EQ(m.kernels.size(), 2u);
  EXPECT_EQ(m.kernels[0].name, "scale");
  EXPECT_EQ(m.kernels[0].symbol, "pto_k_scale");
  EXPECT_EQ(m.kernels[0].cyclesSymbol, "pto_k_scale_cycles");
  EXPECT_EQ(m.kernels[1].cyclesSymbol, "pto_k_plus1_cycles");
  EXPECT_EQ(m.kernels[0].sourceHash.size(), 16u);
  EXPECT_EQ(m.abi.symbols.size(), 2u);
  EXPECT_EQ(m.abi.slots.size(), 1u);
  ASSERT_EQ(m.abi.tensors.size(), 3u);
  EXPECT_EQ(m.abi.tensors[1].role, "output");
  EXPECT_EQ(m.policyId, "round_robin");
  EXPECT_EQ(m.scheduleId.size(), 16u);
  EXPECT_FALSE(m.compiler.path.empty());
  EXPECT_FALSE(m.compiler.flags.empty());
  EXPECT_EQ(m.features, (std::vector<std::string>{"dispatch.round_robin", "pred.cond_slot", "pred.dynamic_axis"}));
  // The package on disk validates and says the same.
  const artifact::Package pkg = artifact::readPackage(program_->packageDir());
  EXPECT_EQ(pkg.manifest, m);
  EXPECT_EQ(program_->packageDir().filename().string(), m.packageHash);
}

TEST(ProgramCompileErrors, ExternalKernelCompileErrorNamesKernelAndQuotesCompiler) {
  const auto dir = freshDir("bad_kernel");
  std::string wsp = kSmallWsp;
  writeText(dir / "small.wsp", wsp);
  writeText(dir / "plus1.cpp", "extern \"C\" void pto_k_plus1(const unsigned long* a, unsigned n) { nope(); }\n");
  try {
    Program::compileFile(dir / "small.wsp", optionsFor(dir / "cache"));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("kernel 'plus1' failed to compile"));
    EXPECT_THAT(what, HasSubstr("plus1.cpp:1:"));          // compiler output, user's file
    EXPECT_THAT(what, HasSubstr("'nope' was not declared"));
  }
}

TEST(ProgramCompileErrors, UnknownWorkloadTargetAndArchAreListed) {
  const auto dir = testRoot() / "small";
  const auto wsp = writeSmallModule(dir);
  CompileOptions o = optionsFor(dir / "cache");
  o.workload = "nope";
  EXPECT_THROW(
      {
        try {
          Program::compileFile(wsp, o);
        } catch (const UserError& e) {
          EXPECT_THAT(e.what(), HasSubstr("has no workload 'nope'"));
          EXPECT_THAT(e.what(), HasSubstr("known workloads: 'w'"));
          throw;
        }
      },
      UserError);
  o.workload = "";
  o.arch = "tpu9000";
  EXPECT_THROW(Program::compileFile(wsp, o), UserError);
  o.arch = "";
  o.target = "fpga";
  EXPECT_THROW(Program::compileFile(wsp, o), UserError);
}

TEST(ProgramCompileErrors, InvalidModuleReportsEveryProblem) {
  const auto dir = freshDir("invalid");
  std::string wsp = kSmallWsp;
  wsp.replace(wsp.find("Y[i * 16 : 16, 0 : 32], 3.0"), 1, "Q");
  wsp.replace(wsp.find("Z[i * 16"), 1, "R");
  writeText(dir / "small.wsp", wsp);
  writeText(dir / "plus1.cpp", kPlus1Cpp);
  try {
    Program::compileFile(dir / "small.wsp", optionsFor(dir / "cache"));
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_GE(e.diagnostics().size(), 2u);
    EXPECT_THAT(e.what(), HasSubstr("'Q'"));
    EXPECT_THAT(e.what(), HasSubstr("'R'"));
  }
}

// The runtime knows processes and channels by name only; Program maps a deadlock back
// to the declarations, in the text and in the structured report.
TEST(ProgramDeadlock, ReportPointsAtTheWorkloadProcessAndChannel) {
  const auto dir = freshDir("deadlock");
  writeText(dir / "dl.wsp", R"(module dl

input X : f32[16, 32]
output Y : f32[16, 32]

kernel copy(in a : Tile[16, 32, f32], out b : Tile[16, 32, f32]) {
  %t = load a
  store b, %t
}

workload w {
  channel done : index
  process loader produces(done) {
    call copy(X[0 : 16, 0 : 32], Y[0 : 16, 0 : 32])
  }
  process storer consumes(done) {
    consume done as i {
      call copy(X[0 : 16, 0 : 32], Y[0 : 16, 0 : 32])
    }
  }
}
)");
  Program p = Program::compileFile(dir / "dl.wsp", optionsFor(dir / "cache"));
  ASSERT_EQ(p.warnings().size(), 1u) << "loader lists 'done' but never sends on it";
  EXPECT_THAT(p.warnings()[0].render(), HasSubstr("dl.wsp:13:3: warning: process 'loader' lists 'done'"));
  std::vector<float> x(16 * 32, 1.0f), y(16 * 32, 0.0f);
  p.bind("X", std::span<float>(x));
  p.bind("Y", std::span<float>(y));
  for (const bool dry : {true, false}) {
    try {
      if (dry) {
        p.dryRun();
      } else {
        p.execute();
        p.synchronize();
      }
      FAIL() << "expected a deadlock, dry " << dry;
    } catch (const rt::DeadlockError& e) {
      const rt::DeadlockReport& r = e.report();
      EXPECT_EQ(r.loc.line, 11u) << "the workload";
      ASSERT_EQ(r.blocked.size(), 1u);
      EXPECT_EQ(r.blocked[0].name, "storer");
      EXPECT_EQ(r.blocked[0].channel, "done");
      EXPECT_EQ(r.blocked[0].loc.line, 17u) << "the consume storer waits at";
      EXPECT_EQ(r.blocked[0].loc.col, 5u);
      EXPECT_EQ(r.blocked[0].channelLoc.line, 12u) << "channel done";
      EXPECT_THAT(e.what(), HasSubstr("dl.wsp:12:3: note: channel 'done' is declared here"));
      EXPECT_THAT(r.toJson()["blocked"][0]["channel_location"].get<std::string>(), ::testing::EndsWith("/dl.wsp:12:3"));
    }
  }
}

}  // namespace
}  // namespace pto::wsp
