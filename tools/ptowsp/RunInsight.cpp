#include "RunInsight.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace pto::wsp::cli {

void addInsightOptions(CLI::App& sub, InsightOptions& o) {
  sub.add_option("--graph", o.graph, "write the executed task graph as Graphviz DOT (render: dot -Tsvg)");
  sub.add_option("--graph-limit", o.graphLimit, "tasks the --graph file keeps at most (the first, in issue order)")
      ->capture_default_str();  // 0 is refused by Program::graphTo, with a help line
  sub.add_flag("--quiet,-q", o.quiet, "no progress line on stderr (shown only on a terminal, after 1 s)");
}

void applyInsight(Program& p, const InsightOptions& o) {
  if (!o.graph.empty()) p.graphTo(o.graph, o.graphLimit);
}

void reportInsight(const ProgramStats& s, const InsightOptions& o) {
  if (!s.graphWritten || s.graphTasks >= s.tasks) return;
  std::fprintf(stderr,
               "note: the task graph '%s' holds the first %llu of %llu tasks (task limit; raise --graph-limit to "
               "keep more)\n",
               o.graph.c_str(), static_cast<unsigned long long>(s.graphTasks),
               static_cast<unsigned long long>(s.tasks));
}

std::string progressLine(uint64_t tasks, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(tasks) / seconds : 0.0;
  const std::string rateText = rate >= 1e6   ? fmt::format("{:.1f}M", rate / 1e6)
                               : rate >= 1e3 ? fmt::format("{:.1f}k", rate / 1e3)
                                             : fmt::format("{:.0f}", rate);
  return fmt::format("{} tasks issued, {} tasks/s, {:.1f} s", tasks, rateText, seconds);
}

bool RunProgress::wanted(const InsightOptions& o) { return !o.quiet && ::isatty(STDERR_FILENO) == 1; }

RunProgress::RunProgress(const Program& p, bool enabled) : p_(p) {
  if (enabled) thread_ = std::thread([this] { loop(); });
}

RunProgress::~RunProgress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::chrono::milliseconds RunProgress::showAfter() {
  // Tests set a shorter delay so that a short run shows the line on any machine.
  if (const char* env = std::getenv("PTO_WSP_PROGRESS_AFTER_MS")) {
    char* end = nullptr;
    const unsigned long long ms = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0') return std::chrono::milliseconds(ms);
  }
  return kProgressAfter;
}

void RunProgress::loop() {
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_for(lock, showAfter(), [this] { return stop_; })) return;  // short runs show nothing
  for (;;) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // \r and erase-line redraw in place; one write, so it never interleaves mid-line.
    const std::string line = "\r\033[K" + progressLine(p_.tasksIssued(), s);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
    shown_ = true;
    if (cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) break;
  }
  if (shown_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace pto::wsp::cli
