// Lowered views (argument words, regions) and run-time sizes: dense_dyn symbols, ragged
// lengths and CSR tensors read from memory at run time, with one plan for all data.
#include "PlanLoweringTestUtil.h"

#include <cstdint>
#include <set>
#include <vector>

namespace pto::wsp::lower {
namespace {

using ::testing::HasSubstr;
using namespace plantest;

// Argument words of every task, recorded by the cycle hook (it sees the same words).
std::vector<std::vector<uint64_t>> gWords;
uint64_t recordWords(const uint64_t* args, uint32_t n) {
  gWords.emplace_back(args, args + n);
  return 1;
}

const char* kViews = R"(module views
symbol C = 23
symbol N = 78
input A : f32[4, 64, C]
input B : f32[64, 64]
input V : f32[N]
output O : f32[64, 64]
kernel k(in a : Tile[16, 8, f32], in b : Tile[8, 16, f32], in v : Tile[1, 16, f32], inout o : Tile[16, 16, f32],
         s : Scalar[f16], n : Scalar[i32]) {
  %t = load o
  store o, %t
}
workload w {
  P i in dense(1) {
    call k(A[2, 4 : 16, 8 : 8 : 2], B[0 : 16, 16 : 8].T, V[32 : 16 : 3], O[16 : 16, 0 : 16], i + 2, i - 3)
  }
}
)";

TEST(PlanLoweringViews, WordsAndRegionsOfSteppedTransposedRank3AndRank1Views) {
  ir::Module m = parseText(kViews, "views.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("w"), arch910b(), caps());
  const abi::PlanNode& call = r.plan.processes[0].body[0].children[0];
  ASSERT_EQ(call.views.size(), 4u);
  EXPECT_EQ(call.views[0].extents, (std::vector<int64_t>{1, 16, 15}));  // 8 cols, step 2: 1 + 7*2
  EXPECT_EQ(call.views[1].extents, (std::vector<int64_t>{16, 8}));      // the region; the tile is 8x16
  EXPECT_TRUE(call.views[1].transposed);
  EXPECT_EQ(call.views[2].extents, (std::vector<int64_t>{46}));  // 16 elements, step 3: 1 + 15*3
  // A's shape reads C: its strides are computed per run.
  EXPECT_EQ(r.plan.tensors[0].strideExprs.size(), 3u);

  std::vector<float> A(4 * 64 * 23), B(64 * 64), V(78), O(64 * 64);
  gWords.clear();
  rt::PlanRunResult run = dryRun(r.plan, {}, {A.data(), B.data(), V.data(), O.data()}, {{nullptr, &recordWords}});
  ASSERT_TRUE(run.ok);
  ASSERT_EQ(gWords.size(), 1u);
  const std::vector<uint64_t>& w = gWords[0];
  ASSERT_EQ(w.size(), 4u * 3 + 2);
  auto addr = [](const float* base, int64_t elems) { return reinterpret_cast<uint64_t>(base + elems); };
  // A[2, 4, 8] with strides (64*23, 23, 1): row stride 23, col stride 1*2.
  EXPECT_EQ(w[0], addr(A.data(), 2 * 64 * 23 + 4 * 23 + 8));
  EXPECT_EQ(w[1], 23u);
  EXPECT_EQ(w[2], 2u);
  // B[0, 16] transposed: tile row i walks B's columns (stride 1), tile col j its rows (64).
  EXPECT_EQ(w[3], addr(B.data(), 16));
  EXPECT_EQ(w[4], 1u);
  EXPECT_EQ(w[5], 64u);
  // V[32], rank 1: no row stride, col stride 3.
  EXPECT_EQ(w[6], addr(V.data(), 32));
  EXPECT_EQ(w[7], 0u);
  EXPECT_EQ(w[8], 3u);
  EXPECT_EQ(w[9], addr(O.data(), 16 * 64));
  EXPECT_EQ(w[10], 64u);
  EXPECT_EQ(w[11], 1u);
  EXPECT_EQ(w[12], 0x4000u);                          // f16 2.0 converted at run time (i + 2)
  EXPECT_EQ(static_cast<int64_t>(w[13]), -3);        // i32 sign-extended

  // The regions end exactly where the views' spans end: one element less of C or N and
  // the same plan reports the exact box.
  try {
    dryRun(r.plan, {22, 78});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor 'A' is out of bounds in dim 2: [8, 23) of 22"));
  }
  try {
    dryRun(r.plan, {23, 77});
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor 'V' is out of bounds in dim 0: [32, 78) of 77"));
  }
}

const char* kAxes = R"(module axes
symbol N = 4
input lens : i32[4]
input indptr : i64[5]
input indices : u16[8]
input X : f32[64, 16]
output Y : f32[64, 16]
kernel k(in x : Tile[1, 16, f32], out y : Tile[1, 16, f32]) {
  %t = load x
  store y, %t
}
workload ragged {
  P b in dense(4) {
    P r in ragged(b, lens) {
      call k(X[b * 16 + r : 1, 0 : 16], Y[b * 16 + r : 1, 0 : 16])
    }
  }
}
workload sparse {
  P b in dense(4) {
    P.sel j in sparse(b, indptr, indices) {
      call k(X[b * 16 + j : 1, 0 : 16], Y[b * 16 + j : 1, 0 : 16])
    }
  }
}
workload dyn {
  P i in dense_dyn(N) {
    call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16])
  }
}
)";

struct AxesData {
  std::vector<int32_t> lens = {1, 2, 3, 4};
  std::vector<int64_t> indptr = {0, 2, 2, 5, 6};
  std::vector<uint16_t> indices = {3, 1, 0, 4, 7, 15, 0, 0};
  std::vector<float> X = std::vector<float>(64 * 16), Y = std::vector<float>(64 * 16);
  std::vector<void*> bases() { return {lens.data(), indptr.data(), indices.data(), X.data(), Y.data()}; }
};

// Rows of X the tasks read, from their first argument word.
std::multiset<int64_t> rowsRead(const AxesData& d) {
  std::multiset<int64_t> rows;
  for (const auto& w : gWords)
    rows.insert(static_cast<int64_t>((w[0] - reinterpret_cast<uint64_t>(d.X.data())) / (16 * sizeof(float))));
  return rows;
}

TEST(PlanLoweringAxes, RaggedLengthsAreReadFromTensorMemoryAtRunTime) {
  ir::Module m = parseText(kAxes, "axes.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("ragged"), arch910b(), caps());
  EXPECT_NE(std::find(r.features.begin(), r.features.end(), "pred.dynamic_axis"), r.features.end());
  AxesData d;
  gWords.clear();
  rt::PlanRunResult a = dryRun(r.plan, {}, d.bases(), {{nullptr, &recordWords}});
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(kernelTasks(a.stats), 10u);  // 1 + 2 + 3 + 4
  EXPECT_EQ(rowsRead(d), (std::multiset<int64_t>{0, 16, 17, 32, 33, 34, 48, 49, 50, 51}));
  d.lens = {0, 0, 5, 1};  // same plan, new data
  gWords.clear();
  rt::PlanRunResult b = dryRun(r.plan, {}, d.bases(), {{nullptr, &recordWords}});
  EXPECT_EQ(kernelTasks(b.stats), 6u);
  EXPECT_EQ(rowsRead(d), (std::multiset<int64_t>{32, 33, 34, 35, 36, 48}));
  // Without memory for the lengths the run says which tensor it needs.
  try {
    dryRun(r.plan);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor 'lens' is read at run time (element 0) but no memory is bound"));
  }
  d.lens = {1, 1, 1, 17};  // row 48 + 16 is past X
  EXPECT_THROW(dryRun(r.plan, {}, d.bases()), UserError);
}

TEST(PlanLoweringAxes, SparseIndptrAndIndicesAreReadFromTensorMemoryAtRunTime) {
  ir::Module m = parseText(kAxes, "axes.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("sparse"), arch910b(), caps());
  EXPECT_NE(std::find(r.features.begin(), r.features.end(), "pred.sparse_select"), r.features.end());
  AxesData d;
  gWords.clear();
  rt::PlanRunResult a = dryRun(r.plan, {}, d.bases(), {{nullptr, &recordWords}});
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(kernelTasks(a.stats), 6u);
  // b=0: indices[0..2) = {3, 1}; b=1: none; b=2: {0, 4, 7} + 32; b=3: {15} + 48.
  EXPECT_EQ(rowsRead(d), (std::multiset<int64_t>{3, 1, 32, 36, 39, 63}));
  d.indptr = {0, 1, 1, 1, 3};
  d.indices = {9, 2, 5, 0, 0, 0, 0, 0};
  gWords.clear();
  rt::PlanRunResult b = dryRun(r.plan, {}, d.bases(), {{nullptr, &recordWords}});
  EXPECT_EQ(kernelTasks(b.stats), 3u);
  EXPECT_EQ(rowsRead(d), (std::multiset<int64_t>{9, 50, 53}));
  d.indptr = {0, 1, 1, 1, 9};  // indptr past the 8 indices
  try {
    dryRun(r.plan, {}, d.bases());
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("read of element 8 of tensor 'indices' which has 8 elements"));
  }
}

TEST(PlanLoweringAxes, DenseDynExtentFollowsTheSymbolWithTheSamePlan) {
  ir::Module m = parseText(kAxes, "axes.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("dyn"), arch910b(), caps());
  EXPECT_EQ(kernelTasks(dryRun(r.plan).stats), 4u);
  EXPECT_EQ(kernelTasks(dryRun(r.plan, {9}).stats), 9u);
  EXPECT_EQ(kernelTasks(dryRun(r.plan, {0}).stats), 0u);
}

// A size symbol without default: the plan keeps the expression, each run must set it.
TEST(PlanLoweringAxes, ShapeSymbolWithoutDefaultIsSetPerRun) {
  ir::Module m = parseText(R"(module nodef
symbol S
input X : f32[S, 16]
output Y : f32[S, 16]
kernel k(in x : Tile[1, 16, f32], out y : Tile[1, 16, f32]) {
  %t = load x
  store y, %t
}
workload w {
  P i in dense_dyn(S) {
    call k(X[i : 1, 0 : 16], Y[i : 1, 0 : 16])
  }
}
)", "nodef.wsp");
  PlanLoweringResult r = lowerWorkload(m, *m.findWorkload("w"), arch910b(), caps());
  EXPECT_EQ(r.plan.tensors[0].shape, (std::vector<int64_t>{0, 16}));
  EXPECT_EQ(r.plan.tensors[0].shapeExprs.size(), 2u);
  try {
    dryRun(r.plan);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tensor 'X' has size 0 (stride 16) in dim 0 for this run"));
  }
  EXPECT_EQ(kernelTasks(dryRun(r.plan, {5}).stats), 5u);
  EXPECT_EQ(kernelTasks(dryRun(r.plan, {12}).stats), 12u);
}

}  // namespace
}  // namespace pto::wsp::lower
