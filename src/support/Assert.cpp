#include "pto/wsp/support/Assert.h"

#include <cstdio>
#include <cstdlib>

namespace pto::wsp::detail {

void internalError(const char* cond, const std::string& msg, std::source_location loc) {
  std::fprintf(stderr,
               "%s:%u: internal error: %s (%s)\n"
               "note: this is a PTO-WSP bug, not a problem with your input; please report it\n",
               loc.file_name(), static_cast<unsigned>(loc.line()), msg.c_str(), cond);
  std::fflush(stderr);
  std::abort();
}

}  // namespace pto::wsp::detail
