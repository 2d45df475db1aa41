// Private state of the PlanInterpreter, shared by PlanInterpreter.cpp (process
// scheduling, node walking) and PlanInterpreterData.cpp (views, argument words, tensor
// memory, element reads).
#pragma once

#include "pto/wsp/runtime/PlanInterpreter.h"
#include "pto/wsp/runtime/Profile.h"
#include "pto/wsp/support/Assert.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace pto::wsp::rt {
namespace planrt {
using namespace pto::wsp::abi;
constexpr size_t kJoinFold = 64;  // a seq frame folds its collected tasks into a join at this size

enum class Step : uint8_t { Acted, Blocked, Finished };

inline constexpr TaskId kNoTask = ~TaskId{0};

struct Token {
  int64_t value = 0;
  uint64_t time = 0;
  // Task graphs: the kernel task the token follows (the send's own call, else the
  // sender's latest kernel task).
  TaskId task = kNoTask;
};

struct Channel {
  const PlanChannel* def = nullptr;
  std::deque<Token> tokens;            // <= capacity
  std::vector<uint64_t> consumeTimes;  // ring: free time of each logical slot
  uint64_t sent = 0, consumed = 0;
  uint32_t producersLeft = 0;
  uint32_t producers = 0;
  bool closed = false;
  ChannelProfile prof;  // waits and high-water mark (runtime/Profile.h)
};

// A runtime value compiled once per run from its bytecode: view offsets and dispatch
// keys are mostly a constant, a variable, or a variable +, -, *, / or % a constant (the
// shapes evalTrivialBytecode answers, with the same results); anything else, and an
// operation that would overflow, goes to the bytecode evaluator (and its errors).
struct FastExpr {
  enum class Kind : uint8_t { Const, Var, Add, Sub, Mul, Div, Mod, Eval };
  Kind kind = Kind::Eval;
  uint32_t var = 0;
  int64_t c = 0;
  const Bytecode* code = nullptr;
  static FastExpr of(const Bytecode& e, size_t numVars);
};

// A view dimension whose offset is not a constant known to be in bounds.
struct SiteDim {
  FastExpr off;
  uint32_t dim = 0;
  bool checked = false;  // the tensor has this dim: bounds-checked against `bound`
  int64_t extent = 0, bound = 0;
  int64_t stride = 0;  // elements (0: the tensor has no stride for this dim)
  // A plain site's (CallSite::plain) dims are walked flat, each writing its region's
  // bounds and adding its part to its view's base word: the word is its view's first
  // dim's base (tensor memory plus the constant dims' bytes; 0 without memory) plus
  // offset x strideBytes per dim. The pointers are into the site's own regions and
  // argument words (set by linkPlainDims once every site is compiled).
  int64_t *lo = nullptr, *hi = nullptr;
  uint64_t* word = nullptr;
  uint32_t view = 0, wordIndex = 0;  // what they point to: CallSite::regions / args
  uint32_t tensor = 0;
  bool first = false;
  uint64_t wordBase = 0, strideBytes = 0;
};

// A kernel parameter of a call site: a scalar argument word, or a view (its region and
// its three argument words).
struct SiteParam {
  bool view = false;
  uint32_t index = 0;  // CallSite::scalars / CallSite::regions (= the call's view index)
  uint32_t word = 0;   // its (first) argument word
  uint32_t firstDim = 0, numDims = 0;  // views: its dims in CallSite::dims
  int64_t constOff = 0;                // views: element offset of the constant dims
  char* base = nullptr;                // views: tensor memory (null: base word 0)
  int64_t elemBytes = 0;
  bool fold = false;  // rank > kMaxRank: every dim is in `dims`, the region is boxRegion's
};

// A Call node compiled once per run (the tensors' shapes, strides and memory, the kernel
// binding are fixed for the run): what runCall needs in the order it needs it, and the
// regions and argument words it issues, built in place. The constant parts (a constant
// offset in bounds, stride words) are written once; a call writes only what varies.
struct CallSite {
  const PlanNode* node = nullptr;
  const PlanKernel* kernel = nullptr;
  KernelBinding kb;
  // Stack indices of the seq frames (Seq nodes, sequential loops) around the call: the
  // frames on a process's stack when it runs a call are the call's ancestors' (a
  // Consume's twice: its own and its body's), so the plan fixes them.
  std::vector<uint32_t> seqFrames;
  std::vector<TaskId> deps;  // seqFrames.size() words: the call's deps, their joins
  // Kernel params in order, but for views whose dims are all constants in bounds (their
  // region and words are written once).
  std::vector<SiteParam> params;
  std::vector<SiteDim> dims;
  std::vector<FastExpr> scalars;
  FastExpr dispatchKey;
  std::vector<Region> regions;  // one per view
  std::vector<uint64_t> args;   // argument words
  TaskDesc desc;                // kernel, fn, args, regions, seqDeps: the same every call
  bool stackChecked = false;    // seqFrames checked against the stack (first call)
  // Views only, none folded, no seq frame around: the call's values are its dims alone,
  // and its task has no deps (issuePlain).
  bool plain = false;
};

struct Frame {
  const PlanNode* node = nullptr;
  size_t idx = 0;           // next child
  // The call site of the last Call child run from this frame (most frames run one).
  const PlanNode* siteNode = nullptr;
  CallSite* site = nullptr;
  bool entered = false;
  // Loop
  int64_t iter = 0, extent = 0;
  bool iterStarted = false;
  bool listOnly = false;    // run node->children as a Combine (a Consume body)
  // seq frames (Seq nodes, sequential loops)
  bool seqFrame = false;
  bool boundaryPending = false;
  int64_t boundaryBefore = -1;  // child index / iteration whose boundary was scheduled
  std::optional<TaskId> prevJoin;
  std::vector<TaskId> collected;
};

struct Proc {
  uint32_t id = 0;
  const PlanProcess* def = nullptr;
  PlanNode root;  // Combine over the body
  std::vector<Frame> stack;
  std::vector<int64_t> vars;
  std::vector<uint32_t> produces;  // channel ids
  bool finished = false;
  std::string waitsOn;
  Resource blockedRes = Resource::TaskRing;
  uint64_t blockedMinimal = 0;
  bool blockedOnEngine = false;
  // A seq frame's collected list reached kJoinFold since the last fold check (collected
  // lists only grow in runCall): the check runs only then, not on every step.
  bool foldDue = false;
  int64_t blockedChannel = -1;
  bool blockedFull = false;
  TaskId cspFrom = kNoTask;   // producer of the last token taken, until its next kernel task
  TaskId lastTask = kNoTask;  // its latest kernel task (kept for task graphs only)
  // The Call node being issued from its parent's frame (it has no frame of its own);
  // kept while that issue is Blocked, so errors and reports locate the call.
  const PlanNode* callNode = nullptr;
};

// A tensor as this run sees it: sizes with the run's symbol values, and its memory.
struct RunTensor {
  std::vector<int64_t> shape, strides;
  uint64_t bytes = 0;
  char* base = nullptr;  // null: unbound (argument pointers 0, loads are user errors)
};

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

// The region of a box [lo, hi) of `rank` dims (more than kMaxRank: the leading dims
// folded into one, PlanInterpreterData.cpp).
Region boxRegion(uint32_t tensor, Access mode, const int64_t* lo, const int64_t* hi, size_t rank,
                 const std::vector<int64_t>& shape);
[[noreturn]] void throwViewOutOfBounds(const std::string& tensor, size_t d, int64_t lo, int64_t hi, int64_t size);

// Shapes / strides for this run's symbol values (dynamic sizes), and bound memory.
std::vector<RunTensor> runTensors(const Plan& plan, const PlanRunConfig& cfg, const std::vector<int64_t>& symbols);
}  // namespace planrt

using namespace planrt;

struct PlanInterpreter::Impl {
  const Plan& plan;
  PlanRunConfig cfg;
  Engine eng;
  std::vector<int64_t> symbols;
  std::vector<uint64_t> slots;
  std::vector<Channel> chans;
  std::vector<Proc> procs;
  std::vector<RunTensor> tensors;
  std::unique_ptr<char, FreeDeleter> arena;  // runtime-managed tensors without a caller pointer
  uint64_t arenaUsed = 0;
  std::vector<CallSite> sites;  // every Call node of every process
  std::unordered_map<const PlanNode*, uint32_t> siteOf;
  std::vector<int64_t> axisScratch;
  // The observer when it asks for axes and CSP edges (TaskObserver::wantsContext).
  TaskObserver* context = nullptr;
  // PlanRunConfig::replay split by process: the entries' indices, and the next one.
  std::vector<std::vector<uint32_t>> replayOf;
  std::vector<size_t> replayPos;
  std::vector<SlotLoad> slotLoads;     // recordSlotLoads

  Impl(const Plan& p, PlanRunConfig c, uint64_t arenaReserved)
      : plan(p), cfg(std::move(c)), eng(withReservation(cfg.engine, arenaReserved)) {
    if (cfg.engine.observer && cfg.engine.observer->wantsContext()) context = cfg.engine.observer;
  }
  static EngineConfig withReservation(EngineConfig e, uint64_t reserved) {
    e.heapReserved = reserved;
    return e;
  }

  struct LoadCtx {
    Impl* m;
    uint32_t p;
  };
  static int64_t loadThunk(void* ctx, uint32_t tensor, int64_t index) {
    auto* c = static_cast<LoadCtx*>(ctx);
    return c->m->loadElement(c->p, tensor, index);
  }
  // Inline: a call's offsets and key are mostly one of the fast kinds.
  [[gnu::always_inline]] int64_t eval(const Proc& pr, const FastExpr& e) {
    if (e.kind == FastExpr::Kind::Const) [[likely]]
      return e.c;  // most dispatch keys (none given) and many offsets
    const int64_t* vars = pr.vars.data();
    int64_t out;
    switch (e.kind) {
      case FastExpr::Kind::Const: return e.c;
      case FastExpr::Kind::Var: return vars[e.var];
      case FastExpr::Kind::Add:
        if (!__builtin_add_overflow(vars[e.var], e.c, &out)) return out;
        break;
      case FastExpr::Kind::Sub:
        if (!__builtin_sub_overflow(vars[e.var], e.c, &out)) return out;
        break;
      case FastExpr::Kind::Mul:
        if (!__builtin_mul_overflow(vars[e.var], e.c, &out)) return out;
        break;
      case FastExpr::Kind::Div: return vars[e.var] / e.c;  // c is not 0 or -1
      case FastExpr::Kind::Mod: return vars[e.var] % e.c;
      case FastExpr::Kind::Eval: break;
    }
    return evalOutOfLine(pr, *e.code);
  }
  [[gnu::noinline]] int64_t evalOutOfLine(const Proc& pr, const Bytecode& e) { return eval(pr, e); }
  int64_t eval(const Proc& pr, const Bytecode& e) {
    // Before building the environment: most view offsets and dispatch keys are trivial.
    if (int64_t v; evalTrivialBytecode(e, pr.vars.data(), pr.vars.size(), v)) return v;
    LoadCtx ctx{this, pr.id};
    BytecodeEnv env{symbols.data(), symbols.size(), slots.data(), slots.size(), pr.vars.data(), pr.vars.size(),
                &loadThunk, &ctx};
    return evalBytecode(e, env);
  }
  int64_t loadElement(uint32_t p, uint32_t tensor, int64_t index);

  // step + the location of the node a user error comes from (the innermost located
  // frame of the process, else the process, else the workload).
  Step step(uint32_t p);
  Step stepNodes(uint32_t p);
  SourceLoc frameLoc(const Proc& pr) const;
  // Fills a deadlock report's locations from the plan's table: the workload, each
  // blocked process and the channel it waits on, each kernel still running on the host.
  void locate(DeadlockReport& r) const;
  PlanRunResult runLoop();  // PlanInterpreter::run without the host-deadlock locating
  // Call sites of the Call nodes under n, whose frame is at stack index `depth`;
  // `seq` holds the stack indices of the seq frames around n's children.
  void compileSites(const PlanNode& n, const Proc& pr, uint32_t depth, std::vector<uint32_t>& seq);
  void compileSite(const PlanNode& call, const Proc& pr, const std::vector<uint32_t>& seq);
  CallSite& site(const PlanNode& call) {
    auto it = siteOf.find(&call);
    PTO_INTERNAL_ASSERT(it != siteOf.end(), "call node without a call site");
    return sites[it->second];
  }
  CallSite& site(Frame& f, const PlanNode& call) {
    if (f.siteNode != &call) {
      f.site = &site(call);
      f.siteNode = &call;
    }
    return *f.site;
  }
  Step runCall(uint32_t p, Proc& pr, CallSite& s, TaskId* out, uint64_t* finish);
  Step issueCall(uint32_t p, Proc& pr, CallSite& s, TaskId* out, uint64_t* finish);
  Step issuePlain(uint32_t p, Proc& pr, CallSite& s);
  static void linkPlainDims(CallSite& s);
  // Out of line: the tensor's name would otherwise keep the plan in a register.
  [[noreturn, gnu::cold, gnu::noinline]] void throwDimOutOfBounds(const SiteDim& dm, int64_t lo, int64_t hi) const {
    throwViewOutOfBounds(plan.tensors[dm.tensor].name, dm.dim, lo, hi, dm.bound);
  }
  [[gnu::noinline, gnu::cold]] Step blockedCall(Proc& pr, const CallSite& s, const IssueResult& res);
  [[gnu::noinline]] void checkSiteStack(const Proc& pr, CallSite& s);
  // Between two children/iterations of a seq frame: later tasks wait for all earlier
  // ones (one earlier task is its own join; more get a structural join task).
  Step boundary(uint32_t p, Proc& pr, Frame& f) {
    if (f.collected.size() > 1) return boundaryJoin(p, pr, f);
    if (!f.collected.empty()) f.prevJoin = f.collected[0];
    f.collected.clear();
    f.boundaryPending = false;
    return Step::Acted;
  }
  Step boundaryJoin(uint32_t p, Proc& pr, Frame& f);
  Step foldJoins(uint32_t p, Proc& pr);
  std::optional<Step> loopOfOneCall(uint32_t p, Proc& pr, Frame& f);
  std::optional<Step> loopOfPlainCall(uint32_t p, Proc& pr, Frame& f, CallSite& s);
  void finishProcess(uint32_t p);
  void slotLoad(uint32_t p, Proc& pr, const PlanNode& n);
  // The view's box; its unfolded offsets go to lo[0, rank) if given (kMaxTensorRank long).
  Region viewRegion(const Proc& pr, const PlanView& v, Access mode, int64_t* lo);
};

}  // namespace pto::wsp::rt
