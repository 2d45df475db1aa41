// ptowsp inspect ARTIFACT_DIR [--json]: what a package holds, read back and validated
// (an emitted source tree, e.g. --target ascend, prints its manifest's summary instead)
// (artifact::readPackage + abi::deserializePlan): manifest summary, plan summary,
// capability matrix and the kernel cycle table. Errors are located UserErrors (exit 1).
#include "Command.h"

#include "pto/wsp/abi/Plan.h"
#include "pto/wsp/artifact/Package.h"

#include "pto/wsp/support/FileRead.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

namespace pto::wsp::cli {
namespace {

struct InspectOptions {
  std::string dir;
  bool json = false;
};

const char* nodeKindName(abi::NodeKind k) {
  switch (k) {
    case abi::NodeKind::Loop: return "loop";
    case abi::NodeKind::Sel: return "sel";
    case abi::NodeKind::Cond: return "cond";
    case abi::NodeKind::Call: return "call";
    case abi::NodeKind::Seq: return "seq";
    case abi::NodeKind::Combine: return "combine";
    case abi::NodeKind::Scope: return "scope";
    case abi::NodeKind::Send: return "send";
    case abi::NodeKind::Consume: return "consume";
    case abi::NodeKind::SlotLoad: return "slot_load";
    case abi::NodeKind::SlotSet: return "slot_set";
  }
  return "?";
}

void countNodes(const abi::PlanNode& n, std::map<std::string, uint64_t>& counts) {
  ++counts[nodeKindName(n.kind)];
  for (const abi::PlanNode& c : n.children) countNodes(c, counts);
}

abi::Plan readPlan(const artifact::Package& pkg) {
  const std::filesystem::path path = pkg.planPath();
  const std::string text =
      readRegularFile(path, "plan", "the package is incomplete or damaged; compile it again with ptowsp compile");
  std::vector<uint8_t> bytes(text.begin(), text.end());
  try {
    return abi::deserializePlan(bytes);
  } catch (const UserError& e) {  // the plan's errors, at the file they came from
    throwLocated(e, SourceLoc{path.string(), 0, 0, {}});
  }
}

nlohmann::ordered_json inspectJson(const artifact::Package& pkg, const abi::Plan& plan) {
  const artifact::Manifest& m = pkg.manifest;
  nlohmann::ordered_json j;
  j["package"] = pkg.dir.string();
  j["package_hash"] = m.packageHash;
  j["target"] = m.target;
  j["arch"] = m.archInstance;
  j["schedule_id"] = m.scheduleId;
  j["policy_id"] = m.policyId;
  j["plan"] = {{"file", m.plan.file}, {"hash", m.plan.hash}};
  if (m.library) j["library"] = {{"file", m.library->file}, {"hash", m.library->hash}};
  for (const auto& f : m.files) j["files"].push_back({{"file", f.file}, {"hash", f.hash}});
  j["compiler"] = {{"path", m.compiler.path}, {"version", m.compiler.version}, {"flags", m.compiler.flags}};
  std::map<std::string, uint64_t> counts;
  for (const abi::PlanProcess& p : plan.processes)
    for (const abi::PlanNode& n : p.body) countNodes(n, counts);
  nlohmann::ordered_json pj;
  pj["processes"] = plan.processes.size();
  pj["nodes"] = counts;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  for (const abi::PlanTensor& t : plan.tensors)
    tensors.push_back({{"name", t.name}, {"shape", t.shape}, {"bytes", t.bytes}, {"runtime_managed", t.runtimeManaged}});
  pj["tensors"] = tensors;
  nlohmann::ordered_json syms = nlohmann::ordered_json::array();
  for (const abi::PlanSymbol& s : plan.symbols) syms.push_back({{"name", s.name}, {"default", s.defaultValue}});
  pj["symbols"] = syms;
  nlohmann::ordered_json slots = nlohmann::ordered_json::array();
  for (const abi::PlanSlot& s : plan.slots) slots.push_back(s.name);
  pj["slots"] = slots;
  nlohmann::ordered_json chans = nlohmann::ordered_json::array();
  for (const abi::PlanChannel& c : plan.channels)
    chans.push_back({{"name", c.name}, {"capacity", c.capacity}, {"latency", c.latency}});
  pj["channels"] = chans;
  const abi::ScheduleConfig& s = plan.schedule;
  pj["schedule"] = {{"workers", s.workers},         {"dispatch", s.dispatch},
                    {"issue_cycles", s.issueCycles}, {"sync_latency", s.syncLatency},
                    {"task_window", s.taskWindow},   {"tensormap_pool", s.tensorMapCapacity},
                    {"deplist_pool", s.depListCapacity}, {"ready_queue", s.readyQueueCapacity},
                    {"heap_bytes", s.heapBytes},     {"max_scope_depth", s.maxScopeDepth}};
  j["plan_summary"] = pj;
  j["capabilities"] = m.capabilities;
  nlohmann::ordered_json kernels = nlohmann::ordered_json::array();
  for (const abi::PlanKernel& k : plan.kernels) {
    std::string symbol;
    for (const artifact::ManifestKernel& mk : m.kernels)
      if (mk.name == k.name) symbol = mk.symbol;
    kernels.push_back({{"kernel", k.name}, {"symbol", symbol}, {"params", k.params.size()}, {"cycles", k.cost}});
  }
  j["kernels"] = kernels;
  return j;
}

std::string inspectText(const nlohmann::ordered_json& j) {
  std::string out;
  out += fmt::format("package {}\n", j["package"].get<std::string>());
  out += fmt::format("  package_hash {}\n  target {}  arch {}\n", j["package_hash"].get<std::string>(),
                     j["target"].get<std::string>(), j["arch"].get<std::string>());
  out += fmt::format("  plan {} ({})\n", j["plan"]["file"].get<std::string>(), j["plan"]["hash"].get<std::string>());
  if (j.contains("library"))
    out += fmt::format("  library {} ({})\n", j["library"]["file"].get<std::string>(),
                       j["library"]["hash"].get<std::string>());
  if (j.contains("files"))
    for (const auto& f : j["files"])
      out += fmt::format("  file {} ({})\n", f["file"].get<std::string>(), f["hash"].get<std::string>());
  out += fmt::format("  compiler {} ({})\n", j["compiler"]["path"].get<std::string>(),
                     j["compiler"]["version"].get<std::string>());
  out += fmt::format("  schedule_id {}  policy_id {}\n", j["schedule_id"].get<std::string>(),
                     j["policy_id"].get<std::string>());

  const auto& pj = j["plan_summary"];
  out += fmt::format("plan: {} processes, nodes:", pj["processes"].get<uint64_t>());
  for (const auto& [kind, n] : pj["nodes"].items()) out += fmt::format(" {} {}", kind, n.get<uint64_t>());
  out += "\n";
  out += fmt::format("  tensors ({})\n", pj["tensors"].size());
  for (const auto& t : pj["tensors"]) {
    std::string shape;
    for (const auto& d : t["shape"]) shape += (shape.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
    out += fmt::format("    {:<16} {:<16} {:>12} bytes{}\n", t["name"].get<std::string>(), shape,
                       t["bytes"].get<uint64_t>(), t["runtime_managed"].get<bool>() ? "  (runtime heap)" : "");
  }
  std::string syms, slots, chans;
  for (const auto& s : pj["symbols"])
    syms += fmt::format("{}{} = {}", syms.empty() ? "" : ", ", s["name"].get<std::string>(), s["default"].get<int64_t>());
  for (const auto& s : pj["slots"]) slots += (slots.empty() ? "" : ", ") + s.get<std::string>();
  for (const auto& c : pj["channels"])
    chans += fmt::format("{}{} (capacity {}, latency {})", chans.empty() ? "" : ", ", c["name"].get<std::string>(),
                         c["capacity"].get<uint64_t>(), c["latency"].get<uint64_t>());
  out += fmt::format("  symbols: {}\n  slots: {}\n  channels: {}\n", syms.empty() ? "(none)" : syms,
                     slots.empty() ? "(none)" : slots, chans.empty() ? "(none)" : chans);
  out += "  schedule:";
  for (const auto& [k, v] : pj["schedule"].items()) out += fmt::format(" {} {}", k, v.is_string() ? v.get<std::string>() : v.dump());
  out += "\n";

  out += "capabilities\n";
  const auto& caps = j["capabilities"];
  if (caps.contains("features") && caps["features"].is_array()) {
    for (const auto& f : caps["features"])
      out += fmt::format("  {:<28} {:<12} {}\n", f.value("name", "?"), f.value("support", "?"), f.value("note", ""));
  } else {
    out += "  " + caps.dump() + "\n";
  }

  out += fmt::format("kernels ({})\n  {:<24} {:<32} {:>12}\n", j["kernels"].size(), "kernel", "symbol", "cycles");
  for (const auto& k : j["kernels"])
    out += fmt::format("  {:<24} {:<32} {:>12}\n", k["kernel"].get<std::string>(), k["symbol"].get<std::string>(),
                       k["cycles"].get<uint64_t>());
  return out;
}

// An emitted source tree (docs/ascend.md): its manifest, every file it names checked.
constexpr const char* kTreeManifest = "pto_wsp_manifest.json";

int inspectTree(const InspectOptions& o) {
  const std::filesystem::path mf = std::filesystem::path(o.dir) / kTreeManifest;
  const SourceLoc loc{mf.string(), 0, 0, {}};
  std::ifstream in(mf);
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("orchestration") || !j.contains("kernels"))
    throw UserError(makeError(loc, "unreadable tree manifest").help("write the tree again with ptowsp compile -o DIR"));
  std::vector<std::string> files{j["orchestration"].value("source", "")};
  for (const auto& k : j["kernels"]) files.push_back(k.value("source", ""));
  if (j.contains("task_table")) files.push_back(j["task_table"].value("source", ""));
  for (const std::string& f : files)
    if (f.empty() || !std::filesystem::exists(std::filesystem::path(o.dir) / f))
      throw UserError(makeError(loc, fmt::format("the tree lacks '{}', which its manifest names", f))
                          .help("write the tree again with ptowsp compile -o DIR"));
  if (o.json) {
    const std::string out = j.dump(2) + "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  std::string out = fmt::format("tree {}\n  target {}  runtime {}  arch {}\n", o.dir, j.value("target", "?"),
                                j.value("runtime", "?"), j.value("arch", "?"));
  out += fmt::format("  module {}  workload {}\n", j.value("module", "?"), j.value("workload", "?"));
  out += fmt::format("  pto-runtime {}  PTO-ISA {}\n", j.value("pto_runtime_commit", "?"), j.value("pto_isa_commit", "?"));
  const auto& orch = j["orchestration"];
  out += fmt::format("orchestration {} ({}): {} tasks, {} relays, {} scopes, {} edges\n", orch.value("source", "?"),
                     orch.value("function_name", "?"), orch.value("tasks", 0), orch.value("relays", 0),
                     orch.value("scopes", 0), orch.value("edges", 0));
  if (j.contains("task_table")) {
    std::string syms;
    for (const auto& [name, v] : j["symbols"].items()) syms += fmt::format(" {}={}", name, v.dump());
    out += fmt::format("task table {} ({} words), symbols{}\n", j["task_table"].value("source", "?"),
                       j["task_table"].value("words", 0), syms.empty() ? " none" : syms);
  }
  out += fmt::format("entry tensors ({})\n", j["entry_tensors"].size());
  for (const auto& e : j["entry_tensors"])
    out += fmt::format("  {:<16} {:<6} {:<5} {}\n", e.value("name", "?"), e.value("direction", "?"), e.value("dtype", "?"),
                       e["shape"].dump());
  out += fmt::format("kernels ({})\n", j["kernels"].size());
  for (const auto& k : j["kernels"])
    out += fmt::format("  {:>3} {:<24} {:<4} {:>2} words  {}\n", k.value("func_id", 0), k.value("name", "?"),
                       k.value("core_type", "?"), k.value("arg_words", 0), k.value("source", "?"));
  for (const auto& [arch, cycles] : j["expected_total_cycles"].items())
    out += fmt::format("expected total_cycles on {}: {}\n", arch, cycles.dump());
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int runInspect(const InspectOptions& o) {
  if (std::filesystem::exists(std::filesystem::path(o.dir) / kTreeManifest)) return inspectTree(o);
  artifact::Package pkg = artifact::readPackage(o.dir);
  abi::Plan plan = readPlan(pkg);
  nlohmann::ordered_json j = inspectJson(pkg, plan);
  std::string out = o.json ? j.dump(2) + "\n" : inspectText(j);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

PTOWSP_COMMAND("inspect", "show what an artifact package holds (manifest, plan, capabilities, kernels)",
               [](CLI::App& sub) {
                 auto o = std::make_shared<InspectOptions>();
                 sub.add_option("dir", o->dir, "package or emitted tree directory (ptowsp compile -o DIR)")->required();
                 sub.add_flag("--json", o->json, "print one JSON object");
                 return [o] { return runInspect(*o); };
               });

}  // namespace
}  // namespace pto::wsp::cli
