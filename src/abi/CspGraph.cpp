#include "pto/wsp/abi/CspGraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace pto::wsp::abi {
namespace {

struct ProcessUse {
  std::vector<uint32_t> kernels, sends, consumes;  // first-use order, no repeats
};

void addOnce(std::vector<uint32_t>& v, uint32_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

void collect(const PlanNode& n, ProcessUse& u) {
  if (n.kind == NodeKind::Call) addOnce(u.kernels, n.kernel);
  if (n.kind == NodeKind::Send) addOnce(u.sends, n.channel);
  if (n.kind == NodeKind::Consume) addOnce(u.consumes, n.channel);
  for (const PlanNode& c : n.children) collect(c, u);
}

// DOT double-quoted string body.
std::string quoted(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string cspGraphDot(const Plan& plan) {
  std::string out = fmt::format("// {} processes, {} channels\ndigraph csp {{\n  rankdir=LR;\n",
                                plan.processes.size(), plan.channels.size());
  std::vector<ProcessUse> uses(plan.processes.size());
  for (size_t p = 0; p < plan.processes.size(); ++p) {
    for (const PlanNode& n : plan.processes[p].body) collect(n, uses[p]);
    std::string kernels;
    for (uint32_t k : uses[p].kernels)
      kernels += (kernels.empty() ? "" : ", ") + (k < plan.kernels.size() ? plan.kernels[k].name : fmt::format("k{}", k));
    out += fmt::format("  \"p{}\" [shape=box, label=\"process {}\\nkernels: {}\"];\n", p,
                       quoted(plan.processes[p].name), kernels.empty() ? "-" : quoted(kernels));
  }
  for (size_t c = 0; c < plan.channels.size(); ++c) {
    const PlanChannel& ch = plan.channels[c];
    out += fmt::format("  \"c{}\" [shape=ellipse, label=\"channel {}\\ncapacity {}, latency {}\"];\n", c,
                       quoted(ch.name), ch.capacity, ch.latency);
  }
  for (size_t p = 0; p < uses.size(); ++p) {
    for (uint32_t c : uses[p].sends) out += fmt::format("  \"p{}\" -> \"c{}\" [label=\"send\"];\n", p, c);
    for (uint32_t c : uses[p].consumes) out += fmt::format("  \"c{}\" -> \"p{}\" [label=\"consume\"];\n", c, p);
  }
  return out + "}\n";
}

}  // namespace pto::wsp::abi
