// Kernel rules of the verifier: parameters, SSA well-formedness and the tile op
// shape/dtype rules (inferTileOpTypes in Kernel.cpp).
#include "pto/wsp/ir/Verifier.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>

namespace pto::wsp::ir {

namespace {
std::string joinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string s;
  for (size_t i = 0; i < names.size() && i < 12; ++i) {
    if (i) s += ", ";
    s += names[i];
  }
  if (names.size() > 12) s += ", ...";
  return s;
}

const SourceLoc& at(const SourceLoc& preferred, const SourceLoc& fallback) {
  return preferred.valid() ? preferred : fallback;
}
}  // namespace

void verifyKernel(const Kernel& k, DiagnosticList& out) {
  std::set<std::string> paramNames;
  for (const KernelParam& p : k.params) {
    const SourceLoc& loc = at(p.loc, k.loc);
    if (!paramNames.insert(p.name).second)
      out.error(loc, fmt::format("kernel '{}': duplicate parameter '{}'", k.name, p.name))
          .help("give every parameter a distinct name");
    if (p.isTile() && (p.tile.rows < 1 || p.tile.cols < 1))
      out.error(loc, fmt::format("kernel '{}' parameter '{}': tile {}x{} has a non-positive dim", k.name, p.name,
                                 p.tile.rows, p.tile.cols))
          .help("tile dims must be >= 1");
    if (!p.isTile() && p.dir != ParamDir::In)
      out.error(loc, fmt::format("kernel '{}' parameter '{}': scalar parameters are inputs, got '{}'", k.name, p.name,
                                 paramDirName(p.dir)))
          .help("declare scalars without a direction; results leave a kernel through out tiles");
  }

  if (k.external) {
    if (k.source.empty())
      out.error(k.loc, fmt::format("external kernel '{}' has no source file", k.name))
          .help("give the path of the C++ source that implements the kernel");
    if (!k.cycles.defined()) {
      out.error(k.loc, fmt::format("external kernel '{}' has no cycle cost", k.name))
          .help("declare cycles as an expression over its scalar parameters, e.g. cycles = 100 + n * 4");
    } else {
      for (const std::string& v : freeNames(k.cycles, ExprKind::Var)) {
        const KernelParam* p = k.findParam(v);
        if (!p || p->isTile())
          out.error(
                 at(k.cycles.loc(), k.loc),
                 fmt::format("external kernel '{}': cycle cost reads '{}', which is not a scalar parameter", k.name, v))
              .help("the cost may read only the kernel's scalar parameters and constants");
      }
      if (!freeNames(k.cycles, ExprKind::Slot).empty())
        out.error(at(k.cycles.loc(), k.loc), fmt::format("external kernel '{}': cycle cost reads a slot", k.name))
            .help("the cost may read only the kernel's scalar parameters and constants");
    }
    if (!k.body.empty())
      out.error(k.loc, fmt::format("external kernel '{}' has a body of {} ops", k.name, k.body.size()))
          .help("an external kernel is implemented by its source file; drop the body or the 'external' marker");
    return;
  }

  std::map<std::string, std::optional<TileType>> values;  // SSA name -> type (nullopt: broken def)
  std::set<std::string> stored;
  for (size_t idx = 0; idx < k.body.size(); ++idx) {
    const TileInst& inst = k.body[idx];
    const SourceLoc& loc = at(inst.loc, k.loc);
    std::string_view op = tileOpInfo(inst.op).name;
    std::string where = fmt::format("kernel '{}' op {} ('{}')", k.name, idx, op);
    bool ok = true;

    std::vector<TileType> opTypes;
    for (const std::string& name : inst.operands) {
      auto it = values.find(name);
      if (it != values.end()) {
        if (it->second)
          opTypes.push_back(*it->second);
        else
          ok = false;  // already reported at its definition
        continue;
      }
      ok = false;
      if (const KernelParam* p = k.findParam(name); p && p->isTile())
        out.error(loc, fmt::format("{}: operand '{}' is a tile parameter, not a value", where, name))
            .help(fmt::format("load it first: %v = load {}", name));
      else
        out.error(loc, fmt::format("{}: unknown value '{}'", where, name))
            .help("values must be defined by an earlier op of the kernel");
    }

    const TileType* paramType = nullptr;
    if (inst.op == TileOpKind::Load || inst.op == TileOpKind::Store) {
      const KernelParam* p = k.findParam(inst.param);
      bool isLoad = inst.op == TileOpKind::Load;
      if (!p) {
        ok = false;
        std::vector<std::string> tiles;
        for (const KernelParam& q : k.params)
          if (q.isTile()) tiles.push_back(q.name);
        out.error(loc, fmt::format("{}: unknown tile parameter '{}'", where, inst.param))
            .help(fmt::format("tile parameters of '{}': {}", k.name, joinNames(tiles)));
      } else if (!p->isTile()) {
        ok = false;
        out.error(loc, fmt::format("{}: '{}' is a scalar parameter; {} needs a tile parameter", where, inst.param, op))
            .help("use scalar parameters as scalar operands");
      } else {
        paramType = &p->tile;
        if (!isLoad && p->dir == ParamDir::In) {
          out.error(loc, fmt::format("{}: store to parameter '{}', which is declared 'in'", where, inst.param))
              .help(fmt::format("declare '{}' as out or inout if the kernel writes it", inst.param));
        } else if (isLoad && p->dir == ParamDir::Out) {
          out.error(loc, fmt::format("{}: load from parameter '{}', which is declared 'out'", where, inst.param))
              .help(fmt::format("declare '{}' as inout if the kernel reads it", inst.param));
        }
        if (!isLoad) stored.insert(p->name);
      }
    } else if (!inst.param.empty()) {
      out.error(loc, fmt::format("{}: only load and store name a parameter, got '{}'", where, inst.param))
          .help("pass tiles as SSA operands");
    }

    if (inst.scalar) {
      if (inst.scalar->isParam()) {
        const KernelParam* p = k.findParam(inst.scalar->param);
        if (!p || p->isTile())
          out.error(loc, fmt::format("{}: scalar operand '{}' is not a scalar parameter", where, inst.scalar->param))
              .help("declare it as a scalar parameter of the kernel, or pass a literal");
      } else if (!inst.scalar->value.defined()) {
        out.error(loc, fmt::format("{}: empty scalar operand", where)).help("give a literal or a scalar parameter");
      } else if (!freeNames(inst.scalar->value, ExprKind::Var).empty() ||
                 !freeNames(inst.scalar->value, ExprKind::Slot).empty() ||
                 !freeNames(inst.scalar->value, ExprKind::Symbol).empty()) {
        out.error(loc, fmt::format("{}: scalar operand '{}' is not a constant", where, toString(inst.scalar->value)))
            .help("pass run-time values through a scalar parameter of the kernel");
      }
    }
    if (inst.scalar && isBinaryElementwise(inst.op) && inst.broadcast != Broadcast::Scalar)
      out.error(loc,
                fmt::format("{}: scalar operand given but broadcast is '{}'", where, broadcastName(inst.broadcast)))
          .help("use broadcast scalar for tile-op-scalar");
    if (inst.broadcast != Broadcast::None && !isBinaryElementwise(inst.op))
      out.error(loc, fmt::format("{}: broadcast '{}' on a non-binary op", where, broadcastName(inst.broadcast)))
          .help("broadcast modes apply to add/sub/mul/div/max/min only");

    std::vector<TileType> inferred;
    if (ok) {
      auto r = inferTileOpTypes(inst, opTypes, paramType);
      if (auto* e = std::get_if<OpTypeError>(&r)) {
        out.error(loc, fmt::format("{}: {}", where, e->message)).help(e->help);
        ok = false;
      } else {
        inferred = std::get<std::vector<TileType>>(r);
      }
    }

    if (inst.resultTypes.size() != inst.results.size()) {
      out.error(loc, fmt::format("{}: {} result(s) but {} declared result type(s)", where, inst.results.size(),
                                 inst.resultTypes.size()))
          .help("declare one tile type per result");
    } else if (ok) {
      for (size_t r = 0; r < inferred.size() && r < inst.resultTypes.size(); ++r)
        if (inferred[r] != inst.resultTypes[r])
          out.error(loc, fmt::format("{}: result '{}' declared {}, but the op produces {}", where, inst.results[r],
                                     inst.resultTypes[r].str(), inferred[r].str()))
              .help(fmt::format("declare the result as {}", inferred[r].str()));
    }

    for (size_t r = 0; r < inst.results.size(); ++r) {
      const std::string& name = inst.results[r];
      if (values.count(name) || paramNames.count(name)) {
        out.error(loc, fmt::format("{}: value '{}' is defined twice", where, name))
            .help("SSA values are assigned once; use a new name");
        continue;
      }
      std::optional<TileType> t;
      if (r < inferred.size())
        t = inferred[r];
      else if (!ok)
        t = std::nullopt;
      else if (r < inst.resultTypes.size())
        t = inst.resultTypes[r];
      values.emplace(name, t);
    }
  }

  for (const KernelParam& p : k.params)
    if (p.isTile() && p.dir != ParamDir::In && !stored.count(p.name) && !k.body.empty() && p.dir == ParamDir::Out)
      out.warning(at(p.loc, k.loc), fmt::format("kernel '{}': out parameter '{}' is never stored", k.name, p.name))
          .help(fmt::format("store a result to '{}' or remove the parameter", p.name));
}

}  // namespace pto::wsp::ir
