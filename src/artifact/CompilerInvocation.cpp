#include "pto/wsp/artifact/CompilerInvocation.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace pto::wsp::artifact {

namespace fs = std::filesystem;

namespace {

std::atomic<uint64_t> gCompiles{0};
std::atomic<uint64_t> gLinks{0};

std::string errnoText(int err) { return std::strerror(err); }

// Reads at most `limit` bytes of `p`; sets `truncated` when the file was longer.
std::string readPrefix(const fs::path& p, size_t limit, bool& truncated) {
  truncated = false;
  std::string out;
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[65536];
  while (out.size() < limit) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, limit - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.size() >= limit) {
    char c;
    truncated = ::read(fd, &c, 1) == 1;
  }
  ::close(fd);
  return out;
}

// The child's environment: ours, with `overrides` replacing or adding entries.
std::vector<std::string> childEnv(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    bool replaced = false;
    for (const auto& [k, v] : overrides)
      if (kv.size() > k.size() && kv.substr(0, k.size()) == k && kv[k.size()] == '=') replaced = true;
    if (!replaced) env.emplace_back(kv);
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> cstrs(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool isExecutableFile(const fs::path& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// $PATH lookup like execvp's; "" when not found.
std::string findInPath(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return isExecutableFile(name) ? fs::absolute(name).lexically_normal().string() : std::string();
  const char* path = std::getenv("PATH");
  std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    fs::path cand = fs::path(dir.empty() ? "." : dir) / name;
    if (isExecutableFile(cand)) return fs::absolute(cand).lexically_normal().string();
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return {};
}

}  // namespace

std::string ProcessResult::describe() const {
  if (!spawnError.empty()) return "could not be started: " + spawnError;
  if (timedOut) return fmt::format("timed out after {:.1f} s and was killed", wallMs / 1000.0);
  if (signal != 0) {
    const char* d = ::sigdescr_np(signal);
    return fmt::format("was terminated by signal {} ({})", signal, d ? d : "unknown");
  }
  return fmt::format("exited with status {}", exitCode);
}

ProcessResult runProcess(const std::vector<std::string>& argvIn, const fs::path& logPath,
                         const ProcessOptions& opts) {
  PTO_INTERNAL_ASSERT(!argvIn.empty(), "runProcess needs argv[0]");
  ProcessResult r;
  r.logPath = logPath;
  auto t0 = std::chrono::steady_clock::now();
  auto elapsedMs = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };

  // O_CLOEXEC: other threads spawning concurrently must not inherit this descriptor.
  int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (logFd < 0) {
    r.spawnError = fmt::format("cannot open log file '{}': {}", logPath.string(), errnoText(errno));
    return r;
  }

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, logFd, 1);
  posix_spawn_file_actions_adddup2(&fa, logFd, 2);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Own process group so a timeout can kill the driver and its cc1plus/as/ld children;
  // default signal dispositions and an empty mask whatever the host program set.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = argvIn;
  std::vector<std::string> env = childEnv(opts.env);
  std::vector<char*> argvC = cstrs(args);
  std::vector<char*> envC = cstrs(env);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argvC[0], &fa, &attr, argvC.data(), envC.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(logFd);
  if (rc != 0) {
    r.spawnError = fmt::format("'{}': {}", argvIn[0], errnoText(rc));
    r.wallMs = elapsedMs();
    return r;
  }

  // Poll with a growing sleep: a compile takes 100 ms..minutes, so a few ms of latency
  // is irrelevant, and polling needs no SIGCHLD handler that could clash with the host's.
  const auto deadline = t0 + opts.timeout;
  auto nap = std::chrono::microseconds(100);
  int status = 0;
  while (true) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      r.spawnError = fmt::format("waitpid failed: {}", errnoText(errno));
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.timedOut = true;
      break;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(5000));
  }
  r.wallMs = elapsedMs();
  if (r.spawnError.empty() && !r.timedOut) {
    if (WIFEXITED(status)) r.exitCode = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  }
  r.log = readPrefix(logPath, kMaxLogBytes, r.logTruncated);
  return r;
}

std::string CompilerIdentity::firstVersionLine() const { return version.substr(0, version.find('\n')); }

namespace {
// File of the on-disk memo of `path`'s --version output, keyed by the binary's identity
// (device, inode, size, mtime, ctime): replacing or upgrading the compiler changes it.
std::optional<fs::path> versionMemoFile(const fs::path& memoDir, const std::string& path) {
  if (memoDir.empty()) return std::nullopt;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  Hasher h;
  h.str("pto-wsp compiler identity v1").str(path).pod(st.st_dev).pod(st.st_ino).pod(st.st_size);
  h.pod(st.st_mtim.tv_sec).pod(st.st_mtim.tv_nsec).pod(st.st_ctim.tv_sec).pod(st.st_ctim.tv_nsec);
  return memoDir / (h.hex() + ".version");
}
}  // namespace

const CompilerIdentity& compilerIdentity(std::string_view requestedIn, const fs::path& memoDir) {
  std::string requested(requestedIn);
  if (requested.empty()) {
    const char* env = std::getenv("PTO_WSP_CXX");
    requested = env && *env ? env : "g++";
  }
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<CompilerIdentity>> byRequest;
  std::lock_guard<std::mutex> lock(mu);
  // Keyed by the request and the resolved path: $PATH may change between calls.
  std::string path = findInPath(requested);
  if (path.empty()) {
    throw UserError(makeError(SourceLoc{{}, 0, 0, "compiler invocation"},
                              fmt::format("C++ compiler '{}' not found", requested))
                        .help("install g++ (C++20) or set $PTO_WSP_CXX to the path of a C++20 compiler"));
  }
  std::string key = requested + '\0' + path;
  if (auto it = byRequest.find(key); it != byRequest.end()) return *it->second;
  auto remember = [&](std::string version) -> const CompilerIdentity& {
    auto id = std::make_unique<CompilerIdentity>();
    id->requested = requested;
    id->path = path;
    id->version = std::move(version);
    const CompilerIdentity& ref = *id;
    byRequest.emplace(std::move(key), std::move(id));
    return ref;
  };
  // Spawning `--version` costs 2-20 ms (more on a loaded machine): a fresh process with a
  // warm cache would spend most of its compile() there.
  const std::optional<fs::path> memo = versionMemoFile(memoDir, path);
  const std::string memoHeader = "pto-wsp compiler identity v1 " + path + "\n";
  if (memo)
    if (std::optional<std::string> text = tryReadFile(*memo);
        text && text->size() > memoHeader.size() && text->compare(0, memoHeader.size(), memoHeader) == 0)
      return remember(text->substr(memoHeader.size()));

  std::error_code ec;
  fs::path tmpDir = fs::temp_directory_path(ec);
  if (ec) tmpDir = "/tmp";
  std::string tmplStr = (tmpDir / "ptowsp-ccversion-XXXXXX").string();
  std::vector<char> tmplBuf(tmplStr.begin(), tmplStr.end());
  tmplBuf.push_back('\0');
  char* tmpl = tmplBuf.data();
  int fd = ::mkstemp(tmpl);
  if (fd < 0)
    throw UserError(makeError(SourceLoc{{}, 0, 0, "compiler invocation"},
                              fmt::format("cannot create a temporary file in {}: {}", tmpDir.string(),
                                          errnoText(errno)))
                        .help("set $TMPDIR to a writable directory"));
  ::close(fd);
  ProcessOptions opts;
  opts.timeout = std::chrono::seconds(30);
  opts.env = {{"LC_ALL", "C"}};
  ProcessResult r = runProcess({path, "--version"}, tmpl, opts);
  ::unlink(tmpl);
  if (!r.ok()) {
    throw UserError(makeError(SourceLoc{{}, 0, 0, "compiler invocation"},
                              fmt::format("C++ compiler '{}' ({}) failed `--version`: {}", requested, path,
                                          r.describe()))
                        .note("output: " + trim(r.log))
                        .help("set $PTO_WSP_CXX to a working C++20 compiler"));
  }
  std::string version = trim(r.log);
  if (memo) {
    try {
      fs::create_directories(memo->parent_path(), ec);
      writeFileAtomic(*memo, memoHeader + version);
    } catch (const UserError&) {
      // A read-only cache only loses the memo.
    }
  }
  return remember(std::move(version));
}

ProcessResult invokeCompiler(const CompilerIdentity& cc, InvocationKind kind,
                             const std::vector<std::string>& args, const fs::path& logPath,
                             std::chrono::milliseconds timeout) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(cc.path);
  argv.insert(argv.end(), args.begin(), args.end());
  (kind == InvocationKind::Compile ? gCompiles : gLinks).fetch_add(1, std::memory_order_relaxed);
  ProcessOptions opts;
  opts.timeout = timeout;
  opts.env = {{"LC_ALL", "C"}};
  return runProcess(argv, logPath, opts);
}

uint64_t compilerInvocationCount() {
  return gCompiles.load(std::memory_order_relaxed) + gLinks.load(std::memory_order_relaxed);
}

uint64_t compilerInvocationCount(InvocationKind kind) {
  return (kind == InvocationKind::Compile ? gCompiles : gLinks).load(std::memory_order_relaxed);
}

Diagnostic compilerFailure(SourceLoc loc, const std::string& what, const CompilerIdentity& cc,
                           const ProcessResult& r, size_t maxLines) {
  Diagnostic d = makeError(std::move(loc), fmt::format("{}: {} {}", what,
                                                       fs::path(cc.path).filename().string(),
                                                       r.describe()));
  std::vector<std::string_view> lines;
  std::string_view log = r.log;
  while (!log.empty()) {
    size_t nl = log.find('\n');
    std::string_view line = log.substr(0, nl);
    if (!line.empty()) lines.push_back(line);
    if (nl == std::string_view::npos) break;
    log.remove_prefix(nl + 1);
  }
  if (lines.empty()) {
    if (r.spawnError.empty()) d.note("the compiler printed nothing");
  } else {
    size_t shown = std::min(lines.size(), maxLines);
    std::string text = shown == lines.size()
                           ? fmt::format("compiler output ({} lines):", lines.size())
                           : fmt::format("compiler output (first {} of {} lines):", shown, lines.size());
    bool sawError = false;
    for (size_t i = 0; i < shown; ++i) {
      text += fmt::format("\n  {}", lines[i]);
      sawError |= lines[i].find("error") != std::string_view::npos;
    }
    // Template backtraces can push the actual error past the first lines.
    if (!sawError) {
      for (size_t i = shown; i < lines.size(); ++i) {
        if (lines[i].find("error") != std::string_view::npos) {
          text += fmt::format("\n  ...\n  {}", lines[i]);
          break;
        }
      }
    }
    d.note(text);
  }
  d.help(fmt::format("the full compiler log is at {}", r.logPath.string()));
  return d;
}

}  // namespace pto::wsp::artifact
