#include "pto/wsp/api/CallSite.h"

#include <utility>

namespace pto::wsp {

namespace {
thread_local const SourceLoc* tCurrent = nullptr;
}

ScopedCallSite::ScopedCallSite(std::string file, uint32_t line, uint32_t col) : prev_(tCurrent) {
  loc_.file = std::move(file);
  loc_.line = line;
  loc_.col = col;
  tCurrent = &loc_;
}

ScopedCallSite::~ScopedCallSite() { tCurrent = prev_; }

const SourceLoc* currentCallSite() { return tCurrent; }

SourceLoc callSiteOr(const std::source_location& sl) {
  if (tCurrent) return *tCurrent;
  return SourceLoc::here(sl);
}

}  // namespace pto::wsp
