// Private to the verifier: the module/workload checker shared by Verifier.cpp (names,
// tensors, loops, calls, views) and VerifierCsp.cpp (CSP, slots, schedule).
#pragma once

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/Visitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace pto::wsp::ir::detail {

inline std::string joinList(const std::vector<std::string>& names) {
  if (names.empty()) return "(none)";
  std::string s;
  for (size_t i = 0; i < names.size() && i < 12; ++i) {
    if (i) s += ", ";
    s += names[i];
  }
  if (names.size() > 12) s += fmt::format(", ... ({} more)", names.size() - 12);
  return s;
}

inline std::string joinViews(std::span<const std::string_view> xs) {
  std::string s;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i) s += ", ";
    s += xs[i];
  }
  return s;
}

template <class T>
std::vector<std::string> namesOf(const std::vector<T>& v) {
  std::vector<std::string> out;
  for (const T& x : v) out.push_back(x.name);
  return out;
}

template <class T>
void checkDuplicates(const std::vector<T>& v, const char* what, DiagnosticList& out) {
  std::map<std::string, const T*> seen;
  for (const T& x : v) {
    auto [it, fresh] = seen.emplace(x.name, &x);
    if (fresh) continue;
    out.error(x.loc, fmt::format("duplicate {} name '{}'", what, x.name))
        .note(fmt::format("first {} '{}' declared here", what, x.name), it->second->loc)
        .help(fmt::format("rename one of the {}s", what));
  }
}

class ModuleVerifier {
 public:
  ModuleVerifier(const Module& m, DiagnosticList& out) : m_(m), out_(out), env_(m.defaultEnv()) {}

  void run();
  void checkNameAsFile(const std::string& name, const char* what, const SourceLoc& loc);

 private:
  // ---- names in expressions ----
  // Checks that every symbol / slot is declared and every var is bound. `what` names
  // the construct the expression belongs to.
  void checkNames(const Expr& e, const SourceLoc& fallback, const std::string& what, bool allowVars = true,
                  bool allowSlots = true, bool allowFloat = false);

  static bool hasFloat(const Expr& e);
  void checkDivisors(const Expr& e, const SourceLoc& fallback, const std::string& what);
  bool mayOverflow(const Expr& e) const;

  std::vector<std::string> boundList() const;

  // Symbols, slots, tensors and kernels share one namespace (a name in a view or call
  // must mean one thing), same-kind duplicates are reported by checkDuplicates.
  void checkCrossKindNames();

  // ---- tensors ----
  void checkTensor(const Tensor& t);

  // ---- workloads ----
  void checkWorkload(const Workload& w);

  // First pass: channels and processes are workload-scoped and may be used before their
  // declaration statement.
  void collectDecls(const Stmt& s);

  std::string ctx() const;

  void bind(const std::string& name, std::optional<Interval> range, const SourceLoc& loc, const char* what);
  void unbind(const std::string& name);

  const Tensor* checkIndexTensor(const std::string& name, const SourceLoc& loc, const std::string& what);

  std::optional<Interval> checkAxis(const LoopVar& lv, const SourceLoc& loopLoc);

  void stmt(const Stmt& s);

  void loop(const Loop& l);

  void checkSlot(const std::string& slot, const SourceLoc& loc, const char* what);

  // Checks a view against its tensor and returns the tensor when it exists.
  const Tensor* view(const View& v, const SourceLoc& fallback, const std::string& what);

  void call(const Call& c);

  void checkChannel(const std::string& ch, const SourceLoc& loc, const std::string& what);

  void process(const Process& p);

  void send(const Send& s);

  void consume(const Consume& c);

  void connect(const Connect& c);

  void replicate(const Replicate& r);

  void slotLoad(const SlotLoad& s);

  // ---- schedule ----
  void checkSchedule(const Workload& w);

  // Keys are evaluated per task at its call site: symbols and slots must be declared, and
  // every loop variable the key reads must be bound at every call of the workload.
  void checkKey(const Expr& key, const SourceLoc& loc, const std::string& what);

  const Module& m_;
  DiagnosticList& out_;
  Env env_;
  const Workload* wl_ = nullptr;
  std::map<std::string, const ChannelDecl*> channels_;
  std::map<std::string, const Process*> processes_;
  std::set<std::string> produced_;
  std::set<std::string> bound_;
  std::vector<std::string> boundOrder_;
  VarRanges ranges_;
  const Process* process_ = nullptr;
  std::set<std::string> sentIn_;  // channels the current process sends on
  // Every call of the current workload with the variables bound at it (dispatch keys).
  std::vector<std::pair<std::set<std::string>, const Call*>> calls_;
};

}  // namespace pto::wsp::ir::detail
