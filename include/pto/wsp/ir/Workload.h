// Workload IR: the statements that generate tasks (kernel calls) and their structure:
// loops, conditions, composition, CSP processes and channels, slots.
//
// Statements are immutable nodes shared through the `Stmt` handle; `a == b` on handles is
// structural equality ignoring SourceLoc.
#pragma once

#include "pto/wsp/ir/Axis.h"
#include "pto/wsp/ir/Expr.h"
#include "pto/wsp/ir/Schedule.h"
#include "pto/wsp/ir/View.h"
#include "pto/wsp/support/Diagnostic.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::ir {

enum class StmtKind : uint8_t {
  Loop,
  Cond,
  Call,
  Combine,
  Sequential,
  Block,
  ChannelDecl,
  Process,
  Send,
  Consume,
  Connect,
  Replicate,
  SlotLoad,
  SlotSet,
  Scope,
};
std::string_view stmtKindName(StmtKind k);  // "loop", "cond", "call", ... "scope"

struct StmtNode;

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(std::shared_ptr<const StmtNode> n) : node_(std::move(n)) {}
  bool defined() const { return node_ != nullptr; }
  const StmtNode* get() const { return node_.get(); }
  const StmtNode* operator->() const { return node_.get(); }
  const StmtNode& operator*() const { return *node_; }
  StmtKind kind() const;
  const SourceLoc& loc() const;
  template <class T>
  const T* as() const;                                   // nullptr when not a T
  friend bool operator==(const Stmt& a, const Stmt& b);  // structural, ignores loc

 private:
  std::shared_ptr<const StmtNode> node_;
};

struct StmtNode {
  StmtKind kind;
  SourceLoc loc;
  StmtNode(StmtKind k, SourceLoc l) : kind(k), loc(std::move(l)) {}
  virtual ~StmtNode() = default;
};

template <class T>
const T* Stmt::as() const {
  return node_ && node_->kind == T::kKind ? static_cast<const T*>(node_.get()) : nullptr;
}

enum class LoopKind : uint8_t {
  Parallel,  // P:     iterations are independent (deps only from data)
  Seq,       // P.seq: iteration i+1 after iteration i (structural dependency)
  Sel,       // P.sel: sparse selection: iterate the selected indices of a sparse/ragged axis
};
std::string_view loopKindName(LoopKind k);  // "P", "P.seq", "P.sel"

struct LoopVar {
  std::string name;
  Axis axis;
  friend bool operator==(const LoopVar&, const LoopVar&) = default;
};

// kind over vars (a grid when several; nesting order = vars order, outermost first) { body }.
struct Loop final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Loop;
  LoopKind loopKind;
  std::vector<LoopVar> vars;  // >= 1; Seq and Sel take exactly one
  Stmt body;
  Loop(LoopKind k, std::vector<LoopVar> v, Stmt b, SourceLoc l)
      : StmtNode(kKind, std::move(l)), loopKind(k), vars(std::move(v)), body(std::move(b)) {}
  static Stmt make(LoopKind kind, std::vector<LoopVar> vars, Stmt body, SourceLoc loc = {});
};

struct CondBranch {
  Expr pred;
  Stmt body;
  friend bool operator==(const CondBranch&, const CondBranch&) = default;
};

// when(p1) b1 when(p2) b2 ... otherwise e: runs the first branch whose predicate holds
// (predicates may read symbols, slots and loop vars). cond(p, b) is one branch.
struct Cond final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Cond;
  std::vector<CondBranch> branches;  // >= 1
  Stmt otherwise;                    // may be undefined
  Cond(std::vector<CondBranch> b, Stmt o, SourceLoc l)
      : StmtNode(kKind, std::move(l)), branches(std::move(b)), otherwise(std::move(o)) {}
  static Stmt make(std::vector<CondBranch> branches, Stmt otherwise = {}, SourceLoc loc = {});
};

// An argument of a kernel call: a view (tile params) or an expression (scalar params).
struct CallArg {
  bool isView = true;
  View view;
  Expr value;
  static CallArg ofView(View v) { return {true, std::move(v), {}}; }
  static CallArg ofValue(Expr e) { return {false, {}, std::move(e)}; }
  friend bool operator==(const CallArg&, const CallArg&) = default;
};

// kernel(args...): one task per execution.
struct Call final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Call;
  std::string kernel;
  std::vector<CallArg> args;  // positional, one per kernel param
  Call(std::string k, std::vector<CallArg> a, SourceLoc l)
      : StmtNode(kKind, std::move(l)), kernel(std::move(k)), args(std::move(a)) {}
  static Stmt make(std::string kernel, std::vector<CallArg> args, SourceLoc loc = {});
};

// Statement lists. Combine: parallel composition (no structural order between parts);
// Sequential: part i+1 after part i (structural dependency); Block: program order,
// dependencies only from data.
struct StmtList : StmtNode {
  std::vector<Stmt> stmts;
  StmtList(StmtKind k, std::vector<Stmt> s, SourceLoc l) : StmtNode(k, std::move(l)), stmts(std::move(s)) {}
};
struct Combine final : StmtList {
  static constexpr StmtKind kKind = StmtKind::Combine;
  using StmtList::StmtList;
  static Stmt make(std::vector<Stmt> parts, SourceLoc loc = {});
};
struct Sequential final : StmtList {
  static constexpr StmtKind kKind = StmtKind::Sequential;
  using StmtList::StmtList;
  static Stmt make(std::vector<Stmt> parts, SourceLoc loc = {});
};
struct Block final : StmtList {
  static constexpr StmtKind kKind = StmtKind::Block;
  using StmtList::StmtList;
  static Stmt make(std::vector<Stmt> stmts, SourceLoc loc = {});
};

enum class ChannelElem : uint8_t { Task, Index };  // token = task id / index value
std::string_view channelElemName(ChannelElem e);   // "task", "index"

// channel name: elem. Channels are workload-scoped (visible in every process).
struct ChannelDecl final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::ChannelDecl;
  std::string name;
  ChannelElem elem;
  ChannelDecl(std::string n, ChannelElem e, SourceLoc l) : StmtNode(kKind, std::move(l)), name(std::move(n)), elem(e) {}
  static Stmt make(std::string name, ChannelElem elem = ChannelElem::Task, SourceLoc loc = {});
};

// process name produces [...] consumes [...] { body }: a CSP process; closes the channels
// it produces when its body ends. All processes of a workload start together.
struct Process final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Process;
  std::string name;
  std::vector<std::string> produces, consumes;
  Stmt body;
  Process(std::string n, std::vector<std::string> p, std::vector<std::string> c, Stmt b, SourceLoc l)
      : StmtNode(kKind, std::move(l)),
        name(std::move(n)),
        produces(std::move(p)),
        consumes(std::move(c)),
        body(std::move(b)) {}
  static Stmt make(std::string name, std::vector<std::string> produces, std::vector<std::string> consumes, Stmt body,
                   SourceLoc loc = {});
};

// send(channel, call) issues the call and sends its task token; send(channel, value)
// sends an index value. Exactly one of call / value is defined.
struct Send final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Send;
  std::string channel;
  Stmt call;  // a Call statement
  Expr value;
  Send(std::string c, Stmt s, Expr v, SourceLoc l)
      : StmtNode(kKind, std::move(l)), channel(std::move(c)), call(std::move(s)), value(std::move(v)) {}
  static Stmt makeCall(std::string channel, Stmt call, SourceLoc loc = {});
  static Stmt makeValue(std::string channel, Expr value, SourceLoc loc = {});
};

// consume(channel, var) { body }: for each token, bind its value to var and run body;
// ends when the channel is closed and empty.
struct Consume final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Consume;
  std::string channel;
  std::string var;
  Stmt body;
  Consume(std::string c, std::string v, Stmt b, SourceLoc l)
      : StmtNode(kKind, std::move(l)), channel(std::move(c)), var(std::move(v)), body(std::move(b)) {}
  static Stmt make(std::string channel, std::string var, Stmt body, SourceLoc loc = {});
};

// connect(channel, from, to): declares the wiring producer process -> consumer process
// (checked against the processes' produces / consumes lists).
struct Connect final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Connect;
  std::string channel, from, to;
  Connect(std::string c, std::string f, std::string t, SourceLoc l)
      : StmtNode(kKind, std::move(l)), channel(std::move(c)), from(std::move(f)), to(std::move(t)) {}
  static Stmt make(std::string channel, std::string from, std::string to, SourceLoc loc = {});
};

// replicate(process, n): run n distinct instances of the process (default 1).
struct Replicate final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Replicate;
  std::string process;
  Expr count;
  Replicate(std::string p, Expr n, SourceLoc l)
      : StmtNode(kKind, std::move(l)), process(std::move(p)), count(std::move(n)) {}
  static Stmt make(std::string process, Expr count, SourceLoc loc = {});
};

// slot_load(slot, view, row, col): after the tasks writing the view's tensor region have
// finished, slot := view[row, col] (converted to u64).
struct SlotLoad final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::SlotLoad;
  std::string slot;
  View view;
  Expr row, col;
  SlotLoad(std::string s, View v, Expr r, Expr c, SourceLoc l)
      : StmtNode(kKind, std::move(l)), slot(std::move(s)), view(std::move(v)), row(std::move(r)), col(std::move(c)) {}
  static Stmt make(std::string slot, View view, Expr row, Expr col, SourceLoc loc = {});
};

// slot_set(slot, value): slot := value.
struct SlotSet final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::SlotSet;
  std::string slot;
  Expr value;
  SlotSet(std::string s, Expr v, SourceLoc l)
      : StmtNode(kKind, std::move(l)), slot(std::move(s)), value(std::move(v)) {}
  static Stmt make(std::string slot, Expr value, SourceLoc loc = {});
};

// scope { body }: outputs of tasks in body stay live (not retired) until the scope ends.
struct Scope final : StmtNode {
  static constexpr StmtKind kKind = StmtKind::Scope;
  Stmt body;
  Scope(Stmt b, SourceLoc l) : StmtNode(kKind, std::move(l)), body(std::move(b)) {}
  static Stmt make(Stmt body, SourceLoc loc = {});
};

// A named workload: its body and the schedule attached to it.
struct Workload {
  std::string name;
  Stmt body;
  Schedule schedule;
  SourceLoc loc;
  static Workload make(std::string name, Stmt body, Schedule schedule = {}, SourceLoc loc = {});
};
bool operator==(const Workload& a, const Workload& b);  // ignores loc

}  // namespace pto::wsp::ir
