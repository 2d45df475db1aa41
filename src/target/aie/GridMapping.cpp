// The plain-grid form of the aie mapping: one `P` grid of calls, iteration L (row-major
// over the grid variables) on core L mod n, n = the dispatch's workers, cores placed
// column-major. Per-iteration tiles are split (inputs) and joined (outputs) at the
// memtile, so one shim DMA walks each host tensor in iteration order; loop-invariant
// input tiles are broadcast once and held by every core for the whole loop.
#include "MappingBuilder.h"
#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <map>

namespace pto::wsp::target::aie::detail {

namespace {

int workersOf(const ir::Workload& w, int64_t iterations, const AieDevice& d) {
  int64_t n = std::min<int64_t>(iterations, d.computeRows);
  SourceLoc loc = w.loc;
  for (const auto& dir : w.schedule.directives) {
    if (dir.kind != ir::DirectiveKind::Dispatch) continue;
    loc = dir.loc;
    for (const auto& p : dir.params)
      if (p.name == "workers")
        if (auto c = ir::asConstInt(p.value)) n = *c;
  }
  if (n < 1 || n > d.computeTiles())
    refuse(loc, fmt::format("dispatch workers = {} does not fit the {} compute tiles of {}", n, d.computeTiles(), kDeviceName),
           fmt::format("use 1 to {} workers", d.computeTiles()));
  if (iterations % n != 0)
    refuse(loc, fmt::format("the grid's {} iterations do not divide over {} cores", iterations, n),
           "every core runs the same number of iterations: pick workers dividing the iteration count");
  return static_cast<int>(n);
}

}  // namespace

Mapping mapGrid(MappingBuilder& b, const ir::Loop& grid) {
  const ir::Workload& w = b.workload();
  std::vector<int64_t> extents;
  for (const auto& v : grid.vars) {
    const auto n = v.axis.kind == ir::AxisKind::Dense ? ir::asConstInt(v.axis.extent) : std::nullopt;
    if (!n)
      refuse(v.axis.loc, fmt::format("grid axis of '{}' is not a constant dense axis", v.name),
             "dynamic axes are not supported by the aie target: give the axis a constant size");
    extents.push_back(*n);
  }
  int64_t iterations = 1;
  for (auto e : extents) iterations *= e;
  std::vector<const ir::Call*> calls;
  const std::vector<ir::Stmt> body = grid.body.as<ir::Block>() ? grid.body.as<ir::Block>()->stmts
                                                              : std::vector<ir::Stmt>{grid.body};
  for (const auto& s : body) {
    const auto* c = s.as<ir::Call>();
    if (!c)
      refuse(s.loc(), fmt::format("'{}' statement inside the grid is not supported", ir::stmtKindName(s.kind())),
             "the aie grid mapping runs straight-line calls per iteration; nested loops, conditions and slots "
             "need a CSP form");
    calls.push_back(c);
  }
  const int n = workersOf(w, iterations, b.device());
  std::vector<TileCoord> cores;
  for (int k = 0; k < n; ++k) {
    cores.push_back(b.device().computeTile(k));
    b.useTile(cores.back());
  }
  // Offsets of a view at every iteration, in order.
  auto walkOf = [&](const ir::View& v) {
    std::vector<std::vector<int64_t>> offs;
    for (int64_t l = 0; l < iterations; ++l) {
      ir::Env env = b.module().defaultEnv();
      int64_t rest = l;
      for (size_t i = grid.vars.size(); i-- > 0;) {
        env.vars[grid.vars[i].name] = rest % extents[i];
        rest /= extents[i];
      }
      offs.push_back(viewOffsets(v, env));
    }
    return offs;
  };
  struct Stream {
    std::vector<std::string> fifos;  // per core
    bool once = false;
  };
  std::map<std::string, Stream> streams;  // view key -> its FIFOs
  std::vector<std::string> order;
  for (const auto* c : calls) {
    const ir::Kernel* k = b.module().findKernel(c->kernel);
    b.declareKernel(*k);
    for (size_t a = 0; a < c->args.size(); ++a) {
      if (!c->args[a].isView) continue;
      const auto& v = c->args[a].view;
      const auto& p = k->params[a];
      const ir::Tensor& t = b.tensor(v);
      if (t.role == ir::TensorRole::Temp)
        refuse(v.loc, fmt::format("temp tensor '{}' between calls of one grid iteration is not supported", t.name),
               "the aie grid mapping streams host tensors only: express the stages as CSP processes with channels");
      if (p.dir == ir::ParamDir::InOut)
        refuse(v.loc, fmt::format("inout tile parameter '{}' of '{}' is not supported", p.name, k->name),
               "an object FIFO element flows one way: split it into an in and an out parameter");
      std::string key = fmt::format("{}:{}", p.dir == ir::ParamDir::In ? "in" : "out", v.tensor);
      for (const auto& o : v.offsets) key += "," + ir::toString(o);
      if (streams.count(key)) continue;
      const auto offs = walkOf(v);
      bool invariant = true;
      for (const auto& o : offs) invariant = invariant && o == offs.front();
      const std::string what = fmt::format("host {} '{}'", p.dir == ir::ParamDir::In ? "input" : "output", t.name);
      Stream s;
      if (p.dir == ir::ParamDir::In) {
        if (t.role == ir::TensorRole::Output)
          refuse(v.loc, fmt::format("output tensor '{}' is read", t.name), "read only inputs and inout tensors");
        if (invariant) {
          s.once = true;
          s.fifos = b.hostInput(t, tileWalk(t, {offs.front()}, v), b.tileType(v), cores, false, 1, what, v.loc);
        } else {
          s.fifos = b.hostInput(t, tileWalk(t, offs, v), b.tileType(v), cores, true, 2, what, v.loc);
        }
      } else {
        if (invariant && iterations > 1)
          refuse(v.loc, fmt::format("every grid iteration writes the same tile of '{}'", t.name),
                 "give each iteration its own output tile, or accumulate in a P.seq inside a CSP process");
        s.fifos = b.hostOutput(t, tileWalk(t, offs, v), b.tileType(v), cores, 2, what, v.loc);
      }
      streams[key] = s;
      order.push_back(key);
    }
  }
  for (int core = 0; core < n; ++core) {
    CoreProgram prog;
    prog.tile = cores[core];
    prog.what = fmt::format("grid core {}", core);
    prog.loc = grid.loc;
    prog.trips = iterations / n;
    CoreStep step;
    for (const auto& key : order) {
      const Stream& s = streams[key];
      FifoUse u{s.fifos[core], key.starts_with("in:") ? Port::Consume : Port::Produce};
      (s.once ? prog.once : step.acquires).push_back(u);
    }
    for (const auto* c : calls) {
      const ir::Kernel* k = b.module().findKernel(c->kernel);
      CoreCall cc{c->kernel, {}, c->loc};
      for (size_t a = 0; a < c->args.size(); ++a) {
        const auto& p = k->params[a];
        if (!c->args[a].isView) {
          cc.args.push_back(b.scalarArg(c->args[a].value, p, c->loc));
          continue;
        }
        std::string key = fmt::format("{}:{}", p.dir == ir::ParamDir::In ? "in" : "out", c->args[a].view.tensor);
        for (const auto& o : c->args[a].view.offsets) key += "," + ir::toString(o);
        CoreArg arg;
        arg.fifo = streams.at(key).fifos[core];
        cc.args.push_back(arg);
      }
      step.calls.push_back(std::move(cc));
    }
    prog.steps.push_back(std::move(step));
    b.mapping().cores.push_back(std::move(prog));
  }
  return b.finish();
}

}  // namespace pto::wsp::target::aie::detail
