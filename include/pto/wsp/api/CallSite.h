// Call sites of foreign front ends. The C++ builder and Program locate every call at the
// C++ caller (std::source_location); a front end written in another language (the Python
// package) opens a ScopedCallSite around each builder/Program call so that the node's
// SourceLoc, and every diagnostic about it, names the user's own file and line instead.
//
//   { ScopedCallSite at("model.py", 42); wb.call(k, args); }   // loc = model.py:42
//
// Scopes nest (a body callback may open its own); the innermost one wins and the previous
// is restored on destruction. Thread-local: one builder per thread, as the builder is.
#pragma once

#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <source_location>
#include <string>

namespace pto::wsp {

class ScopedCallSite {
 public:
  ScopedCallSite(std::string file, uint32_t line, uint32_t col = 0);
  ~ScopedCallSite();
  ScopedCallSite(const ScopedCallSite&) = delete;
  ScopedCallSite& operator=(const ScopedCallSite&) = delete;

 private:
  SourceLoc loc_;
  const SourceLoc* prev_;
};

// The innermost open call site, or nullptr.
const SourceLoc* currentCallSite();
// SourceLoc::here(sl), replaced by the innermost open call site when there is one.
SourceLoc callSiteOr(const std::source_location& sl);

}  // namespace pto::wsp
