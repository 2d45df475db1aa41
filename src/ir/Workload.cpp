#include "pto/wsp/ir/Workload.h"

#include "pto/wsp/support/Assert.h"

namespace pto::wsp::ir {

std::string_view stmtKindName(StmtKind k) {
  switch (k) {
    case StmtKind::Loop:
      return "loop";
    case StmtKind::Cond:
      return "cond";
    case StmtKind::Call:
      return "call";
    case StmtKind::Combine:
      return "combine";
    case StmtKind::Sequential:
      return "sequential";
    case StmtKind::Block:
      return "block";
    case StmtKind::ChannelDecl:
      return "channel";
    case StmtKind::Process:
      return "process";
    case StmtKind::Send:
      return "send";
    case StmtKind::Consume:
      return "consume";
    case StmtKind::Connect:
      return "connect";
    case StmtKind::Replicate:
      return "replicate";
    case StmtKind::SlotLoad:
      return "slot_load";
    case StmtKind::SlotSet:
      return "slot_set";
    case StmtKind::Scope:
      return "scope";
  }
  return "?";
}

std::string_view loopKindName(LoopKind k) {
  switch (k) {
    case LoopKind::Parallel:
      return "P";
    case LoopKind::Seq:
      return "P.seq";
    case LoopKind::Sel:
      return "P.sel";
  }
  return "P";
}

std::string_view channelElemName(ChannelElem e) { return e == ChannelElem::Task ? "task" : "index"; }

StmtKind Stmt::kind() const {
  PTO_INTERNAL_ASSERT(node_, "kind() of an undefined Stmt");
  return node_->kind;
}
const SourceLoc& Stmt::loc() const {
  static const SourceLoc kNone;
  return node_ ? node_->loc : kNone;
}

bool operator==(const Stmt& x, const Stmt& y) {
  if (x.get() == y.get()) return true;
  if (!x.defined() || !y.defined() || x.kind() != y.kind()) return false;
  switch (x.kind()) {
    case StmtKind::Loop: {
      auto *a = x.as<Loop>(), *b = y.as<Loop>();
      return a->loopKind == b->loopKind && a->vars == b->vars && a->body == b->body;
    }
    case StmtKind::Cond: {
      auto *a = x.as<Cond>(), *b = y.as<Cond>();
      return a->branches == b->branches && a->otherwise == b->otherwise;
    }
    case StmtKind::Call: {
      auto *a = x.as<Call>(), *b = y.as<Call>();
      return a->kernel == b->kernel && a->args == b->args;
    }
    case StmtKind::Combine:
    case StmtKind::Sequential:
    case StmtKind::Block:
      return static_cast<const StmtList&>(*x).stmts == static_cast<const StmtList&>(*y).stmts;
    case StmtKind::ChannelDecl: {
      auto *a = x.as<ChannelDecl>(), *b = y.as<ChannelDecl>();
      return a->name == b->name && a->elem == b->elem;
    }
    case StmtKind::Process: {
      auto *a = x.as<Process>(), *b = y.as<Process>();
      return a->name == b->name && a->produces == b->produces && a->consumes == b->consumes && a->body == b->body;
    }
    case StmtKind::Send: {
      auto *a = x.as<Send>(), *b = y.as<Send>();
      return a->channel == b->channel && a->call == b->call && a->value == b->value;
    }
    case StmtKind::Consume: {
      auto *a = x.as<Consume>(), *b = y.as<Consume>();
      return a->channel == b->channel && a->var == b->var && a->body == b->body;
    }
    case StmtKind::Connect: {
      auto *a = x.as<Connect>(), *b = y.as<Connect>();
      return a->channel == b->channel && a->from == b->from && a->to == b->to;
    }
    case StmtKind::Replicate: {
      auto *a = x.as<Replicate>(), *b = y.as<Replicate>();
      return a->process == b->process && a->count == b->count;
    }
    case StmtKind::SlotLoad: {
      auto *a = x.as<SlotLoad>(), *b = y.as<SlotLoad>();
      return a->slot == b->slot && a->view == b->view && a->row == b->row && a->col == b->col;
    }
    case StmtKind::SlotSet: {
      auto *a = x.as<SlotSet>(), *b = y.as<SlotSet>();
      return a->slot == b->slot && a->value == b->value;
    }
    case StmtKind::Scope:
      return x.as<Scope>()->body == y.as<Scope>()->body;
  }
  return false;
}

Stmt Loop::make(LoopKind kind, std::vector<LoopVar> vars, Stmt body, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!vars.empty(), "loop without variables");
  PTO_INTERNAL_ASSERT(body.defined(), "loop without body");
  for (const LoopVar& v : vars) PTO_INTERNAL_ASSERT(!v.name.empty(), "loop variable with empty name");
  return Stmt(std::make_shared<const Loop>(kind, std::move(vars), std::move(body), std::move(loc)));
}

Stmt Cond::make(std::vector<CondBranch> branches, Stmt otherwise, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!branches.empty(), "cond without branches");
  for (const CondBranch& b : branches)
    PTO_INTERNAL_ASSERT(b.pred.defined() && b.body.defined(), "cond branch without predicate or body");
  return Stmt(std::make_shared<const Cond>(std::move(branches), std::move(otherwise), std::move(loc)));
}

Stmt Call::make(std::string kernel, std::vector<CallArg> args, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!kernel.empty(), "call without kernel name");
  for (const CallArg& a : args)
    PTO_INTERNAL_ASSERT(a.isView || a.value.defined(), "call '{}': undefined scalar arg", kernel);
  return Stmt(std::make_shared<const Call>(std::move(kernel), std::move(args), std::move(loc)));
}

namespace {
void checkList(const std::vector<Stmt>& s, const char* what) {
  for (const Stmt& x : s) PTO_INTERNAL_ASSERT(x.defined(), "{} with an undefined statement", what);
}
}  // namespace

Stmt Combine::make(std::vector<Stmt> parts, SourceLoc loc) {
  checkList(parts, "combine");
  return Stmt(std::make_shared<const Combine>(kKind, std::move(parts), std::move(loc)));
}
Stmt Sequential::make(std::vector<Stmt> parts, SourceLoc loc) {
  checkList(parts, "sequential");
  return Stmt(std::make_shared<const Sequential>(kKind, std::move(parts), std::move(loc)));
}
Stmt Block::make(std::vector<Stmt> stmts, SourceLoc loc) {
  checkList(stmts, "block");
  return Stmt(std::make_shared<const Block>(kKind, std::move(stmts), std::move(loc)));
}
Stmt ChannelDecl::make(std::string name, ChannelElem elem, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty(), "channel with empty name");
  return Stmt(std::make_shared<const ChannelDecl>(std::move(name), elem, std::move(loc)));
}
Stmt Process::make(std::string name, std::vector<std::string> produces, std::vector<std::string> consumes, Stmt body,
                   SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty() && body.defined(), "process needs a name and a body");
  return Stmt(std::make_shared<const Process>(std::move(name), std::move(produces), std::move(consumes),
                                              std::move(body), std::move(loc)));
}
Stmt Send::makeCall(std::string channel, Stmt call, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!channel.empty() && call.defined(), "send needs a channel and a call");
  return Stmt(std::make_shared<const Send>(std::move(channel), std::move(call), Expr(), std::move(loc)));
}
Stmt Send::makeValue(std::string channel, Expr value, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!channel.empty() && value.defined(), "send needs a channel and a value");
  return Stmt(std::make_shared<const Send>(std::move(channel), Stmt(), std::move(value), std::move(loc)));
}
Stmt Consume::make(std::string channel, std::string v, Stmt body, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!channel.empty() && !v.empty() && body.defined(), "consume needs channel, var and body");
  return Stmt(std::make_shared<const Consume>(std::move(channel), std::move(v), std::move(body), std::move(loc)));
}
Stmt Connect::make(std::string channel, std::string from, std::string to, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!channel.empty() && !from.empty() && !to.empty(), "connect needs channel, from, to");
  return Stmt(std::make_shared<const Connect>(std::move(channel), std::move(from), std::move(to), std::move(loc)));
}
Stmt Replicate::make(std::string process, Expr count, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!process.empty() && count.defined(), "replicate needs a process and a count");
  return Stmt(std::make_shared<const Replicate>(std::move(process), std::move(count), std::move(loc)));
}
Stmt SlotLoad::make(std::string slot, View view, Expr row, Expr col, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!slot.empty() && row.defined() && col.defined(), "slot_load needs slot, row, col");
  return Stmt(std::make_shared<const SlotLoad>(std::move(slot), std::move(view), std::move(row), std::move(col),
                                               std::move(loc)));
}
Stmt SlotSet::make(std::string slot, Expr value, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!slot.empty() && value.defined(), "slot_set needs slot and value");
  return Stmt(std::make_shared<const SlotSet>(std::move(slot), std::move(value), std::move(loc)));
}
Stmt Scope::make(Stmt body, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(body.defined(), "scope without body");
  return Stmt(std::make_shared<const Scope>(std::move(body), std::move(loc)));
}

Workload Workload::make(std::string name, Stmt body, Schedule schedule, SourceLoc loc) {
  PTO_INTERNAL_ASSERT(!name.empty() && body.defined(), "workload needs a name and a body");
  return Workload{std::move(name), std::move(body), std::move(schedule), std::move(loc)};
}

bool operator==(const Workload& a, const Workload& b) {
  return a.name == b.name && a.body == b.body && a.schedule == b.schedule;
}

}  // namespace pto::wsp::ir
