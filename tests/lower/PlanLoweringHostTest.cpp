// Lowered plans executed on the host executor with hand-written kernel functions: the
// argument words move the right elements, and a ragged loop whose lengths a task writes
// at run time waits for that task for real (same plan: dry run sees zero lengths).
#include "PlanLoweringTestUtil.h"

#include "pto/wsp/runtime/host/HostExecutor.h"

#include <cstdint>
#include <thread>
#include <vector>

namespace pto::wsp::lower {
namespace {

using namespace plantest;

const char* kHost = R"(module host
input X : f32[64, 16]
input B : f32[16, 8]
temp lens : i32[4]
output Y : f32[64, 16]
output T : f32[8, 16]
kernel set_lens(out l : Tile[1, 4, i32]) {
  %z = fill 0 : Tile[1, 4, i32]
  store l, %z
}
kernel copy(in x : Tile[1, 16, f32], out y : Tile[1, 16, f32]) {
  %t = load x
  store y, %t
}
kernel copy_t(in b : Tile[8, 16, f32], out t : Tile[8, 16, f32]) {
  %v = load b
  store t, %v
}
workload w {
  call set_lens(lens[0 : 4])
  P b in dense(4) {
    P r in ragged(b, lens) {
      call copy(X[b * 16 + r : 1, 0 : 16], Y[b * 16 + r : 1, 0 : 16])
    }
  }
  call copy_t(B[0 : 16, 0 : 8].T, T[0 : 8, 0 : 16])
}
)";

// Tile kernels that walk their views only through the argument words (base, row stride,
// col stride in elements), as generated kernels do.
void setLens(const uint64_t* a, uint32_t) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a slow writer
  auto* l = reinterpret_cast<int32_t*>(a[0]);
  const int32_t v[4] = {1, 0, 2, 3};
  for (int j = 0; j < 4; ++j) l[j * static_cast<int64_t>(a[2])] = v[j];
}
template <int R, int C>
void copyTile(const uint64_t* a, uint32_t) {
  const auto* x = reinterpret_cast<const float*>(a[0]);
  auto* y = reinterpret_cast<float*>(a[3]);
  const auto xr = static_cast<int64_t>(a[1]), xc = static_cast<int64_t>(a[2]);
  const auto yr = static_cast<int64_t>(a[4]), yc = static_cast<int64_t>(a[5]);
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < C; ++j) y[i * yr + j * yc] = x[i * xr + j * xc];
}

TEST(PlanLoweringHost, WordsMoveTheRightElementsAndLoadsWaitForHostWriters) {
  ir::Module m = parseText(kHost, "host.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("w"), arch910b(), caps());
  ASSERT_EQ(r.plan.kernels.size(), 3u);  // first-call order: set_lens, copy, copy_t
  std::vector<float> X(64 * 16), B(16 * 8), Y(64 * 16, -1.f), T(8 * 16, -1.f);
  for (size_t i = 0; i < X.size(); ++i) X[i] = static_cast<float>(i);
  for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>(1000 + i);
  std::vector<void*> bases = {X.data(), B.data(), nullptr, Y.data(), T.data()};  // lens: arena

  rt::HostExecutor ex({.hostThreads = 2, .window = r.plan.schedule.taskWindow});
  rt::EngineConfig ec = rt::engineConfigFor(r.plan.schedule);
  ec.sink = &ex;
  rt::PlanInterpreter in(r.plan, {.engine = ec,
                                  .kernels = {{&setLens, nullptr}, {&copyTile<1, 16>, nullptr},
                                              {&copyTile<8, 16>, nullptr}},
                                  .tensorBase = bases});
  rt::PlanRunResult run = in.run();
  ASSERT_TRUE(run.ok);
  EXPECT_EQ(kernelTasks(run.stats), 1u + 6u + 1u);  // lengths 1 + 0 + 2 + 3, read after the writer ran
  // Copied rows: b=0 r=0; b=2 r=0,1; b=3 r=0,1,2. Every other row untouched.
  const std::vector<int> rows = {0, 32, 33, 48, 49, 50};
  for (int row = 0; row < 64; ++row) {
    bool copied = std::find(rows.begin(), rows.end(), row) != rows.end();
    for (int j = 0; j < 16; ++j)
      ASSERT_EQ(Y[row * 16 + j], copied ? X[row * 16 + j] : -1.f) << row << "," << j;
  }
  // Transposed view: tile element (i, j) = B[j, i]; T is the 8x16 tile.
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 16; ++j) ASSERT_EQ(T[i * 16 + j], B[j * 8 + i]) << i << "," << j;

  // Same plan, dry run: set_lens does not run, the arena's lengths stay 0.
  rt::PlanRunResult dry = dryRun(r.plan, {}, {X.data(), B.data(), nullptr, Y.data(), T.data()});
  EXPECT_EQ(kernelTasks(dry.stats), 2u);
}

}  // namespace
}  // namespace pto::wsp::lower
