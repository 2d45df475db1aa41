// Internal invariants: a failure here is a PTO-WSP bug, never a user mistake.
// User mistakes go through Diagnostic/UserError (support/Diagnostic.h).
#pragma once

#include <fmt/format.h>

#include <source_location>
#include <string>

namespace pto::wsp::detail {
[[noreturn]] void internalError(const char* cond, const std::string& msg,
                                std::source_location loc);
}  // namespace pto::wsp::detail

// PTO_INTERNAL_ASSERT(cond, "fmt {}", args...): aborts with "internal error" + location.
#define PTO_INTERNAL_ASSERT(cond, ...)                                           \
  do {                                                                           \
    if (!(cond)) [[unlikely]]                                                    \
      ::pto::wsp::detail::internalError(#cond, ::fmt::format(__VA_ARGS__),       \
                                        std::source_location::current());        \
  } while (0)

#define PTO_UNREACHABLE(...)                                                     \
  ::pto::wsp::detail::internalError("unreachable", ::fmt::format(__VA_ARGS__),   \
                                    std::source_location::current())
