// Fuzz builds only (force-included by fuzz/CMakeLists.txt). clang 14 (Debian bookworm's
// clang, the one with libFuzzer) lacks __builtin_source_location, so libstdc++ 12's
// <source_location> declares nothing; this supplies an equivalent std::source_location
// built on __builtin_FILE/LINE/COLUMN/FUNCTION. Never used by g++ builds.
#pragma once

#include <source_location>

#if defined(__clang__) && !__has_builtin(__builtin_source_location)
#include <cstdint>
namespace std {
struct source_location {
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* fn = __builtin_FUNCTION(),
                                           uint_least32_t line = __builtin_LINE(),
                                           uint_least32_t col = __builtin_COLUMN()) noexcept {
    source_location s;
    s.file_ = file;
    s.fn_ = fn;
    s.line_ = line;
    s.col_ = col;
    return s;
  }
  constexpr source_location() noexcept = default;
  constexpr uint_least32_t line() const noexcept { return line_; }
  constexpr uint_least32_t column() const noexcept { return col_; }
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return fn_; }

 private:
  const char* file_ = "";
  const char* fn_ = "";
  uint_least32_t line_ = 0;
  uint_least32_t col_ = 0;
};
}  // namespace std
#endif
