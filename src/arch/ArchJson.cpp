#include "pto/wsp/arch/ArchJson.h"

#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/JsonReader.h"

#include "pto/wsp/support/FileRead.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <sstream>

namespace pto::wsp::arch {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------- writing

ojson archToJson(const ArchModel& a) {
  ojson j;
  j["schema_version"] = kArchSchemaVersion;
  j["name"] = a.name;
  j["description"] = a.description;
  j["clock_ghz"] = a.clockGhz;
  j["memories"] = ojson::array();
  for (const MemorySpace& m : a.memories)
    j["memories"].push_back(ojson{{"name", m.name},
                                  {"level", memLevelName(m.level)},
                                  {"capacity_bytes", m.capacityBytes},
                                  {"instances", m.instances},
                                  {"bytes_per_cycle", m.bytesPerCycle},
                                  {"latency_cycles", m.latencyCycles},
                                  {"scratchpad", m.scratchpad},
                                  {"note", m.note}});
  j["units"] = ojson::array();
  for (const ExecUnit& u : a.units) {
    ojson o{{"name", u.name}, {"kind", unitKindName(u.kind)}};
    switch (u.kind) {
      case UnitKind::Vector: {
        o["startup_cycles"] = u.startupCycles;
        o["bytes_per_cycle"] = u.bytesPerCycle;
        ojson dts = ojson::array();
        for (ir::DType d : u.dtypes) dts.push_back(ir::dtypeName(d));
        o["dtypes"] = dts;
        ojson passes = ojson::object();
        for (const auto& [k, n] : u.opPasses) passes[std::string(ir::tileOpInfo(k).name)] = n;
        o["op_passes"] = passes;
        break;
      }
      case UnitKind::Matrix: {
        o["startup_cycles"] = u.startupCycles;
        ojson shapes = ojson::object();
        for (const auto& [d, s] : u.matrixShapes)
          shapes[std::string(ir::dtypeName(d))] = ojson::array({s.m, s.k, s.n});
        o["shapes"] = shapes;
        break;
      }
      case UnitKind::Dma:
        o["startup_cycles"] = u.startupCycles;
        o["bytes_per_cycle"] = u.bytesPerCycle;
        break;
      case UnitKind::Scalar: o["cycles_per_op"] = u.cyclesPerOp; break;
    }
    o["note"] = u.note;
    j["units"].push_back(std::move(o));
  }
  j["transfers"] = ojson::array();
  for (const Transfer& t : a.transfers)
    j["transfers"].push_back(
        ojson{{"role", transferRoleName(t.role)}, {"from", t.from}, {"to", t.to}, {"unit", t.unit}});
  j["workers"] = ojson::array();
  for (const WorkerClass& w : a.workers)
    j["workers"].push_back(
        ojson{{"name", w.name}, {"count", w.count}, {"units", w.units}, {"memories", w.memories}});
  j["exclusive_groups"] = a.exclusiveGroups;
  j["syncs"] = ojson::array();
  for (const SyncPrimitive& s : a.syncs)
    j["syncs"].push_back(ojson{{"name", s.name},
                               {"scope", syncScopeName(s.scope)},
                               {"latency_cycles", s.latencyCycles},
                               {"note", s.note}});
  j["issue_cycles"] = a.issueCycles;
  j["dispatch_cycles"] = a.dispatchCycles;
  j["note"] = a.note;
  return j;
}

std::string archToJsonText(const ArchModel& a) { return archToJson(a).dump(2) + "\n"; }

// ---------------------------------------------------------------- reading

namespace {

std::string describe(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return fmt::format("boolean {}", v.get<bool>());
    case json::value_t::string: return fmt::format("string {}", v.dump());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return fmt::format("number {}", v.dump());
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    default: return "a value of unknown type";
  }
}

// Reads one document, collecting every error. Not thread-safe (one per parse).
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  DiagnosticList diags;

  void error(const std::string& ptr, std::string msg, std::string help) {
    diags.error(SourceLoc{file_, 0, 0, ptr.empty() ? "/" : ptr}, std::move(msg)).help(help);
  }

  bool isObject(const json& v, const std::string& ptr, std::string_view what) {
    if (v.is_object()) return true;
    error(ptr, fmt::format("expected {} (a JSON object), got {}", what, describe(v)),
          "see docs/arch-json.md for the fields");
    return false;
  }
  bool isArray(const json& v, const std::string& ptr, std::string_view what) {
    if (v.is_array()) return true;
    error(ptr, fmt::format("expected {} (a JSON array), got {}", what, describe(v)),
          "write a JSON array [ ... ]");
    return false;
  }

  // Rejects keys outside `allowed` (typos would otherwise be silently ignored).
  void checkKeys(const json& o, const std::string& ptr, std::string_view what,
                 std::initializer_list<std::string_view> allowed) {
    for (const auto& [k, v] : o.items()) {
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || a == k;
      if (!ok)
        error(ptr + "/" + k, fmt::format("unknown field '{}' in {}", k, what),
              fmt::format("legal fields: {}", fmt::join(allowed, ", ")));
    }
  }

  const json* field(const json& o, const std::string& ptr, std::string_view key, bool required,
                    std::string_view type) {
    auto it = o.find(key);
    if (it == o.end()) {
      if (required)
        error(ptr, fmt::format("missing required field '{}' ({})", key, type),
              fmt::format("add \"{}\": <{}> (docs/arch-json.md)", key, type));
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> str(const json& o, const std::string& ptr, std::string_view key,
                                 bool required) {
    const json* v = field(o, ptr, key, required, "string");
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      error(ptr + "/" + std::string(key),
            fmt::format("field '{}' expected a string, got {}", key, describe(*v)),
            "write a JSON string in double quotes");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  // A finite number; `positive` additionally requires > 0.
  std::optional<double> num(const json& o, const std::string& ptr, std::string_view key,
                            bool required, bool positive) {
    const json* v = field(o, ptr, key, required, positive ? "positive number" : "number");
    if (!v) return std::nullopt;
    std::string p = ptr + "/" + std::string(key);
    if (!v->is_number()) {
      error(p, fmt::format("field '{}' expected a number, got {}", key, describe(*v)),
            "write a JSON number, e.g. 64 or 1.5");
      return std::nullopt;
    }
    double d = v->get<double>();
    if (positive && !(d > 0)) {
      error(p, fmt::format("field '{}' must be positive, got {}", key, v->dump()), "use a value > 0");
      return std::nullopt;
    }
    return d;
  }

  // A non-negative integer <= max (JSON floats with a fraction are rejected).
  std::optional<uint64_t> uint(const json& v, const std::string& p, std::string_view what,
                              uint64_t max) {
    bool integral = v.is_number_unsigned() || v.is_number_integer() ||
                    (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    if (!v.is_number() || !integral) {
      error(p, fmt::format("{} expected a non-negative integer, got {}", what, describe(v)),
            "write a whole number, e.g. 16");
      return std::nullopt;
    }
    // Unsigned first: 18446744073709551615 is an integer too, and would read as -1.
    if ((!v.is_number_unsigned() && v.is_number_integer() && v.get<int64_t>() < 0) ||
        (v.is_number_float() && v.get<double>() < 0)) {
      error(p, fmt::format("{} must be non-negative, got {}", what, v.dump()), "use a value >= 0");
      return std::nullopt;
    }
    if (v.is_number_float() ? v.get<double>() > static_cast<double>(max) : v.get<uint64_t>() > max) {
      error(p, fmt::format("{} is out of range: {} > {}", what, v.dump(), max),
            fmt::format("use a value <= {}", max));
      return std::nullopt;
    }
    return v.is_number_float() ? static_cast<uint64_t>(v.get<double>()) : v.get<uint64_t>();
  }
  std::optional<uint64_t> uintField(const json& o, const std::string& ptr, std::string_view key,
                                   bool required, uint64_t max = std::numeric_limits<uint32_t>::max()) {
    const json* v = field(o, ptr, key, required, "non-negative integer");
    if (!v) return std::nullopt;
    return uint(*v, ptr + "/" + std::string(key), fmt::format("field '{}'", key), max);
  }

  std::vector<std::string> strList(const json& o, const std::string& ptr, std::string_view key,
                                   bool required) {
    std::vector<std::string> out;
    const json* v = field(o, ptr, key, required, "array of strings");
    if (!v) return out;
    std::string p = ptr + "/" + std::string(key);
    if (!isArray(*v, p, fmt::format("field '{}'", key))) return out;
    for (size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      if (!e.is_string())
        error(fmt::format("{}/{}", p, i), fmt::format("expected a string, got {}", describe(e)),
              "write names as JSON strings");
      else
        out.push_back(e.get<std::string>());
    }
    return out;
  }

  // An enum-valued string field; the legal spellings are listed on error.
  template <class E>
  std::optional<E> enumField(const json& o, const std::string& ptr, std::string_view key,
                             std::optional<E> (*parse)(std::string_view),
                             std::initializer_list<std::string_view> legal) {
    auto s = str(o, ptr, key, true);
    if (!s) return std::nullopt;
    auto e = parse(*s);
    if (!e)
      error(ptr + "/" + std::string(key), fmt::format("unknown {} '{}'", key, *s),
            fmt::format("expected one of: {}", fmt::join(legal, ", ")));
    return e;
  }

 private:
  std::string file_;
};

void readMemory(Reader& r, const json& o, const std::string& p, ArchModel& a) {
  if (!r.isObject(o, p, "a memory")) return;
  r.checkKeys(o, p, "a memory",
              {"name", "level", "capacity_bytes", "instances", "bytes_per_cycle", "latency_cycles", "scratchpad",
               "note"});
  MemorySpace m;
  m.name = r.str(o, p, "name", true).value_or("");
  m.level = r.enumField<MemLevel>(o, p, "level", parseMemLevel, {"global", "shared", "local"})
                .value_or(MemLevel::Local);
  m.capacityBytes = r.uintField(o, p, "capacity_bytes", true, std::numeric_limits<uint64_t>::max()).value_or(0);
  m.instances = static_cast<uint32_t>(r.uintField(o, p, "instances", false).value_or(1));
  m.bytesPerCycle = r.num(o, p, "bytes_per_cycle", true, true).value_or(0);
  m.latencyCycles = static_cast<uint32_t>(r.uintField(o, p, "latency_cycles", true).value_or(0));
  m.note = r.str(o, p, "note", false).value_or("");
  if (auto it = o.find("scratchpad"); it != o.end()) {
    if (it->is_boolean())
      m.scratchpad = it->get<bool>();
    else
      r.error(p + "/scratchpad", fmt::format("scratchpad expected true or false, got {}", it->dump()),
              "write \"scratchpad\": true for a software-managed local memory");
  }
  a.memories.push_back(std::move(m));
}

void readUnit(Reader& r, const json& o, const std::string& p, ArchModel& a) {
  if (!r.isObject(o, p, "a unit")) return;
  ExecUnit u;
  u.name = r.str(o, p, "name", true).value_or("");
  auto kind = r.enumField<UnitKind>(o, p, "kind", parseUnitKind, {"vector", "matrix", "dma", "scalar"});
  u.kind = kind.value_or(UnitKind::Vector);
  u.note = r.str(o, p, "note", false).value_or("");
  if (!kind) {
    a.units.push_back(std::move(u));
    return;
  }
  switch (*kind) {
    case UnitKind::Vector: {
      r.checkKeys(o, p, "a vector unit",
                  {"name", "kind", "startup_cycles", "bytes_per_cycle", "dtypes", "op_passes", "note"});
      u.startupCycles = static_cast<uint32_t>(r.uintField(o, p, "startup_cycles", false).value_or(0));
      u.bytesPerCycle = r.num(o, p, "bytes_per_cycle", true, true).value_or(0);
      std::vector<std::string> names = r.strList(o, p, "dtypes", false);
      for (size_t i = 0; i < names.size(); ++i) {
        if (auto d = ir::parseDType(names[i]))
          u.dtypes.push_back(*d);
        else
          r.error(fmt::format("{}/dtypes/{}", p, i), fmt::format("unknown dtype '{}'", names[i]),
                  fmt::format("expected one of: {}", ir::allDTypeNames()));
      }
      if (const json* passes = r.field(o, p, "op_passes", false, "object")) {
        std::string pp = p + "/op_passes";
        if (r.isObject(*passes, pp, "field 'op_passes'"))
          for (const auto& [k, v] : passes->items()) {
            auto op = ir::parseTileOp(k);
            if (!op || ir::tileOpInfo(*op).cls != ir::OpClass::Vector) {
              std::string names2;
              for (const ir::TileOpInfo& i : ir::allTileOps())
                if (i.cls == ir::OpClass::Vector) names2 += (names2.empty() ? "" : ", ") + std::string(i.name);
              r.error(pp + "/" + k, fmt::format("'{}' is not a vector tile op", k),
                      fmt::format("expected one of: {}", names2));
              continue;
            }
            if (auto n = r.uint(v, pp + "/" + k, fmt::format("op_passes '{}'", k), 1000000))
              u.opPasses[*op] = static_cast<uint32_t>(*n);
          }
      }
      break;
    }
    case UnitKind::Matrix: {
      r.checkKeys(o, p, "a matrix unit", {"name", "kind", "startup_cycles", "shapes", "note"});
      u.startupCycles = static_cast<uint32_t>(r.uintField(o, p, "startup_cycles", false).value_or(0));
      if (const json* shapes = r.field(o, p, "shapes", true, "object: dtype -> [m, k, n]")) {
        std::string sp = p + "/shapes";
        if (r.isObject(*shapes, sp, "field 'shapes' (dtype -> [m, k, n])"))
          for (const auto& [k, v] : shapes->items()) {
            auto d = ir::parseDType(k);
            if (!d) {
              r.error(sp + "/" + k, fmt::format("unknown dtype '{}'", k),
                      fmt::format("expected one of: {}", ir::allDTypeNames()));
              continue;
            }
            if (!v.is_array() || v.size() != 3) {
              r.error(sp + "/" + k, fmt::format("shape for {} expected [m, k, n] (3 integers), got {}", k, describe(v)),
                      "write e.g. [16, 16, 16]");
              continue;
            }
            auto m = r.uint(v[0], sp + "/" + k + "/0", "m", 1u << 20);
            auto kk = r.uint(v[1], sp + "/" + k + "/1", "k", 1u << 20);
            auto n = r.uint(v[2], sp + "/" + k + "/2", "n", 1u << 20);
            if (m && kk && n)
              u.matrixShapes[*d] = {static_cast<uint32_t>(*m), static_cast<uint32_t>(*kk), static_cast<uint32_t>(*n)};
          }
      }
      break;
    }
    case UnitKind::Dma:
      r.checkKeys(o, p, "a dma unit", {"name", "kind", "startup_cycles", "bytes_per_cycle", "note"});
      u.startupCycles = static_cast<uint32_t>(r.uintField(o, p, "startup_cycles", false).value_or(0));
      u.bytesPerCycle = r.num(o, p, "bytes_per_cycle", true, true).value_or(0);
      break;
    case UnitKind::Scalar:
      r.checkKeys(o, p, "a scalar unit", {"name", "kind", "cycles_per_op", "note"});
      u.cyclesPerOp = static_cast<uint32_t>(r.uintField(o, p, "cycles_per_op", true).value_or(0));
      break;
  }
  a.units.push_back(std::move(u));
}

}  // namespace

ArchModel archFromJson(const json& j, const std::string& file) {
  Reader r(file);
  ArchModel a;
  if (!r.isObject(j, "", "an arch model")) r.diags.throwIfErrors();
  r.checkKeys(j, "", "the arch model",
              {"schema_version", "name", "description", "clock_ghz", "memories", "units", "transfers",
               "workers", "exclusive_groups", "syncs", "issue_cycles", "dispatch_cycles", "note"});
  if (auto v = r.uintField(j, "", "schema_version", true); v && *v != static_cast<uint64_t>(kArchSchemaVersion))
    r.error("/schema_version", fmt::format("unsupported schema_version {}", *v),
            fmt::format("this build reads schema_version {} (docs/arch-json.md)", kArchSchemaVersion));
  a.name = r.str(j, "", "name", true).value_or("");
  a.description = r.str(j, "", "description", false).value_or("");
  a.clockGhz = r.num(j, "", "clock_ghz", true, true).value_or(1.0);

  auto eachObject = [&](std::string_view key, bool required, auto&& fn) {
    const json* v = r.field(j, "", key, required, "array of objects");
    if (!v) return;
    std::string p = "/" + std::string(key);
    if (!r.isArray(*v, p, fmt::format("field '{}'", key))) return;
    for (size_t i = 0; i < v->size(); ++i) fn((*v)[i], fmt::format("{}/{}", p, i));
  };
  eachObject("memories", true, [&](const json& o, const std::string& p) { readMemory(r, o, p, a); });
  eachObject("units", true, [&](const json& o, const std::string& p) { readUnit(r, o, p, a); });
  eachObject("transfers", true, [&](const json& o, const std::string& p) {
    if (!r.isObject(o, p, "a transfer")) return;
    r.checkKeys(o, p, "a transfer", {"role", "from", "to", "unit"});
    Transfer t;
    t.role = r.enumField<TransferRole>(o, p, "role", parseTransferRole,
                                       {"load", "store", "matmul_in", "matmul_out"})
                 .value_or(TransferRole::Load);
    t.from = r.str(o, p, "from", true).value_or("");
    t.to = r.str(o, p, "to", true).value_or("");
    t.unit = r.str(o, p, "unit", true).value_or("");
    a.transfers.push_back(std::move(t));
  });
  eachObject("workers", true, [&](const json& o, const std::string& p) {
    if (!r.isObject(o, p, "a worker class")) return;
    r.checkKeys(o, p, "a worker class", {"name", "count", "units", "memories"});
    WorkerClass w;
    w.name = r.str(o, p, "name", true).value_or("");
    w.count = static_cast<uint32_t>(r.uintField(o, p, "count", true).value_or(0));
    w.units = r.strList(o, p, "units", true);
    w.memories = r.strList(o, p, "memories", false);
    a.workers.push_back(std::move(w));
  });
  if (const json* g = r.field(j, "", "exclusive_groups", false, "array of arrays of unit names");
      g && r.isArray(*g, "/exclusive_groups", "field 'exclusive_groups'"))
    for (size_t i = 0; i < g->size(); ++i) {
      std::string p = fmt::format("/exclusive_groups/{}", i);
      if (!r.isArray((*g)[i], p, "an exclusive group (array of unit names)")) continue;
      std::vector<std::string> names;
      for (size_t k = 0; k < (*g)[i].size(); ++k) {
        const json& e = (*g)[i][k];
        if (e.is_string())
          names.push_back(e.get<std::string>());
        else
          r.error(fmt::format("{}/{}", p, k), fmt::format("expected a unit name (string), got {}", describe(e)),
                  "write unit names as JSON strings");
      }
      a.exclusiveGroups.push_back(std::move(names));
    }
  eachObject("syncs", true, [&](const json& o, const std::string& p) {
    if (!r.isObject(o, p, "a sync primitive")) return;
    r.checkKeys(o, p, "a sync primitive", {"name", "scope", "latency_cycles", "note"});
    SyncPrimitive s;
    s.name = r.str(o, p, "name", true).value_or("");
    s.scope = r.enumField<SyncScope>(o, p, "scope", parseSyncScope, {"pipe", "core", "task"})
                  .value_or(SyncScope::Pipe);
    s.latencyCycles = static_cast<uint32_t>(r.uintField(o, p, "latency_cycles", true).value_or(0));
    s.note = r.str(o, p, "note", false).value_or("");
    a.syncs.push_back(std::move(s));
  });
  a.issueCycles = static_cast<uint32_t>(r.uintField(j, "", "issue_cycles", true).value_or(0));
  a.dispatchCycles = static_cast<uint32_t>(r.uintField(j, "", "dispatch_cycles", true).value_or(0));
  a.note = r.str(j, "", "note", false).value_or("");

  // Cross-reference checks only make sense on a structurally complete document.
  if (!r.diags.hasErrors())
    for (const ArchProblem& p : validateArch(a)) r.error(p.pointer, p.message, p.help);
  r.diags.throwIfErrors();
  return a;
}

ArchModel parseArchJson(std::string_view text, const std::string& file) {
  json j = parseJsonText(text, file, "invalid JSON",
                         "fix the JSON syntax at this position (docs/arch-json.md shows a complete example)");
  try {
    return archFromJson(j, file);
  } catch (const UserError& e) {
    throw UserError(locateByPointer(e.diagnostics(), text));
  }
}

ArchModel loadArchFile(const std::string& path) {
  // Arch files are small; 16 MiB bounds a hostile one.
  return parseArchJson(readRegularFile(path, "arch file", "check the path, or use a built-in arch name (ptowsp arch list)",
                                       uint64_t(16) << 20),
                       path);
}

void saveArchFile(const ArchModel& a, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << archToJsonText(a);
  out.flush();
  if (!out) {
    Diagnostic d = makeError(SourceLoc{path, 0, 0, {}}, "cannot write arch file");
    d.help("check that the directory exists and is writable");
    throw UserError(std::move(d));
  }
}

}  // namespace pto::wsp::arch
