// abi::Plan -> readable text (abi/PlanPrinter.h).
#include "pto/wsp/abi/PlanPrinter.h"

#include <fmt/format.h>

#include <cstring>
#include <vector>

namespace pto::wsp::abi {

namespace {

std::string tableName(const std::string& name, uint32_t i, const char* what) {
  return name.empty() ? fmt::format("{}#{}", what, i) : name;
}

template <class T>
std::string nameAt(const std::vector<T>& v, uint32_t i, const char* what) {
  return i < v.size() ? tableName(v[i].name, i, what) : fmt::format("<bad {} {}>", what, i);
}

const char* binOp(BytecodeOp op) {
  switch (op) {
    case BytecodeOp::Add: return "+";
    case BytecodeOp::Sub: return "-";
    case BytecodeOp::Mul: return "*";
    case BytecodeOp::Div: return "/";
    case BytecodeOp::Mod: return "%";
    case BytecodeOp::Lt: return "<";
    case BytecodeOp::Le: return "<=";
    case BytecodeOp::Gt: return ">";
    case BytecodeOp::Ge: return ">=";
    case BytecodeOp::Eq: return "==";
    case BytecodeOp::Ne: return "!=";
    case BytecodeOp::And: return "&&";
    case BytecodeOp::Or: return "||";
    default: return nullptr;
  }
}

template <class T>
bool readImm(const std::vector<uint8_t>& c, size_t& pc, T& v) {
  if (pc + sizeof v > c.size()) return false;
  std::memcpy(&v, c.data() + pc, sizeof v);
  pc += sizeof v;
  return true;
}

std::string elemName(ElemKind k, uint8_t bytes) {
  const char* kind = k == ElemKind::Float ? "float" : k == ElemKind::Signed ? "int" : k == ElemKind::Unsigned ? "uint" : "bool";
  return k == ElemKind::Bool ? kind : fmt::format("{}{}", kind, bytes * 8);
}

class Printer {
 public:
  Printer(const Plan& p, const PlanPrintOptions& o) : p_(p), o_(o) {}

  std::string run() {
    const ScheduleConfig& s = p_.schedule;
    line(0, fmt::format("plan v{}", p_.version));
    if (!p_.locations.files.empty()) {
      std::string fs;
      for (const std::string& f : p_.locations.files) fs += (fs.empty() ? "" : ", ") + baseName(f);
      line(0, fmt::format("locations {} in {}{}", p_.locations.entries.size(), fs, at(p_.locations.workload)));
    }
    line(0, fmt::format("schedule workers={} dispatch={} issue_cycles={} sync_latency={} task_window={}", s.workers,
                        s.dispatch, s.issueCycles, s.syncLatency, s.taskWindow));
    line(0, fmt::format("pool tensormap={} deplist={} ready_queue={} heap={} max_scope_depth={}", s.tensorMapCapacity,
                        s.depListCapacity, s.readyQueueCapacity, s.heapBytes, s.maxScopeDepth));
    for (uint32_t i = 0; i < p_.symbols.size(); ++i)
      line(0, fmt::format("symbol {} = {}", tableName(p_.symbols[i].name, i, "symbol"), p_.symbols[i].defaultValue));
    for (uint32_t i = 0; i < p_.slots.size(); ++i)
      line(0, fmt::format("slot {} = {}", tableName(p_.slots[i].name, i, "slot"), p_.slots[i].init));
    for (uint32_t i = 0; i < p_.tensors.size(); ++i) tensor(i);
    for (uint32_t i = 0; i < p_.kernels.size(); ++i) kernel(i);
    for (uint32_t i = 0; i < p_.channels.size(); ++i) {
      const PlanChannel& c = p_.channels[i];
      line(0, fmt::format("channel {} capacity={} latency={}{}", tableName(c.name, i, "channel"), c.capacity, c.latency,
                          at(c.loc)));
    }
    for (uint32_t i = 0; i < p_.processes.size(); ++i) {
      const PlanProcess& pr = p_.processes[i];
      line(0, fmt::format("process {} vars={}{} {{", tableName(pr.name, i, "process"), pr.numVars, at(pr.loc)));
      for (const PlanNode& n : pr.body) node(n, 1);
      line(0, "}");
    }
    return std::move(out_);
  }

  std::string expr(const Bytecode& e) const {
    if (e.code.empty()) return "0";
    std::vector<std::string> st;
    const std::vector<uint8_t>& c = e.code;
    size_t pc = 0;
    auto pop = [&](std::string& v) {
      if (st.empty()) return false;
      v = std::move(st.back());
      st.pop_back();
      return true;
    };
    while (pc < c.size()) {
      const uint8_t raw = c[pc++];
      if (raw > kMaxBytecodeOp) return fmt::format("<malformed: opcode {}>", raw);
      const auto op = static_cast<BytecodeOp>(raw);
      int64_t k = 0;
      uint32_t idx = 0;
      std::string a, b, x;
      switch (op) {
        case BytecodeOp::Const:
          if (!readImm(c, pc, k)) return "<malformed: truncated>";
          st.push_back(fmt::format("{}", k));
          continue;
        case BytecodeOp::Sym:
        case BytecodeOp::Slot:
        case BytecodeOp::Var:
          if (!readImm(c, pc, idx)) return "<malformed: truncated>";
          st.push_back(op == BytecodeOp::Sym    ? nameAt(p_.symbols, idx, "symbol")
                       : op == BytecodeOp::Slot ? "slot " + nameAt(p_.slots, idx, "slot")
                                            : fmt::format("%{}", idx));
          continue;
        case BytecodeOp::Load:
          if (!readImm(c, pc, idx) || !pop(a)) return "<malformed: load>";
          st.push_back(fmt::format("{}[{}]", nameAt(p_.tensors, idx, "tensor"), a));
          continue;
        case BytecodeOp::Not:
        case BytecodeOp::Neg:
          if (!pop(a)) return "<malformed: stack underflow>";
          st.push_back(fmt::format("{}{}", op == BytecodeOp::Not ? "!" : "-", a));
          continue;
        case BytecodeOp::CvtF16:
        case BytecodeOp::CvtBF16:
        case BytecodeOp::CvtF32:
        case BytecodeOp::CvtF64: {
          if (!pop(a)) return "<malformed: stack underflow>";
          const char* f = op == BytecodeOp::CvtF16 ? "f16" : op == BytecodeOp::CvtBF16 ? "bf16" : op == BytecodeOp::CvtF32 ? "f32" : "f64";
          st.push_back(fmt::format("{}_bits({})", f, a));
          continue;
        }
        case BytecodeOp::Select:
          if (!pop(b) || !pop(a) || !pop(x)) return "<malformed: stack underflow>";
          st.push_back(fmt::format("({} ? {} : {})", x, a, b));
          continue;
        case BytecodeOp::Min:
        case BytecodeOp::Max:
          if (!pop(b) || !pop(a)) return "<malformed: stack underflow>";
          st.push_back(fmt::format("{}({}, {})", op == BytecodeOp::Min ? "min" : "max", a, b));
          continue;
        default:
          if (!pop(b) || !pop(a)) return "<malformed: stack underflow>";
          st.push_back(fmt::format("({} {} {})", a, binOp(op), b));
          continue;
      }
    }
    if (st.size() != 1) return fmt::format("<malformed: {} values left>", st.size());
    std::string r = std::move(st.back());
    // The outermost parentheses carry no information.
    if (r.size() > 2 && r.front() == '(' && r.back() == ')') {
      int depth = 0;
      bool wraps = true;
      for (size_t i = 0; i + 1 < r.size(); ++i) {
        depth += r[i] == '(' ? 1 : r[i] == ')' ? -1 : 0;
        if (depth == 0) wraps = false;
      }
      if (wraps) r = r.substr(1, r.size() - 2);
    }
    return r;
  }

 private:
  void line(int depth, const std::string& s) {
    out_.append(static_cast<size_t>(depth) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }

  std::string dtype(uint8_t code, ElemKind k, uint8_t bytes) const {
    return o_.dtypeName ? o_.dtypeName(code) : elemName(k, bytes);
  }

  std::string list(const std::vector<Bytecode>& es) const {
    std::string s;
    for (const Bytecode& e : es) s += (s.empty() ? "" : ", ") + expr(e);
    return s;
  }
  template <class T>
  static std::string ints(const std::vector<T>& v) {
    std::string s;
    for (T x : v) s += (s.empty() ? "" : "x") + fmt::format("{}", x);
    return s.empty() ? "scalar" : s;
  }

  void tensor(uint32_t i) {
    const PlanTensor& t = p_.tensors[i];
    std::string s = fmt::format("tensor {} {} [{}] strides [{}] bytes={}", tableName(t.name, i, "tensor"),
                                dtype(t.dtype, t.elem, t.elemBytes), ints(t.shape), ints(t.strides), t.bytes);
    if (t.runtimeManaged) s += " heap";
    if (!t.shapeExprs.empty()) s += " shape=(" + list(t.shapeExprs) + ")";
    if (!t.strideExprs.empty()) s += " stride=(" + list(t.strideExprs) + ")";
    line(0, s + at(t.loc));
  }

  void kernel(uint32_t i) {
    const PlanKernel& k = p_.kernels[i];
    std::string ps;
    for (const PlanParam& p : k.params) {
      const char* kind = p.kind == ParamKind::In      ? "in"
                         : p.kind == ParamKind::Out   ? "out"
                         : p.kind == ParamKind::InOut ? "inout"
                                                      : "scalar";
      std::string d = o_.dtypeName ? o_.dtypeName(p.dtype) : fmt::format("dtype{}", p.dtype);
      ps += (ps.empty() ? "" : ", ") +
            (p.kind == ParamKind::Scalar ? fmt::format("{} {}", kind, d) : fmt::format("{} {}[{}x{}]", kind, d, p.rows, p.cols));
    }
    line(0, fmt::format("kernel {}({}) fn={} cost={}{}", tableName(k.name, i, "kernel"), ps, k.fnIndex, k.cost,
                        at(k.loc)));
  }

  std::string view(const PlanView& v) const {
    std::string s = fmt::format("{}[{}]", nameAt(p_.tensors, v.tensor, "tensor"), list(v.offsets));
    s += " extent " + ints(v.extents);
    if (v.rowStep != 1 || v.colStep != 1) s += fmt::format(" step {}x{}", v.rowStep, v.colStep);
    if (v.transposed) s += " transposed";
    return s;
  }

  static std::string baseName(const std::string& f) {
    const size_t slash = f.rfind('/');
    return slash == std::string::npos ? f : f.substr(slash + 1);
  }
  // " @line:col" (in the first file) or " @file:line:col"; "" when unknown. File names
  // print without their directory, so the text does not depend on the checkout path.
  std::string at(uint32_t loc) const {
    if (loc == 0 || loc > p_.locations.entries.size()) return "";
    const PlanLoc& e = p_.locations.entries[loc - 1];
    const std::string file =
        e.file == 0 || e.file >= p_.locations.files.size() ? std::string() : baseName(p_.locations.files[e.file]) + ":";
    return fmt::format(" @{}{}:{}", file, e.line, e.col);
  }

  void children(const PlanNode& n, int depth, std::string head) {
    head += at(n.loc);
    if (n.children.empty()) {
      line(depth, head);
      return;
    }
    line(depth, head + " {");
    for (const PlanNode& c : n.children) node(c, depth + 1);
    line(depth, "}");
  }

  static const char* axisName(AxisKind a) {
    switch (a) {
      case AxisKind::Dense: return "dense";
      case AxisKind::DenseDyn: return "dense_dyn";
      case AxisKind::Ragged: return "ragged";
      case AxisKind::Sparse: return "sparse";
    }
    return "?";
  }

  void node(const PlanNode& n, int depth) {
    switch (n.kind) {
      case NodeKind::Loop: {
        std::string h = fmt::format("{} %{} in 0..{} ({})", n.loopKind == LoopKind::Parallel ? "parallel" : "for", n.var,
                                    expr(n.expr), axisName(n.axis));
        if (!n.value.code.empty()) h += " value " + expr(n.value);
        return children(n, depth, h);
      }
      case NodeKind::Sel: return children(n, depth, "select " + expr(n.expr));
      case NodeKind::Cond: return children(n, depth, "if " + expr(n.expr));
      case NodeKind::Call: {
        std::string args;
        for (const PlanView& v : n.views) args += (args.empty() ? "" : ", ") + view(v);
        for (const Bytecode& e : n.scalars) args += (args.empty() ? "" : ", ") + expr(e);
        std::string h = fmt::format("call {}({})", nameAt(p_.kernels, n.kernel, "kernel"), args);
        if (!n.dispatchKey.code.empty()) h += " key " + expr(n.dispatchKey);
        return children(n, depth, h);
      }
      case NodeKind::Seq: return children(n, depth, "seq");
      case NodeKind::Combine: return children(n, depth, "combine");
      case NodeKind::Scope: return children(n, depth, "scope");
      case NodeKind::Send: {
        std::string h = "send " + nameAt(p_.channels, n.channel, "channel");
        if (!n.expr.code.empty()) h += " value " + expr(n.expr);
        return children(n, depth, h);
      }
      case NodeKind::Consume:
        return children(n, depth, fmt::format("consume %{} from {}", n.var, nameAt(p_.channels, n.channel, "channel")));
      case NodeKind::SlotLoad: {
        std::string v = n.views.empty() ? "<no view>" : view(n.views[0]);
        return children(n, depth, fmt::format("slot {} = load {} at ({}, {})", nameAt(p_.slots, n.slot, "slot"), v,
                                              expr(n.row), expr(n.col)));
      }
      case NodeKind::SlotSet:
        return children(n, depth, fmt::format("slot {} = {}", nameAt(p_.slots, n.slot, "slot"), expr(n.expr)));
    }
    line(depth, fmt::format("<unknown node kind {}>", static_cast<int>(n.kind)));
  }

  const Plan& p_;
  const PlanPrintOptions& o_;
  std::string out_;
};

}  // namespace

std::string printBytecode(const Bytecode& e, const Plan& p) {
  const PlanPrintOptions o;
  return Printer(p, o).expr(e);
}

std::string printPlan(const Plan& p, const PlanPrintOptions& opts) { return Printer(p, opts).run(); }

}  // namespace pto::wsp::abi
