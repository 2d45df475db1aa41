// Plan serialisation (binary, little-endian) and structural validation.
#include "pto/wsp/abi/Plan.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <cstring>

namespace pto::wsp::abi {

namespace {
constexpr char kMagic[8] = {'P', 'T', 'O', 'P', 'L', 'A', 'N', '\0'};
constexpr uint32_t kMaxDepth = 256;

struct W {
  std::vector<uint8_t> out;
  // resize + memcpy: GCC 12 warns falsely on small vector<uint8_t> inserts.
  void raw(const void* p, size_t n) {
    if (n == 0) return;
    size_t o = out.size();
    out.resize(o + n);
    std::memcpy(out.data() + o, p, n);
  }
  template <class T>
  void pod(T v) {
    raw(&v, sizeof v);
  }
  void str(const std::string& s) {
    pod<uint32_t>(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  void bytes(const std::vector<uint8_t>& b) {
    pod<uint32_t>(static_cast<uint32_t>(b.size()));
    raw(b.data(), b.size());
  }
  void i64s(const std::vector<int64_t>& v) {
    pod<uint32_t>(static_cast<uint32_t>(v.size()));
    for (int64_t x : v) pod(x);
  }
  void expr(const Bytecode& e) { bytes(e.code); }
  void exprs(const std::vector<Bytecode>& v) {
    pod<uint32_t>(static_cast<uint32_t>(v.size()));
    for (const auto& e : v) expr(e);
  }
  void node(const PlanNode& n) {
    pod(static_cast<uint8_t>(n.kind));
    pod(static_cast<uint8_t>(n.loopKind));
    pod(static_cast<uint8_t>(n.axis));
    pod(n.var);
    expr(n.value);
    expr(n.expr);
    pod(n.kernel);
    pod<uint32_t>(static_cast<uint32_t>(n.views.size()));
    for (const auto& v : n.views) {
      pod(v.tensor);
      exprs(v.offsets);
      i64s(v.extents);
      pod(v.rowStep);
      pod(v.colStep);
      pod<uint8_t>(v.transposed);
    }
    exprs(n.scalars);
    expr(n.dispatchKey);
    pod(n.channel);
    pod(n.slot);
    expr(n.row);
    expr(n.col);
    pod(n.loc);
    pod<uint32_t>(static_cast<uint32_t>(n.children.size()));
    for (const auto& c : n.children) node(c);
  }
};

[[noreturn]] void malformed(const std::string& what) {
  throw UserError(makeError({}, "malformed plan: " + what)
                      .help("regenerate the artifact with this version of ptowsp"));
}

struct R {
  const std::vector<uint8_t>& in;
  size_t pos = 0;
  template <class T>
  T pod() {
    if (in.size() - pos < sizeof(T)) malformed(fmt::format("truncated at byte {}", pos));
    T v;
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  uint32_t count(size_t minElem) {
    uint32_t n = pod<uint32_t>();
    if (static_cast<uint64_t>(n) * minElem > in.size() - pos)
      malformed(fmt::format("count {} at byte {} exceeds the data", n, pos - 4));
    return n;
  }
  // resize + memcpy: GCC 12 -O1 (tsan preset) warns falsely on range constructors.
  std::string str() {
    uint32_t n = count(1);
    std::string s;
    s.resize(n);
    if (n) std::memcpy(s.data(), in.data() + pos, n);
    pos += n;
    return s;
  }
  std::vector<uint8_t> bytes() {
    uint32_t n = count(1);
    std::vector<uint8_t> b(n);
    if (n) std::memcpy(b.data(), in.data() + pos, n);
    pos += n;
    return b;
  }
  std::vector<int64_t> i64s() {
    uint32_t n = count(8);
    std::vector<int64_t> v(n);
    for (auto& x : v) x = pod<int64_t>();
    return v;
  }
  Bytecode expr() { return Bytecode{bytes()}; }
  std::vector<Bytecode> exprs() {
    uint32_t n = count(4);
    std::vector<Bytecode> v(n);
    for (auto& e : v) e = expr();
    return v;
  }
  template <class E>
  E enm(uint8_t maxv) {
    uint8_t v = pod<uint8_t>();
    if (v > maxv) malformed(fmt::format("enum value {} at byte {}", v, pos - 1));
    return static_cast<E>(v);
  }
  PlanNode node(uint32_t depth) {
    if (depth > kMaxDepth) malformed("plan nodes nested deeper than 256");
    PlanNode n;
    n.kind = enm<NodeKind>(static_cast<uint8_t>(NodeKind::SlotSet));
    n.loopKind = enm<LoopKind>(1);
    n.axis = enm<AxisKind>(3);
    n.var = pod<uint32_t>();
    n.value = expr();
    n.expr = expr();
    n.kernel = pod<uint32_t>();
    uint32_t nv = count(29);
    n.views.resize(nv);
    for (auto& v : n.views) {
      v.tensor = pod<uint32_t>();
      v.offsets = exprs();
      v.extents = i64s();
      v.rowStep = pod<int64_t>();
      v.colStep = pod<int64_t>();
      v.transposed = pod<uint8_t>() != 0;
    }
    n.scalars = exprs();
    n.dispatchKey = expr();
    n.channel = pod<uint32_t>();
    n.slot = pod<uint32_t>();
    n.row = expr();
    n.col = expr();
    n.loc = pod<uint32_t>();
    uint32_t nc = count(16);
    n.children.reserve(nc);
    for (uint32_t i = 0; i < nc; ++i) n.children.push_back(node(depth + 1));
    return n;
  }
};
}  // namespace

uint32_t PlanLocations::add(const SourceLoc& loc) {
  if (loc.line == 0 && loc.file.empty()) return 0;
  uint32_t f = 0;
  while (f < files.size() && files[f] != loc.file) ++f;
  if (f == files.size()) files.push_back(loc.file);
  const PlanLoc e{f, loc.line, loc.col};
  // The same position recurs right away (a grid's loops, a send and its call): a short
  // backward look shares those; a far repeat costs one 12-byte entry.
  for (size_t i = entries.size(), n = 0; i-- > 0 && n < 8; ++n)
    if (entries[i] == e) return static_cast<uint32_t>(i + 1);
  entries.push_back(e);
  return static_cast<uint32_t>(entries.size());
}

SourceLoc PlanLocations::at(uint32_t index) const {
  if (index == 0 || index > entries.size()) return {};
  const PlanLoc& e = entries[index - 1];
  return {e.file < files.size() ? files[e.file] : std::string(), e.line, e.col, std::string()};
}

std::vector<uint8_t> serializePlan(const Plan& p) {
  W w;
  w.raw(kMagic, 8);
  w.pod(p.version);
  const ScheduleConfig& sc = p.schedule;
  w.pod(sc.workers);
  w.str(sc.dispatch);
  w.pod(sc.issueCycles);
  w.pod(sc.syncLatency);
  w.pod(sc.taskWindow);
  w.pod(sc.tensorMapCapacity);
  w.pod(sc.depListCapacity);
  w.pod(sc.readyQueueCapacity);
  w.pod(sc.heapBytes);
  w.pod(sc.maxScopeDepth);
  w.pod<uint32_t>(static_cast<uint32_t>(p.tensors.size()));
  for (const auto& t : p.tensors) {
    w.str(t.name);
    w.pod(t.dtype);
    w.pod(t.elemBytes);
    w.i64s(t.shape);
    w.i64s(t.strides);
    w.pod(t.bytes);
    w.pod<uint8_t>(t.runtimeManaged);
    w.pod(static_cast<uint8_t>(t.elem));
    w.exprs(t.shapeExprs);
    w.exprs(t.strideExprs);
    w.pod(t.loc);
  }
  w.pod<uint32_t>(static_cast<uint32_t>(p.kernels.size()));
  for (const auto& k : p.kernels) {
    w.str(k.name);
    w.pod<uint32_t>(static_cast<uint32_t>(k.params.size()));
    for (const auto& pa : k.params) {
      w.pod(static_cast<uint8_t>(pa.kind));
      w.pod(pa.rows);
      w.pod(pa.cols);
      w.pod(pa.dtype);
    }
    w.pod(k.fnIndex);
    w.pod(k.cost);
    w.pod(k.loc);
  }
  w.pod<uint32_t>(static_cast<uint32_t>(p.symbols.size()));
  for (const auto& s : p.symbols) {
    w.str(s.name);
    w.pod(s.defaultValue);
  }
  w.pod<uint32_t>(static_cast<uint32_t>(p.slots.size()));
  for (const auto& s : p.slots) {
    w.str(s.name);
    w.pod(s.init);
  }
  w.pod<uint32_t>(static_cast<uint32_t>(p.channels.size()));
  for (const auto& c : p.channels) {
    w.str(c.name);
    w.pod(c.capacity);
    w.pod(c.latency);
    w.pod(c.loc);
  }
  w.pod<uint32_t>(static_cast<uint32_t>(p.processes.size()));
  for (const auto& pr : p.processes) {
    w.str(pr.name);
    w.pod(pr.numVars);
    w.pod(pr.loc);
    w.pod<uint32_t>(static_cast<uint32_t>(pr.body.size()));
    for (const auto& n : pr.body) w.node(n);
  }
  const PlanLocations& L = p.locations;
  w.pod<uint32_t>(static_cast<uint32_t>(L.files.size()));
  for (const auto& f : L.files) w.str(f);
  w.pod<uint32_t>(static_cast<uint32_t>(L.entries.size()));
  for (const auto& e : L.entries) {
    w.pod(e.file);
    w.pod(e.line);
    w.pod(e.col);
  }
  w.pod(L.workload);
  w.pod(L.poolHeap);
  return std::move(w.out);
}

Plan deserializePlan(const std::vector<uint8_t>& bytes) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), kMagic, 8) != 0) malformed("bad magic");
  R r{bytes, 8};
  Plan p;
  p.version = r.pod<uint32_t>();
  if (p.version != kPlanVersion)
    throw UserError(makeError({}, fmt::format("plan format version {}, this runtime reads version {}", p.version,
                                              kPlanVersion))
                        .help("the package was built by another version of ptowsp; recompile it"));
  ScheduleConfig& sc = p.schedule;
  sc.workers = r.pod<uint32_t>();
  sc.dispatch = r.str();
  sc.issueCycles = r.pod<uint64_t>();
  sc.syncLatency = r.pod<uint64_t>();
  sc.taskWindow = r.pod<uint32_t>();
  sc.tensorMapCapacity = r.pod<uint32_t>();
  sc.depListCapacity = r.pod<uint32_t>();
  sc.readyQueueCapacity = r.pod<uint32_t>();
  sc.heapBytes = r.pod<uint64_t>();
  sc.maxScopeDepth = r.pod<uint32_t>();
  p.tensors.resize(r.count(31));
  for (auto& t : p.tensors) {
    t.name = r.str();
    t.dtype = r.pod<uint8_t>();
    t.elemBytes = r.pod<uint8_t>();
    t.shape = r.i64s();
    t.strides = r.i64s();
    t.bytes = r.pod<uint64_t>();
    t.runtimeManaged = r.pod<uint8_t>() != 0;
    t.elem = r.enm<ElemKind>(static_cast<uint8_t>(ElemKind::Bool));
    t.shapeExprs = r.exprs();
    t.strideExprs = r.exprs();
    t.loc = r.pod<uint32_t>();
  }
  p.kernels.resize(r.count(20));
  for (auto& k : p.kernels) {
    k.name = r.str();
    k.params.resize(r.count(18));
    for (auto& pa : k.params) {
      pa.kind = r.enm<ParamKind>(3);
      pa.rows = r.pod<int64_t>();
      pa.cols = r.pod<int64_t>();
      pa.dtype = r.pod<uint8_t>();
    }
    k.fnIndex = r.pod<uint32_t>();
    k.cost = r.pod<uint64_t>();
    k.loc = r.pod<uint32_t>();
  }
  p.symbols.resize(r.count(12));
  for (auto& s : p.symbols) {
    s.name = r.str();
    s.defaultValue = r.pod<int64_t>();
  }
  p.slots.resize(r.count(12));
  for (auto& s : p.slots) {
    s.name = r.str();
    s.init = r.pod<uint64_t>();
  }
  p.channels.resize(r.count(16));
  for (auto& c : p.channels) {
    c.name = r.str();
    c.capacity = r.pod<uint32_t>();
    c.latency = r.pod<uint64_t>();
    c.loc = r.pod<uint32_t>();
  }
  p.processes.resize(r.count(12));
  for (auto& pr : p.processes) {
    pr.name = r.str();
    pr.numVars = r.pod<uint32_t>();
    pr.loc = r.pod<uint32_t>();
    uint32_t n = r.count(16);
    for (uint32_t i = 0; i < n; ++i) pr.body.push_back(r.node(0));
  }
  PlanLocations& L = p.locations;
  L.files.resize(r.count(4));
  for (auto& f : L.files) f = r.str();
  L.entries.resize(r.count(12));
  for (auto& e : L.entries) {
    e.file = r.pod<uint32_t>();
    e.line = r.pod<uint32_t>();
    e.col = r.pod<uint32_t>();
  }
  L.workload = r.pod<uint32_t>();
  L.poolHeap = r.pod<uint32_t>();
  if (r.pos != bytes.size()) malformed(fmt::format("{} trailing bytes", bytes.size() - r.pos));
  std::string err = validatePlan(p);
  if (!err.empty()) malformed(err);
  return p;
}

namespace {
std::string checkNode(const Plan& p, const PlanProcess& pr, const PlanNode& n, const std::string& path) {
  auto ck = [&](const Bytecode& e, const char* what) -> std::string {
    std::string m = checkBytecode(e, p.symbols.size(), p.slots.size(), pr.numVars, p.tensors.size());
    return m.empty() ? m : fmt::format("{}: {}: {}", path, what, m);
  };
  std::string m;
  if (n.loc > p.locations.entries.size())
    return fmt::format("{}: location {} (only {})", path, n.loc, p.locations.entries.size());
  auto viewOk = [&](const PlanView& v) -> std::string {
    if (v.tensor >= p.tensors.size()) return fmt::format("{}: view of tensor {} (only {})", path, v.tensor, p.tensors.size());
    if (v.offsets.size() != v.extents.size() || v.offsets.empty() || v.offsets.size() > kMaxTensorRank)
      return fmt::format("{}: view has {} offsets and {} extents", path, v.offsets.size(), v.extents.size());
    for (const auto& o : v.offsets)
      if (auto e = ck(o, "view offset"); !e.empty()) return e;
    for (int64_t x : v.extents)
      if (x <= 0) return fmt::format("{}: view extent {}", path, x);
    if (v.rowStep <= 0 || v.colStep <= 0) return fmt::format("{}: view steps {}x{}", path, v.rowStep, v.colStep);
    return "";
  };
  switch (n.kind) {
    case NodeKind::Loop:
      if (n.var >= pr.numVars) return fmt::format("{}: loop variable {} >= {}", path, n.var, pr.numVars);
      if (!(m = ck(n.expr, "loop extent")).empty() || !(m = ck(n.value, "loop value")).empty()) return m;
      break;
    case NodeKind::Sel:
    case NodeKind::Cond:
    case NodeKind::SlotSet:
      if (!(m = ck(n.expr, "expression")).empty()) return m;
      if (n.kind == NodeKind::Cond && n.children.size() > 2)
        return fmt::format("{}: cond has {} branches", path, n.children.size());
      if (n.kind == NodeKind::SlotSet && n.slot >= p.slots.size())
        return fmt::format("{}: slot {} (only {})", path, n.slot, p.slots.size());
      break;
    case NodeKind::Call: {
      if (n.kernel >= p.kernels.size()) return fmt::format("{}: kernel {} (only {})", path, n.kernel, p.kernels.size());
      const PlanKernel& k = p.kernels[n.kernel];
      size_t tiles = 0, scal = 0;
      for (const auto& pa : k.params) (pa.kind == ParamKind::Scalar ? scal : tiles)++;
      if (n.views.size() != tiles || n.scalars.size() != scal)
        return fmt::format("{}: call of '{}' has {} views and {} scalars, the kernel takes {} and {}", path,
                           k.name, n.views.size(), n.scalars.size(), tiles, scal);
      for (const auto& v : n.views)
        if (!(m = viewOk(v)).empty()) return m;
      for (const auto& s : n.scalars)
        if (!(m = ck(s, "scalar")).empty()) return m;
      if (!(m = ck(n.dispatchKey, "dispatch key")).empty()) return m;
      break;
    }
    case NodeKind::Send:
      if (n.channel >= p.channels.size()) return fmt::format("{}: channel {} (only {})", path, n.channel, p.channels.size());
      if (n.children.size() > 1 || (n.children.size() == 1 && n.children[0].kind != NodeKind::Call))
        return fmt::format("{}: send must wrap one call or none", path);
      if (n.children.empty() && n.expr.code.empty())
        return fmt::format("{}: a send without a call needs a token value", path);
      if (!(m = ck(n.expr, "token value")).empty()) return m;
      break;
    case NodeKind::Consume:
      if (n.channel >= p.channels.size()) return fmt::format("{}: channel {} (only {})", path, n.channel, p.channels.size());
      if (n.var >= pr.numVars) return fmt::format("{}: consume variable {} >= {}", path, n.var, pr.numVars);
      break;
    case NodeKind::SlotLoad:
      if (n.slot >= p.slots.size()) return fmt::format("{}: slot {} (only {})", path, n.slot, p.slots.size());
      if (n.views.size() != 1) return fmt::format("{}: slot_load needs one view", path);
      if (!(m = viewOk(n.views[0])).empty()) return m;
      if (!(m = ck(n.row, "row")).empty() || !(m = ck(n.col, "col")).empty()) return m;
      break;
    default: break;
  }
  for (size_t i = 0; i < n.children.size(); ++i)
    if (!(m = checkNode(p, pr, n.children[i], fmt::format("{}/{}", path, i))).empty()) return m;
  return "";
}
}  // namespace

std::string validatePlan(const Plan& p) {
  const ScheduleConfig& sc = p.schedule;
  const PlanLocations& L = p.locations;
  for (const auto& e : L.entries)
    if (e.file >= L.files.size()) return fmt::format("location file {} (only {})", e.file, L.files.size());
  auto locBad = [&](uint32_t i) { return i > L.entries.size(); };
  if (locBad(L.workload) || locBad(L.poolHeap)) return "workload / pool heap location out of range";
  for (const auto& t : p.tensors)
    if (locBad(t.loc)) return fmt::format("tensor '{}' has location {} (only {})", t.name, t.loc, L.entries.size());
  for (const auto& k : p.kernels)
    if (locBad(k.loc)) return fmt::format("kernel '{}' has location {} (only {})", k.name, k.loc, L.entries.size());
  for (const auto& c : p.channels)
    if (locBad(c.loc)) return fmt::format("channel '{}' has location {} (only {})", c.name, c.loc, L.entries.size());
  for (const auto& pr : p.processes)
    if (locBad(pr.loc))
      return fmt::format("process '{}' has location {} (only {})", pr.name, pr.loc, L.entries.size());
  if (std::string bad = checkSchedule(sc); !bad.empty()) return "schedule: " + bad;
  for (size_t c = 0; c < p.channels.size(); ++c)
    if (p.channels[c].capacity == 0) return fmt::format("channel '{}' has capacity 0", p.channels[c].name);
  for (const auto& t : p.tensors) {
    if (t.shape.empty() || t.shape.size() > kMaxTensorRank || t.strides.size() != t.shape.size())
      return fmt::format("tensor '{}' has rank {} and {} strides", t.name, t.shape.size(), t.strides.size());
    if ((!t.shapeExprs.empty() && t.shapeExprs.size() != t.shape.size()) ||
        (!t.strideExprs.empty() && t.strideExprs.size() != t.shape.size()))
      return fmt::format("tensor '{}' has {} shape and {} stride expressions for rank {}", t.name,
                         t.shapeExprs.size(), t.strideExprs.size(), t.shape.size());
    for (const auto* v : {&t.shapeExprs, &t.strideExprs})
      for (const auto& e : *v)
        if (auto m = checkBytecode(e, p.symbols.size(), 0, 0, 0); !m.empty())
          return fmt::format("tensor '{}' size expression: {}", t.name, m);
    if (t.elemBytes == 0 || t.elemBytes > 8) return fmt::format("tensor '{}' has {}-byte elements", t.name, t.elemBytes);
  }
  for (const auto& k : p.kernels)
    for (const auto& pa : k.params)
      if (pa.kind != ParamKind::Scalar && (pa.rows <= 0 || pa.cols <= 0))
        return fmt::format("kernel '{}' has a {}x{} tile parameter", k.name, pa.rows, pa.cols);
  for (const auto& pr : p.processes)
    for (size_t i = 0; i < pr.body.size(); ++i)
      if (auto m = checkNode(p, pr, pr.body[i], fmt::format("process '{}' node {}", pr.name, i)); !m.empty())
        return m;
  return "";
}

}  // namespace pto::wsp::abi
