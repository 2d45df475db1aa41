#include "StarpuComparator.h"

#include <fmt/format.h>

#ifdef PTO_WSP_HAVE_STARPU
#include <starpu.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace bench {

#ifndef PTO_WSP_HAVE_STARPU

bool starpuAvailable() { return false; }
std::string starpuDescription() {
  return "StarPU: not built (pkg-config found no starpu-1.3 at configure time; "
         "install libstarpu-dev, scripts/deps.sh)";
}
double starpuChain(size_t, uint32_t, uint32_t, bool) { return 0; }
double starpuFan(size_t, uint32_t, uint32_t, uint32_t, bool) { return 0; }

#else

namespace {

using Clock = std::chrono::steady_clock;

double nsSince(Clock::time_point t0) {
  return static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_runtime: StarPU: %s\n", what.c_str());
  std::abort();
}

const char* schedName() {
  const char* s = std::getenv("STARPU_SCHED");
  return s != nullptr ? s : "eager";
}

// Quiet and fast to start: no banner, no performance-model calibration; the eager
// scheduler (one central queue) needs no model, as the Engine's dry clock does not.
void start(uint32_t workers, uint32_t window) {
  setenv("STARPU_SILENT", "1", 0);
  setenv("STARPU_CALIBRATE", "0", 0);
  setenv("STARPU_SCHED", "eager", 0);
  const std::string limit = fmt::format("{}", window);
  const std::string low = fmt::format("{}", window / 2);
  setenv("STARPU_LIMIT_MAX_SUBMITTED_TASKS", limit.c_str(), 0);
  setenv("STARPU_LIMIT_MIN_SUBMITTED_TASKS", low.c_str(), 0);
  starpu_conf conf;
  starpu_conf_init(&conf);
  conf.ncpus = static_cast<int>(workers);
  conf.ncuda = 0;
  conf.nopencl = 0;
  conf.calibrate = 0;
  conf.bus_calibrate = 0;
  if (starpu_init(&conf) != 0) fail("starpu_init failed");
}

void* varPtr(void* iface) {
  return reinterpret_cast<void*>(static_cast<starpu_variable_interface*>(iface)->ptr);
}
uint64_t& var(void* buffers[], int i) { return *static_cast<uint64_t*>(varPtr(buffers[i])); }
uint64_t argOf(void* clArg) { return reinterpret_cast<uintptr_t>(clArg); }
void* asArg(uint64_t v) { return reinterpret_cast<void*>(static_cast<uintptr_t>(v)); }

// ---- kernels; each checks what the dependencies promise and counts violations.
std::atomic<uint64_t> gErrors{0};
std::atomic<uint64_t> gLast{0};   // tag chain: index of the latest task run
std::atomic<uint64_t> gSrcs{0};   // fan: sources run
std::atomic<uint64_t> gMids{0};   // fan: middles run
std::atomic<uint64_t> gSinks{0};  // fan: sinks run
uint32_t gWidth = 0;

// Data chain: one RW handle; each task increments it, so the final value is the task
// count only if StarPU ran them one after another.
void chainData(void* buffers[], void*) { ++var(buffers, 0); }

// Tag chain: task i must see i - 1 as the latest task.
void chainTag(void*[], void* clArg) {
  const uint64_t i = argOf(clArg);
  if (gLast.load(std::memory_order_relaxed) + 1 != i) gErrors.fetch_add(1);
  gLast.store(i, std::memory_order_relaxed);
}

// Fan, block b (1-based): the source sets x = b (data) and counts; a middle copies x into
// its y_i after checking its source ran; the sink checks every middle of its block ran
// (and, with data, that every y_i == x).
void fanSrc(void* buffers[], void* clArg) {
  const uint64_t b = argOf(clArg);
  if (gSinks.load() + 1 != b) gErrors.fetch_add(1);
  if (STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) > 0) var(buffers, 0) = b;
  gSrcs.fetch_add(1);
}
void fanMid(void* buffers[], void* clArg) {
  const uint64_t b = argOf(clArg);
  if (gSrcs.load() != b) gErrors.fetch_add(1);
  if (STARPU_TASK_GET_NBUFFERS(starpu_task_get_current()) > 0) var(buffers, 1) = var(buffers, 0);
  gMids.fetch_add(1);
}
void fanSink(void* buffers[], void* clArg) {
  const uint64_t b = argOf(clArg);
  if (gMids.load() != b * gWidth) gErrors.fetch_add(1);
  const unsigned nb = STARPU_TASK_GET_NBUFFERS(starpu_task_get_current());
  if (nb > 0) {
    const uint64_t x = var(buffers, 0);
    if (x != b) gErrors.fetch_add(1);
    for (unsigned i = 1; i < nb; ++i)
      if (var(buffers, static_cast<int>(i)) != x) gErrors.fetch_add(1);
  }
  gSinks.fetch_add(1);
}

starpu_codelet codelet(starpu_cpu_func_t f, int nbuffers) {
  starpu_codelet cl;
  starpu_codelet_init(&cl);
  cl.cpu_funcs[0] = f;
  cl.nbuffers = nbuffers;
  cl.name = "empty";
  return cl;
}

void submit(starpu_task* t) {
  if (starpu_task_submit(t) != 0) fail("starpu_task_submit failed");
}

void resetCounters(uint32_t width) {
  gErrors = 0;
  gLast = 0;
  gSrcs = 0;
  gMids = 0;
  gSinks = 0;
  gWidth = width;
}

void checkErrors(const char* what) {
  if (gErrors.load() != 0)
    fail(fmt::format("{}: {} dependency violations", what, gErrors.load()));
}

}  // namespace

bool starpuAvailable() { return true; }

std::string starpuDescription() {
  int major = 0, minor = 0, release = 0;
  starpu_get_version(&major, &minor, &release);
  return fmt::format("StarPU {}.{}.{}, scheduler {}, calibration off", major, minor, release,
                     schedName());
}

double starpuChain(size_t n, uint32_t workers, uint32_t window, bool tags) {
  start(workers, window);
  resetCounters(0);
  starpu_codelet cl = tags ? codelet(chainTag, 0) : codelet(chainData, 1);
  if (!tags) cl.modes[0] = STARPU_RW;
  uint64_t value = 0;
  starpu_data_handle_t h = nullptr;
  if (!tags) starpu_variable_data_register(&h, STARPU_MAIN_RAM, reinterpret_cast<uintptr_t>(&value), sizeof value);
  const auto t0 = Clock::now();
  for (size_t i = 1; i <= n; ++i) {
    starpu_task* t = starpu_task_create();
    t->cl = &cl;
    if (tags) {
      t->cl_arg = asArg(i);
      t->use_tag = 1;
      t->tag_id = i;
      if (i > 1) starpu_tag_declare_deps(i, 1, static_cast<starpu_tag_t>(i - 1));
    } else {
      t->handles[0] = h;
    }
    submit(t);
  }
  if (starpu_task_wait_for_all() != 0) fail("starpu_task_wait_for_all failed");
  const double ns = nsSince(t0) / static_cast<double>(n);
  if (tags) {
    if (gLast.load() != n) fail(fmt::format("tag chain ran up to {}, expected {}", gLast.load(), n));
    for (size_t i = 1; i <= n; ++i) starpu_tag_remove(i);
  } else {
    starpu_data_unregister(h);  // brings the value home
    if (value != n) fail(fmt::format("data chain value {}, expected {}", value, n));
  }
  checkErrors(tags ? "tag chain" : "data chain");
  starpu_shutdown();
  return ns;
}

double starpuFan(size_t blocks, uint32_t width, uint32_t workers, uint32_t window, bool tags) {
  start(workers, window);
  resetCounters(width);
  starpu_codelet src = codelet(fanSrc, tags ? 0 : 1);
  starpu_codelet mid = codelet(fanMid, tags ? 0 : 2);
  starpu_codelet sink = codelet(fanSink, tags ? 0 : STARPU_VARIABLE_NBUFFERS);
  src.modes[0] = STARPU_W;
  mid.modes[0] = STARPU_R;
  mid.modes[1] = STARPU_W;
  uint64_t x = 0;
  std::vector<uint64_t> y(width, 0);
  starpu_data_handle_t hx = nullptr;
  std::vector<starpu_data_handle_t> hy(width, nullptr);
  // The sink reads every y_i and writes x: the next block's source waits for it.
  std::vector<starpu_data_descr> sinkData;
  if (!tags) {
    starpu_variable_data_register(&hx, STARPU_MAIN_RAM, reinterpret_cast<uintptr_t>(&x), sizeof x);
    sinkData.push_back({hx, STARPU_RW});
    for (uint32_t i = 0; i < width; ++i) {
      starpu_variable_data_register(&hy[i], STARPU_MAIN_RAM, reinterpret_cast<uintptr_t>(&y[i]),
                                    sizeof y[i]);
      sinkData.push_back({hy[i], STARPU_R});
    }
  }
  std::vector<starpu_tag_t> midTags(width);
  const uint64_t perBlock = uint64_t{width} + 2;
  const auto t0 = Clock::now();
  for (uint64_t b = 1; b <= blocks; ++b) {
    const starpu_tag_t base = b * perBlock;  // source base, middles base+1.., sink base+w+1
    starpu_task* s = starpu_task_create();
    s->cl = &src;
    s->cl_arg = asArg(b);
    if (tags) {
      s->use_tag = 1;
      s->tag_id = base;
      if (b > 1) starpu_tag_declare_deps(base, 1, static_cast<starpu_tag_t>(base - 1));
    } else {
      s->handles[0] = hx;
    }
    submit(s);
    for (uint32_t i = 0; i < width; ++i) {
      starpu_task* m = starpu_task_create();
      m->cl = &mid;
      m->cl_arg = asArg(b);
      if (tags) {
        m->use_tag = 1;
        m->tag_id = midTags[i] = base + 1 + i;
        starpu_tag_declare_deps(m->tag_id, 1, base);
      } else {
        m->handles[0] = hx;
        m->handles[1] = hy[i];
      }
      submit(m);
    }
    if (tags) {
      starpu_task* k = starpu_task_create();
      k->cl = &sink;
      k->cl_arg = asArg(b);
      k->use_tag = 1;
      k->tag_id = base + width + 1;
      starpu_tag_declare_deps_array(k->tag_id, width, midTags.data());
      submit(k);
    } else {
      if (starpu_task_insert(&sink, STARPU_CL_ARGS_NFREE, asArg(b), size_t{0}, STARPU_DATA_MODE_ARRAY,
                             sinkData.data(), static_cast<int>(sinkData.size()), 0) != 0)
        fail("starpu_task_insert failed");
    }
  }
  if (starpu_task_wait_for_all() != 0) fail("starpu_task_wait_for_all failed");
  const double ns = nsSince(t0) / static_cast<double>(blocks * perBlock);
  if (gSinks.load() != blocks || gMids.load() != blocks * width)
    fail(fmt::format("fan ran {} sinks and {} middles, expected {} and {}", gSinks.load(),
                     gMids.load(), blocks, blocks * width));
  if (tags) {
    for (uint64_t b = 1; b <= blocks; ++b)
      for (uint64_t j = 0; j < perBlock; ++j) starpu_tag_remove(b * perBlock + j);
  } else {
    starpu_data_unregister(hx);
    for (auto h : hy) starpu_data_unregister(h);
    if (x != blocks) fail(fmt::format("fan x {}, expected {}", x, blocks));
  }
  checkErrors(tags ? "tag fan" : "data fan");
  starpu_shutdown();
  return ns;
}

#endif

}  // namespace bench
