// Running the host C++ compiler: no shell, an argument vector, output captured in a
// log file, a timeout, and a process-wide invocation counter.
//
// Why no shell: kernel names, paths and flags come from users; an argument vector
// cannot be re-parsed into something else. Why a counter: tests assert that changing
// a symbol, slot or dynamic size between executes compiles nothing.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pto::wsp::artifact {

// What happened to one child process.
struct ProcessResult {
  int exitCode = -1;        // exit status when the child exited normally, else -1
  int signal = 0;           // terminating signal, 0 if none
  bool timedOut = false;    // killed by us after the timeout
  std::string spawnError;   // non-empty when the child could not be started
  std::string log;          // stdout+stderr (at most kMaxLogBytes; see logTruncated)
  bool logTruncated = false;
  std::filesystem::path logPath;  // the full log
  double wallMs = 0;

  bool ok() const { return spawnError.empty() && !timedOut && signal == 0 && exitCode == 0; }
  // "exited with status 1", "terminated by signal 9", "timed out after 120 s", ...
  std::string describe() const;
};

inline constexpr size_t kMaxLogBytes = 1 << 20;

struct ProcessOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // Environment variables set (or overridden) for the child; the rest is inherited.
  std::vector<std::pair<std::string, std::string>> env;
};

// Runs argv[0] (searched in $PATH when it has no '/') with argv via posix_spawn, in its
// own process group; stdout and stderr both go to logPath (created/truncated). On
// timeout the whole process group is killed (a compiler driver's cc1plus included).
// Never throws for child failures: they are reported in the result. Thread-safe.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::filesystem::path& logPath,
                         const ProcessOptions& opts = {});

// The compiler a cache key depends on: absolute path plus its `--version` output.
struct CompilerIdentity {
  std::string requested;  // as asked for ("g++", "$PTO_WSP_CXX" value, ...)
  std::string path;       // absolute path after $PATH lookup
  std::string version;    // `--version` output, whitespace-trimmed
  std::string firstVersionLine() const;
};

// Picks the compiler: `requested` when non-empty, else $PTO_WSP_CXX, else "g++";
// resolves it in $PATH and probes `--version` once per process per path (cached,
// thread-safe; the returned reference lives until exit). Throws UserError when the
// compiler cannot be found or does not answer `--version`. With `memoDir`, the output is
// also memoised on disk there, keyed by the binary's device/inode/size/mtime/ctime, so a
// fresh process does not spawn the probe again (ObjectCache passes <root>/v1/compilers).
const CompilerIdentity& compilerIdentity(std::string_view requested = {},
                                         const std::filesystem::path& memoDir = {});

enum class InvocationKind : uint8_t { Compile, Link };

// Runs the compiler with `args` (argv[0] is added) and counts the invocation.
// Environment: LC_ALL=C so messages are plain ASCII and stable. Thread-safe.
ProcessResult invokeCompiler(const CompilerIdentity& cc, InvocationKind kind,
                             const std::vector<std::string>& args,
                             const std::filesystem::path& logPath,
                             std::chrono::milliseconds timeout);

// Number of compiler processes started by invokeCompiler in this process (compiles and
// links; `--version` probes are not counted). Thread-safe, monotonic.
uint64_t compilerInvocationCount();
uint64_t compilerInvocationCount(InvocationKind kind);

// A user error for a failed compile/link of `what` (e.g. "kernel 'rmsnorm'"): the
// compiler's first `maxLines` lines (plus the first "error:" line if it came later)
// and a help note with the full log path.
Diagnostic compilerFailure(SourceLoc loc, const std::string& what, const CompilerIdentity& cc,
                           const ProcessResult& r, size_t maxLines = 20);

}  // namespace pto::wsp::artifact
