// Tile library benchmarks. Part 1 (Google Benchmark): throughput of each op class on
// L1/L2-resident tiles. Part 2 (custom timing, best of several repetitions, printed as
// one summary line per comparison):
//   * matmul: C[S,S] = A[S,S] x B[S,S] for S = 64, 128, 1024, assembled from the k-step
//     kernel calls a generated program makes (the code the cpu_sim code generator emits
//     for them), against cblas_sgemm on one thread and against the same kernels staged
//     through local tiles; the result is checked against sgemm's and must equal the
//     staged one bit for bit.
//   * elementwise: d = b + c over whole arrays assembled from tile loads/add/stores,
//     against a STREAM-style triad d = b + s*c into the same array in the same binary
//     (12 bytes/element both).
// Usage: bench_tile [--summary-only] [google-benchmark flags]
// OPENBLAS_CORETYPE=SkylakeX selects OpenBLAS's AVX-512 kernels on CPUs it does not know.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "pto/wsp/tile/TileLib.h"

namespace {

namespace pt = pto::tile;
using pt::bf16;
using pt::f16;
using pt::Tile;

// 64-byte aligned heap array.
template <class T>
struct AlignedArray {
  T* p = nullptr;
  size_t n = 0;
  explicit AlignedArray(size_t count) : n(count) {
    p = static_cast<T*>(std::aligned_alloc(64, ((count * sizeof(T) + 63) / 64) * 64));
  }
  ~AlignedArray() { std::free(p); }
  AlignedArray(const AlignedArray&) = delete;
  AlignedArray& operator=(const AlignedArray&) = delete;
};

template <class T, int H, int W>
std::unique_ptr<Tile<T, H, W>> randomTile(double lo, double hi, uint32_t seed) {
  auto t = std::make_unique<Tile<T, H, W>>();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(static_cast<float>(lo), static_cast<float>(hi));
  for (auto& x : t->data) x = pt::fromCompute<T>(d(rng));
  return t;
}

// ---------------- Part 1: op classes ----------------

template <class T, int H, int W>
void BM_Add(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1), b = randomTile<T, H, W>(-1, 1, 2), c = randomTile<T, H, W>(-1, 1, 3);
  for (auto _ : st) {
    pt::add(*c, *a, *b);
    benchmark::DoNotOptimize(c->data);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(st.iterations() * 3 * H * W * sizeof(T));
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <class T, int H, int W>
void BM_MulRowBroadcast(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto b = randomTile<T, H, 1>(-1, 1, 2);
  auto c = randomTile<T, H, W>(-1, 1, 3);
  for (auto _ : st) {
    pt::mul_row(*c, *a, *b);
    benchmark::DoNotOptimize(c->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}

#define UNARY_BENCH(name, fn, lo, hi)                                        \
  template <class T, int H, int W>                                           \
  void BM_##name(benchmark::State& st) {                                     \
    auto a = randomTile<T, H, W>(lo, hi, 1);                                 \
    auto c = randomTile<T, H, W>(lo, hi, 3);                                 \
    for (auto _ : st) {                                                      \
      pt::fn(*c, *a);                                                        \
      benchmark::DoNotOptimize(c->data);                                     \
      benchmark::ClobberMemory();                                            \
    }                                                                        \
    st.SetItemsProcessed(st.iterations() * H * W);                           \
  }
UNARY_BENCH(Exp, exp, -10, 10)
UNARY_BENCH(Log, log, 0.01, 100)
UNARY_BENCH(Sqrt, sqrt, 0, 100)
UNARY_BENCH(Tanh, tanh, -5, 5)
UNARY_BENCH(Sigmoid, sigmoid, -5, 5)
UNARY_BENCH(Gelu, gelu, -5, 5)
UNARY_BENCH(Silu, silu, -5, 5)
UNARY_BENCH(Sin, sin, -100, 100)
UNARY_BENCH(Relu, relu, -1, 1)
#undef UNARY_BENCH

template <class T, int H, int W>
void BM_RowSum(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto r = randomTile<T, H, 1>(-1, 1, 2);
  for (auto _ : st) {
    pt::rowsum(*r, *a);
    benchmark::DoNotOptimize(r->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <class T, int H, int W>
void BM_RowMax(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto r = randomTile<T, H, 1>(-1, 1, 2);
  for (auto _ : st) {
    pt::rowmax(*r, *a);
    benchmark::DoNotOptimize(r->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <class T, int H, int W>
void BM_ColSum(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto r = randomTile<T, 1, W>(-1, 1, 2);
  for (auto _ : st) {
    pt::colsum(*r, *a);
    benchmark::DoNotOptimize(r->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}

template <class TI, int M, int N, int K>
void BM_Matmul(benchmark::State& st) {
  auto a = randomTile<TI, M, K>(-1, 1, 1);
  auto b = randomTile<TI, K, N>(-1, 1, 2);
  auto c = randomTile<float, M, N>(-1, 1, 3);
  for (auto _ : st) {
    pt::matmulAcc(*c, *a, *b);
    benchmark::DoNotOptimize(c->data);
    benchmark::ClobberMemory();
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * M * N * K * st.iterations() / 1e9, benchmark::Counter::kIsRate);
}

template <class T, int H, int W>
void BM_Sort(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto d = randomTile<T, H, W>(-1, 1, 2);
  auto ix = std::make_unique<Tile<int32_t, H, W>>();
  for (auto _ : st) {
    pt::sort(*d, *ix, *a, pt::SortOrder::Descending);
    benchmark::DoNotOptimize(d->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <class T, int H, int W, int K>
void BM_TopK(benchmark::State& st) {
  auto a = randomTile<T, H, W>(-1, 1, 1);
  auto v = std::make_unique<Tile<T, H, K>>();
  auto ix = std::make_unique<Tile<int32_t, H, K>>();
  for (auto _ : st) {
    pt::topk(*v, *ix, *a);
    benchmark::DoNotOptimize(v->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <int H, int W>
void BM_CastF32ToBf16(benchmark::State& st) {
  auto a = randomTile<float, H, W>(-1, 1, 1);
  auto d = std::make_unique<Tile<bf16, H, W>>();
  for (auto _ : st) {
    pt::cast(*d, *a);
    benchmark::DoNotOptimize(d->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <int H, int W>
void BM_CastF16ToF32(benchmark::State& st) {
  auto a = randomTile<f16, H, W>(-1, 1, 1);
  auto d = std::make_unique<Tile<float, H, W>>();
  for (auto _ : st) {
    pt::cast(*d, *a);
    benchmark::DoNotOptimize(d->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}
template <int H, int W>
void BM_Transpose(benchmark::State& st) {
  auto a = randomTile<float, H, W>(-1, 1, 1);
  auto d = std::make_unique<Tile<float, W, H>>();
  for (auto _ : st) {
    pt::transpose(*d, *a);
    benchmark::DoNotOptimize(d->data);
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * H * W);
}

BENCHMARK(BM_Add<float, 64, 64>);
BENCHMARK(BM_Add<bf16, 64, 64>);
BENCHMARK(BM_Add<f16, 64, 64>);
BENCHMARK(BM_Add<float, 17, 33>);
BENCHMARK(BM_MulRowBroadcast<float, 64, 64>);
BENCHMARK(BM_Exp<float, 64, 64>);
BENCHMARK(BM_Exp<bf16, 64, 64>);
BENCHMARK(BM_Log<float, 64, 64>);
BENCHMARK(BM_Sqrt<float, 64, 64>);
BENCHMARK(BM_Tanh<float, 64, 64>);
BENCHMARK(BM_Sigmoid<float, 64, 64>);
BENCHMARK(BM_Gelu<float, 64, 64>);
BENCHMARK(BM_Silu<float, 64, 64>);
BENCHMARK(BM_Sin<float, 64, 64>);
BENCHMARK(BM_Relu<float, 64, 64>);
BENCHMARK(BM_RowSum<float, 64, 64>);
BENCHMARK(BM_RowMax<float, 64, 64>);
BENCHMARK(BM_RowSum<bf16, 64, 64>);
BENCHMARK(BM_ColSum<float, 64, 64>);
BENCHMARK(BM_Matmul<float, 64, 64, 64>);
BENCHMARK(BM_Matmul<float, 128, 128, 128>);
BENCHMARK(BM_Matmul<bf16, 64, 64, 64>);
BENCHMARK(BM_Matmul<f16, 128, 128, 128>);
BENCHMARK(BM_Sort<float, 16, 256>);
BENCHMARK(BM_TopK<float, 16, 256, 8>);
BENCHMARK(BM_CastF32ToBf16<64, 64>);
BENCHMARK(BM_CastF16ToF32<64, 64>);
BENCHMARK(BM_Transpose<64, 64>);

// ---------------- Part 2: comparisons ----------------

// Thread CPU time: the machine is shared (2 cores, many concurrent compilers), and CPU
// time excludes the intervals in which this thread was preempted.
double cpuSec() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Best (minimum) per-call time of two functions, measured interleaved (a, b, a, b, ...)
// so both see the same machine conditions; each sample runs for at least minSec.
template <class F>
double sampleOnce(F& fn, double minSec) {
  int iters = 0;
  const double t0 = cpuSec();
  double t1;
  do {
    fn();
    ++iters;
    t1 = cpuSec();
  } while (t1 - t0 < minSec);
  return (t1 - t0) / iters;
}
template <class FA, class FB>
std::pair<double, double> bestTimes(FA&& fa, FB&& fb, int reps, double minSec) {
  double ba = 1e30, bb = 1e30;
  for (int r = 0; r < reps; ++r) {
    ba = std::min(ba, sampleOnce(fa, minSec));
    bb = std::min(bb, sampleOnce(fb, minSec));
  }
  return {ba, bb};
}
// The same for any number of functions, sampled round-robin.
template <class... F>
std::array<double, sizeof...(F)> bestTimesN(int reps, double minSec, F&... fs) {
  std::array<double, sizeof...(F)> best;
  best.fill(1e30);
  for (int r = 0; r < reps; ++r) {
    size_t i = 0;
    ((best[i] = std::min(best[i], sampleOnce(fs, minSec)), ++i), ...);
  }
  return best;
}

// C[S,S] = A x B, all row-major, assembled from TM x TN x TK tiles as a generated
// program computes it: per C tile, a P.seq loop over k of kernel calls, the first
// `c = a x b` (load a; load b; matmul; store c) and the others `c += a x b` (load a;
// load b; load c; matmul with acc; store c). Each call is what the cpu_sim code generator
// emits for that kernel: one matmul_global between the views (MatmulStream.cpp).
template <int TM, int TN, int TK>
void tiledMatmul(const float* A, const float* B, float* C, int S) {
  for (int i0 = 0; i0 < S; i0 += TM)
    for (int j0 = 0; j0 < S; j0 += TN)
      for (int k0 = 0; k0 < S; k0 += TK) {
        const auto c = pt::rowMajor(C, S).offset(i0, j0);
        const auto a = pt::rowMajor(A, S).offset(i0, k0);
        const auto b = pt::rowMajor(B, S).offset(k0, j0);
        if (k0 == 0)
          pt::matmul_global<TM, TN, TK>(c, a, b);
        else
          pt::matmul_global<TM, TN, TK>(c, a, b, c);
      }
}

// The same kernels staged through local tiles (what the code generator emits for a chain
// whose tiles have other uses, and emitted for these kernels before matmul_global).
template <int TM, int TN, int TK>
struct MatmulTiles {  // local buffers, allocated once (uninitialised, like a scratchpad)
  std::unique_ptr<Tile<float, TM, TK>> a{new Tile<float, TM, TK>};
  std::unique_ptr<Tile<float, TK, TN>> b{new Tile<float, TK, TN>};
  std::unique_ptr<Tile<float, TM, TN>> c{new Tile<float, TM, TN>};
};
template <int TM, int TN, int TK>
void stagedMatmul(const float* A, const float* B, float* C, int S, MatmulTiles<TM, TN, TK>& w) {
  for (int i0 = 0; i0 < S; i0 += TM)
    for (int j0 = 0; j0 < S; j0 += TN)
      for (int k0 = 0; k0 < S; k0 += TK) {
        pt::load(*w.a, pt::rowMajor(A, S).offset(i0, k0));
        pt::load(*w.b, pt::rowMajor(B, S).offset(k0, j0));
        if (k0 == 0) {
          pt::matmul(*w.c, *w.a, *w.b);
        } else {
          pt::load(*w.c, pt::rowMajor(static_cast<const float*>(C), S).offset(i0, j0));
          pt::matmulAcc(*w.c, *w.a, *w.b);
        }
        pt::store(pt::rowMajor(C, S).offset(i0, j0), *w.c);
      }
}

struct MatmulResult {
  double oursGf, blasGf, stagedGf;
  double maxErr;
  bool identical;  // ours == staged, bit for bit
};

template <int TM, int TN, int TK>
MatmulResult compareMatmul(int S, int reps) {
  AlignedArray<float> A(size_t(S) * S), B(size_t(S) * S), C(size_t(S) * S), R(size_t(S) * S),
      D(size_t(S) * S);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1, 1);
  for (size_t i = 0; i < A.n; ++i) A.p[i] = d(rng);
  for (size_t i = 0; i < B.n; ++i) B.p[i] = d(rng);
  const double flops = 2.0 * S * S * S;
  const double minSec = S >= 512 ? 0.3 : 0.05;
  MatmulTiles<TM, TN, TK> tiles;
  auto ours = [&] { tiledMatmul<TM, TN, TK>(A.p, B.p, C.p, S); };
  auto blas = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, S, S, 1.0f, A.p, S, B.p, S, 0.0f, R.p, S);
  };
  auto staged = [&] { stagedMatmul<TM, TN, TK>(A.p, B.p, D.p, S, tiles); };
  const auto t = bestTimesN(reps, minSec, ours, blas, staged);
  MatmulResult res{flops / t[0] / 1e9, flops / t[1] / 1e9, flops / t[2] / 1e9, 0,
                   std::memcmp(C.p, D.p, C.n * sizeof(float)) == 0};
  // Correctness: |ours - sgemm| relative to the magnitude of the dot product terms
  // (inputs in [-1, 1]: bound S * 2^-24 * sum|a*b| <= S * 2^-24 * S).
  for (size_t i = 0; i < C.n; ++i) res.maxErr = std::max(res.maxErr, double(std::fabs(C.p[i] - R.p[i])));
  return res;
}

template <int TM, int TN, int TK>
bool reportMatmul(const char* label, int S, int reps) {
  const MatmulResult r = compareMatmul<TM, TN, TK>(S, reps);
  const double bound = 2.0 * S * 0x1p-24 * S;
  const bool ok = r.maxErr <= bound && r.identical;
  std::printf("matmul_%d ours %.1f GFLOP/s openblas %.1f GFLOP/s ratio %.2f (tiles %s, max|ours-sgemm| %.2e, bound %.2e; "
              "staged %.1f GFLOP/s, %s: %s)\n",
              S, r.oursGf, r.blasGf, r.oursGf / r.blasGf, label, r.maxErr, bound, r.stagedGf,
              r.identical ? "same bits" : "DIFFERENT bits", ok ? "ok" : "MISMATCH");
  std::fflush(stdout);
  return ok;
}

// STREAM triad a = b + s*c; the split keeps GCC's -O2 vectoriser happy (see Config.h).
__attribute__((noinline)) void triad(float* __restrict a, const float* __restrict b,
                                     const float* __restrict c, float s, size_t n) {
  const size_t main = n & ~size_t(15);
  for (size_t i = 0; i < main; ++i) a[i] = b[i] + s * c[i];
  for (size_t i = main; i < n; ++i) a[i] = b[i] + s * c[i];
}

// c = a + b over n floats, one TH x TW tile at a time, as the code generator emits a
// `load; load; add; store` kernel (a streamed add_global call per tile).
template <int TH, int TW>
__attribute__((noinline)) void tiledAdd(const float* a, const float* b, float* c, size_t n) {
  for (size_t off = 0; off < n; off += TH * TW)
    pt::add_global<TH, TW>(pt::rowMajor(c + off, TW), pt::rowMajor(a + off, TW), pt::rowMajor(b + off, TW));
}

// The same through local tiles (what a chain that cannot stream costs).
template <int TH, int TW>
__attribute__((noinline)) void stagedAdd(const float* a, const float* b, float* c, size_t n) {
  Tile<float, TH, TW> ta, tb;
  for (size_t off = 0; off < n; off += TH * TW) {
    pt::load(ta, pt::rowMajor(a + off, TW));
    pt::load(tb, pt::rowMajor(b + off, TW));
    pt::add(ta, ta, tb);
    pt::store(pt::rowMajor(c + off, TW), ta);
  }
}

template <bool kStaged>
bool reportElementwise(const char* label, size_t n, int reps) {
  AlignedArray<float> b(n), c(n), d(n);
  for (size_t i = 0; i < n; ++i) {
    d.p[i] = 0.0f;
    b.p[i] = static_cast<float>(i % 100);
    c.p[i] = 0.5f;
  }
  const double bytes = 12.0 * n;
  const double minSec = 0.2;
  // Both write the same array: where the destination lies moves either loop's bandwidth
  // by up to a quarter (on a Zen 4 VM, d = b + c into a fourth array ran at 0.72-0.84 of
  // triad into the first, and triad into the fourth at the same speed as ours), so
  // separate destinations would compare placements, not loops.
  auto ours = [&] {
    if constexpr (kStaged) stagedAdd<8, 256>(b.p, c.p, d.p, n); else tiledAdd<8, 256>(b.p, c.p, d.p, n);
  };
  auto stream = [&] { triad(d.p, b.p, c.p, 3.0f, n); };
  const auto [tOurs, tTriad] = bestTimes(ours, stream, reps, minSec);
  bool ok = true;
  ours();
  for (size_t i = 0; i < n; i += 4099) ok &= d.p[i] == b.p[i] + c.p[i];
  stream();
  for (size_t i = 0; i < n; i += 4099) ok &= d.p[i] == b.p[i] + 3.0f * c.p[i];
  const double gOurs = bytes / tOurs / 1e9, gTriad = bytes / tTriad / 1e9;
  std::printf("elementwise_add%s_%s ours %.1f GB/s triad %.1f GB/s ratio %.2f (%zu floats/array, tiles 8x256, %s)\n",
              kStaged ? "_staged" : "", label, gOurs, gTriad, gOurs / gTriad, n, ok ? "ok" : "MISMATCH");
  std::fflush(stdout);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool summaryOnly = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--summary-only") == 0)
      summaryOnly = true;
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  openblas_set_num_threads(1);
  if (!summaryOnly) {
    benchmark::Initialize(&n, args.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("# openblas %s core %s (OPENBLAS_CORETYPE=%s), 1 thread\n", openblas_get_config(),
              openblas_get_corename(), core ? core : "unset");
  bool ok = true;
  ok &= reportMatmul<64, 64, 64>("64x64x64", 64, 15);
  ok &= reportMatmul<128, 128, 128>("128x128x128", 128, 15);
  ok &= reportMatmul<64, 64, 64>("64x64x64", 128, 15);
  ok &= reportMatmul<128, 128, 128>("128x128x128", 1024, 5);
  ok &= reportMatmul<64, 256, 256>("64x256x256", 1024, 5);
  ok &= reportMatmul<128, 256, 256>("128x256x256", 1024, 5);
  ok &= reportElementwise<false>("L2", 16 * 1024, 7);
  ok &= reportElementwise<false>("L3", 512 * 1024, 7);
  ok &= reportElementwise<false>("DRAM", 16 * 1024 * 1024, 5);
  ok &= reportElementwise<true>("L2", 16 * 1024, 7);
  return ok ? 0 : 1;
}
