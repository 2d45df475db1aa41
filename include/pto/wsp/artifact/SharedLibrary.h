// A loaded shared object (dlopen RTLD_NOW | RTLD_LOCAL) and typed symbol lookup.
//
// RTLD_NOW: an unresolved reference fails here, with the loader's message, rather than
// as a crash in the middle of an execute. RTLD_LOCAL: two artifacts that define the same
// kernel symbol do not interpose on each other.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace pto::wsp::artifact {

class SharedLibrary {
 public:
  SharedLibrary() = default;
  // Throws UserError with the loader's message (missing file, wrong ELF class,
  // undefined symbol, ...).
  static SharedLibrary open(const std::filesystem::path& path);
  ~SharedLibrary();
  SharedLibrary(SharedLibrary&& o) noexcept;
  SharedLibrary& operator=(SharedLibrary&& o) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;

  bool loaded() const { return handle_ != nullptr; }
  // Keeps the library mapped for the rest of the process, even after this object is
  // destroyed: a host thread may still be executing one of its kernels (a kernel that
  // never returned; see HostExecutor's destructor).
  void pin() { pinned_ = true; }
  const std::filesystem::path& path() const { return path_; }

  // Address of `name`; throws UserError naming the symbol and the library, with a help
  // note about extern "C". `what` names the owner in the message (e.g. "kernel 'rms'").
  void* symbol(const std::string& name, std::string_view what = {}) const;
  // nullptr when absent (for optional entry points). Thread-safe.
  void* findSymbol(const std::string& name) const;

  template <class Fn>
  Fn function(const std::string& name, std::string_view what = {}) const {
    return reinterpret_cast<Fn>(symbol(name, what));
  }

 private:
  void* handle_ = nullptr;  // owned: dlclose on destruction unless pinned
  bool pinned_ = false;
  std::filesystem::path path_;
};

}  // namespace pto::wsp::artifact
