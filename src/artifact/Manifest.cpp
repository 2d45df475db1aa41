#include "pto/wsp/artifact/Manifest.h"

#include "pto/wsp/support/Hash.h"
#include "pto/wsp/support/JsonReader.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>

namespace pto::wsp::artifact {

using nlohmann::json;

namespace {

enum class T { String, UInt, Object, Array };

const char* typeName(T t) {
  switch (t) {
    case T::String: return "string";
    case T::UInt: return "unsigned integer";
    case T::Object: return "object";
    case T::Array: return "array";
  }
  return "?";
}

bool hasType(const json& v, T t) {
  switch (t) {
    case T::String: return v.is_string();
    case T::UInt: return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
    case T::Object: return v.is_object();
    case T::Array: return v.is_array();
  }
  return false;
}

// "string \"abc\"", "number -3", "array" ... for "got ..." in messages.
std::string describe(const json& v) {
  std::string kind = v.is_number_unsigned() || v.is_number_integer() ? "integer"
                     : v.is_number()                                  ? "number"
                                                                      : v.type_name();
  if (v.is_object() || v.is_array()) return kind;
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return kind + " " + text;
}

constexpr const char* kSchemaHelp = "the manifest schema is documented in docs/artifact.md; regenerate the "
                                    "artifact with `ptowsp compile`";

// Reads fields of a JSON object, recording located errors instead of stopping.
class Reader {
 public:
  Reader(DiagnosticList& diags, std::string file) : diags_(diags), file_(std::move(file)) {}

  Diagnostic& error(const std::string& ptr, std::string msg) {
    return diags_.error(SourceLoc{file_, 0, 0, ptr.empty() ? "/" : ptr}, std::move(msg));
  }

  // The member `name` of `obj` if present with type `t`; otherwise an error (when
  // required or present with the wrong type) and nullptr.
  const json* get(const json& obj, const std::string& ptr, const char* name, T t, bool required = true) {
    std::string at = ptr + "/" + name;
    auto it = obj.find(name);
    if (it == obj.end()) {
      if (required) error(at, fmt::format("missing required field '{}' ({})", name, typeName(t))).help(kSchemaHelp);
      return nullptr;
    }
    if (!hasType(*it, t)) {
      error(at, fmt::format("field '{}' must be {} {}, got {}", name, t == T::UInt || t == T::Array ? "an" : "a",
                            typeName(t), describe(*it)))
          .help(kSchemaHelp);
      return nullptr;
    }
    return &*it;
  }

  void str(const json& obj, const std::string& ptr, const char* name, std::string& out,
           bool nonEmpty = true, bool required = true) {
    const json* v = get(obj, ptr, name, T::String, required);
    if (!v) return;
    out = v->get<std::string>();
    if (nonEmpty && out.empty()) error(ptr + "/" + name, fmt::format("field '{}' must not be empty", name)).help(kSchemaHelp);
  }

  void u32(const json& obj, const std::string& ptr, const char* name, uint32_t& out) {
    const json* v = get(obj, ptr, name, T::UInt);
    if (!v) return;
    uint64_t x = v->get<uint64_t>();
    if (x > UINT32_MAX) {
      error(ptr + "/" + name, fmt::format("field '{}' is {}, larger than the maximum {}", name, x, UINT32_MAX));
      return;
    }
    out = static_cast<uint32_t>(x);
  }

  void hash(const json& obj, const std::string& ptr, const char* name, std::string& out, bool required = true) {
    const json* v = get(obj, ptr, name, T::String, required);
    if (!v) return;
    out = v->get<std::string>();
    if (!required && out.empty()) return;
    bool ok = out.size() == 16 && out.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!ok)
      error(ptr + "/" + name, fmt::format("field '{}' must be 16 lowercase hex digits, got \"{}\"", name, out))
          .help(kSchemaHelp);
  }

  void relPath(const json& obj, const std::string& ptr, const char* name, std::string& out,
               bool required = true) {
    str(obj, ptr, name, out, /*nonEmpty=*/required, required);
    if (out.empty()) return;
    std::filesystem::path p(out);
    bool bad = p.is_absolute();
    for (const auto& part : p) bad |= part == "..";
    if (bad)
      error(ptr + "/" + name, fmt::format("field '{}' must be a path inside the package (relative, no '..'), got \"{}\"",
                                          name, out))
          .help("package files live in the package directory; use a relative path such as \"plan.bin\"");
  }

  void strings(const json& obj, const std::string& ptr, const char* name, std::vector<std::string>& out,
               bool required = true) {
    const json* v = get(obj, ptr, name, T::Array, required);
    if (!v) return;
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string()) {
        error(fmt::format("{}/{}/{}", ptr, name, i), fmt::format("'{}' entries must be strings, got {}", name,
                                                                  describe((*v)[i])));
        continue;
      }
      out.push_back((*v)[i].get<std::string>());
    }
  }

  // Calls read(elem, elemPtr, out.back()) for each object element of the array `name`.
  template <class V, class F>
  void objects(const json& obj, const std::string& ptr, const char* name, std::vector<V>& out, F read) {
    const json* v = get(obj, ptr, name, T::Array);
    if (!v) return;
    for (size_t i = 0; i < v->size(); ++i) {
      std::string at = fmt::format("{}/{}/{}", ptr, name, i);
      if (!(*v)[i].is_object()) {
        error(at, fmt::format("'{}' entries must be objects, got {}", name, describe((*v)[i]))).help(kSchemaHelp);
        continue;
      }
      out.emplace_back();
      read((*v)[i], at, out.back());
    }
  }

  // Names must be unique within a list (they are looked up by name at bind time).
  template <class V>
  void unique(const std::vector<V>& items, const std::string& listPtr, const char* what) {
    std::map<std::string, size_t> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].name.empty()) continue;
      auto [it, fresh] = seen.emplace(items[i].name, i);
      if (!fresh)
        error(fmt::format("{}/{}/name", listPtr, i),
              fmt::format("duplicate {} name '{}' (first at {}/{})", what, items[i].name, listPtr, it->second))
            .help(fmt::format("{} names must be unique", what));
    }
  }

 private:
  DiagnosticList& diags_;
  std::string file_;
};

bool isIdentifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

void readKernel(Reader& r, const json& j, const std::string& p, ManifestKernel& k) {
  r.str(j, p, "name", k.name);
  r.str(j, p, "symbol", k.symbol);
  if (!k.symbol.empty() && !isIdentifier(k.symbol))
    r.error(p + "/symbol", fmt::format("kernel symbol must be a C identifier, got \"{}\"", k.symbol))
        .help("the manifest was edited or damaged; recompile the package with `ptowsp compile`");
  r.str(j, p, "cycles_symbol", k.cyclesSymbol, /*nonEmpty=*/false, /*required=*/false);
  if (!k.cyclesSymbol.empty() && !isIdentifier(k.cyclesSymbol))
    r.error(p + "/cycles_symbol", fmt::format("cycle function symbol must be a C identifier, got \"{}\"", k.cyclesSymbol))
        .help("the manifest was edited or damaged; recompile the package with `ptowsp compile`");
  r.hash(j, p, "source_hash", k.sourceHash);
  r.relPath(j, p, "object", k.object, /*required=*/false);
}

void readFile(Reader& r, const json& j, const std::string& p, ManifestFile& f) {
  r.relPath(j, p, "file", f.file);
  r.hash(j, p, "hash", f.hash);
}

void readScalar(Reader& r, const json& j, const std::string& p, ManifestScalar& s) {
  r.str(j, p, "name", s.name);
  r.str(j, p, "dtype", s.dtype);
  r.u32(j, p, "index", s.index);
}

void readDim(Reader& r, const json& j, const std::string& p, ManifestDim& d) {
  if (j.is_number_unsigned() || (j.is_number_integer() && j.get<int64_t>() >= 0)) {
    d.size = static_cast<int64_t>(j.get<uint64_t>());
  } else if (j.is_string() && !j.get<std::string>().empty()) {
    d.symbol = j.get<std::string>();
  } else {
    r.error(p, fmt::format("a dimension must be a non-negative integer or a symbol name, got {}", describe(j)))
        .help("write static sizes as numbers (128) and dynamic ones as symbol names (\"N\")");
  }
}

void readTensor(Reader& r, const json& j, const std::string& p, ManifestTensor& t) {
  r.str(j, p, "name", t.name);
  r.str(j, p, "dtype", t.dtype);
  r.str(j, p, "role", t.role);
  static const std::set<std::string> roles{"input", "output", "inout", "scratch"};
  if (!t.role.empty() && !roles.count(t.role))
    r.error(p + "/role", fmt::format("unknown tensor role \"{}\"", t.role))
        .help("use one of: input, output, inout, scratch");
  if (const json* shape = r.get(j, p, "shape", T::Array)) {
    for (size_t i = 0; i < shape->size(); ++i) {
      t.shape.emplace_back();
      readDim(r, (*shape)[i], fmt::format("{}/shape/{}", p, i), t.shape.back());
    }
  }
  r.u32(j, p, "index", t.index);
}

void readAbi(Reader& r, const json& j, const std::string& p, ManifestAbi& a) {
  auto scalar = [&](const json& e, const std::string& at, ManifestScalar& s) { readScalar(r, e, at, s); };
  r.objects(j, p, "symbols", a.symbols, scalar);
  r.objects(j, p, "slots", a.slots, scalar);
  r.objects(j, p, "tensors", a.tensors,
            [&](const json& e, const std::string& at, ManifestTensor& t) { readTensor(r, e, at, t); });
  r.unique(a.symbols, p + "/symbols", "symbol");
  r.unique(a.slots, p + "/slots", "slot");
  r.unique(a.tensors, p + "/tensors", "tensor");
}

void readCompiler(Reader& r, const json& j, const std::string& p, ManifestCompiler& c) {
  r.str(j, p, "path", c.path, /*nonEmpty=*/false);
  r.str(j, p, "version", c.version, /*nonEmpty=*/false);
  r.strings(j, p, "flags", c.flags);
  r.strings(j, p, "link_flags", c.linkFlags);
}

void readHost(Reader& r, const json& j, const std::string& p, ManifestHost& h) {
  r.str(j, p, "os", h.os);
  r.str(j, p, "machine", h.machine);
  r.strings(j, p, "cpu_features", h.cpuFeatures);
  r.u32(j, p, "kernel_abi", h.kernelAbi);
}

void readManifest(Reader& r, const json& j, Manifest& m) {
  if (!j.is_object()) {
    r.error("", fmt::format("a manifest must be a JSON object, got {}", describe(j))).help(kSchemaHelp);
    return;
  }
  std::string schema;
  r.str(j, "", "schema", schema);
  if (!schema.empty() && schema != kManifestSchemaName) {
    r.error("/schema", fmt::format("expected schema \"{}\", got \"{}\"", kManifestSchemaName, schema))
        .help("this file is not a PTO-WSP artifact manifest");
    return;
  }
  const json* ver = r.get(j, "", "schema_version", T::UInt);
  if (!ver) return;  // without a version nothing else can be interpreted
  if (ver->get<uint64_t>() != kManifestSchemaVersion) {
    r.error("/schema_version", fmt::format("unsupported manifest schema_version {} (this build reads version {})",
                                           ver->get<uint64_t>(), kManifestSchemaVersion))
        .help("recompile the workload with this ptowsp (`ptowsp compile`), or use the ptowsp release that "
              "wrote the artifact");
    return;
  }
  m.schemaVersion = kManifestSchemaVersion;
  r.hash(j, "", "package_hash", m.packageHash, /*required=*/false);
  r.str(j, "", "target", m.target);
  if (const json* arch = r.get(j, "", "arch", T::Object)) {
    r.str(*arch, "/arch", "instance", m.archInstance);
    if (const json* caps = r.get(*arch, "/arch", "capabilities", T::Object)) m.capabilities = *caps;
  }
  r.objects(j, "", "kernels", m.kernels,
            [&](const json& e, const std::string& at, ManifestKernel& k) { readKernel(r, e, at, k); });
  r.unique(m.kernels, "/kernels", "kernel");
  if (const json* plan = r.get(j, "", "plan", T::Object)) readFile(r, *plan, "/plan", m.plan);
  if (const json* lib = r.get(j, "", "library", T::Object, /*required=*/false)) {
    m.library.emplace();
    readFile(r, *lib, "/library", *m.library);
  }
  if (const json* abi = r.get(j, "", "abi", T::Object)) readAbi(r, *abi, "/abi", m.abi);
  if (const json* s = r.get(j, "", "schedule", T::Object)) {
    r.str(*s, "/schedule", "id", m.scheduleId, /*nonEmpty=*/false);
    r.str(*s, "/schedule", "policy", m.policyId, /*nonEmpty=*/false);
  }
  if (const json* c = r.get(j, "", "compiler", T::Object)) readCompiler(r, *c, "/compiler", m.compiler);
  r.strings(j, "", "features", m.features, /*required=*/false);
  if (j.contains("files"))
    r.objects(j, "", "files", m.files,
              [&](const json& e, const std::string& at, ManifestFile& f) { readFile(r, e, at, f); });
  if (const json* h = r.get(j, "", "host", T::Object, /*required=*/false)) {
    m.host.emplace();
    readHost(r, *h, "/host", *m.host);
  }
}

// from_json for a piece: located relative to the piece, first error thrown.
template <class V, class F>
void strictRead(const json& j, V& out, F read) {
  DiagnosticList diags;
  Reader r(diags, "<json>");
  V v{};
  if (!j.is_object())
    r.error("", fmt::format("expected an object, got {}", describe(j)));
  else
    read(r, j, std::string(), v);
  diags.throwIfErrors();
  out = std::move(v);
}

}  // namespace

void to_json(json& j, const ManifestKernel& v) {
  j = {{"name", v.name}, {"symbol", v.symbol}, {"cycles_symbol", v.cyclesSymbol},
       {"source_hash", v.sourceHash}, {"object", v.object}};
}
void to_json(json& j, const ManifestFile& v) { j = {{"file", v.file}, {"hash", v.hash}}; }
void to_json(json& j, const ManifestScalar& v) { j = {{"name", v.name}, {"dtype", v.dtype}, {"index", v.index}}; }
void to_json(json& j, const ManifestDim& v) {
  if (v.size)
    j = static_cast<uint64_t>(*v.size);
  else
    j = v.symbol;
}
void to_json(json& j, const ManifestTensor& v) {
  j = {{"name", v.name}, {"dtype", v.dtype}, {"role", v.role}, {"shape", v.shape}, {"index", v.index}};
}
void to_json(json& j, const ManifestAbi& v) {
  j = {{"symbols", v.symbols}, {"slots", v.slots}, {"tensors", v.tensors}};
}
void to_json(json& j, const ManifestCompiler& v) {
  j = {{"path", v.path}, {"version", v.version}, {"flags", v.flags}, {"link_flags", v.linkFlags}};
}
void to_json(json& j, const ManifestHost& v) {
  j = {{"os", v.os}, {"machine", v.machine}, {"cpu_features", v.cpuFeatures}, {"kernel_abi", v.kernelAbi}};
}
void to_json(json& j, const Manifest& v) {
  j = {{"schema", kManifestSchemaName},
       {"schema_version", v.schemaVersion},
       {"package_hash", v.packageHash},
       {"target", v.target},
       {"arch", {{"instance", v.archInstance}, {"capabilities", v.capabilities}}},
       {"kernels", v.kernels},
       {"plan", v.plan},
       {"abi", v.abi},
       {"schedule", {{"id", v.scheduleId}, {"policy", v.policyId}}},
       {"compiler", v.compiler}};
  if (v.library) j["library"] = *v.library;
  if (!v.features.empty()) j["features"] = v.features;
  if (!v.files.empty()) j["files"] = v.files;
  if (v.host) j["host"] = *v.host;
}

void from_json(const json& j, ManifestKernel& v) { strictRead(j, v, readKernel); }
void from_json(const json& j, ManifestFile& v) { strictRead(j, v, readFile); }
void from_json(const json& j, ManifestScalar& v) { strictRead(j, v, readScalar); }
void from_json(const json& j, ManifestDim& v) {
  DiagnosticList diags;
  Reader r(diags, "<json>");
  ManifestDim d;
  readDim(r, j, "", d);
  diags.throwIfErrors();
  v = std::move(d);
}
void from_json(const json& j, ManifestTensor& v) { strictRead(j, v, readTensor); }
void from_json(const json& j, ManifestAbi& v) { strictRead(j, v, readAbi); }
void from_json(const json& j, ManifestCompiler& v) { strictRead(j, v, readCompiler); }
void from_json(const json& j, Manifest& v) { v = manifestFromJson(j, "<json>"); }

Manifest manifestFromJson(const json& j, const std::string& file) {
  DiagnosticList diags;
  Reader r(diags, file);
  Manifest m;
  readManifest(r, j, m);
  diags.throwIfErrors();
  return m;
}

Manifest parseManifest(std::string_view text, const std::string& file) {
  json j = parseJsonText(text, file, "manifest is not valid JSON",
                         "the manifest is written by `ptowsp compile`; regenerate it instead of editing it");
  try {
    return manifestFromJson(j, file);
  } catch (const UserError& e) {
    throw UserError(locateByPointer(e.diagnostics(), text));
  }
}

std::string manifestText(const Manifest& m) { return json(m).dump(2) + "\n"; }

std::string computePackageHash(const Manifest& m) {
  json j = m;
  j.erase("package_hash");
  return hashHex(hash64(j.dump()));
}

}  // namespace pto::wsp::artifact
