// pto_wsp._core: the Python binding of the C++ builder (api/Builder.h), the IR text
// printer/parser and Program (api/Program.h). Every rule lives in C++; this file only
// converts values, opens a ScopedCallSite at the Python caller's line for each builder and
// Program call, and turns UserError / DeadlockError into Python exceptions.
#include "pto/wsp/api/Builder.h"
#include "pto/wsp/api/CallSite.h"
#include "pto/wsp/api/Program.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/Visitor.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"
#include "pto/wsp/runtime/DeadlockReport.h"
#include "pto/wsp/runtime/PlanInterpreter.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <future>
#include <map>
#include <optional>
#include <thread>

namespace py = pybind11;
using namespace pto::wsp;

// Builders own their nested builders: never copied into Python, only referenced.
template <>
struct pybind11::detail::is_copy_constructible<pto::wsp::WorkloadBuilder> : std::false_type {};
template <>
struct pybind11::detail::is_copy_constructible<pto::wsp::KernelBuilder> : std::false_type {};
template <>
struct pybind11::detail::is_copy_constructible<pto::wsp::ModuleBuilder> : std::false_type {};

namespace {

// (file, line) of the Python caller, or None (then the C++ site is used).
using PyLoc = std::optional<std::pair<std::string, uint32_t>>;

struct At {
  std::optional<ScopedCallSite> scope;
  explicit At(const PyLoc& l) {
    if (l) scope.emplace(l->first, l->second);
  }
};

ir::DType dtypeOf(const std::string& s) {
  auto d = ir::parseDType(s);
  if (!d) throw py::value_error(fmt::format("unknown dtype '{}'", s));
  return *d;
}

ir::TileOpKind opOf(const std::string& s) {
  auto k = ir::parseTileOp(s);
  if (!k) throw py::value_error(fmt::format("unknown tile op '{}'", s));
  return *k;
}

ir::Broadcast bcOf(const std::string& s) {
  if (s.empty() || s == "none") return ir::Broadcast::None;
  if (s == "row") return ir::Broadcast::Row;
  if (s == "col") return ir::Broadcast::Col;
  throw py::value_error(fmt::format("unknown broadcast '{}' (expected none, row or col)", s));
}

Scalar scalarOf(const py::object& o) {
  if (py::isinstance<ScalarParam>(o)) return Scalar(o.cast<ScalarParam>());
  if (py::isinstance<py::bool_>(o)) return Scalar(int64_t(o.cast<bool>()));
  if (py::isinstance<py::int_>(o)) return Scalar(o.cast<int64_t>());
  if (py::isinstance<py::float_>(o)) return Scalar(o.cast<double>());
  throw py::type_error(fmt::format("expected a number or scalar parameter, got {}", std::string(py::str(o.get_type()))));
}

ir::Expr exprOf(const py::object& o) {
  if (py::isinstance<ir::Expr>(o)) return o.cast<ir::Expr>();
  if (py::isinstance<py::bool_>(o)) return ir::boolConst(o.cast<bool>());
  if (py::isinstance<py::int_>(o)) return ir::Expr(o.cast<int64_t>());
  if (py::isinstance<py::float_>(o)) return ir::Expr(o.cast<double>());
  throw py::type_error(fmt::format("expected a scalar expression, got {}", std::string(py::str(o.get_type()))));
}

std::vector<ir::NamedExpr> namedOf(const py::dict& d) {
  std::vector<ir::NamedExpr> out;
  for (auto [k, v] : d) out.push_back({k.cast<std::string>(), exprOf(py::reinterpret_borrow<py::object>(v))});
  return out;
}

// numpy dtype spelled by each IR dtype (bf16 has no numpy type: its bits as uint16).
std::string numpyDtype(ir::DType t) {
  switch (t) {
    case ir::DType::F16: return "float16";
    case ir::DType::BF16: return "uint16";
    case ir::DType::F32: return "float32";
    case ir::DType::F64: return "float64";
    case ir::DType::I8: return "int8";
    case ir::DType::I16: return "int16";
    case ir::DType::I32: return "int32";
    case ir::DType::I64: return "int64";
    case ir::DType::U8: return "uint8";
    case ir::DType::U16: return "uint16";
    case ir::DType::U32: return "uint32";
    case ir::DType::U64: return "uint64";
    case ir::DType::Bool: return "bool";
  }
  return "?";
}

// Renames each kernel's SSA values (old -> new) throughout its body.
void renameValues(ir::Module& m, const std::map<std::string, std::map<std::string, std::string>>& names) {
  for (ir::Kernel& k : m.kernels) {
    auto it = names.find(k.name);
    if (it == names.end()) continue;
    auto ren = [&](std::string& s) {
      auto r = it->second.find(s);
      if (r != it->second.end()) s = r->second;
    };
    for (ir::TileInst& inst : k.body) {
      for (std::string& o : inst.operands) ren(o);
      for (std::string& r : inst.results) ren(r);
    }
  }
}

// `s` as a { block }: the builder returns a one-statement body unwrapped, while the parser
// keeps the braces of the text as a Block. Idempotent.
ir::Stmt braced(const ir::Stmt& s) {
  if (!s.defined() || s.as<ir::Block>()) return s;
  return ir::Block::make({s}, s.loc());
}

// Braces every workload, loop, branch, process, consume and scope body, as Python's
// indented blocks (and the .wsp text) do.
class BraceBodies : public ir::IRMutator {
 public:
  using ir::IRMutator::mutate;
  ir::Stmt mutate(const ir::Loop&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Loop>(), self);
    const auto* s = done.as<ir::Loop>();
    return ir::Loop::make(s->loopKind, s->vars, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Cond&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Cond>(), self);
    const auto* s = done.as<ir::Cond>();
    std::vector<ir::CondBranch> branches = s->branches;
    for (ir::CondBranch& b : branches) b.body = braced(b.body);
    return ir::Cond::make(std::move(branches), braced(s->otherwise), s->loc);
  }
  ir::Stmt mutate(const ir::Process&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Process>(), self);
    const auto* s = done.as<ir::Process>();
    return ir::Process::make(s->name, s->produces, s->consumes, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Consume&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Consume>(), self);
    const auto* s = done.as<ir::Consume>();
    return ir::Consume::make(s->channel, s->var, braced(s->body), s->loc);
  }
  ir::Stmt mutate(const ir::Scope&, const ir::Stmt& self) override {
    ir::Stmt done = ir::IRMutator::mutate(*self.as<ir::Scope>(), self);
    const auto* s = done.as<ir::Scope>();
    return ir::Scope::make(braced(s->body), s->loc);
  }
};

// A Program plus the arrays bound to it (kept alive until rebinding or destruction).
struct PyProgram {
  Program p;
  std::map<std::string, py::object> bound;
  std::map<std::string, ir::DType> dtypes;
};

void bindArray(PyProgram& pp, const std::string& name, const py::object& obj, const PyLoc& loc) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(fmt::format("tensor '{}': expected a numpy array, got {}", name, std::string(py::str(obj.get_type()))));
  py::array a = obj.cast<py::array>();
  auto d = pp.dtypes.find(name);
  if (d != pp.dtypes.end()) {
    std::string want = numpyDtype(d->second);
    std::string got = py::str(a.dtype());
    if (got != want)
      throw py::type_error(fmt::format("tensor '{}' is {} (numpy {}), got an array of dtype {}; help: pass "
                                       "an array of dtype {} (no copy is made)",
                                       name, ir::dtypeName(d->second), want, got, want));
  }
  // The array must have the tensor's layout (row-major unless declared with strides, as
  // a Tensor(data=a) of a strided array is): it is used in place, never copied.
  const ssize_t nd = a.ndim();
  const auto item = static_cast<ssize_t>(a.itemsize());
  std::vector<int64_t> got;
  bool positive = true;
  for (ssize_t i = 0; i < nd; ++i) {
    got.push_back(a.strides(i) / item);
    if (a.shape(i) > 1) positive &= a.strides(i) > 0 && a.strides(i) % item == 0;
  }
  const pto::wsp::abi::PlanTensor* pt = nullptr;
  for (const pto::wsp::abi::PlanTensor& t : pp.p.plan().tensors)
    if (t.name == name) pt = &t;
  size_t bytes = size_t(a.nbytes());
  bool sameShape = pt && pt->shapeExprs.empty() && pt->strideExprs.empty() && static_cast<size_t>(nd) == pt->shape.size();
  for (ssize_t i = 0; i < nd && sameShape; ++i) sameShape = a.shape(i) == pt->shape[size_t(i)];
  if (sameShape) {
    bool same = positive;
    for (ssize_t i = 0; i < nd && same; ++i) same = a.shape(i) <= 1 || got[size_t(i)] == pt->strides[size_t(i)];
    bool rowMajor = true;
    int64_t acc = 1;
    for (size_t i = pt->shape.size(); i-- > 0;) {
      rowMajor &= pt->shape[i] <= 1 || pt->strides[i] == acc;
      acc *= std::max<int64_t>(pt->shape[i], 1);
    }
    if (!same && rowMajor)
      throw py::value_error(fmt::format("tensor '{}': the array is not C-contiguous (element strides [{}]); help: pass "
                                        "numpy.ascontiguousarray(a), or declare the tensor from this array "
                                        "(Tensor(data=a) takes its strides); arrays are used in place, never copied",
                                        name, fmt::join(got, ", ")));
    if (!same)
      throw py::value_error(fmt::format("tensor '{}' has element strides [{}], got an array with element strides [{}]; "
                                        "help: pass numpy.ascontiguousarray(a), or declare the tensor from this "
                                        "array (Tensor(data=a) takes its strides); arrays are used in place, never copied",
                                        name, fmt::join(pt->strides, ", "), fmt::join(got, ", ")));
    size_t last = 0;
    for (ssize_t i = 0; i < nd; ++i) last += size_t(std::max<ssize_t>(a.shape(i) - 1, 0)) * size_t(got[size_t(i)]);
    bytes = (last + 1) * size_t(item);
  } else if (!(a.flags() & py::array::c_style)) {
    throw py::value_error(fmt::format("tensor '{}': the array is not C-contiguous (element strides [{}]); help: pass "
                                      "numpy.ascontiguousarray(a), or declare the tensor from this array "
                                      "(Tensor(data=a) takes its strides); arrays are used in place, never copied",
                                      name, fmt::join(got, ", ")));
  }
  if (!a.writeable())
    throw py::value_error(fmt::format("tensor '{}': the array is read-only; help: pass a writeable array", name));
  At at(loc);
  pp.p.bind(name, a.mutable_data(), bytes);
  pp.bound[name] = obj;
}

// Runs `work` (a blocking Program call) on another thread while this one waits with the
// GIL released, polling for signals: on Ctrl-C (KeyboardInterrupt) the run is cancelled
// (Program::cancel: nothing more is issued, the kernels already running finish) and the
// interrupt raised as soon as the run stopped. cancel() is repeated until then, so a run
// that had not yet started when the signal came is cancelled too.
void waitInterruptible(PyProgram& pp, std::function<void()> work) {
  auto fut = std::async(std::launch::async, std::move(work));
  bool interrupted = false;
  while (true) {
    std::future_status st;
    {
      py::gil_scoped_release nogil;
      if (interrupted) pp.p.cancel();
      st = fut.wait_for(std::chrono::milliseconds(10));
    }
    if (st == std::future_status::ready) break;
    if (!interrupted && PyErr_CheckSignals() != 0) {
      interrupted = true;
      PyErr_Clear();
    }
  }
  if (interrupted) {
    try {
      fut.get();
    } catch (const rt::RunCancelled&) {
    } catch (...) {
      // The run failed on its own before the cancel took effect: the interrupt wins.
    }
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw py::error_already_set();
  }
  fut.get();
}

void waitRun(PyProgram& pp) {
  waitInterruptible(pp, [&pp] { pp.p.synchronize(); });
}

// Python callables as builder bodies: the builder is passed by reference, never copied.
std::function<void(KernelBuilder&)> kernelBody(const py::function& f) {
  return [f](KernelBuilder& k) { f(py::cast(&k, py::return_value_policy::reference)); };
}
std::function<void(WorkloadBuilder&)> body(const py::function& f) {
  return [f](WorkloadBuilder& w) { f(py::cast(&w, py::return_value_policy::reference)); };
}

py::object jsonToPy(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "PTO-WSP core: IR builder, text format and Program (C++)";

  static py::exception<UserError> error(m, "Error", PyExc_ValueError);
  static py::exception<rt::DeadlockError> deadlock(m, "DeadlockError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const rt::DeadlockError& e) {
      py::object exc = py::reinterpret_borrow<py::object>(deadlock.ptr())(e.what());
      exc.attr("report") = jsonToPy(e.report().toJson());
      PyErr_SetObject(deadlock.ptr(), exc.ptr());
    } catch (const UserError& e) {
      py::object exc = py::reinterpret_borrow<py::object>(error.ptr())(e.what());
      py::list diags;
      for (const Diagnostic& d : e.diagnostics()) diags.append(d.render());
      exc.attr("diagnostics") = diags;
      PyErr_SetObject(error.ptr(), exc.ptr());
    }
  });

  // ---- scalar expressions
  py::class_<ir::Expr>(m, "Expr")
      .def(py::init([](const py::object& o) { return exprOf(o); }))
      .def("__str__", [](const ir::Expr& e) { return ir::text::printExpr(e); })
      .def("__repr__", [](const ir::Expr& e) { return fmt::format("Expr({})", ir::text::printExpr(e)); })
      .def("const_int", [](const ir::Expr& e) { return ir::asConstInt(e); })
#define PTO_BIN(name, expr)                                                                            \
  .def("__" #name "__", [](const ir::Expr& a, const py::object& b) { ir::Expr x = a, y = exprOf(b); return expr; }) \
  .def("__r" #name "__", [](const ir::Expr& a, const py::object& b) { ir::Expr y = a, x = exprOf(b); return expr; })
      PTO_BIN(add, x + y)
      PTO_BIN(sub, x - y)
      PTO_BIN(mul, x * y)
      PTO_BIN(floordiv, x / y)
      PTO_BIN(truediv, x / y)
      PTO_BIN(mod, x % y)
      PTO_BIN(and, x && y)
      PTO_BIN(or, x || y)
#undef PTO_BIN
      .def("__lt__", [](const ir::Expr& a, const py::object& b) { return a < exprOf(b); })
      .def("__le__", [](const ir::Expr& a, const py::object& b) { return a <= exprOf(b); })
      .def("__gt__", [](const ir::Expr& a, const py::object& b) { return a > exprOf(b); })
      .def("__ge__", [](const ir::Expr& a, const py::object& b) { return a >= exprOf(b); })
      .def("__eq__", [](const ir::Expr& a, const py::object& b) { return ir::eq(a, exprOf(b)); })
      .def("__ne__", [](const ir::Expr& a, const py::object& b) { return ir::ne(a, exprOf(b)); })
      .def("__neg__", [](const ir::Expr& a) { return -a; })
      .def("__invert__", [](const ir::Expr& a) { return !a; })
      .def("__bool__", [](const ir::Expr& e) -> bool {
        throw py::type_error(fmt::format("the truth value of scalar expression '{}' is only known at run time; "
                                         "help: use P.when(expr) instead of a Python if/and/or",
                                         ir::text::printExpr(e)));
      })
      .attr("__hash__") = py::none();
  m.def("min", [](const py::object& a, const py::object& b) { return ir::min(exprOf(a), exprOf(b)); });
  m.def("max", [](const py::object& a, const py::object& b) { return ir::max(exprOf(a), exprOf(b)); });
  m.def("select", [](const py::object& c, const py::object& a, const py::object& b) {
    return ir::select(exprOf(c), exprOf(a), exprOf(b));
  });
  m.def("var", [](const std::string& n) { return ir::var(n); });
  m.def("symbol_ref", [](const std::string& n) { return ir::symbol(n); });
  m.def("slot_ref", [](const std::string& n) { return ir::slotRef(n); });
  m.def("simplify", [](const py::object& e) { return ir::simplify(exprOf(e)); });
  // stop - start when it is a constant (X[i * 16 : i * 16 + 16] -> 16), else None.
  m.def("const_diff", [](const py::object& stop, const py::object& start) -> std::optional<int64_t> {
    auto f = ir::affineForm(exprOf(stop) - exprOf(start));
    if (!f || !f->coeffs.empty()) return std::nullopt;
    return f->constant;
  });

  py::class_<ir::Axis>(m, "Axis")
      .def_static("dense", [](int64_t n) { return Dense(n); })
      .def_static("dense_dyn", [](const py::object& e) { return DenseDyn(exprOf(e)); })
      .def_static("ragged", [](const std::string& outer, const std::string& lengths) { return Ragged(Var(outer), lengths); })
      .def_static("sparse", [](const std::string& outer, const std::string& indptr, const std::string& indices) {
        return Sparse(Var(outer), indptr, indices);
      });

  py::class_<Var::Spec>(m, "VarSpec");
  m.def(
      "var_in",
      [](const std::string& name, const ir::Axis& a, const PyLoc& loc) {
        At at(loc);
        return Var(name).in(a);
      },
      py::arg("name"), py::arg("axis"), py::arg("loc") = py::none());

  py::class_<ViewArg>(m, "View")
      .def("T", &ViewArg::T)
      .def("step", &ViewArg::step)
      .def("shape", &ViewArg::shape)
      .def_readonly("tensor", &ViewArg::tensor)
      .def_readonly("rows", &ViewArg::rows)
      .def_readonly("cols", &ViewArg::cols)
      .def_property_readonly("offsets", [](const ViewArg& v) { return v.offsets; });

  py::class_<TensorRef>(m, "TensorRef")
      .def_property_readonly("name", &TensorRef::name)
      .def(
          "at",
          [](const TensorRef& t, const std::vector<py::object>& offs, int64_t rows, int64_t cols, const PyLoc& loc) {
            At at(loc);
            std::vector<ir::Expr> o;
            for (const py::object& x : offs) o.push_back(exprOf(x));
            ViewArg v = t.at(std::move(o));
            return rows ? v.shape(rows, cols) : v;
          },
          py::arg("offsets"), py::arg("rows") = 0, py::arg("cols") = 0, py::arg("loc") = py::none())
      .def("strides", [](const TensorRef& t, std::vector<int64_t> s) { t.strides(std::move(s)); });

  // ---- kernels
  py::class_<TileParam>(m, "TileParam")
      .def_readonly("name", &TileParam::name)
      .def_property_readonly("rows", [](const TileParam& p) { return p.type.rows; })
      .def_property_readonly("cols", [](const TileParam& p) { return p.type.cols; })
      .def_property_readonly("dtype", [](const TileParam& p) { return std::string(ir::dtypeName(p.type.dtype)); });
  py::class_<ScalarParam>(m, "ScalarParam").def_readonly("name", &ScalarParam::name);
  py::class_<Tile>(m, "Tile")
      .def_property_readonly("name", &Tile::name)
      .def_property_readonly("rows", [](const Tile& t) { return t.type().rows; })
      .def_property_readonly("cols", [](const Tile& t) { return t.type().cols; })
      .def_property_readonly("dtype", [](const Tile& t) { return std::string(ir::dtypeName(t.type().dtype)); });

  py::class_<KernelBuilder>(m, "KernelBuilder")
      .def(
          "param",
          [](KernelBuilder& k, const std::string& dir, const std::string& name, int64_t r, int64_t c,
             const std::string& dt, const PyLoc& loc) {
            At at(loc);
            ir::DType t = dtypeOf(dt);
            if (dir == "in") return k.in(name, r, c, t);
            if (dir == "out") return k.out(name, r, c, t);
            if (dir == "inout") return k.inout(name, r, c, t);
            throw py::value_error(fmt::format("unknown parameter direction '{}'", dir));
          },
          py::arg("dir"), py::arg("name"), py::arg("rows"), py::arg("cols"), py::arg("dtype"), py::arg("loc") = py::none())
      .def(
          "scalar",
          [](KernelBuilder& k, const std::string& name, const std::string& dt, const PyLoc& loc) {
            At at(loc);
            return k.scalar(name, dtypeOf(dt));
          },
          py::arg("name"), py::arg("dtype"), py::arg("loc") = py::none())
      .def("load", [](KernelBuilder& k, const TileParam& p, const PyLoc& loc) { At at(loc); return k.load(p); })
      .def("store", [](KernelBuilder& k, const TileParam& p, const Tile& v, const PyLoc& loc) { At at(loc); k.store(p, v); })
      .def("binary", [](KernelBuilder& k, const std::string& op, const Tile& a, const Tile& b, const std::string& bc,
                        const PyLoc& loc) { At at(loc); return k.binary(opOf(op), a, b, bcOf(bc)); })
      .def("binary_scalar", [](KernelBuilder& k, const std::string& op, const Tile& a, const py::object& s,
                               const PyLoc& loc) { At at(loc); return k.binary(opOf(op), a, scalarOf(s)); })
      .def("unary", [](KernelBuilder& k, const std::string& op, const Tile& a, const PyLoc& loc) {
        At at(loc);
        return k.unary(opOf(op), a);
      })
      .def("matmul", [](KernelBuilder& k, const Tile& a, const Tile& b, const std::optional<Tile>& acc, const PyLoc& loc) {
        At at(loc);
        return acc ? k.matmul(a, b, *acc) : k.matmul(a, b);
      })
      .def("cast", [](KernelBuilder& k, const Tile& a, const std::string& dt, const PyLoc& loc) {
        At at(loc);
        return k.cast(a, dtypeOf(dt));
      })
      .def("fill", [](KernelBuilder& k, int64_t r, int64_t c, const std::string& dt, const py::object& v, const PyLoc& loc) {
        At at(loc);
        return k.fill(r, c, dtypeOf(dt), scalarOf(v));
      })
      .def("iota", [](KernelBuilder& k, int64_t r, int64_t c, const std::string& dt, const PyLoc& loc) {
        At at(loc);
        return k.iota(r, c, dtypeOf(dt));
      })
      .def("select", [](KernelBuilder& k, const Tile& mask, const Tile& a, const Tile& b, const PyLoc& loc) {
        At at(loc);
        return k.select(mask, a, b);
      })
      .def("sort", [](KernelBuilder& k, const Tile& a, bool desc, const PyLoc& loc) { At at(loc); return k.sort(a, desc); })
      .def("topk", [](KernelBuilder& k, const Tile& a, int64_t kk, bool desc, const PyLoc& loc) {
        At at(loc);
        return k.topk(a, kk, desc);
      });

  py::class_<KernelRef>(m, "KernelRef").def_readonly("name", &KernelRef::name);

  // ---- workloads
  py::class_<Arg>(m, "Arg")
      .def_static("view", [](const ViewArg& v) { return Arg(v); })
      .def_static("value", [](const py::object& e) { return Arg(exprOf(e)); });

  using WB = WorkloadBuilder;
  using PyBody = py::function;
  py::class_<WB>(m, "WorkloadBuilder")
      .def("loop", [](WB& w, const std::string& kind, std::vector<Var::Spec> vars, const PyBody& fn, const PyLoc& loc) {
        At at(loc);
        if (kind == "P") {
          w.P(std::move(vars), body(fn));
          return;
        }
        if (vars.size() != 1) throw py::value_error(fmt::format("{} takes exactly one loop variable", kind));
        if (kind == "seq") w.seq(vars[0], body(fn));
        else if (kind == "sel") w.sel(vars[0], body(fn));
        else throw py::value_error(fmt::format("unknown loop kind '{}'", kind));
      })
      .def("call", [](WB& w, const KernelRef& k, std::vector<Arg> args, const PyLoc& loc) { At at(loc); w.call(k, std::move(args)); })
      .def("cond", [](WB& w, const std::vector<std::tuple<py::object, PyBody, PyLoc>>& branches,
                      const std::optional<std::pair<PyBody, PyLoc>>& otherwise) {
        WhenChain* c = nullptr;
        for (const auto& [pred, fn, loc] : branches) {
          At at(loc);
          c = c ? &c->when(exprOf(pred), body(fn)) : &w.when(exprOf(pred), body(fn));
        }
        if (c && otherwise) {
          At at(otherwise->second);
          c->otherwise(body(otherwise->first));
        }
      })
      .def("block", [](WB& w, const std::string& kind, const PyBody& fn, const PyLoc& loc) {
        At at(loc);
        if (kind == "combine") w.combine(body(fn));
        else if (kind == "sequential") w.sequential(body(fn));
        else if (kind == "scope") w.scope(body(fn));
        else throw py::value_error(fmt::format("unknown block kind '{}'", kind));
      })
      .def("channel", [](WB& w, const std::string& n, const std::string& elem, const PyLoc& loc) {
        At at(loc);
        w.channel(n, elem == "index" ? ir::ChannelElem::Index : ir::ChannelElem::Task);
      })
      .def("process", [](WB& w, const std::string& n, std::vector<std::string> prod, std::vector<std::string> cons,
                         const PyBody& fn, const PyLoc& loc) { At at(loc); w.process(n, prod, cons, body(fn)); })
      .def("send", [](WB& w, const std::string& ch, const KernelRef& k, std::vector<Arg> args, const PyLoc& loc) {
        At at(loc);
        w.send(ch, k, std::move(args));
      })
      .def("send_value", [](WB& w, const std::string& ch, const py::object& v, const PyLoc& loc) {
        At at(loc);
        w.sendValue(ch, exprOf(v));
      })
      .def("consume", [](WB& w, const std::string& ch, const std::string& v, const PyBody& fn, const PyLoc& loc) {
        At at(loc);
        w.consume(ch, Var(v), body(fn));
      })
      .def("connect", [](WB& w, const std::string& ch, const std::string& from, const std::string& to, const PyLoc& loc) {
        At at(loc);
        w.connect(ch, from, to);
      })
      .def("replicate", [](WB& w, const std::string& p, const py::object& n, const PyLoc& loc) {
        At at(loc);
        w.replicate(p, exprOf(n));
      })
      .def("slot_load", [](WB& w, const py::object& slot, const ViewArg& v, const py::object& r, const py::object& c,
                           const PyLoc& loc) { At at(loc); w.slot_load(exprOf(slot), v, exprOf(r), exprOf(c)); })
      .def("slot_set", [](WB& w, const py::object& slot, const py::object& v, const PyLoc& loc) {
        At at(loc);
        w.slot_set(exprOf(slot), exprOf(v));
      })
      .def("dispatch", [](WB& w, const std::string& policy, const py::dict& params, const PyLoc& loc) {
        At at(loc);
        w.dispatch(policy, namedOf(params));
      })
      .def("dispatch_custom", [](WB& w, const py::object& key, const py::dict& params, const PyLoc& loc) {
        At at(loc);
        w.dispatch_custom(exprOf(key), namedOf(params));
      })
      .def("task_window", [](WB& w, int64_t n, const std::string& unit, const std::string& mode, const PyLoc& loc) {
        At at(loc);
        w.task_window(n, unit, mode);
      })
      .def("channel_defaults", [](WB& w, int64_t cap, int64_t lat, const PyLoc& loc) { At at(loc); w.channel_defaults(cap, lat); })
      .def("channel_config", [](WB& w, const std::string& n, int64_t cap, int64_t lat, const PyLoc& loc) {
        At at(loc);
        w.channel_config(n, cap, lat);
      })
      .def("pool", [](WB& w, const std::string& r, int64_t n, const PyLoc& loc) { At at(loc); w.pool(r, n); })
      .def("streams", [](WB& w, int64_t n, const PyLoc& loc) { At at(loc); w.streams(n); })
      .def("stream_by", [](WB& w, const py::object& k, const PyLoc& loc) { At at(loc); w.stream_by(exprOf(k)); })
      .def("timing", [](WB& w, const py::dict& params, const PyLoc& loc) { At at(loc); w.timing(namedOf(params)); });

  // ---- modules
  py::class_<ir::Module>(m, "Module")
      .def_readonly("name", &ir::Module::name)
      .def("text", [](const ir::Module& mod) { return ir::text::print(mod); })
      .def("verify", [](const ir::Module& mod) { ir::verifyOrThrow(mod); })
      .def("__eq__", [](const ir::Module& a, const ir::Module& b) { return a == b; })
      .def("tensor_dtypes", [](const ir::Module& mod) {
        std::map<std::string, std::string> out;
        for (const ir::Tensor& t : mod.tensors) out[t.name] = numpyDtype(t.dtype);
        return out;
      });
  m.def("parse", [](const std::string& text, const std::string& file) { return ir::text::parse(text, file); });
  m.def("parse_file", [](const std::filesystem::path& p) {
    std::ifstream f(p);
    if (!f) throw py::value_error(fmt::format("cannot read '{}'", p.string()));
    std::string s((std::istreambuf_iterator<char>(f)), {});
    return ir::text::parse(s, p.string());
  });

  py::class_<ModuleBuilder>(m, "ModuleBuilder")
      .def(py::init([](const std::string& n, const PyLoc& loc) {
             At at(loc);
             return std::make_unique<ModuleBuilder>(n);
           }),
           py::arg("name"), py::arg("loc") = py::none())
      .def("symbol", [](ModuleBuilder& mb, const std::string& n, std::optional<int64_t> v, const PyLoc& loc) {
        At at(loc);
        return mb.symbol(n, v);
      })
      .def("slot", [](ModuleBuilder& mb, const std::string& n, uint64_t init, const PyLoc& loc) {
        At at(loc);
        return mb.slot(n, init);
      })
      .def("tensor", [](ModuleBuilder& mb, const std::string& n, const std::vector<py::object>& shape, const std::string& dt,
                        const std::string& role, const PyLoc& loc) {
        At at(loc);
        auto r = ir::parseTensorRole(role);
        if (!r) throw py::value_error(fmt::format("unknown tensor role '{}' (input, output, inout, temp)", role));
        std::vector<ir::Expr> s;
        for (const py::object& x : shape) s.push_back(exprOf(x));
        return mb.tensor(n, std::move(s), dtypeOf(dt), *r);
      })
      .def("kernel", [](ModuleBuilder& mb, const std::string& n, const py::function& body,
                        const PyLoc& loc) { At at(loc); return mb.kernel(n, kernelBody(body)); })
      .def("external_kernel", [](ModuleBuilder& mb, const std::string& n, const py::function& params,
                                 const std::string& source, const py::object& cycles, const PyLoc& loc) {
        At at(loc);
        return mb.externalKernel(n, kernelBody(params), source, exprOf(cycles));
      })
      .def("workload", [](ModuleBuilder& mb, const std::string& n, const PyLoc& loc) -> WB& {
        At at(loc);
        return mb.workload(n);
      }, py::return_value_policy::reference_internal)
      .def("build", [](const ModuleBuilder& mb, const std::map<std::string, std::map<std::string, std::string>>& names) {
        ir::Module mod = mb.build();
        renameValues(mod, names);
        BraceBodies b;
        for (ir::Workload& w : mod.workloads) w.body = braced(b.mutate(w.body));
        return mod;
      });

  // ---- programs
  py::class_<PyProgram>(m, "Program")
      .def_static("compile", [](const ir::Module& mod, const std::string& target, const std::string& arch,
                                const std::string& workload, const std::string& cacheDir, const std::string& sourceDir,
                                const PyLoc& loc) {
        CompileOptions o;
        o.target = target;
        o.arch = arch;
        o.workload = workload;
        o.cacheDir = cacheDir;
        o.sourceDir = sourceDir;
        std::unique_ptr<PyProgram> pp;
        {
          At at(loc);
          py::gil_scoped_release nogil;
          pp = std::make_unique<PyProgram>(PyProgram{Program::compile(mod, o), {}, {}});
        }
        for (const ir::Tensor& t : mod.tensors) pp->dtypes[t.name] = t.dtype;
        return pp;
      })
      .def("bind", &bindArray)
      .def("set_symbol", [](PyProgram& pp, const std::string& n, int64_t v, const PyLoc& loc) { At at(loc); pp.p.setSymbol(n, v); })
      .def("set_slot", [](PyProgram& pp, const std::string& n, uint64_t v, const PyLoc& loc) { At at(loc); pp.p.setSlot(n, v); })
      .def("slot", [](PyProgram& pp, const std::string& n, const PyLoc& loc) { At at(loc); return pp.p.slot(n); })
      .def("set_threads", [](PyProgram& pp, unsigned n) { pp.p.setThreads(n); })
      .def("set_watchdog", [](PyProgram& pp, uint32_t ms) { pp.p.setWatchdog(ms); })
      .def("execute", [](PyProgram& pp) { pp.p.execute(); })
      .def("synchronize", &waitRun)
      .def("dry_run", [](PyProgram& pp) { waitInterruptible(pp, [&pp] { pp.p.dryRun(); }); })
      .def("cancel", [](PyProgram& pp) { pp.p.cancel(); })
      .def("stats", [](const PyProgram& pp) { return jsonToPy(pp.p.stats().toJson()); })
      .def("stats_text", [](const PyProgram& pp) { return pp.p.stats().toText(); })
      .def("trace", [](PyProgram& pp, const std::filesystem::path& out) { pp.p.traceTo(out); })
      .def("warnings", [](const PyProgram& pp) {
        std::vector<std::string> out;
        for (const Diagnostic& d : pp.p.warnings()) out.push_back(d.render());
        return out;
      })
      .def_property_readonly("package_dir", [](const PyProgram& pp) { return pp.p.packageDir(); });
}
