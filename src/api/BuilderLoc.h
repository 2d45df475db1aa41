// Private to the C++ builder (Builder.cpp, KernelBuilder.cpp): where a builder call is.
#pragma once

#include "pto/wsp/api/Builder.h"
#include "pto/wsp/api/CallSite.h"

#include <string>

namespace pto::wsp::detail {

// The C++ call site (or an open ScopedCallSite of a foreign front end) with the builder path ("workload 'w' > call k") as context.
inline SourceLoc builderLoc(SrcLoc sl, std::string context) {
  SourceLoc l = callSiteOr(sl);
  l.context = std::move(context);
  return l;
}

}  // namespace pto::wsp::detail
