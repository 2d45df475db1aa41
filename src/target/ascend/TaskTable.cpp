// The task table (TaskTable.h).
#include "TaskTable.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace pto::wsp::target::ascend {

std::string_view runtimeName(Runtime r) {
  return r == Runtime::HostBuildGraph ? "host_build_graph" : "tensormap_and_ringbuffer";
}

namespace {

void collectSites(const abi::PlanNode& n, uint32_t process, std::vector<TaskSite>& out,
                  std::map<std::pair<int32_t, std::vector<uint32_t>>, size_t>& index) {
  if (n.kind == abi::NodeKind::Call) {
    std::vector<uint32_t> tensors;
    for (const abi::PlanView& v : n.views) tensors.push_back(v.tensor);
    const auto key = std::make_pair(static_cast<int32_t>(n.kernel), tensors);
    auto [it, fresh] = index.try_emplace(key, out.size());
    if (fresh) out.push_back({key.first, std::move(tensors), {}, {}});
    TaskSite& s = out[it->second];
    if (std::find(s.locs.begin(), s.locs.end(), n.loc) == s.locs.end()) s.locs.push_back(n.loc);
    if (std::find(s.processes.begin(), s.processes.end(), process) == s.processes.end()) s.processes.push_back(process);
  }
  for (const abi::PlanNode& c : n.children) collectSites(c, process, out, index);
}

// Rows x cols region of a tile in its tensor's (row, col) plane.
struct Rect {
  uint32_t tensor;
  int64_t r0, c0, rows, cols;
};

Rect rectOf(const GraphTile& t, const abi::PlanParam& p) {
  const int64_t rs = t.rowStride > 0 ? t.rowStride : 1;
  return {t.tensor, t.offset / rs, t.offset % rs, p.rows, p.cols};
}

bool overlap(const Rect& a, const Rect& b) {
  return a.tensor == b.tensor && a.r0 < b.r0 + b.rows && b.r0 < a.r0 + a.rows && a.c0 < b.c0 + b.cols &&
         b.c0 < a.c0 + a.cols;
}

// True when pto-runtime's TensorMap finds this edge itself: `pred` writes a tile that
// `task` reads or writes. Any other edge (anti-dependencies, structural joins) is
// passed explicitly.
bool dataDerived(const abi::Plan& plan, const TaskGraph& g, size_t task, uint32_t pred) {
  const GraphTask& a = g.tasks[task];
  const GraphTask& b = g.tasks[pred];
  if (a.kernel < 0 || b.kernel < 0) return false;
  std::vector<Rect> writes;
  size_t bi = 0;
  for (const abi::PlanParam& p : plan.kernels[b.kernel].params) {
    if (p.kind == abi::ParamKind::Scalar) continue;
    if (p.kind != abi::ParamKind::In) writes.push_back(rectOf(b.tiles[bi], p));
    ++bi;
  }
  size_t ai = 0;
  for (const abi::PlanParam& p : plan.kernels[a.kernel].params) {
    if (p.kind == abi::ParamKind::Scalar) continue;
    const Rect r = rectOf(a.tiles[ai++], p);
    for (const Rect& w : writes)
      if (overlap(r, w)) return true;
  }
  return false;
}

class Builder {
 public:
  Builder(const abi::Plan& plan, const TaskGraph& g, const std::vector<TaskSite>& sites, Runtime rt,
          const std::vector<uint32_t>& scopeBegins, const SourceLoc& loc)
      : plan_(plan), g_(g), rt_(rt), starts_(scopeBegins), loc_(loc) {
    for (size_t s = 1; s < sites.size(); ++s) siteOf_[{sites[s].kernel, sites[s].tensors}] = static_cast<uint32_t>(s);
  }

  TaskTable run() {
    checkTiles();
    put(kTableVersion);
    put(rt_ == Runtime::HostBuildGraph ? 0 : 1);
    put(plan_.tensors.size());
    line("version, runtime (0 host_build_graph, 1 tensormap_and_ringbuffer), tensors");
    for (const abi::PlanTensor& t : plan_.tensors) put(t.bytes);
    line("tensor bytes");
    if (rt_ == Runtime::HostBuildGraph) hostBuildGraph();
    else ringBuffer();
    return std::move(t_);
  }

 private:
  void put(uint64_t w) { t_.words.push_back(w); }
  void line(std::string comment = {}) { t_.lines.push_back({static_cast<uint32_t>(t_.words.size()), std::move(comment)}); }

  uint32_t siteOf(const GraphTask& t) const {
    if (t.kernel < 0) return 0;
    std::vector<uint32_t> tensors;
    for (const GraphTile& tl : t.tiles) tensors.push_back(tl.tensor);
    auto it = siteOf_.find({t.kernel, tensors});
    PTO_INTERNAL_ASSERT(it != siteOf_.end(), "a task of kernel {} names tensors no call statement names", t.kernel);
    return it->second;
  }

  void checkTiles() const {
    for (const GraphTask& t : g_.tasks)
      for (size_t i = 0; i < t.tiles.size(); ++i)
        if (t.tiles[i].colStride != 1)
          throw UserError(makeError(loc_, fmt::format("tile argument {} of kernel '{}' has column stride {}; the ascend "
                                                      "target passes row-major tiles with column stride 1",
                                                      i, plan_.kernels.at(t.kernel).name, t.tiles[i].colStride))
                              .help("pass an untransposed view with column step 1"));
  }

  // The words every task of a site carries after its site word.
  void siteWords(const GraphTask& t) {
    if (t.kernel < 0) return;
    size_t ti = 0;
    for (const abi::PlanParam& p : plan_.kernels[t.kernel].params) {
      if (p.kind == abi::ParamKind::Scalar) continue;
      const GraphTile& tl = t.tiles[ti++];
      if (rt_ == Runtime::HostBuildGraph) {
        put(static_cast<uint64_t>(tl.offset));
      } else {
        const Rect r = rectOf(tl, p);
        put(static_cast<uint64_t>(r.r0));
        put(static_cast<uint64_t>(r.c0));
      }
    }
    for (const GraphTile& tl : t.tiles) put(static_cast<uint64_t>(tl.rowStride));
    for (uint64_t s : t.scalars) put(s);
  }

  void hostBuildGraph() {
    // Successor lists, then relays for fan-outs beyond pto-runtime's limit.
    const size_t n = g_.tasks.size();
    std::vector<std::vector<uint32_t>> succ(n);
    for (size_t i = 0; i < n; ++i)
      for (uint32_t p : g_.tasks[i].preds) succ[p].push_back(static_cast<uint32_t>(i));
    std::vector<std::pair<uint32_t, uint32_t>> edges;
    uint32_t next = static_cast<uint32_t>(n);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t from = i;
      size_t at = 0;
      while (succ[i].size() - at > kMaxFanout) {
        for (size_t k = 0; k + 1 < kMaxFanout; ++k) edges.push_back({from, succ[i][at++]});
        const uint32_t relay = next++;
        edges.push_back({from, relay});
        from = relay;
      }
      for (; at < succ[i].size(); ++at) edges.push_back({from, succ[i][at]});
    }
    t_.tasks = next;
    t_.relays = next - static_cast<uint32_t>(n);
    t_.edges = static_cast<uint32_t>(edges.size());
    if (t_.tasks > kMaxTasks)
      throw UserError(makeError(loc_, fmt::format("the workload expands to {} tasks ({} of them relays); "
                                                  "host_build_graph holds at most {}",
                                                  t_.tasks, t_.relays, kMaxTasks))
                          .help("run with --runtime tensormap_and_ringbuffer, which streams tasks through its ring"));
    put(t_.tasks);
    line("tasks (relays included); then per task: site, tile element offsets, row strides, scalars");
    for (size_t i = 0; i < n; ++i) {
      put(siteOf(g_.tasks[i]));
      siteWords(g_.tasks[i]);
      line();
    }
    for (uint32_t r = 0; r < t_.relays; ++r) {
      put(0);
      line(r == 0 ? "relays (site 0)" : "");
    }
    put(edges.size());
    line(fmt::format("edges (from, to), at most {} per task", kMaxFanout));
    for (const auto& [from, to] : edges) {
      put(from);
      put(to);
      line();
    }
  }

  void ringBuffer() {
    const size_t n = g_.tasks.size();
    t_.tasks = static_cast<uint32_t>(n);
    const std::vector<uint32_t>& starts = starts_;
    PTO_INTERNAL_ASSERT(n == 0 || (!starts.empty() && starts[0] == 0), "the first scope must start at task 0");
    t_.scopes = static_cast<uint32_t>(starts.size());
    put(n);
    line("tasks; then per task: site (+ 1<<32 opens a scope, + 1<<33 closes it), tile rows and columns, row "
         "strides, scalars, explicit dependency count, dependencies");
    size_t s = 0;
    for (size_t i = 0; i < n; ++i) {
      const GraphTask& gt = g_.tasks[i];
      uint64_t head = siteOf(gt);
      if (s < starts.size() && starts[s] == i) {
        head |= kOpenScope;
        ++s;
      }
      if (i + 1 == n || (s < starts.size() && starts[s] == i + 1)) head |= kCloseScope;
      put(head);
      siteWords(gt);
      std::vector<uint32_t> deps;
      for (uint32_t p : gt.preds)
        if (!dataDerived(plan_, g_, i, p)) deps.push_back(p);
      put(deps.size());
      for (uint32_t d : deps) put(d);
      t_.edges += static_cast<uint32_t>(deps.size());
      line();
    }
  }

  const abi::Plan& plan_;
  const TaskGraph& g_;
  Runtime rt_;
  const std::vector<uint32_t>& starts_;
  SourceLoc loc_;
  std::map<std::pair<int32_t, std::vector<uint32_t>>, uint32_t> siteOf_;
  TaskTable t_;
};

}  // namespace

std::vector<TaskSite> taskSites(const abi::Plan& plan) {
  std::vector<TaskSite> out(1);
  std::map<std::pair<int32_t, std::vector<uint32_t>>, size_t> index;
  for (uint32_t p = 0; p < plan.processes.size(); ++p)
    for (const abi::PlanNode& n : plan.processes[p].body) collectSites(n, p, out, index);
  return out;
}

TaskTable buildTaskTable(const abi::Plan& plan, const TaskGraph& g, const std::vector<TaskSite>& sites, Runtime rt,
                         const std::vector<uint32_t>& scopeBegins, const SourceLoc& loc) {
  return Builder(plan, g, sites, rt, scopeBegins, loc).run();
}

std::string tableText(const TaskTable& t, std::string_view header) {
  std::string s = fmt::format("# {}\n", header);
  uint32_t w = 0;
  for (const auto& [end, comment] : t.lines) {
    if (!comment.empty()) s += "# " + comment + "\n";
    for (uint32_t first = w; w < end; ++w) s += fmt::format("{}{}", w == first ? "" : " ", t.words[w]);
    s += "\n";
  }
  PTO_INTERNAL_ASSERT(w == t.words.size(), "table lines end at word {} of {}", w, t.words.size());
  return s;
}

std::vector<uint64_t> parseTableText(std::string_view text, const std::string& file) {
  std::vector<uint64_t> out;
  uint32_t lineNo = 0;
  while (!text.empty()) {
    ++lineNo;
    const size_t eol = text.find('\n');
    std::string_view ln = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (const size_t h = ln.find('#'); h != std::string_view::npos) ln = ln.substr(0, h);
    size_t i = 0;
    while (i < ln.size()) {
      if (ln[i] == ' ' || ln[i] == '\t' || ln[i] == '\r') {
        ++i;
        continue;
      }
      uint64_t v = 0;
      const auto [p, ec] = std::from_chars(ln.data() + i, ln.data() + ln.size(), v);
      const size_t end = static_cast<size_t>(p - ln.data());
      if (ec != std::errc() || (end < ln.size() && ln[end] != ' ' && ln[end] != '\t' && ln[end] != '\r'))
        throw UserError(makeError(SourceLoc{file, lineNo, static_cast<uint32_t>(i + 1), {}},
                                  "the task table holds a word that is not an unsigned 64-bit decimal")
                            .help("re-emit the tree with `ptowsp compile --target ascend`"));
      out.push_back(v);
      i = end;
    }
  }
  return out;
}

}  // namespace pto::wsp::target::ascend
