#include "pto/wsp/artifact/SharedLibrary.h"

#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <dlfcn.h>
#include <mutex>
#include <utility>

namespace pto::wsp::artifact {

namespace {
// dlerror() is per thread in glibc but the (dlopen, dlerror) pair must not interleave
// with another dl* call on the same thread; the mutex also keeps messages coherent.
std::mutex& dlMutex() {
  static std::mutex m;
  return m;
}
}  // namespace

SharedLibrary SharedLibrary::open(const std::filesystem::path& path) {
  std::lock_guard<std::mutex> lock(dlMutex());
  ::dlerror();
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* err = ::dlerror();
    throw UserError(makeError(SourceLoc{path.string(), 0, 0, {}},
                              fmt::format("cannot load shared object: {}", err ? err : "unknown loader error"))
                        .help("rebuild the artifact (`ptowsp compile`); if this is a user kernel, check "
                              "that it defines every function it declares"));
  }
  SharedLibrary lib;
  lib.handle_ = h;
  lib.path_ = path;
  return lib;
}

SharedLibrary::~SharedLibrary() {
  if (handle_ && !pinned_) ::dlclose(handle_);
}

SharedLibrary::SharedLibrary(SharedLibrary&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)),
      pinned_(std::exchange(o.pinned_, false)),
      path_(std::move(o.path_)) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& o) noexcept {
  if (this != &o) {
    if (handle_ && !pinned_) ::dlclose(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    path_ = std::move(o.path_);
    pinned_ = std::exchange(o.pinned_, false);
  }
  return *this;
}

void* SharedLibrary::findSymbol(const std::string& name) const {
  PTO_INTERNAL_ASSERT(handle_ != nullptr, "symbol lookup '{}' on an unloaded library", name);
  std::lock_guard<std::mutex> lock(dlMutex());
  ::dlerror();
  return ::dlsym(handle_, name.c_str());
}

void* SharedLibrary::symbol(const std::string& name, std::string_view what) const {
  void* p = findSymbol(name);
  if (!p) {
    std::string owner = what.empty() ? std::string() : fmt::format(" (for {})", what);
    throw UserError(makeError(SourceLoc{path_.string(), 0, 0, {}},
                              fmt::format("symbol '{}'{} not found in shared object", name, owner))
                        .help(fmt::format("define it with C linkage: extern \"C\" ... {}(...)", name)));
  }
  return p;
}

}  // namespace pto::wsp::artifact
