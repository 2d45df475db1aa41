#include "pto/wsp/arch/ArchModel.h"

#include "pto/wsp/arch/ArchJson.h"

#include <fmt/format.h>

#include <array>
#include <set>
#include <utility>

namespace pto::wsp::arch {

namespace {
template <class E, size_t N>
std::optional<E> parseByName(std::string_view s, const std::array<std::pair<E, std::string_view>, N>& t) {
  for (const auto& [e, n] : t)
    if (n == s) return e;
  return std::nullopt;
}
template <class E, size_t N>
std::string_view nameOf(E e, const std::array<std::pair<E, std::string_view>, N>& t) {
  for (const auto& [x, n] : t)
    if (x == e) return n;
  return "?";
}

constexpr std::array<std::pair<MemLevel, std::string_view>, 3> kLevels{
    {{MemLevel::Global, "global"}, {MemLevel::Shared, "shared"}, {MemLevel::Local, "local"}}};
constexpr std::array<std::pair<UnitKind, std::string_view>, 4> kKinds{
    {{UnitKind::Vector, "vector"}, {UnitKind::Matrix, "matrix"}, {UnitKind::Dma, "dma"},
     {UnitKind::Scalar, "scalar"}}};
constexpr std::array<std::pair<TransferRole, std::string_view>, 4> kRoles{
    {{TransferRole::Load, "load"}, {TransferRole::Store, "store"},
     {TransferRole::MatmulIn, "matmul_in"}, {TransferRole::MatmulOut, "matmul_out"}}};
constexpr std::array<std::pair<SyncScope, std::string_view>, 3> kScopes{
    {{SyncScope::Pipe, "pipe"}, {SyncScope::Core, "core"}, {SyncScope::Task, "task"}}};
}  // namespace

std::string_view memLevelName(MemLevel l) { return nameOf(l, kLevels); }
std::optional<MemLevel> parseMemLevel(std::string_view s) { return parseByName(s, kLevels); }
std::string_view unitKindName(UnitKind k) { return nameOf(k, kKinds); }
std::optional<UnitKind> parseUnitKind(std::string_view s) { return parseByName(s, kKinds); }
std::string_view transferRoleName(TransferRole r) { return nameOf(r, kRoles); }
std::optional<TransferRole> parseTransferRole(std::string_view s) { return parseByName(s, kRoles); }
std::string_view syncScopeName(SyncScope s) { return nameOf(s, kScopes); }
std::optional<SyncScope> parseSyncScope(std::string_view s) { return parseByName(s, kScopes); }

uint32_t defaultVectorPasses(ir::TileOpKind k) {
  using K = ir::TileOpKind;
  switch (k) {
    case K::Load: case K::Store: case K::Matmul: return 0;
    case K::Rsqrt: return 2;    // sqrt, reciprocal
    case K::Sigmoid: return 4;  // neg, exp, add 1, reciprocal
    case K::Tanh: return 5;     // (e^2x - 1) / (e^2x + 1): muls, exp, adds, subs, div
    case K::Silu: return 5;     // x * sigmoid(x)
    // tanh approximation 0.5x(1 + tanh(c(x + 0.044715x^3))): mul, mul, muls, add, muls,
    // tanh (5), adds, mul, muls
    case K::Gelu: return 13;
    case K::Sin: case K::Cos: return 12;  // range reduction (3) + degree-7 Horner (8) + sign (1)
    case K::Transpose: return 2;          // gather + scatter
    case K::Sort: case K::TopK: return 2; // per bitonic stage: min/max + select
    default: return 1;
  }
}

uint32_t vectorPasses(const ExecUnit& u, ir::TileOpKind k) {
  auto it = u.opPasses.find(k);
  return it != u.opPasses.end() ? it->second : defaultVectorPasses(k);
}

const MemorySpace* ArchModel::memory(std::string_view n) const {
  for (const MemorySpace& m : memories)
    if (m.name == n) return &m;
  return nullptr;
}
const ExecUnit* ArchModel::unit(std::string_view n) const {
  for (const ExecUnit& u : units)
    if (u.name == n) return &u;
  return nullptr;
}
const ExecUnit* ArchModel::firstUnit(UnitKind k) const {
  for (const ExecUnit& u : units)
    if (u.kind == k) return &u;
  return nullptr;
}
const Transfer* ArchModel::transfer(TransferRole r) const {
  for (const Transfer& t : transfers)
    if (t.role == r) return &t;
  return nullptr;
}
const WorkerClass* ArchModel::workerClass(std::string_view n) const {
  for (const WorkerClass& w : workers)
    if (w.name == n) return &w;
  return nullptr;
}
const SyncPrimitive* ArchModel::sync(SyncScope s) const {
  for (const SyncPrimitive& p : syncs)
    if (p.scope == s) return &p;
  return nullptr;
}
uint32_t ArchModel::syncLatency(SyncScope s) const {
  const SyncPrimitive* p = sync(s);
  return p ? p->latencyCycles : 0;
}
uint32_t ArchModel::totalWorkers() const {
  uint32_t n = 0;
  for (const WorkerClass& w : workers) n += w.count;
  return n;
}

int ArchModel::pipeOf(std::string_view u) const {
  auto groupOf = [&](std::string_view n) -> const std::vector<std::string>* {
    for (const auto& g : exclusiveGroups)
      for (const std::string& m : g)
        if (m == n) return &g;
    return nullptr;
  };
  // Number pipes by first appearance in `units`; group members share their number.
  std::vector<int> ids(units.size(), -1);
  int next = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    if (ids[i] != -1) continue;
    ids[i] = next;
    if (const auto* g = groupOf(units[i].name))
      for (size_t j = i + 1; j < units.size(); ++j)
        if (groupOf(units[j].name) == g) ids[j] = next;
    ++next;
  }
  for (size_t i = 0; i < units.size(); ++i)
    if (units[i].name == u) return ids[i];
  return -1;
}

std::string formatBytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && b >= 1024 && b % 1024 == 0) {
    b /= 1024;
    ++u;
  }
  return fmt::format("{} {}", b, units[u]);
}

std::string formatArch(const ArchModel& a) {
  std::string out = fmt::format("{}: {}\n", a.name, a.description);
  out += fmt::format("  clock {} GHz; issue {} cycles/task; dispatch {} cycles/task\n", a.clockGhz, a.issueCycles,
                     a.dispatchCycles);
  out += "  workers:\n";
  for (const WorkerClass& w : a.workers)
    out += fmt::format("    {:<14} x{:<4} units: {}; memories: {}\n", w.name, w.count, fmt::join(w.units, ", "),
                       w.memories.empty() ? std::string("-") : fmt::format("{}", fmt::join(w.memories, ", ")));
  out += "  memories:\n";
  for (const MemorySpace& m : a.memories)
    out += fmt::format("    {:<10} {:<6} {:>9} x{:<3} {:>9.4g} B/cycle  latency {:>4}  {}\n", m.name,
                       memLevelName(m.level), formatBytes(m.capacityBytes), m.instances, m.bytesPerCycle,
                       m.latencyCycles, m.note);
  out += "  units:\n";
  for (const ExecUnit& u : a.units) {
    std::string what;
    switch (u.kind) {
      case UnitKind::Vector: {
        what = fmt::format("{:.4g} B/cycle, startup {}", u.bytesPerCycle, u.startupCycles);
        if (!u.dtypes.empty()) {
          std::string d;
          for (ir::DType t : u.dtypes) d += (d.empty() ? "" : ",") + std::string(ir::dtypeName(t));
          what += "; dtypes " + d;
        }
        for (const auto& [k, n] : u.opPasses) what += fmt::format("; {}={} passes", ir::tileOpInfo(k).name, n);
        break;
      }
      case UnitKind::Matrix: {
        what = fmt::format("startup {}", u.startupCycles);
        for (const auto& [d, s] : u.matrixShapes)
          what += fmt::format("; {} {}x{}x{}/cycle", ir::dtypeName(d), s.m, s.k, s.n);
        break;
      }
      case UnitKind::Dma: what = fmt::format("{:.4g} B/cycle, startup {}", u.bytesPerCycle, u.startupCycles); break;
      case UnitKind::Scalar: what = fmt::format("{} cycles per tile op", u.cyclesPerOp); break;
    }
    out += fmt::format("    {:<10} {:<6} pipe {:<2} {}\n", u.name, unitKindName(u.kind), a.pipeOf(u.name), what);
  }
  out += "  transfers:\n";
  for (const Transfer& t : a.transfers)
    out += fmt::format("    {:<10} {} -> {} by {}\n", transferRoleName(t.role), t.from, t.to, t.unit);
  out += "  exclusive groups:";
  if (a.exclusiveGroups.empty()) out += " none (every unit is its own pipeline)";
  for (const auto& g : a.exclusiveGroups) out += fmt::format(" [{}]", fmt::join(g, ", "));
  out += "\n  syncs:\n";
  for (const SyncPrimitive& s : a.syncs)
    out += fmt::format("    {:<20} {:<4} {:>5} cycles  {}\n", s.name, syncScopeName(s.scope), s.latencyCycles, s.note);
  if (!a.note.empty()) out += "  " + a.note + "\n";
  return out;
}

std::vector<ArchProblem> validateArch(const ArchModel& a) {
  std::vector<ArchProblem> out;
  auto bad = [&](std::string ptr, std::string msg, std::string help) {
    out.push_back({std::move(ptr), std::move(msg), std::move(help)});
  };
  auto list = [](const auto& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x.name;
    return s.empty() ? std::string("(none)") : s;
  };

  if (a.name.empty()) bad("/name", "arch name is empty", "give the model a non-empty name");
  if (!(a.clockGhz > 0) || !(a.clockGhz <= 1000))
    bad("/clock_ghz", fmt::format("clock_ghz must be in (0, 1000], got {}", a.clockGhz),
        "set the core clock in GHz, e.g. 1.8");
  // Rates outside [1e-3, 1e12] bytes/cycle are typos (and would overflow cycle counts).
  auto badRate = [](double r) { return !(r >= 1e-3 && r <= 1e12); };

  std::set<std::string> seen;
  for (size_t i = 0; i < a.memories.size(); ++i) {
    const MemorySpace& m = a.memories[i];
    std::string p = fmt::format("/memories/{}", i);
    if (!seen.insert(m.name).second)
      bad(p + "/name", fmt::format("duplicate memory name '{}'", m.name), "give each memory a unique name");
    if (m.capacityBytes == 0)
      bad(p + "/capacity_bytes", fmt::format("memory '{}' has capacity 0", m.name), "set a positive capacity in bytes");
    if (m.instances == 0)
      bad(p + "/instances", fmt::format("memory '{}' has 0 instances", m.name), "set instances >= 1");
    if (badRate(m.bytesPerCycle))
      bad(p + "/bytes_per_cycle", fmt::format("memory '{}' bandwidth must be in [0.001, 1e12] bytes/cycle, got {}", m.name, m.bytesPerCycle),
          "set the bandwidth one worker sees, in bytes per cycle");
  }
  seen.clear();
  for (size_t i = 0; i < a.units.size(); ++i) {
    const ExecUnit& u = a.units[i];
    std::string p = fmt::format("/units/{}", i);
    if (!seen.insert(u.name).second)
      bad(p + "/name", fmt::format("duplicate unit name '{}'", u.name), "give each unit a unique name");
    if ((u.kind == UnitKind::Vector || u.kind == UnitKind::Dma) && badRate(u.bytesPerCycle))
      bad(p + "/bytes_per_cycle",
          fmt::format("{} unit '{}' needs bytes_per_cycle in [0.001, 1e12], got {}", unitKindName(u.kind), u.name, u.bytesPerCycle),
          "set how many bytes the unit processes or moves per cycle");
    if (u.kind == UnitKind::Matrix) {
      if (u.matrixShapes.empty())
        bad(p + "/shapes", fmt::format("matrix unit '{}' has no shapes", u.name),
            "add e.g. \"shapes\": {\"f16\": [16, 16, 16]} (input dtype -> [m, k, n] per cycle)");
      for (const auto& [dt, s] : u.matrixShapes)
        if (s.m == 0 || s.k == 0 || s.n == 0)
          bad(fmt::format("{}/shapes/{}", p, ir::dtypeName(dt)),
              fmt::format("matrix shape for {} must be positive, got {}x{}x{}", ir::dtypeName(dt), s.m, s.k, s.n),
              "use [m, k, n] with every entry >= 1");
    }
    for (const auto& [op, n] : u.opPasses)
      if (n == 0)
        bad(fmt::format("{}/op_passes/{}", p, ir::tileOpInfo(op).name),
            fmt::format("op_passes for '{}' must be >= 1, got 0", ir::tileOpInfo(op).name),
            "count the vector instructions per element vector (>= 1)");
  }
  auto needUnit = [&](const std::string& ptr, const std::string& n, std::optional<UnitKind> kind) {
    const ExecUnit* u = a.unit(n);
    if (!u)
      bad(ptr, fmt::format("unknown unit '{}'", n), "known units: " + list(a.units));
    else if (kind && u->kind != *kind)
      bad(ptr, fmt::format("unit '{}' is a {} unit, expected a {} unit", n, unitKindName(u->kind), unitKindName(*kind)),
          "name a unit of the right kind");
  };
  auto needMem = [&](const std::string& ptr, const std::string& n) {
    if (!a.memory(n)) bad(ptr, fmt::format("unknown memory '{}'", n), "known memories: " + list(a.memories));
  };
  std::set<TransferRole> roles;
  for (size_t i = 0; i < a.transfers.size(); ++i) {
    const Transfer& t = a.transfers[i];
    std::string p = fmt::format("/transfers/{}", i);
    if (!roles.insert(t.role).second)
      bad(p + "/role", fmt::format("duplicate transfer role '{}'", transferRoleName(t.role)),
          "declare each role (load, store, matmul_in, matmul_out) at most once");
    needMem(p + "/from", t.from);
    needMem(p + "/to", t.to);
    needUnit(p + "/unit", t.unit, UnitKind::Dma);
  }
  for (TransferRole r : {TransferRole::Load, TransferRole::Store})
    if (!roles.count(r))
      bad("/transfers", fmt::format("no '{}' transfer", transferRoleName(r)),
          fmt::format("add {{\"role\": \"{}\", \"from\": ..., \"to\": ..., \"unit\": ...}}", transferRoleName(r)));
  seen.clear();
  if (a.workers.empty()) bad("/workers", "no worker classes", "declare at least one worker class with a count");
  for (size_t i = 0; i < a.workers.size(); ++i) {
    const WorkerClass& w = a.workers[i];
    std::string p = fmt::format("/workers/{}", i);
    if (!seen.insert(w.name).second)
      bad(p + "/name", fmt::format("duplicate worker class '{}'", w.name), "give each worker class a unique name");
    if (w.count == 0) bad(p + "/count", fmt::format("worker class '{}' has count 0", w.name), "set count >= 1");
    for (size_t j = 0; j < w.units.size(); ++j) needUnit(fmt::format("{}/units/{}", p, j), w.units[j], std::nullopt);
    for (size_t j = 0; j < w.memories.size(); ++j) needMem(fmt::format("{}/memories/{}", p, j), w.memories[j]);
  }
  seen.clear();
  for (size_t i = 0; i < a.exclusiveGroups.size(); ++i)
    for (size_t j = 0; j < a.exclusiveGroups[i].size(); ++j) {
      const std::string& n = a.exclusiveGroups[i][j];
      std::string p = fmt::format("/exclusive_groups/{}/{}", i, j);
      needUnit(p, n, std::nullopt);
      if (!seen.insert(n).second)
        bad(p, fmt::format("unit '{}' is in more than one exclusive group", n), "merge the groups that share it");
    }
  std::set<SyncScope> scopes;
  for (const SyncPrimitive& s : a.syncs) scopes.insert(s.scope);
  for (SyncScope s : {SyncScope::Pipe, SyncScope::Task})
    if (!scopes.count(s))
      bad("/syncs", fmt::format("no sync primitive with scope '{}'", syncScopeName(s)),
          fmt::format("add {{\"name\": ..., \"scope\": \"{}\", \"latency_cycles\": N}}", syncScopeName(s)));
  return out;
}

}  // namespace pto::wsp::arch
