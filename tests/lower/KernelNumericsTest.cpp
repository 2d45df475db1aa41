// End to end: kernel IR -> emitCpuKernel -> g++ (artifact ObjectCache, temp cache dir) ->
// dlopen -> call with real buffers through the kernel ABI, against plain scalar references
// computed here in double precision (not with the tile library). Also checks that every
// <symbol>_cycles returns the cost model's total.
//
// Compiler runs are expensive (seconds each on a loaded machine), so the suite compiles
// once: the rmsnorm kernel as its own translation unit (proves a unit is self-contained),
// the other test kernels concatenated into a second one, every examples/*.wsp kernel into
// a third, then one link. The cache lives in
// the build tree (<build>/lower_test_cache) so that ctest, which runs every test in its
// own process, compiles only in the first one; entries are content-addressed, so any
// change of the generated text or of the tile headers still recompiles.
#include "pto/wsp/lower/KernelCodegen.h"

#include "KernelTestUtil.h"
#include "pto/wsp/abi/KernelAbi.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/cost/KernelCost.h"
#include "pto/wsp/tile/Float16.h"  // only to encode f16 inputs and decode f16 outputs

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <vector>

namespace pto::wsp::lower {
namespace {

using namespace test;
using ir::floatConst;
using ir::intConst;

const arch::ArchModel& hostArch() { return arch::builtinArch("host_cpu"); }

// ---- kernels ----
ir::Kernel rmsnorm() {
  KernelMaker m("rmsnorm_strided");
  m.tile("x", ParamDir::In, {8, 64, DType::F32})
      .tile("g", ParamDir::In, {1, 64, DType::F32})
      .tile("y", ParamDir::Out, {8, 64, DType::F32})
      .scalar("eps", DType::F32);
  std::string x = m.load("x");
  std::string mean = m.op(TileOpKind::RowMean, {m.op(TileOpKind::Mul, {x, x})});
  std::string r = m.op(TileOpKind::Rsqrt, {m.opScalar(TileOpKind::Add, mean, ScalarOperand::ofParam("eps"))});
  std::string xn = m.op(TileOpKind::Mul, {x, r}, Broadcast::Row);
  m.store("y", m.op(TileOpKind::Mul, {xn, m.load("g")}, Broadcast::Col));
  return m.build();
}

ir::Kernel matmulAcc() {
  KernelMaker m("mm.acc");  // a name that needs sanitising
  m.tile("a", ParamDir::In, {16, 32, DType::F16})
      .tile("b", ParamDir::In, {32, 24, DType::F16})
      .tile("c", ParamDir::In, {16, 24, DType::F32})
      .tile("o", ParamDir::Out, {16, 24, DType::F32})
      .tile("o2", ParamDir::Out, {16, 24, DType::F32});
  std::string a = m.load("a"), b = m.load("b");
  m.store("o", m.op(TileOpKind::Matmul, {a, b, m.load("c")}));
  m.store("o2", m.op(TileOpKind::Matmul, {a, b}));
  return m.build();
}

ir::Kernel softmax() {
  KernelMaker m("softmax");
  m.tile("x", ParamDir::In, {8, 40, DType::F32}).tile("y", ParamDir::Out, {8, 40, DType::F32});
  std::string x = m.load("x");
  std::string e = m.op(TileOpKind::Exp, {m.op(TileOpKind::Sub, {x, m.op(TileOpKind::RowMax, {x})}, Broadcast::Row)});
  m.store("y", m.op(TileOpKind::Div, {e, m.op(TileOpKind::RowSum, {e})}, Broadcast::Row));
  return m.build();
}

ir::Kernel topk() {
  KernelMaker m("topk");
  m.tile("x", ParamDir::In, {4, 32, DType::F32})
      .tile("v", ParamDir::Out, {4, 5, DType::F32})
      .tile("i", ParamDir::Out, {4, 5, DType::I32})
      .tile("s", ParamDir::Out, {4, 32, DType::F32});
  std::string x = m.load("x");
  auto [v, i] = m.topk(x, 5, /*desc=*/true);
  m.store("v", v);
  m.store("i", i);
  m.store("s", m.sort(x, /*desc=*/true));
  return m.build();
}

const std::vector<TileOpKind> kUnary = {TileOpKind::Exp,  TileOpKind::Log,     TileOpKind::Sqrt, TileOpKind::Rsqrt,
                                        TileOpKind::Tanh, TileOpKind::Sigmoid, TileOpKind::Relu, TileOpKind::Gelu,
                                        TileOpKind::Silu, TileOpKind::Neg,     TileOpKind::Abs,  TileOpKind::Sin,
                                        TileOpKind::Cos};
bool needsPositive(TileOpKind k) { return k == TileOpKind::Log || k == TileOpKind::Sqrt || k == TileOpKind::Rsqrt; }

ir::Kernel unary() {
  KernelMaker m("unary");
  m.tile("xp", ParamDir::In, {4, 16, DType::F32}).tile("xs", ParamDir::In, {4, 16, DType::F32});
  for (size_t i = 0; i < kUnary.size(); ++i) m.tile(fmt::format("o{}", i), ParamDir::Out, {4, 16, DType::F32});
  std::string xp = m.load("xp"), xs = m.load("xs");
  for (size_t i = 0; i < kUnary.size(); ++i)
    m.store(fmt::format("o{}", i), m.op(kUnary[i], {needsPositive(kUnary[i]) ? xp : xs}));
  return m.build();
}

ir::Kernel misc() {
  KernelMaker m("misc");
  m.tile("x", ParamDir::In, {8, 16, DType::F32}).tile("m", ParamDir::In, {8, 16, DType::Bool}).scalar("n", DType::I32);
  m.tile("o_cast", ParamDir::Out, {8, 16, DType::F16})
      .tile("o_sel", ParamDir::Out, {8, 16, DType::F32})
      .tile("o_iota", ParamDir::Out, {1, 16, DType::I32})
      .tile("o_tr", ParamDir::Out, {16, 8, DType::F32})
      .tile("o_sort", ParamDir::Out, {8, 16, DType::F32})
      .tile("o_colsum", ParamDir::Out, {1, 16, DType::F32})
      .tile("o_colmax", ParamDir::Out, {1, 16, DType::F32})
      .tile("o_rowsum", ParamDir::Out, {8, 1, DType::F32})
      .tile("o_rowmax", ParamDir::Out, {8, 1, DType::F32})
      .tile("o_rowmin", ParamDir::Out, {8, 1, DType::F32});
  std::string x = m.load("x");
  m.store("o_cast", m.typed(TileOpKind::Cast, {x}, {8, 16, DType::F16}));
  std::string f = m.typed(TileOpKind::Fill, {}, {8, 16, DType::F32}, ScalarOperand::of(floatConst(2.5)));
  m.store("o_sel", m.op(TileOpKind::Select, {m.load("m"), x, f}));
  m.store("o_iota", m.typed(TileOpKind::Iota, {}, {1, 16, DType::I32}, ScalarOperand::ofParam("n")));
  m.store("o_tr", m.op(TileOpKind::Transpose, {x}));
  m.store("o_sort", m.sort(x, /*desc=*/false));
  m.store("o_colsum", m.op(TileOpKind::ColSum, {x}));
  m.store("o_colmax", m.op(TileOpKind::ColMax, {x}));
  m.store("o_rowsum", m.op(TileOpKind::RowSum, {x}));
  m.store("o_rowmax", m.op(TileOpKind::RowMax, {x}));
  m.store("o_rowmin", m.op(TileOpKind::RowMin, {x}));
  return m.build();
}

ir::Kernel binops() {
  KernelMaker m("binops");
  m.tile("a", ParamDir::In, {4, 16, DType::F32})
      .tile("b", ParamDir::In, {4, 16, DType::F32})
      .tile("ai", ParamDir::In, {4, 16, DType::I32})
      .tile("c", ParamDir::In, {1, 16, DType::F32})
      .tile("r", ParamDir::In, {4, 1, DType::F32});
  const std::vector<TileOpKind> ops = {TileOpKind::Add, TileOpKind::Sub, TileOpKind::Mul,
                                       TileOpKind::Div, TileOpKind::Max, TileOpKind::Min};
  for (size_t i = 0; i < ops.size(); ++i) m.tile(fmt::format("o{}", i), ParamDir::Out, {4, 16, DType::F32});
  m.tile("imaxs", ParamDir::Out, {4, 16, DType::I32})
      .tile("imul", ParamDir::Out, {4, 16, DType::I32})
      .tile("subcol", ParamDir::Out, {4, 16, DType::F32})
      .tile("maxrow", ParamDir::Out, {4, 16, DType::F32})
      .tile("divs", ParamDir::Out, {4, 16, DType::F32});
  std::string a = m.load("a"), b = m.load("b"), ai = m.load("ai");
  for (size_t i = 0; i < ops.size(); ++i) m.store(fmt::format("o{}", i), m.op(ops[i], {a, b}));
  m.store("imaxs", m.opScalar(TileOpKind::Max, ai, ScalarOperand::of(intConst(-2))));
  m.store("imul", m.op(TileOpKind::Mul, {ai, ai}));
  m.store("subcol", m.op(TileOpKind::Sub, {a, m.load("c")}, Broadcast::Col));
  m.store("maxrow", m.op(TileOpKind::Max, {a, m.load("r")}, Broadcast::Row));
  m.store("divs", m.opScalar(TileOpKind::Div, a, ScalarOperand::of(floatConst(4.0))));
  return m.build();
}

// Chains the code generator streams between global views (one library call per chain);
// the test runs it on disjoint, identical, partially overlapping and strided views.
ir::Kernel streamed() {
  KernelMaker m("streamed");
  m.tile("a", ParamDir::In, {4, 16, DType::F32})
      .tile("b", ParamDir::In, {4, 16, DType::F32})
      .tile("y", ParamDir::InOut, {4, 16, DType::F32})
      .tile("s", ParamDir::Out, {4, 16, DType::F32})
      .tile("ha", ParamDir::In, {4, 16, DType::F16})
      .tile("hb", ParamDir::In, {4, 16, DType::F16})
      .tile("ho", ParamDir::Out, {4, 16, DType::F16});
  m.store("y", m.op(TileOpKind::Add, {m.load("a"), m.load("b")}));
  m.store("s", m.opScalar(TileOpKind::Sub, m.load("a"), ScalarOperand::of(floatConst(1.5))));
  m.store("ho", m.op(TileOpKind::Mul, {m.load("ha"), m.load("hb")}));
  return m.build();
}

// Matmul chains the code generator streams (matmul_global): an accumulating k step into
// an inout tile, and a product of f16 tiles into an out tile.
ir::Kernel matmulStreamed() {
  KernelMaker m("mmstream");
  m.tile("a", ParamDir::In, {12, 40, DType::F32})
      .tile("b", ParamDir::In, {40, 70, DType::F32})
      .tile("c", ParamDir::InOut, {12, 70, DType::F32})
      .tile("ha", ParamDir::In, {5, 24, DType::F16})
      .tile("hb", ParamDir::In, {24, 9, DType::F16})
      .tile("d", ParamDir::Out, {5, 9, DType::F32});
  m.store("c", m.op(TileOpKind::Matmul, {m.load("a"), m.load("b"), m.load("c")}));
  m.store("d", m.op(TileOpKind::Matmul, {m.load("ha"), m.load("hb")}));
  return m.build();
}

// ---- ABI argument words ----
struct Args {
  std::vector<uint64_t> w;
  template <class T>
  Args& tile(T* p, std::ptrdiff_t rowStride, std::ptrdiff_t colStride = 1) {
    w.push_back(reinterpret_cast<uintptr_t>(p));
    w.push_back(static_cast<uint64_t>(rowStride));
    w.push_back(static_cast<uint64_t>(colStride));
    return *this;
  }
  Args& f32(float v) {
    w.push_back(std::bit_cast<uint32_t>(v));
    return *this;
  }
  Args& i32(int32_t v) {
    w.push_back(static_cast<uint64_t>(static_cast<int64_t>(v)));
    return *this;
  }
};

void expectNear(double got, double want, double rel, const std::string& what) {
  EXPECT_LE(std::abs(got - want), rel * std::max(1.0, std::abs(want))) << what << ": got " << got << ", want " << want;
}

class KernelNumerics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kernels_ = {rmsnorm(), matmulAcc(), softmax(), topk(), unary(), misc(), binops(), streamed(), matmulStreamed()};
    dir_ = std::filesystem::path(PTO_WSP_BINARY_DIR) / "lower_test_cache";
    try {
      artifact::CompilerConfig cfg;
      cfg.compileFlags = {"-std=c++20", "-O2", "-fPIC", "-march=native"};
      cfg.includeDirs = {std::filesystem::path(PTO_WSP_SOURCE_DIR) / "include"};
      cfg.jobs = 2;
      cache_ = std::make_unique<artifact::ObjectCache>(dir_, cfg);
      std::vector<artifact::KernelSource>& srcs = srcs_;
      srcs.assign(2, {});
      srcs[0] = {"rmsnorm", emitCpuKernel(kernels_[0], hostArch()), "", {}};
      srcs[1].name = "others";
      for (size_t i = 1; i < kernels_.size(); ++i) srcs[1].text += emitCpuKernel(kernels_[i], hostArch()) + "\n";
      // Third unit: every kernel of examples/*.wsp (parsed with the text front end), so the
      // real example kernels are known to compile.
      try {
        examples_ = exampleKernels();
        artifact::KernelSource ex{"examples", "", "", {}};
        for (const ir::Kernel& k : examples_)
          if (!k.external) ex.text += emitCpuKernel(k, hostArch()) + "\n";
        srcs.push_back(std::move(ex));
      } catch (const std::exception& e) {
        examplesError_ = e.what();
      }
      const uint64_t before = artifact::compilerInvocationCount();
      const artifact::CacheEntry lib = cache_->build(srcs, "lower test kernels");
      compiles_ = artifact::compilerInvocationCount() - before;
      lib_ = std::make_unique<artifact::SharedLibrary>(artifact::SharedLibrary::open(lib.path));
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    lib_.reset();
    cache_.reset();
  }
  void SetUp() override { ASSERT_TRUE(lib_) << "building the kernels failed:\n" << error_; }

  static void run(const std::string& kernel, const Args& a) {
    auto fn = lib_->function<pto_kernel_fn>(kernelSymbol(kernel), kernel);
    fn(a.w.data(), static_cast<uint32_t>(a.w.size()));
  }

  static inline std::vector<ir::Kernel> kernels_;
  static inline std::vector<artifact::KernelSource> srcs_;
  static inline std::vector<ir::Kernel> examples_;
  static inline std::string examplesError_;
  static inline std::filesystem::path dir_;
  static inline std::unique_ptr<artifact::ObjectCache> cache_;
  static inline std::unique_ptr<artifact::SharedLibrary> lib_;
  static inline std::string error_;
  static inline uint64_t compiles_ = 0;
};

TEST_F(KernelNumerics, CompilesOncePerUnitThenNeverAgain) {
  // One per unit + the link on a cold cache, 0 on a warm one, in between when another
  // ctest process built some.
  EXPECT_LE(compiles_, srcs_.size() + 1);
  const uint64_t before = artifact::compilerInvocationCount();
  (void)cache_->build(srcs_, "lower test kernels");
  EXPECT_EQ(artifact::compilerInvocationCount(), before);
  // The emitted text is deterministic, so a second emission hits the same entries.
  EXPECT_EQ(emitCpuKernel(kernels_[0], hostArch()), srcs_[0].text);
}

TEST_F(KernelNumerics, CycleFunctionsReturnTheCostModelTotal) {
  for (const ir::Kernel& k : kernels_) {
    auto cyc = lib_->function<pto_cycles_fn>(cyclesSymbol(k.name), k.name);
    const uint64_t want = cost::kernelCycles(k, hostArch()).total;
    EXPECT_GT(want, 0u) << k.name;
    EXPECT_EQ(cyc(nullptr, 0), want) << k.name;
  }
}

TEST_F(KernelNumerics, ExampleKernelsCompileAndExportBothSymbols) {
  ASSERT_EQ(examplesError_, "");
  ASSERT_FALSE(examples_.empty());
  for (const ir::Kernel& k : examples_) {
    if (k.external) continue;
    EXPECT_NE(lib_->findSymbol(kernelSymbol(k.name)), nullptr) << k.name;
    auto cyc = reinterpret_cast<pto_cycles_fn>(lib_->findSymbol(cyclesSymbol(k.name)));
    ASSERT_NE(cyc, nullptr) << k.name;
    EXPECT_EQ(cyc(nullptr, 0), cost::kernelCycles(k, hostArch()).total) << k.name;
  }
}

TEST_F(KernelNumerics, RmsnormWithStridedViews) {
  // x: 8x64 inside rows of 80; g: every third element of a buffer (col stride 3).
  std::vector<float> x(8 * 80, -7.0f), g(64 * 3, -7.0f), y(8 * 64, 0.0f);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 64; ++c) x[r * 80 + c] = std::sin(0.37f * r + 0.11f * c) * (1.0f + r);
  for (int c = 0; c < 64; ++c) g[c * 3] = 0.5f + 0.01f * c;
  const float eps = 1e-5f;
  run("rmsnorm_strided", Args().tile(x.data(), 80).tile(g.data(), 0, 3).tile(y.data(), 64).f32(eps));
  for (int r = 0; r < 8; ++r) {
    double ss = 0;
    for (int c = 0; c < 64; ++c) ss += double(x[r * 80 + c]) * x[r * 80 + c];
    const double inv = 1.0 / std::sqrt(ss / 64 + eps);
    for (int c = 0; c < 64; ++c)
      expectNear(y[r * 64 + c], x[r * 80 + c] * inv * g[c * 3], 1e-5, fmt::format("y[{}][{}]", r, c));
  }
}

TEST_F(KernelNumerics, MatmulF16WithF32Accumulator) {
  using pto::tile::f16;
  // b is passed as a transposed view of bt (24x32 row-major): element (k, n) = bt[n][k].
  std::vector<f16> a(16 * 32), bt(24 * 32);
  std::vector<float> c(16 * 24), o(16 * 24, 0.0f), o2(16 * 24, 0.0f);
  auto val = [](int i) { return static_cast<float>((i * 37) % 17 - 8) * 0.125f; };  // exact in f16
  for (int i = 0; i < 16 * 32; ++i) a[i] = f16::fromFloat(val(i));
  for (int i = 0; i < 24 * 32; ++i) bt[i] = f16::fromFloat(val(i + 5));
  for (int i = 0; i < 16 * 24; ++i) c[i] = 0.25f * static_cast<float>(i % 9);
  run("mm.acc", Args().tile(a.data(), 32).tile(bt.data(), 1, 32).tile(c.data(), 24).tile(o.data(), 24).tile(o2.data(), 24));
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 24; ++n) {
      double s = 0;
      for (int k = 0; k < 32; ++k) s += double(val(m * 32 + k)) * val(n * 32 + k + 5);
      expectNear(o2[m * 24 + n], s, 1e-6, fmt::format("a*b [{}][{}]", m, n));
      expectNear(o[m * 24 + n], s + c[m * 24 + n], 1e-6, fmt::format("c+a*b [{}][{}]", m, n));
    }
}

TEST_F(KernelNumerics, SoftmaxRows) {
  std::vector<float> x(8 * 40), y(8 * 40, 0.0f);
  for (int i = 0; i < 8 * 40; ++i) x[i] = std::cos(0.7f * i) * 6.0f;
  run("softmax", Args().tile(x.data(), 40).tile(y.data(), 40));
  for (int r = 0; r < 8; ++r) {
    double mx = -INFINITY, sum = 0;
    for (int c = 0; c < 40; ++c) mx = std::max(mx, double(x[r * 40 + c]));
    for (int c = 0; c < 40; ++c) sum += std::exp(double(x[r * 40 + c]) - mx);
    for (int c = 0; c < 40; ++c)
      expectNear(y[r * 40 + c], std::exp(double(x[r * 40 + c]) - mx) / sum, 2e-6, fmt::format("y[{}][{}]", r, c));
  }
}

TEST_F(KernelNumerics, TopkAndDescendingSort) {
  std::vector<float> x(4 * 32), v(4 * 5), s(4 * 32);
  std::vector<int32_t> idx(4 * 5, -1);
  for (int i = 0; i < 4 * 32; ++i) x[i] = static_cast<float>((i * 13) % 29);  // duplicates: ties
  run("topk", Args().tile(x.data(), 32).tile(v.data(), 5).tile(idx.data(), 5).tile(s.data(), 32));
  for (int r = 0; r < 4; ++r) {
    std::vector<int> order(32);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int p, int q) { return x[r * 32 + p] > x[r * 32 + q]; });
    for (int k = 0; k < 5; ++k) {
      EXPECT_EQ(idx[r * 5 + k], order[k]) << "row " << r << " k " << k;
      EXPECT_EQ(v[r * 5 + k], x[r * 32 + order[k]]);
    }
    for (int c = 0; c < 32; ++c) EXPECT_EQ(s[r * 32 + c], x[r * 32 + order[c]]);
  }
}

double unaryRef(TileOpKind k, double x) {
  switch (k) {
    case TileOpKind::Exp: return std::exp(x);
    case TileOpKind::Log: return std::log(x);
    case TileOpKind::Sqrt: return std::sqrt(x);
    case TileOpKind::Rsqrt: return 1.0 / std::sqrt(x);
    case TileOpKind::Tanh: return std::tanh(x);
    case TileOpKind::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case TileOpKind::Relu: return x > 0 ? x : 0.0;
    case TileOpKind::Gelu: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    case TileOpKind::Silu: return x / (1.0 + std::exp(-x));
    case TileOpKind::Neg: return -x;
    case TileOpKind::Abs: return std::abs(x);
    case TileOpKind::Sin: return std::sin(x);
    case TileOpKind::Cos: return std::cos(x);
    default: return NAN;
  }
}

TEST_F(KernelNumerics, EveryUnaryOp) {
  std::vector<float> xp(64), xs(64);
  for (int i = 0; i < 64; ++i) {
    xp[i] = 0.1f + 0.03f * i;
    xs[i] = -3.0f + 0.1f * i;
  }
  std::vector<std::vector<float>> outs(kUnary.size(), std::vector<float>(64, NAN));
  Args args;
  args.tile(xp.data(), 16).tile(xs.data(), 16);
  for (auto& o : outs) args.tile(o.data(), 16);
  run("unary", args);
  for (size_t u = 0; u < kUnary.size(); ++u)
    for (int i = 0; i < 64; ++i) {
      const double in = needsPositive(kUnary[u]) ? xp[i] : xs[i];
      expectNear(outs[u][i], unaryRef(kUnary[u], in), 1e-5,
                 fmt::format("{}({})", ir::tileOpInfo(kUnary[u]).name, in));
    }
}

TEST_F(KernelNumerics, CastFillIotaSelectTransposeSortAndReductions) {
  std::vector<float> x(8 * 16);
  std::vector<uint8_t> mask(8 * 16);
  for (int i = 0; i < 8 * 16; ++i) {
    x[i] = static_cast<float>((i * 7) % 16 - 8) * 0.25f;
    mask[i] = (i % 3 == 0) ? 1 : 0;
  }
  std::vector<pto::tile::f16> oCast(128);
  std::vector<float> oSel(128), oTr(128), oSort(128), colsum(16), colmax(16), rowsum(8), rowmax(8), rowmin(8);
  std::vector<int32_t> oIota(16);
  run("misc", Args()
                  .tile(x.data(), 16)
                  .tile(mask.data(), 16)
                  .i32(7)
                  .tile(oCast.data(), 16)
                  .tile(oSel.data(), 16)
                  .tile(oIota.data(), 16)
                  .tile(oTr.data(), 8)
                  .tile(oSort.data(), 16)
                  .tile(colsum.data(), 16)
                  .tile(colmax.data(), 16)
                  .tile(rowsum.data(), 1)
                  .tile(rowmax.data(), 1)
                  .tile(rowmin.data(), 1));
  for (int r = 0; r < 8; ++r) {
    std::vector<float> row(x.begin() + r * 16, x.begin() + r * 16 + 16);
    std::vector<float> sorted = row;
    std::sort(sorted.begin(), sorted.end());
    double sum = 0, mx = -INFINITY, mn = INFINITY;
    for (int c = 0; c < 16; ++c) {
      const float v = row[c];
      EXPECT_EQ(oCast[r * 16 + c].toFloat(), v);  // values are exact in f16
      EXPECT_EQ(oSel[r * 16 + c], mask[r * 16 + c] ? v : 2.5f);
      EXPECT_EQ(oTr[c * 8 + r], v);
      EXPECT_EQ(oSort[r * 16 + c], sorted[c]);
      sum += v, mx = std::max<double>(mx, v), mn = std::min<double>(mn, v);
    }
    EXPECT_EQ(rowsum[r], sum);
    EXPECT_EQ(rowmax[r], mx);
    EXPECT_EQ(rowmin[r], mn);
  }
  for (int c = 0; c < 16; ++c) {
    double sum = 0, mx = -INFINITY;
    for (int r = 0; r < 8; ++r) sum += x[r * 16 + c], mx = std::max<double>(mx, x[r * 16 + c]);
    EXPECT_EQ(colsum[c], sum);
    EXPECT_EQ(colmax[c], mx);
    EXPECT_EQ(oIota[c], 7 + c);
  }
}

TEST_F(KernelNumerics, BinaryOpsAndBroadcastModes) {
  std::vector<float> a(64), b(64), c(16), r(4);
  std::vector<int32_t> ai(64);
  for (int i = 0; i < 64; ++i) {
    a[i] = std::sin(0.3f * i) * 4.0f;
    b[i] = 0.5f + std::cos(0.2f * i) * 0.25f + (i % 5);
    ai[i] = i % 9 - 4;
  }
  for (int i = 0; i < 16; ++i) c[i] = 0.1f * i;
  for (int i = 0; i < 4; ++i) r[i] = -1.0f + i;
  std::vector<std::vector<float>> o(6, std::vector<float>(64, NAN));
  std::vector<int32_t> imaxs(64), imul(64);
  std::vector<float> subcol(64), maxrow(64), divs(64);
  Args args;
  args.tile(a.data(), 16).tile(b.data(), 16).tile(ai.data(), 16).tile(c.data(), 16).tile(r.data(), 1);
  for (auto& v : o) args.tile(v.data(), 16);
  args.tile(imaxs.data(), 16).tile(imul.data(), 16).tile(subcol.data(), 16).tile(maxrow.data(), 16).tile(divs.data(), 16);
  ASSERT_EQ(args.w.size(), 48u);  // abi::kMaxTaskArgs
  run("binops", args);
  for (int i = 0; i < 64; ++i) {
    const float x = a[i], y = b[i];
    EXPECT_EQ(o[0][i], x + y);
    EXPECT_EQ(o[1][i], x - y);
    EXPECT_EQ(o[2][i], x * y);
    EXPECT_EQ(o[3][i], x / y);
    EXPECT_EQ(o[4][i], std::max(x, y));
    EXPECT_EQ(o[5][i], std::min(x, y));
    EXPECT_EQ(imaxs[i], std::max(ai[i], -2));
    EXPECT_EQ(imul[i], ai[i] * ai[i]);
    EXPECT_EQ(subcol[i], x - c[i % 16]);
    EXPECT_EQ(maxrow[i], std::max(x, r[i / 16]));
    EXPECT_EQ(divs[i], x / 4.0f);
  }
}


TEST_F(KernelNumerics, StreamedChainsMatchTheStagedSemantics) {
  using pto::tile::f16;
  const auto k = std::find_if(kernels_.begin(), kernels_.end(), [](const ir::Kernel& x) { return x.name == "streamed"; });
  ASSERT_NE(k, kernels_.end());
  const std::string text = emitCpuKernel(*k, hostArch());
  size_t calls = 0;
  for (size_t p = text.find("_global<"); p != std::string::npos; p = text.find("_global<", p + 1)) ++calls;
  ASSERT_EQ(calls, 3u) << text;  // the path under test
  std::vector<float> a0(80), b(64), s(64);
  for (int i = 0; i < 80; ++i) a0[i] = std::sin(0.37f * i) * 3.0f;
  for (int i = 0; i < 64; ++i) b[i] = 0.25f * (i % 7) - 0.5f;
  std::vector<f16> ha(64), hb(64), ho(64);
  for (int i = 0; i < 64; ++i) {
    ha[i] = f16::fromFloat(0.1f * i - 3.0f);
    hb[i] = f16::fromFloat(1.0f + 0.013f * i);
  }
  auto call = [&](const float* a, std::ptrdiff_t ars, std::ptrdiff_t acs, float* y) {
    Args args;
    args.tile(a, ars, acs).tile(b.data(), 16).tile(y, 16).tile(s.data(), 16);
    args.tile(ha.data(), 16).tile(hb.data(), 16).tile(ho.data(), 16);
    run("streamed", args);
  };
  // f16 product rounds once from f32, as the staged tiles do.
  auto checkF16 = [&] {
    for (int i = 0; i < 64; ++i)
      EXPECT_EQ(ho[i].bits, f16::fromFloat(ha[i].toFloat() * hb[i].toFloat()).bits) << i;
  };
  {  // disjoint views
    std::vector<float> a = a0, y(64, NAN);
    call(a.data(), 16, 1, y.data());
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(y[i], a0[i] + b[i]) << i;
      EXPECT_EQ(s[i], a0[i] - 1.5f) << i;
    }
    checkF16();
  }
  {  // y is the very view a: in place; the later load of a reads the stored sum
    std::vector<float> a = a0;
    call(a.data(), 16, 1, a.data());
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(a[i], a0[i] + b[i]) << i;
      EXPECT_EQ(s[i], (a0[i] + b[i]) - 1.5f) << i;
    }
  }
  {  // y is a shifted down one row: a partial overlap, all of a is read before y is written
    std::vector<float> buf = a0;
    call(buf.data(), 16, 1, buf.data() + 16);
    for (int i = 0; i < 64; ++i) EXPECT_EQ(buf[16 + i], a0[i] + b[i]) << i;
    EXPECT_EQ(buf[0], a0[0]);
  }
  {  // a is a transposed (column-strided) view: staged load of a 16x4 matrix's transpose
    std::vector<float> at(64), y(64, NAN);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 16; ++c) at[c * 4 + r] = a0[r * 16 + c];
    call(at.data(), 1, 4, y.data());
    for (int i = 0; i < 64; ++i) {
      EXPECT_EQ(y[i], a0[i] + b[i]) << i;
      EXPECT_EQ(s[i], a0[i] - 1.5f) << i;
    }
  }
}

// Every element is one fused multiply-add chain over k from the accumulator (the tile
// library's matmul contract, whatever the blocking), so std::fma in order is exact.
TEST_F(KernelNumerics, StreamedMatmulChainsAreFmaChainsOverK) {
  using pto::tile::f16;
  const auto k = std::find_if(kernels_.begin(), kernels_.end(), [](const ir::Kernel& x) { return x.name == "mmstream"; });
  ASSERT_NE(k, kernels_.end());
  const std::string text = emitCpuKernel(*k, hostArch());
  size_t calls = 0;
  for (size_t p = text.find("matmul_global<"); p != std::string::npos; p = text.find("matmul_global<", p + 1)) ++calls;
  ASSERT_EQ(calls, 2u) << text;
  constexpr int lda = 48, ldc = 80;
  std::vector<float> a(12 * lda), b(40 * 70), c(12 * ldc), d(5 * 9, NAN);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::sin(0.37f * static_cast<float>(i));
  for (size_t i = 0; i < b.size(); ++i) b[i] = std::cos(0.11f * static_cast<float>(i)) * 2.0f;
  for (size_t i = 0; i < c.size(); ++i) c[i] = 0.5f * static_cast<float>(i % 9) - 2.0f;
  std::vector<f16> ha(5 * 24), hb(24 * 9);
  for (size_t i = 0; i < ha.size(); ++i) ha[i] = f16::fromFloat(0.1f * static_cast<float>(i % 17) - 0.8f);
  for (size_t i = 0; i < hb.size(); ++i) hb[i] = f16::fromFloat(1.0f - 0.07f * static_cast<float>(i % 13));
  const std::vector<float> c0 = c;
  Args args;
  args.tile(a.data(), lda).tile(b.data(), 70).tile(c.data(), ldc).tile(ha.data(), 24).tile(hb.data(), 9).tile(d.data(), 9);
  run("mmstream", args);
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < ldc; ++j) {
      float want = c0[i * ldc + j];
      if (j < 70)
        for (int kk = 0; kk < 40; ++kk) want = std::fma(a[i * lda + kk], b[kk * 70 + j], want);
      ASSERT_EQ(c[i * ldc + j], want) << i << "," << j;  // columns 70..79 untouched
    }
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 9; ++j) {
      float want = 0.0f;
      for (int kk = 0; kk < 24; ++kk) want = std::fma(ha[i * 24 + kk].toFloat(), hb[kk * 9 + j].toFloat(), want);
      ASSERT_EQ(d[i * 9 + j], want) << i << "," << j;
    }
}

}  // namespace
}  // namespace pto::wsp::lower
