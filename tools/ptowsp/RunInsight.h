// What `ptowsp run` shows about a run besides its summary: the task graph file
// (--graph, --graph-limit) and progress on a terminal (--quiet turns it off). Kept apart
// from cmd_run.cpp; the graph and the task counter are the Program's (api/Program.h).
#pragma once

#include "pto/wsp/api/Program.h"

#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace pto::wsp::cli {

struct InsightOptions {
  std::string graph;
  uint64_t graphLimit = rt::kDefaultGraphTasks;
  bool quiet = false;
};

void addInsightOptions(CLI::App& sub, InsightOptions& o);
// Before the run: graphTo() when --graph was given.
void applyInsight(Program& p, const InsightOptions& o);
// After the run: the note on stderr when the graph stopped at its task limit.
void reportInsight(const ProgramStats& s, const InsightOptions& o);

// "12345678 tasks issued, 9.8M tasks/s, 1.3 s" (the progress line, without escapes).
std::string progressLine(uint64_t tasks, double seconds);

// While alive, redraws the progress line on stderr every ~100 ms once the run has lasted
// kProgressAfter, when `enabled` (stderr is a terminal and not --quiet); the destructor
// clears the line. A thread of its own reads Program::tasksIssued(): the run pays
// nothing for it beyond the Engine's counter store every rt::kProgressEvery tasks.
class RunProgress {
 public:
  static constexpr std::chrono::milliseconds kProgressAfter{1000};
  RunProgress(const Program& p, bool enabled);
  ~RunProgress();
  RunProgress(const RunProgress&) = delete;
  RunProgress& operator=(const RunProgress&) = delete;

  // stderr is a terminal and --quiet was not given.
  static bool wanted(const InsightOptions& o);
  // kProgressAfter, or $PTO_WSP_PROGRESS_AFTER_MS when set (tests).
  static std::chrono::milliseconds showAfter();

 private:
  void loop();
  const Program& p_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool shown_ = false;
  std::thread thread_;
};

}  // namespace pto::wsp::cli
