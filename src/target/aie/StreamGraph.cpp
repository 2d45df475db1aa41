#include "pto/wsp/target/aie/StreamGraph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace pto::wsp::target::aie {

namespace {

struct Edge {
  std::string channel, from, to;
};

}  // namespace

void checkStreamGraphAcyclic(const ir::Workload& w) {
  std::vector<const ir::Process*> procs;
  std::map<std::string, SourceLoc, std::less<>> channelLoc;
  std::vector<const ir::Stmt*> stack{&w.body};
  while (!stack.empty()) {
    const ir::Stmt* s = stack.back();
    stack.pop_back();
    if (!s->defined()) continue;
    if (const auto* p = s->as<ir::Process>()) procs.push_back(p);
    if (const auto* c = s->as<ir::ChannelDecl>()) channelLoc[c->name] = c->loc;
    if (const auto* l = dynamic_cast<const ir::StmtList*>(s->get()))
      for (auto it = l->stmts.rbegin(); it != l->stmts.rend(); ++it) stack.push_back(&*it);
  }
  // Edges in declaration order, so the reported cycle does not depend on map order.
  std::vector<Edge> edges;
  for (const auto* p : procs)
    for (const auto& ch : p->produces)
      for (const auto* q : procs)
        if (std::find(q->consumes.begin(), q->consumes.end(), ch) != q->consumes.end())
          edges.push_back({ch, p->name, q->name});
  std::map<std::string, int, std::less<>> state;  // 0 new, 1 on the DFS path, 2 done
  std::vector<const Edge*> path;
  std::vector<const Edge*> cycle;
  auto dfs = [&](auto&& self, const std::string& node) -> bool {
    state[node] = 1;
    for (const auto& e : edges) {
      if (e.from != node) continue;
      path.push_back(&e);
      if (state[e.to] == 1) {
        auto start = std::find_if(path.begin(), path.end(), [&](const Edge* x) { return x->from == e.to; });
        cycle.assign(start, path.end());
        return true;
      }
      if (state[e.to] == 0 && self(self, e.to)) return true;
      path.pop_back();
    }
    state[node] = 2;
    return false;
  };
  for (const auto* p : procs) {
    if (state[p->name] == 0 && dfs(dfs, p->name)) break;
  }
  if (cycle.empty()) return;
  std::vector<std::string> names;
  for (const auto* e : cycle) names.push_back(fmt::format("{}: {} -> {}", e->channel, e->from, e->to));
  const auto it = channelLoc.find(cycle.front()->channel);
  Diagnostic d = makeError(it != channelLoc.end() ? it->second : w.loc,
                           fmt::format("aie target: the stream graph of workload '{}' has a cycle through channels {}",
                                       w.name, fmt::join(names, ", ")));
  for (const auto* e : cycle) {
    const auto c = channelLoc.find(e->channel);
    if (c != channelLoc.end()) d.note(fmt::format("channel '{}' declared here", e->channel), c->second);
  }
  d.help("object FIFOs of finite depth on a cycle can deadlock; break the cycle (buffered cycles are not supported)");
  throw UserError(std::move(d));
}

}  // namespace pto::wsp::target::aie
