// User-facing diagnostics: located errors with notes, rendered MLIR-style.
//
// Two error channels (see docs/architecture.md):
//  * user errors: a Diagnostic (location, the broken rule with actual values, notes
//    that say what to do) thrown as UserError or collected in a DiagnosticList;
//  * internal errors: PTO_INTERNAL_ASSERT (support/Assert.h), i.e. our bug.
//
// Message style: lowercase, no trailing period, actual values
// ("expected tile 16x128, got 16x64").
#pragma once

#include <cstdint>
#include <source_location>
#include <stdexcept>
#include <string>
#include <vector>

namespace pto::wsp {

// Where a construct came from: a text position (file:line:col) or, for builder
// calls, the C++ call site (captured with std::source_location).
struct SourceLoc {
  std::string file;     // path of the .wsp file, or C++ source file for builder calls
  uint32_t line = 0;    // 1-based; 0 = unknown
  uint32_t col = 0;     // 1-based; 0 = unknown
  std::string context;  // optional: builder call path, e.g. "workload 'rms' > call rmsnorm"

  static SourceLoc unknown() { return {}; }
  static SourceLoc here(std::source_location sl = std::source_location::current());
  bool valid() const { return line != 0 || !file.empty() || !context.empty(); }
  // "file:line:col" (omits unknown parts), followed by " (in <context>)" if any.
  std::string str() const;
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

enum class Severity : uint8_t { Error, Warning, Note, Remark };
const char* severityName(Severity s);

struct DiagNote {
  SourceLoc loc;        // may be unknown: then the note attaches to the main location
  std::string message;  // e.g. "help: raise task_window to at least 8"
};

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  std::vector<DiagNote> notes;

  Diagnostic& note(std::string msg, SourceLoc at = {}) {
    notes.push_back({std::move(at), std::move(msg)});
    return *this;
  }
  // "help: ..." is the convention for the action that fixes the problem.
  Diagnostic& help(const std::string& msg) { return note("help: " + msg); }
  // Multi-line text: "<loc>: error: <message>" then one "<loc>: note: ..." per note.
  std::string render() const;
};

Diagnostic makeError(SourceLoc loc, std::string message);

// A user error carrying one or more diagnostics; what() is the rendered text.
class UserError : public std::runtime_error {
 public:
  explicit UserError(Diagnostic d);
  explicit UserError(std::vector<Diagnostic> ds);
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

 private:
  std::vector<Diagnostic> diags_;
};

// Rethrows e's diagnostics with each one that has no location placed at `at` (a layer
// that knows where the failing work came from: a plan's declaration, a file).
[[noreturn]] void throwLocated(const UserError& e, const SourceLoc& at);

// Collects diagnostics (e.g. all verifier errors at once) instead of stopping at the
// first. Not thread-safe; owned by one pass.
class DiagnosticList {
 public:
  Diagnostic& error(SourceLoc loc, std::string message);
  Diagnostic& warning(SourceLoc loc, std::string message);
  void add(Diagnostic d) { diags_.push_back(std::move(d)); }
  bool hasErrors() const;
  size_t size() const { return diags_.size(); }
  bool empty() const { return diags_.empty(); }
  const std::vector<Diagnostic>& all() const { return diags_; }
  std::string render() const;
  // Throws UserError with every collected diagnostic if any is an error.
  void throwIfErrors() const;

 private:
  std::vector<Diagnostic> diags_;
};

}  // namespace pto::wsp
