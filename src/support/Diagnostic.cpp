#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

namespace pto::wsp {

SourceLoc SourceLoc::here(std::source_location sl) {
  return SourceLoc{sl.file_name(), static_cast<uint32_t>(sl.line()),
                   static_cast<uint32_t>(sl.column()), {}};
}

std::string SourceLoc::str() const {
  std::string out = file.empty() ? std::string("<unknown>") : file;
  if (line != 0) {
    out += fmt::format(":{}", line);
    if (col != 0) out += fmt::format(":{}", col);
  }
  if (!context.empty()) out += fmt::format(" (in {})", context);
  return out;
}

const char* severityName(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
    case Severity::Remark: return "remark";
  }
  return "error";
}

std::string Diagnostic::render() const {
  std::string out = fmt::format("{}: {}: {}", loc.str(), severityName(severity), message);
  for (const DiagNote& n : notes) {
    const SourceLoc& at = n.loc.valid() ? n.loc : loc;
    out += fmt::format("\n{}: note: {}", at.str(), n.message);
  }
  return out;
}

Diagnostic makeError(SourceLoc loc, std::string message) {
  return Diagnostic{Severity::Error, std::move(loc), std::move(message), {}};
}

static std::string renderAll(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const Diagnostic& d : ds) {
    if (!out.empty()) out += '\n';
    out += d.render();
  }
  return out;
}

UserError::UserError(Diagnostic d) : UserError(std::vector<Diagnostic>{std::move(d)}) {}
UserError::UserError(std::vector<Diagnostic> ds)
    : std::runtime_error(renderAll(ds)), diags_(std::move(ds)) {}

Diagnostic& DiagnosticList::error(SourceLoc loc, std::string message) {
  diags_.push_back(makeError(std::move(loc), std::move(message)));
  return diags_.back();
}

void throwLocated(const UserError& e, const SourceLoc& at) {
  std::vector<Diagnostic> ds = e.diagnostics();
  for (Diagnostic& d : ds)
    if (!d.loc.valid()) d.loc = at;
  throw UserError(std::move(ds));
}

Diagnostic& DiagnosticList::warning(SourceLoc loc, std::string message) {
  diags_.push_back(Diagnostic{Severity::Warning, std::move(loc), std::move(message), {}});
  return diags_.back();
}

bool DiagnosticList::hasErrors() const {
  for (const Diagnostic& d : diags_)
    if (d.severity == Severity::Error) return true;
  return false;
}

std::string DiagnosticList::render() const { return renderAll(diags_); }

void DiagnosticList::throwIfErrors() const {
  if (hasErrors()) throw UserError(diags_);
}

}  // namespace pto::wsp
