#include "pto/wsp/runtime/TaskGraph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>

namespace pto::wsp::rt {

const char* depKindName(DepKind k) {
  switch (k) {
    case DepKind::Data: return "data";
    case DepKind::Structure: return "structure";
    case DepKind::Explicit: return "explicit";
    case DepKind::Csp: return "csp";
  }
  return "?";
}

void TaskGraphRecorder::onIssue(const IssuedTask& t) {
  ++g_.totalTasks;
  if (t.id >= g_.maxTasks) return;
  // Ids are consecutive from 0, so the kept tasks are exactly ids < maxTasks.
  if (g_.tasks.size() <= t.id) g_.tasks.resize(t.id + 1);
  GraphTask& n = g_.tasks[t.id];
  n.kernel = t.kernel;
  n.worker = t.worker;
  n.process = t.process;
  n.structural = t.structural;
  n.start = t.start;
  n.finish = t.finish;
  const size_t first = g_.edges.size();
  for (size_t i = 0; i < t.preds.size(); ++i) {
    const uint64_t d = t.preds[i];
    if (d < t.depFrom || d >= g_.tasks.size()) continue;
    DepKind k = DepKind::Explicit;
    if (i < t.dataPreds) k = DepKind::Data;
    else if (t.structural || t.seqDeps || g_.tasks[d].structural) k = DepKind::Structure;
    g_.edges.push_back({d, t.id, k});
  }
  // The Engine's producers are unordered: sorted, the DOT text is the same every run.
  std::sort(g_.edges.begin() + static_cast<std::ptrdiff_t>(first), g_.edges.end(),
            [](const GraphEdge& a, const GraphEdge& b) { return a.from < b.from; });
}

void TaskGraphRecorder::onAxes(uint64_t task, std::span<const int64_t> axes) {
  if (task < g_.tasks.size()) g_.tasks[task].axes.assign(axes.begin(), axes.end());
}

void TaskGraphRecorder::onCspEdge(uint64_t producer, uint64_t consumer) {
  if (producer < g_.tasks.size() && consumer < g_.tasks.size()) g_.edges.push_back({producer, consumer, DepKind::Csp});
}

namespace {

// Escaped for a DOT double-quoted string.
std::string esc(std::string_view v) {
  std::string s;
  for (const char c : v) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  return s;
}

std::string nameOr(std::span<const std::string> names, uint32_t i, char prefix) {
  return i < names.size() ? names[i] : fmt::format("{}{}", prefix, i);
}

}  // namespace

std::string taskGraphDot(const TaskGraph& g, std::span<const std::string> kernelNames,
                         std::span<const std::string> processNames) {
  std::array<uint64_t, 4> perKind{};
  for (const GraphEdge& e : g.edges) ++perKind[static_cast<size_t>(e.kind)];
  std::string out = fmt::format("// task graph: {} tasks, {} edges (data {}, structure {}, explicit {}, csp {})\n",
                                g.tasks.size(), g.edges.size(), perKind[0], perKind[1], perKind[2], perKind[3]);
  std::string note;
  if (g.truncated())
    note = fmt::format("truncated: the first {} of {} tasks (task limit {})", g.tasks.size(), g.totalTasks,
                       g.maxTasks);
  if (!note.empty()) out += "// " + note + "\n";
  out += "digraph tasks {\n  node [shape=box, fontname=\"monospace\", fontsize=10];\n";
  out += "  edge [fontsize=8];\n";
  if (!note.empty()) out += fmt::format("  label=\"{}\";\n  labelloc=t;\n", esc(note));
  for (size_t id = 0; id < g.tasks.size(); ++id) {
    const GraphTask& t = g.tasks[id];
    if (t.structural) {
      out += fmt::format("  t{} [label=\"join\", shape=ellipse, class=\"join\", tooltip=\"task {}, cycle {}\"];\n", id,
                         id, t.finish);
      continue;
    }
    std::string label = esc(nameOr(kernelNames, t.kernel, 'k'));
    if (!t.axes.empty()) label += fmt::format(" [{}]", fmt::join(t.axes, ","));
    label += fmt::format("\\nworker {}, cycles {}-{}\\n{}", t.worker, t.start, t.finish,
                         esc(nameOr(processNames, t.process, 'p')));
    out += fmt::format("  t{} [label=\"{}\", class=\"kernel\", tooltip=\"task {}\"];\n", id, label, id);
  }
  for (const GraphEdge& e : g.edges) {
    const char* style = "";
    switch (e.kind) {
      case DepKind::Data: style = "style=solid"; break;
      case DepKind::Structure: style = "style=dotted, color=gray40"; break;
      case DepKind::Explicit: style = "style=bold, color=darkorange"; break;
      case DepKind::Csp: style = "style=dashed, color=blue"; break;
    }
    out += fmt::format("  t{} -> t{} [class=\"{}\", {}];\n", e.from, e.to, depKindName(e.kind), style);
  }
  out += "}\n";
  return out;
}

}  // namespace pto::wsp::rt
