// Building and running an emitted tree on a pto-runtime checkout (PtoRuntimeRun.h).
#include "pto/wsp/target/ascend/PtoRuntimeRun.h"

#include "HostLauncher.h"
#include "TaskTable.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/CompilerInvocation.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

namespace pto::wsp::target::ascend {
namespace fs = std::filesystem;

namespace {

SourceLoc at(const fs::path& p) { return SourceLoc{p.string(), 0, 0, {}}; }

std::string envOr(const std::string& given, const char* var) {
  if (!given.empty()) return given;
  const char* v = std::getenv(var);
  return v ? std::string(v) : std::string();
}

// The commit of a checkout: HEAD of its .git when there is one ("" otherwise).
std::string gitCommit(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root / ".git", ec)) return {};
  artifact::ProcessResult r =
      artifact::runProcess({"git", "-C", root.string(), "rev-parse", "HEAD"}, fs::temp_directory_path() / "pto_wsp_git.log");
  if (!r.ok()) return {};
  std::string s = r.log;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

fs::path runtimeDir(const PtoRuntimeCheckout& c) { return c.runtimeRoot / "src/a2a3/runtime" / c.runtime; }
fs::path hostLibDir(const PtoRuntimeCheckout& c) { return c.libDir / "a2a3/sim" / c.runtime; }

// pto-runtime's DataType order (task_interface/data_type.h).
uint32_t dataType(const std::string& dtype, const fs::path& manifest) {
  static const char* kNames[] = {"f32", "f16", "i32", "i16", "i8", "u8", "bf16", "i64", "u64", "u16", "u32"};
  for (uint32_t i = 0; i < std::size(kNames); ++i)
    if (dtype == kNames[i]) return i;
  throw UserError(makeError(at(manifest), fmt::format("entry dtype '{}' has no pto-runtime DataType", dtype))
                      .help("pto-runtime tensors are f32, f16, bf16, i8/16/32/64, u8/16/32/64"));
}

uint32_t direction(const std::string& d, const fs::path& manifest) {
  if (d == "IN") return 1;
  if (d == "OUT") return 2;
  if (d == "INOUT") return 3;
  throw UserError(makeError(at(manifest), fmt::format("unknown argument direction '{}'", d))
                      .help("re-emit the tree with `ptowsp compile --target ascend`"));
}

// One shared object to build: its compiler arguments (without -o) and content key.
struct BuildJob {
  std::string what;  // "kernel 'max_step'", "orchestration", "host launcher"
  BuildCount* count;
  std::vector<std::string> args;
  fs::path out;
  fs::path log;
};

class Builder {
 public:
  Builder(const PtoRuntimeCheckout& c, fs::path dir) : c_(c), dir_(std::move(dir)), cc_(artifact::compilerIdentity()) {
    // What the objects depend on outside their own text: the compiler and the checkout
    // (paths plus the built host runtime's size and time, which a rebuild changes).
    std::error_code ec;
    const fs::path host = hostLibDir(c) / "libhost_runtime.so";
    const auto size = fs::file_size(host, ec);
    const auto time = fs::last_write_time(host, ec).time_since_epoch().count();
    salt_ = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}", cc_.path, cc_.version, c.runtimeRoot.string(), c.isaRoot.string(),
                        c.runtime, size, time);
  }

  // Queues `source` (a file) compiled with `flags`; returns the object path.
  fs::path add(std::string what, BuildCount& count, const fs::path& source, std::vector<std::string> flags,
               const std::vector<fs::path>& extraSources = {}) {
    std::string key = salt_;
    for (const std::string& f : flags) key += "\n" + f;
    key += "\n" + readFileOrThrow(source);
    for (const fs::path& e : extraSources) key += "\n" + readFileOrThrow(e);
    const std::string name = fmt::format("{}-{}", source.stem().string(), hashHex(hash64(key)));
    const fs::path out = dir_ / (name + ".so");
    std::error_code ec;
    if (fs::exists(out, ec)) {
      ++reused_;
      ++count.reused;
      return out;
    }
    BuildJob j{std::move(what), &count, std::move(flags), out, dir_ / (name + ".log")};
    for (const fs::path& e : extraSources) j.args.push_back(e.string());
    j.args.push_back(source.string());
    jobs_.push_back(std::move(j));
    return out;
  }

  // Builds the queued objects, two compilers at a time (each is written under a temp
  // name and renamed, so a crash never leaves a half object under its key).
  void build() {
    std::atomic<size_t> next{0};
    std::mutex m;
    std::vector<Diagnostic> errors;
    auto worker = [&] {
      for (size_t i; (i = next++) < jobs_.size();) {
        const BuildJob& j = jobs_[i];
        const fs::path tmp = j.out.string() + fmt::format(".tmp{}", i);
        std::vector<std::string> args = j.args;
        args.push_back("-o");
        args.push_back(tmp.string());
        artifact::ProcessResult r = artifact::invokeCompiler(cc_, artifact::InvocationKind::Compile, args, j.log,
                                                             std::chrono::minutes(10));
        std::error_code ec;
        if (r.ok()) fs::rename(tmp, j.out, ec);
        std::lock_guard<std::mutex> g(m);
        ++compiles_;
        ++j.count->compiled;
        if (!r.ok() || ec) {
          fs::remove(tmp, ec);
          errors.push_back(makeError(at(j.args.back()), fmt::format("{} does not compile against {}: the compiler {}",
                                                                    j.what, c_.runtimeRoot.string(), r.describe()))
                               .note(r.log.substr(0, 4000))
                               .help(fmt::format("the full log is {}", j.log.string())));
        }
      }
    };
    const size_t n = std::min<size_t>(jobs_.size(), 2);
    std::vector<std::thread> ts;
    for (size_t i = 0; i < n; ++i) ts.emplace_back(worker);
    for (std::thread& t : ts) t.join();
    jobs_.clear();
    if (!errors.empty()) throw UserError(std::move(errors));
  }

  uint64_t compiles() const { return compiles_; }
  uint64_t reused() const { return reused_; }

 private:
  static std::string readFileOrThrow(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f)
      throw UserError(makeError(at(p), "cannot read this source of the tree")
                          .help("re-emit the tree with `ptowsp compile --target ascend`"));
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }

  const PtoRuntimeCheckout& c_;
  fs::path dir_;
  const artifact::CompilerIdentity& cc_;
  std::string salt_;
  std::vector<BuildJob> jobs_;
  uint64_t compiles_ = 0, reused_ = 0;
};

std::vector<std::string> includeFlags(const std::vector<fs::path>& dirs) {
  std::vector<std::string> f;
  for (const fs::path& d : dirs) f.push_back("-I" + d.string());
  return f;
}

}  // namespace

PtoRuntimeCheckout locateCheckout(std::string runtimeDir_, std::string isaDir, std::string_view runtime) {
  const SourceLoc cmd{"<command line>", 0, 0, {}};
  runtimeDir_ = envOr(runtimeDir_, "PTO_RUNTIME_ROOT");
  isaDir = envOr(isaDir, "PTO_ISA_ROOT");
  if (runtime != "host_build_graph" && runtime != "tensormap_and_ringbuffer")
    throw UserError(makeError(cmd, fmt::format("unknown pto-runtime runtime '{}'", runtime))
                        .help("one of: host_build_graph, tensormap_and_ringbuffer"));
  if (runtimeDir_.empty())
    throw UserError(makeError(cmd, "running on pto-runtime needs a pto-runtime checkout, and none was given")
                        .help("pass --pto-runtime DIR (or set PTO_RUNTIME_ROOT) to a pto-runtime work tree whose "
                              "a2a3sim runtimes are built (DIR/build/lib), and --pto-isa DIR (or PTO_ISA_ROOT) to a "
                              "PTO-ISA work tree; docs/ascend.md names the commits the tree is written for"));
  if (isaDir.empty())
    throw UserError(makeError(cmd, "running on pto-runtime needs a PTO-ISA checkout, and none was given")
                        .help("pass --pto-isa DIR (or set PTO_ISA_ROOT) to a PTO-ISA work tree (it holds "
                              "include/pto/pto-inst.hpp)"));
  PtoRuntimeCheckout c;
  c.runtimeRoot = fs::absolute(runtimeDir_).lexically_normal();
  c.isaRoot = fs::absolute(isaDir).lexically_normal();
  c.runtime = std::string(runtime);
  c.libDir = c.runtimeRoot / "build/lib";
  struct Need {
    fs::path path;
    const char* what;
  };
  const std::vector<Need> sources = {
      {c.runtimeRoot / "src/common/worker/pto_runtime_c_api.h", "pto-runtime's host C API header"},
      {c.runtimeRoot / "src/common/task_interface/callable.h", "pto-runtime's task interface headers"},
      {runtimeDir(c) / "runtime", "the runtime's headers"},
      {c.runtimeRoot / "src/a2a3/platform/include", "the a2a3 platform headers"},
      {c.runtimeRoot / "simpler_setup/incore/pipe_sync.h", "the in-core helper pipe_sync.h"},
  };
  const std::vector<Need> built = {
      {c.libDir / "libsimpler_log.so", "the logger library"},
      {c.libDir / "libcpu_sim_context.so", "the simulator context library"},
      {hostLibDir(c) / "libhost_runtime.so", "the host runtime"},
      {hostLibDir(c) / "libaicpu_kernel.so", "the AICPU executor"},
      {hostLibDir(c) / "libaicore_kernel.so", "the AICore executor"},
  };
  std::vector<Diagnostic> missing;
  std::error_code ec;
  for (const Need& n : sources)
    if (!fs::exists(n.path, ec))
      missing.push_back(makeError(at(n.path), fmt::format("{} is missing: {} is not a pto-runtime checkout", n.what,
                                                          c.runtimeRoot.string()))
                            .help("pass --pto-runtime DIR (or PTO_RUNTIME_ROOT) naming a pto-runtime work tree"));
  if (missing.empty())
    for (const Need& n : built)
      if (!fs::exists(n.path, ec))
        missing.push_back(
            makeError(at(n.path), fmt::format("{} of a2a3sim/{} is not built in this checkout", n.what, c.runtime))
                .help("build the checkout's a2a3sim runtimes as its own docs describe (docs/getting-started.md); "
                      "the project never builds pto-runtime"));
  const fs::path inst = c.isaRoot / "include/pto/pto-inst.hpp";
  if (!fs::exists(inst, ec))
    missing.push_back(makeError(at(inst), fmt::format("{} is not a PTO-ISA checkout (no include/pto/pto-inst.hpp)",
                                                      c.isaRoot.string()))
                          .help("pass --pto-isa DIR (or PTO_ISA_ROOT) naming a PTO-ISA work tree"));
  if (!missing.empty()) throw UserError(std::move(missing));
  c.runtimeCommit = gitCommit(c.runtimeRoot);
  c.isaCommit = gitCommit(c.isaRoot);
  return c;
}

SceneRunResult runScene(const PtoRuntimeCheckout& c, const SceneRunOptions& o,
                        std::map<std::string, SceneBinding>& bindings) {
  const fs::path manifestPath = o.tree / "pto_wsp_manifest.json";
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(artifact::readFile(manifestPath));
  } catch (const nlohmann::json::exception& e) {
    throw UserError(makeError(at(manifestPath), fmt::format("the tree's manifest does not parse: {}", e.what()))
                        .help("re-emit the tree with `ptowsp compile --target ascend`"));
  }
  SceneRunResult res;
  res.module = m.at("module").get<std::string>();
  res.runtime = m.at("runtime").get<std::string>();
  if (res.runtime != c.runtime)
    throw UserError(makeError(at(manifestPath), fmt::format("the tree is written for runtime {}, the run asks for {}",
                                                            res.runtime, c.runtime))
                        .help("emit the tree with the same --runtime"));
  res.tasks = m.at("orchestration").at("tasks").get<uint32_t>();
  res.treeRuntimeCommit = m.value("pto_runtime_commit", std::string());
  res.treeIsaCommit = m.value("pto_isa_commit", std::string());

  std::error_code ec;
  fs::create_directories(o.buildDir, ec);
  if (ec)
    throw UserError(makeError(at(o.buildDir), fmt::format("cannot create the build directory: {}", ec.message()))
                        .help("pass a writable --cache-dir"));
  const auto t0 = std::chrono::steady_clock::now();
  Builder b(c, o.buildDir);
  const fs::path rd = runtimeDir(c);
  const std::vector<fs::path> kernelIncludes = {rd / "runtime",
                                                rd / "common",
                                                c.runtimeRoot / "src/common/task_interface",
                                                c.runtimeRoot / "src/a2a3/platform/include",
                                                c.runtimeRoot / "simpler_setup/incore",
                                                c.isaRoot / "include",
                                                c.isaRoot / "include/pto"};
  struct Kernel {
    PtoWspLaunchKernel k{};
    fs::path so;
  };
  std::vector<Kernel> kernels;
  for (const auto& k : m.at("kernels")) {
    std::vector<std::string> flags = {"-shared", "-O2", "-fPIC", "-std=c++23", "-fpermissive", "-w",
                                      "-D__CPU_SIM", "-DPTO_CPU_MAX_THREADS=1", "-DNDEBUG",
                                      k.at("core_type") == "aic" ? "-D__DAV_CUBE__" : "-D__DAV_VEC__"};
    for (std::string& f : includeFlags(kernelIncludes)) flags.push_back(std::move(f));
    Kernel kk;
    kk.k.func_id = k.at("func_id").get<int32_t>();
    const auto& sig = k.contains("signature") ? k.at("signature") : nlohmann::json::array();
    kk.k.sig_count = static_cast<int32_t>(std::min<size_t>(sig.size(), 16));
    for (int32_t i = 0; i < kk.k.sig_count; ++i) kk.k.sig[i] = static_cast<int32_t>(direction(sig[i], manifestPath));
    kk.so = b.add(fmt::format("kernel '{}'", k.at("name").get<std::string>()), res.kernels,
                  o.tree / k.at("source").get<std::string>(), std::move(flags));
    kernels.push_back(std::move(kk));
  }
  std::vector<std::string> orchFlags = {"-shared", "-fPIC", "-O2", "-std=c++17", "-w", "-fno-gnu-unique",
                                        "-Wl,--build-id=sha1"};
  std::vector<fs::path> orchIncludes = {rd / "runtime", rd / "orchestration", rd / "common",
                                        c.runtimeRoot / "src/common/task_interface",
                                        c.runtimeRoot / "src/a2a3/platform/include"};
  for (std::string& f : includeFlags(orchIncludes)) orchFlags.push_back(std::move(f));
  // The ring-buffer runtime's orchestration links its own helpers (its build_config's
  // orchestration sources).
  std::vector<fs::path> orchExtra;
  for (const fs::directory_entry& e : fs::directory_iterator(rd / "orchestration", ec))
    if (e.path().extension() == ".cpp") orchExtra.push_back(e.path());
  std::sort(orchExtra.begin(), orchExtra.end());
  const fs::path orchSo = b.add("the orchestration", res.orchestration, o.tree / m.at("orchestration").at("source").get<std::string>(),
                                std::move(orchFlags), orchExtra);
  const fs::path launcherSrc = o.buildDir / fmt::format("pto_wsp_launch-{}.cpp", hashHex(hash64(hostLauncherSource())));
  if (!fs::exists(launcherSrc, ec)) artifact::writeFileAtomic(launcherSrc, hostLauncherSource());
  std::vector<std::string> launchFlags = {"-shared", "-fPIC", "-O2", "-std=c++17", "-w"};
  for (std::string& f : includeFlags({c.runtimeRoot / "src/common/task_interface", c.runtimeRoot / "src/common"}))
    launchFlags.push_back(std::move(f));
  const fs::path launcherSo = b.add("the host launcher", res.launcher, launcherSrc, std::move(launchFlags));
  b.build();
  res.compiles = b.compiles();
  res.reused = b.reused();
  res.buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  // The task table (docs/ascend.md): the orchestration's last entry tensor, read from the
  // tree, so that a run with other symbol values reuses every object built above.
  std::map<std::string, SceneBinding> bound = bindings;
  std::vector<uint64_t> table;
  if (m.contains("task_table")) {
    const fs::path tf = o.tree / m.at("task_table").at("source").get<std::string>();
    table = parseTableText(artifact::readFile(tf), tf.string());
    bound[m.at("task_table").at("entry").get<std::string>()] = {table.data(), table.size() * sizeof(uint64_t)};
  }
  // Entry tensors, in the orchestration's order; unbound entries are zero-filled temps.
  std::vector<PtoWspLaunchTensor> tensors;
  std::vector<std::vector<uint8_t>> temps;
  for (const auto& e : m.at("entry_tensors")) {
    const std::string name = e.at("name").get<std::string>();
    const uint64_t bytes = e.at("bytes").get<uint64_t>();
    PtoWspLaunchTensor t{};
    auto it = bound.find(name);
    if (it != bound.end()) {
      if (it->second.bytes != bytes)
        throw UserError(makeError(at(manifestPath), fmt::format("entry '{}' holds {} bytes, the tree's manifest says {}",
                                                                name, it->second.bytes, bytes))
                            .help("re-emit the tree with `ptowsp compile --target ascend`"));
      t.data = it->second.data;
    } else {
      temps.emplace_back(bytes, 0);
      t.data = temps.back().data();
    }
    const auto& shape = e.at("shape");
    if (shape.size() > 5)
      throw UserError(makeError(at(manifestPath), fmt::format("entry '{}' has {} dimensions; pto-runtime tensors have "
                                                              "at most 5", name, shape.size()))
                          .help("reshape the tensor in the module"));
    t.ndims = static_cast<uint32_t>(std::max<size_t>(shape.size(), 1));
    t.shapes[0] = 1;
    for (size_t d = 0; d < shape.size(); ++d) t.shapes[d] = shape[d].get<uint32_t>();
    t.dtype = dataType(e.at("dtype").get<std::string>(), manifestPath);
    t.direction = direction(e.at("direction").get<std::string>(), manifestPath);
    tensors.push_back(t);
    res.entries.push_back({name, e.at("dtype").get<std::string>(), e.at("direction").get<std::string>(),
                           e.at("shape").get<std::vector<int64_t>>(), it != bound.end()});
  }
  // The ring settings the schedule asks for (task_window, pool heap) are the runtime's
  // environment, as a SceneTestCase's RUNTIME_ENV sets them.
  if (m.contains("runtime_env"))
    for (const auto& [k, v] : m.at("runtime_env").items()) ::setenv(k.c_str(), v.get<std::string>().c_str(), 1);

  const std::string log = (c.libDir / "libsimpler_log.so").string();
  const std::string sim = (c.libDir / "libcpu_sim_context.so").string();
  const std::string host = (hostLibDir(c) / "libhost_runtime.so").string();
  const std::string aicpu = (hostLibDir(c) / "libaicpu_kernel.so").string();
  const std::string aicore = (hostLibDir(c) / "libaicore_kernel.so").string();
  const std::string orch = orchSo.string();
  const std::string entry = m.at("orchestration").at("function_name").get<std::string>();
  const std::string config = m.at("orchestration").value("config_name", std::string());
  std::vector<std::string> soPaths;
  soPaths.reserve(kernels.size());
  std::vector<PtoWspLaunchKernel> ks;
  for (Kernel& k : kernels) {
    soPaths.push_back(k.so.string());
    ks.push_back(k.k);
    ks.back().so_path = soPaths.back().c_str();
  }
  PtoWspLaunch l{};
  l.struct_size = sizeof(PtoWspLaunch);
  l.log_so = log.c_str();
  l.sim_context_so = sim.c_str();
  l.host_runtime_so = host.c_str();
  l.aicpu_so = aicpu.c_str();
  l.aicore_so = aicore.c_str();
  l.orch_so = orch.c_str();
  l.func_name = entry.c_str();
  l.config_name = config.empty() ? nullptr : config.c_str();
  l.tensor_count = static_cast<int32_t>(tensors.size());
  l.tensors = tensors.data();
  l.kernel_count = static_cast<int32_t>(ks.size());
  l.kernels = ks.data();
  const nlohmann::json cfg = m.value("config", nlohmann::json::object());
  l.block_dim = o.blockDim ? o.blockDim : cfg.value("block_dim", 1);
  l.aicpu_thread_num = o.aicpuThreads ? o.aicpuThreads : cfg.value("aicpu_thread_num", 3);
  // pto-runtime's threads and dlopened kernels outlive any scope here: keep it mapped.
  artifact::SharedLibrary lib = artifact::SharedLibrary::open(launcherSo);
  lib.pin();
  auto launch = lib.function<PtoWspLaunchFn>("pto_wsp_launch", "the host launcher");
  const int rc = launch(&l);
  if (rc != 0) {
    l.error[sizeof l.error - 1] = 0;
    throw UserError(makeError(at(o.tree), fmt::format("the run on {} {} failed: {}", c.platform, c.runtime,
                                                      rc == 2 ? "the launcher was built for another struct" : l.error))
                        .help("pto-runtime's own log above says why; `ptowsp inspect` shows the tree"));
  }
  res.hostWallMs = static_cast<double>(l.host_wall_ns) / 1e6;
  res.deviceWallMs = static_cast<double>(l.device_wall_ns) / 1e6;
  return res;
}

}  // namespace pto::wsp::target::ascend
