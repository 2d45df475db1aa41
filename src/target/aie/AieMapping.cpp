// The CSP form of the aie mapping and the choice between the two forms.
#include "pto/wsp/target/aie/AieMapping.h"

#include "MappingBuilder.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/target/aie/StreamGraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace pto::wsp::target::aie {

using detail::refuse;

namespace {

// One token as it leaves its producer: the value and the offsets of every tile it carries.
struct Token {
  int64_t value = 0;
  std::map<std::string, std::vector<int64_t>> tiles;  // temp tensor -> view offsets
};

struct ChannelInfo {
  const ir::ChannelDecl* decl = nullptr;
  const ir::Process* producer = nullptr;
  const ir::Process* consumer = nullptr;
  int64_t depth = 1;
  std::string tensor;  // the temp tensor whose tile the tokens index
  // FIFOs: fifos[i][j] from producer instance i to consumer instance j ("" = none).
  std::vector<std::vector<std::string>> fifos;
  std::map<std::string, std::vector<Token>> tokens;  // per FIFO, in order
};

struct ProcInfo {
  const ir::Process* p = nullptr;
  int instances = 1;
  bool source = false;
  std::string var;
  int64_t trips = 0;        // source: loop extent
  std::string inChannel;    // consumer: the channel it consumes
  std::vector<ir::Stmt> stmts;  // the loop body: calls and sends
  int firstCore = 0;
  bool done = false;
  std::vector<std::vector<int64_t>> values;  // per instance: the var's value per iteration
};

std::vector<ir::Stmt> flatten(const ir::Stmt& s) {
  if (const auto* b = s.as<ir::Block>()) return b->stmts;
  return {s};
}

[[noreturn]] void unsupportedStmt(const ir::Stmt& s, std::string_view where) {
  refuse(s.loc(), fmt::format("'{}' statement {} is not supported", ir::stmtKindName(s.kind()), where),
         "the aie mapping supports processes whose body is one dense loop or one consume of calls and "
         "'send <channel> value <expr>'");
}

ProcInfo analyseProcess(const ir::Process& p) {
  ProcInfo info;
  info.p = &p;
  auto top = flatten(p.body);
  if (top.size() != 1) unsupportedStmt(top.size() > 1 ? top[1] : p.body, "after the process loop");
  const ir::Stmt& s = top.front();
  ir::Stmt body;
  if (const auto* l = s.as<ir::Loop>()) {
    if (l->loopKind == ir::LoopKind::Sel)
      refuse(l->loc, "sparse selection (P.sel) is not supported",
             "static DMA patterns need dense loops: densify the selection");
    if (l->vars.size() != 1)
      refuse(l->loc, fmt::format("a process loop over {} variables is not supported", l->vars.size()),
             "write one dense loop in the process");
    const auto& ax = l->vars.front().axis;
    const auto n = ax.kind == ir::AxisKind::Dense ? ir::asConstInt(ax.extent) : std::nullopt;
    if (!n)
      refuse(ax.loc, fmt::format("loop axis of '{}' is not a constant dense axis", l->vars.front().name),
             "dynamic axes are not supported by the aie target: give the axis a constant size");
    info.source = true;
    info.var = l->vars.front().name;
    info.trips = *n;
    body = l->body;
  } else if (const auto* c = s.as<ir::Consume>()) {
    info.inChannel = c->channel;
    info.var = c->var;
    body = c->body;
  } else {
    unsupportedStmt(s, fmt::format("as the body of process '{}'", p.name));
  }
  for (const auto& st : flatten(body)) {
    if (st.as<ir::Call>()) {
      info.stmts.push_back(st);
    } else if (const auto* snd = st.as<ir::Send>()) {
      if (snd->call.defined())
        refuse(snd->loc, fmt::format("'send {} call ...' (task tokens) is not supported", snd->channel),
               "send an index ('send <channel> value <expr>') after the call: the token then indexes a tile");
      for (const auto& prev : info.stmts)
        if (const auto* ps = prev.as<ir::Send>(); ps && ps->channel == snd->channel)
          refuse(snd->loc, fmt::format("process '{}' sends on '{}' twice per iteration", p.name, snd->channel),
                 "send once per iteration: each token hands over one FIFO element");
      info.stmts.push_back(st);
    } else {
      unsupportedStmt(st, fmt::format("in process '{}'", p.name));
    }
  }
  return info;
}

int64_t channelDepth(const ir::Workload& w, const std::string& ch) {
  int64_t depth = 1;  // the plan's default capacity
  for (const auto& d : w.schedule.directives) {
    if (d.kind == ir::DirectiveKind::ChannelDefaults) depth = d.capacity;
    if (d.kind == ir::DirectiveKind::Channel && d.target == ch) depth = d.capacity;
  }
  return depth;
}

class CspMapper {
 public:
  CspMapper(detail::MappingBuilder& b) : b_(b), w_(b.workload()) {}

  Mapping run() {
    collect();
    placeAndCount();
    for (auto& pi : procs_) buildCores(pi);
    return b_.finish();
  }

 private:
  void collect() {
    for (const auto& s : flatten(w_.body)) {
      if (const auto* c = s.as<ir::ChannelDecl>()) {
        if (c->elem != ir::ChannelElem::Index)
          refuse(c->loc, fmt::format("channel '{}' carries task tokens", c->name),
                 "declare it 'channel " + c->name + " : index' and send the index of the tile it hands over");
        channels_[c->name].decl = c;
      } else if (const auto* p = s.as<ir::Process>()) {
        procs_.push_back(analyseProcess(*p));
      } else if (const auto* r = s.as<ir::Replicate>()) {
        auto n = ir::asConstInt(r->count);
        if (!n)
          refuse(r->loc, fmt::format("replicate count {} of '{}' is not a constant", ir::toString(r->count), r->process),
                 "cores are placed at compile time: write an integer count");
        replicas_[r->process] = *n;
      } else if (!s.as<ir::Connect>()) {
        unsupportedStmt(s, "beside processes in a CSP workload");
      }
    }
    for (auto& pi : procs_) {
      if (auto it = replicas_.find(pi.p->name); it != replicas_.end()) pi.instances = static_cast<int>(it->second);
      if (pi.instances < 1)
        refuse(pi.p->loc, fmt::format("process '{}' has {} instances", pi.p->name, pi.instances), "replicate at least 1");
      if (pi.source && pi.instances > 1)
        refuse(pi.p->loc, fmt::format("replicated process '{}' has no consume: its {} instances would repeat the same work",
                                      pi.p->name, pi.instances),
               "replicate the processes that consume a channel");
      for (const auto& ch : pi.p->produces) setEnd(ch, pi.p, true);
      for (const auto& ch : pi.p->consumes) setEnd(ch, pi.p, false);
    }
    for (auto& [name, ch] : channels_) {
      if (!ch.producer || !ch.consumer)
        refuse(ch.decl->loc, fmt::format("channel '{}' has no {}", name, ch.producer ? "consumer" : "producer"),
               "connect it or remove it");
      ch.depth = channelDepth(w_, name);
    }
  }

  void setEnd(const std::string& ch, const ir::Process* p, bool produce) {
    auto it = channels_.find(ch);
    PTO_INTERNAL_ASSERT(it != channels_.end(), "verified workload names an undeclared channel");
    auto& slot = produce ? it->second.producer : it->second.consumer;
    if (slot && slot != p)
      refuse(it->second.decl->loc,
             fmt::format("channel '{}' has two {} processes, '{}' and '{}'", ch, produce ? "producer" : "consumer",
                         slot->name, p->name),
             produce ? "an object FIFO has one producer: give each producer its own channel"
                     : "an object FIFO hands each element to every consumer: give each consumer its own channel");
    slot = p;
  }

  ProcInfo& proc(const ir::Process* p) {
    for (auto& pi : procs_)
      if (pi.p == p) return pi;
    PTO_INTERNAL_ASSERT(false, "unknown process");
    __builtin_unreachable();
  }

  // Fan of a channel end: how many FIFOs one instance of that end uses.
  static int fan(int self, int other) { return self == other ? 1 : (self == 1 ? other : 1); }

  void placeAndCount() {
    int next = 0;
    for (auto& pi : procs_) {
      pi.firstCore = next;
      next += pi.instances;
    }
    if (next > b_.device().computeTiles())
      refuse(w_.loc, fmt::format("workload '{}' needs {} cores, the {} array has {} compute tiles", w_.name, next,
                                 kDeviceName, b_.device().computeTiles()),
             "replicate fewer instances");
    for (auto& [name, ch] : channels_) {
      const int np = proc(ch.producer).instances, nq = proc(ch.consumer).instances;
      if (np != nq && np != 1 && nq != 1)
        refuse(ch.decl->loc,
               fmt::format("channel '{}' joins {} producer instances to {} consumer instances", name, np, nq),
               "replicate both ends equally, or one end once");
      ch.fifos.assign(np, std::vector<std::string>(nq));
      for (int i = 0; i < np; ++i)
        for (int j = 0; j < nq; ++j)
          if (np == nq ? i == j : true) ch.fifos[i][j] = b_.fifoName(np * nq > 1 ? fmt::format("{}_{}", name, np == nq ? i : i + j) : name);
    }
    // Token values in topological order (the graph is acyclic).
    for (size_t round = 0; round <= procs_.size(); ++round)
      for (auto& pi : procs_)
        if (!pi.done && ready(pi)) countTokens(pi);
  }

  bool ready(const ProcInfo& pi) {
    return pi.source || proc(channels_.at(pi.inChannel).producer).done;
  }

  std::vector<std::string> inFifos(const ProcInfo& pi, int inst) {
    auto& ch = channels_.at(pi.inChannel);
    std::vector<std::string> out;
    for (const auto& row : ch.fifos)
      if (!row[inst].empty()) out.push_back(row[inst]);
    return out;
  }

  std::vector<std::string> outFifos(const std::string& channel, int inst) {
    std::vector<std::string> out;
    for (const auto& f : channels_.at(channel).fifos[inst])
      if (!f.empty()) out.push_back(f);
    return out;
  }

  void countTokens(ProcInfo& pi) {
    pi.values.assign(pi.instances, {});
    for (int inst = 0; inst < pi.instances; ++inst) {
      auto& vals = pi.values[inst];
      if (pi.source) {
        for (int64_t k = 0; k < pi.trips; ++k) vals.push_back(k);
      } else {
        auto ins = inFifos(pi, inst);
        auto& ch = channels_.at(pi.inChannel);
        size_t per = ch.tokens[ins.front()].size();
        for (const auto& f : ins)
          if (ch.tokens[f].size() != per)
            refuse(ch.decl->loc,
                   fmt::format("channel '{}' hands {} tokens to one instance and {} to another of '{}'", pi.inChannel,
                               per, ch.tokens[f].size(), pi.p->name),
                   "make the token count a multiple of the replicate count");
        for (size_t k = 0; k < per * ins.size(); ++k) {
          const Token& t = ch.tokens[ins[k % ins.size()]][k / ins.size()];
          vals.push_back(t.value);
        }
      }
      // What this instance sends, token by token.
      std::map<std::string, int64_t> sent;
      for (size_t k = 0; k < vals.size(); ++k) {
        ir::Env env = b_.module().defaultEnv();
        env.vars[pi.var] = vals[k];
        for (const auto& st : pi.stmts) {
          const auto* snd = st.as<ir::Send>();
          if (!snd) continue;
          auto& ch = channels_.at(snd->channel);
          Token t;
          t.value = ir::evalExpr(snd->value, env);
          for (const auto& cs : pi.stmts)
            if (const auto* call = cs.as<ir::Call>()) recordTiles(*call, env, t);
          auto outs = outFifos(snd->channel, inst);
          const int64_t n = sent[snd->channel]++;
          ch.tokens[outs[n % outs.size()]].push_back(std::move(t));
        }
      }
    }
    pi.done = true;
  }

  void recordTiles(const ir::Call& call, const ir::Env& env, Token& t) {
    const ir::Kernel* k = b_.module().findKernel(call.kernel);
    for (size_t a = 0; a < call.args.size(); ++a) {
      if (!call.args[a].isView) continue;
      const auto& v = call.args[a].view;
      if (b_.tensor(v).role == ir::TensorRole::Temp && k->params[a].dir != ir::ParamDir::In)
        t.tiles[v.tensor] = detail::viewOffsets(v, env);
    }
  }

  void buildCores(ProcInfo& pi) {
    const ir::Kernel* firstKernel = nullptr;
    for (int inst = 0; inst < pi.instances; ++inst) {
      const TileCoord tile = b_.device().computeTile(pi.firstCore + inst);
      b_.useTile(tile);
      const auto& vals = pi.values[inst];
      // Unroll: one step per FIFO of every fanned channel end.
      int64_t unroll = 1;
      std::vector<std::string> ins;
      if (!pi.source) {
        ins = inFifos(pi, inst);
        unroll = std::lcm(unroll, static_cast<int64_t>(ins.size()));
      }
      for (const auto& ch : pi.p->produces) unroll = std::lcm(unroll, static_cast<int64_t>(outFifos(ch, inst).size()));
      if (vals.empty() || vals.size() % unroll != 0)
        refuse(pi.p->loc,
               fmt::format("instance {} of process '{}' runs {} iterations, not a multiple of its {} FIFOs per channel",
                           inst, pi.p->name, vals.size(), unroll),
               "make the token count a multiple of the replicate count");
      CoreProgram core;
      core.tile = tile;
      core.what = fmt::format("process '{}' instance {}", pi.p->name, inst);
      core.loc = pi.p->loc;
      core.trips = static_cast<int64_t>(vals.size()) / unroll;
      // Host streams: one FIFO per distinct host view, read / written in iteration order.
      std::map<std::string, std::string> hostFifo;  // view key -> fifo
      for (const auto& st : pi.stmts) {
        const auto* call = st.as<ir::Call>();
        if (!call) continue;
        const ir::Kernel* k = b_.module().findKernel(call->kernel);
        if (!firstKernel) firstKernel = k;
        b_.declareKernel(*k);
        for (size_t a = 0; a < call->args.size(); ++a) {
          if (!call->args[a].isView) continue;
          const auto& v = call->args[a].view;
          const ir::Tensor& t = b_.tensor(v);
          if (k->params[a].dir == ir::ParamDir::InOut)
            refuse(v.loc, fmt::format("inout tile parameter '{}' of '{}' is not supported", k->params[a].name, k->name),
                   "an object FIFO element flows one way: split it into an in and an out parameter");
          if (t.role == ir::TensorRole::Temp) continue;
          const std::string key = viewKey(v, k->params[a].dir);
          if (hostFifo.count(key)) continue;
          std::vector<std::vector<int64_t>> offs;
          for (auto val : vals) {
            ir::Env env = b_.module().defaultEnv();
            env.vars[pi.var] = val;
            offs.push_back(detail::viewOffsets(v, env));
          }
          const auto walk = detail::tileWalk(t, offs, v);
          const std::string what = fmt::format("host {} '{}' of {}", k->params[a].dir == ir::ParamDir::In ? "input" : "output",
                                               t.name, core.what);
          if (k->params[a].dir == ir::ParamDir::In) {
            if (t.role == ir::TensorRole::Output)
              refuse(v.loc, fmt::format("output tensor '{}' is read", t.name), "read only inputs and inout tensors");
            hostFifo[key] = b_.hostInput(t, walk, b_.tileType(v), {tile}, false, 2, what, v.loc).front();
          } else {
            hostFifo[key] = b_.hostOutput(t, walk, b_.tileType(v), {tile}, 2, what, v.loc).front();
          }
        }
      }
      for (int64_t s = 0; s < unroll; ++s) core.steps.push_back(step(pi, inst, s, ins, hostFifo));
      b_.mapping().cores.push_back(std::move(core));
    }
    (void)firstKernel;
  }

  static std::string viewKey(const ir::View& v, ir::ParamDir dir) {
    std::string k = fmt::format("{}{}[", dir == ir::ParamDir::In ? "in:" : "out:", v.tensor);
    for (const auto& o : v.offsets) k += ir::toString(o) + ",";
    return k + fmt::format("]{}x{}", v.rows, v.cols);
  }

  CoreStep step(ProcInfo& pi, int inst, int64_t s, const std::vector<std::string>& ins,
                const std::map<std::string, std::string>& hostFifo) {
    CoreStep st;
    auto use = [&](const std::string& fifo, Port port) {
      FifoUse u{fifo, port};
      if (std::find(st.acquires.begin(), st.acquires.end(), u) == st.acquires.end()) st.acquires.push_back(u);
    };
    for (const auto& stmt : pi.stmts) {
      const auto* call = stmt.as<ir::Call>();
      if (!call) continue;
      const ir::Kernel* k = b_.module().findKernel(call->kernel);
      CoreCall cc{call->kernel, {}, call->loc};
      for (size_t a = 0; a < call->args.size(); ++a) {
        const auto& p = k->params[a];
        if (!call->args[a].isView) {
          cc.args.push_back(b_.scalarArg(call->args[a].value, p, call->loc));
          continue;
        }
        const auto& v = call->args[a].view;
        std::string fifo;
        Port port = p.dir == ir::ParamDir::In ? Port::Consume : Port::Produce;
        if (b_.tensor(v).role != ir::TensorRole::Temp) {
          fifo = hostFifo.at(viewKey(v, p.dir));
        } else {
          fifo = carried(pi, inst, s, v, p.dir, ins);
        }
        use(fifo, port);
        CoreArg arg;
        arg.fifo = fifo;
        cc.args.push_back(arg);
      }
      st.calls.push_back(std::move(cc));
    }
    return st;
  }

  // The channel FIFO a temp view travels in, creating the FIFO on first use.
  std::string carried(ProcInfo& pi, int inst, int64_t s, const ir::View& v, ir::ParamDir dir,
                      const std::vector<std::string>& ins) {
    if (dir == ir::ParamDir::In) {
      if (pi.source)
        refuse(v.loc, fmt::format("'{}' reads temp tensor '{}' that no channel hands it", pi.p->name, v.tensor),
               "temp tiles travel with channel tokens: consume the channel whose producer writes it");
      auto& ch = channels_.at(pi.inChannel);
      bindCarrier(ch, pi.inChannel, v);
      const std::string& fifo = ins[s % ins.size()];
      checkOffsets(ch, pi, inst, v);
      ensureFifo(ch, fifo, v);
      return fifo;
    }
    for (const auto& st : pi.stmts) {
      const auto* snd = st.as<ir::Send>();
      if (!snd) continue;
      auto& ch = channels_.at(snd->channel);
      if (!ch.tensor.empty() && ch.tensor != v.tensor) continue;
      const ProcInfo& q = proc(ch.consumer);
      bool read = false;
      for (const auto& qs : q.stmts)
        if (const auto* c = qs.as<ir::Call>())
          for (const auto& arg : c->args) read = read || (arg.isView && arg.view.tensor == v.tensor);
      if (!read) continue;
      bindCarrier(ch, snd->channel, v);
      auto outs = outFifos(snd->channel, inst);
      const std::string& fifo = outs[s % outs.size()];
      ensureFifo(ch, fifo, v);
      return fifo;
    }
    refuse(v.loc, fmt::format("'{}' writes temp tensor '{}' that no channel it sends on hands over", pi.p->name, v.tensor),
           "send the tile's index on a channel whose consumer reads the tile");
  }

  void bindCarrier(ChannelInfo& ch, const std::string& name, const ir::View& v) {
    if (ch.tensor.empty()) ch.tensor = v.tensor;
    if (ch.tensor != v.tensor)
      refuse(v.loc, fmt::format("channel '{}' would carry tiles of both '{}' and '{}'", name, ch.tensor, v.tensor),
             "a channel's tokens index one tile: use one channel per temp tensor");
  }

  void checkOffsets(ChannelInfo& ch, const ProcInfo& pi, int inst, const ir::View& v) {
    for (const auto& f : inFifos(pi, inst))
      for (const auto& t : ch.tokens[f]) {
        ir::Env env = b_.module().defaultEnv();
        env.vars[pi.var] = t.value;
        auto got = detail::viewOffsets(v, env);
        auto it = t.tiles.find(v.tensor);
        if (it == t.tiles.end() || it->second != got)
          refuse(v.loc,
                 fmt::format("'{}' reads a tile of '{}' at token {} that its producer did not write with that token",
                             pi.p->name, v.tensor, t.value),
                 "index the temp tile with the consumed value exactly as the producer does");
      }
  }

  void ensureFifo(ChannelInfo& ch, const std::string& fifo, const ir::View& v) {
    if (b_.mapping().fifo(fifo)) return;
    for (size_t i = 0; i < ch.fifos.size(); ++i)
      for (size_t j = 0; j < ch.fifos[i].size(); ++j) {
        if (ch.fifos[i][j] != fifo) continue;
        const ProcInfo& p = proc(ch.producer);
        const ProcInfo& q = proc(ch.consumer);
        ObjectFifo f;
        f.name = fifo;
        f.producer = b_.device().computeTile(p.firstCore + static_cast<int>(i));
        f.consumers = {b_.device().computeTile(q.firstCore + static_cast<int>(j))};
        f.depth = ch.depth;
        f.elem = b_.tileType(v);
        f.channel = ch.decl->name;
        f.what = fmt::format("channel '{}' ({}#{} -> {}#{})", ch.decl->name, p.p->name, i, q.p->name, j);
        f.annotations = {{"pto.channel", ch.decl->name}, {"pto.tensor", v.tensor}};
        f.loc = ch.decl->loc;
        b_.addFifo(std::move(f));
        return;
      }
    PTO_INTERNAL_ASSERT(false, "a channel FIFO the channel does not list");
  }

  detail::MappingBuilder& b_;
  const ir::Workload& w_;
  std::map<std::string, ChannelInfo> channels_;
  std::map<std::string, int64_t> replicas_;
  std::vector<ProcInfo> procs_;
};

// Slot-driven and data-dependent control has no static core program: name it first.
void refuseUnsupportedControl(const ir::Stmt& s) {
  if (!s.defined()) return;
  switch (s.kind()) {
    case ir::StmtKind::SlotLoad:
    case ir::StmtKind::SlotSet:
      refuse(s.loc(), fmt::format("'{}' (slot-driven control) is not supported", ir::stmtKindName(s.kind())),
             "static core programs cannot read task-written slots: split the workload at the slot");
    case ir::StmtKind::Cond:
      refuse(s.loc(), "'cond' / 'when' (predicated calls) is not supported",
             "static core programs run every call: hoist the condition out of the workload");
    case ir::StmtKind::Loop: {
      const auto* l = s.as<ir::Loop>();
      if (l->loopKind == ir::LoopKind::Sel)
        refuse(l->loc, "sparse selection (P.sel) is not supported", "static DMA patterns need dense loops: densify the selection");
      for (const auto& v : l->vars)
        if (v.axis.kind != ir::AxisKind::Dense)
          refuse(v.axis.loc.valid() ? v.axis.loc : l->loc,
                 fmt::format("dynamic or sparse axis of '{}' is not supported", v.name),
                 "static buffer sizes: give the axis a constant size");
      refuseUnsupportedControl(l->body);
      return;
    }
    case ir::StmtKind::Scope: refuseUnsupportedControl(s.as<ir::Scope>()->body); return;
    default: break;
  }
  if (const auto* l = dynamic_cast<const ir::StmtList*>(s.get()))
    for (const auto& c : l->stmts) refuseUnsupportedControl(c);
}

bool isCsp(const ir::Workload& w) {
  for (const auto& s : flatten(w.body))
    if (s.as<ir::Process>() || s.as<ir::ChannelDecl>()) return true;
  return false;
}

void checkSchedule(const ir::Workload& w) {
  for (const auto& d : w.schedule.directives) {
    if (d.kind == ir::DirectiveKind::Dispatch && (d.policy == "custom" || d.policy == "hash" || d.policy == "affinity"))
      refuse(d.loc, fmt::format("dispatch {} is not supported", d.policy),
             "cores run fixed programs placed at compile time: use round_robin (iteration L on core L mod workers)");
  }
}

}  // namespace

Mapping mapWorkload(const ir::Module& m, const ir::Workload& w, const AieDevice& d) {
  checkSchedule(w);
  detail::MappingBuilder b(m, w, d);
  if (isCsp(w)) {
    checkStreamGraphAcyclic(w);
    b.mapping().csp = true;
    return CspMapper(b).run();
  }
  auto top = flatten(w.body);
  refuseUnsupportedControl(w.body);
  if (top.size() == 1)
    if (const auto* l = top.front().as<ir::Loop>(); l && l->loopKind == ir::LoopKind::Parallel)
      return detail::mapGrid(b, *l);
  const ir::Stmt& first = top.front();
  const auto* seq = first.as<ir::Sequential>();
  const auto* comb = first.as<ir::Combine>();
  const size_t phases = top.size() > 1 ? top.size() : seq ? seq->stmts.size() : comb ? comb->stmts.size() : 1;
  refuse(top.size() > 1 ? top[1].loc() : first.loc(),
         phases > 1 ? fmt::format("a workload of {} phases (grids composed one after another) is not supported", phases)
                    : fmt::format("a workload whose body is a '{}' statement is not supported",
                                  ir::stmtKindName(first.kind())),
         "the aie target maps CSP processes onto cores, or one 'P' grid (iteration L on core L mod workers); "
         "split the phases into separate workloads");
}

}  // namespace pto::wsp::target::aie
