// Content hashing (xxHash XXH3) for content-addressed caches and timeline digests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace pto::wsp {

uint64_t hash64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t hash64(std::string_view s, uint64_t seed = 0) {
  return hash64(s.data(), s.size(), seed);
}
// Lowercase 16-digit hex of a 64-bit hash.
std::string hashHex(uint64_t h);

// Incremental hasher. Feeds are order-sensitive; strings are length-prefixed so
// ("ab","c") and ("a","bc") differ. Not thread-safe; cheap to copy.
class Hasher {
 public:
  Hasher();
  ~Hasher();
  Hasher(const Hasher&);
  Hasher& operator=(const Hasher&);

  Hasher& bytes(const void* data, size_t size);
  Hasher& str(std::string_view s);
  template <class T>
    requires std::is_arithmetic_v<T> || std::is_enum_v<T>
  Hasher& pod(T v) {
    return bytes(&v, sizeof v);
  }
  uint64_t digest() const;
  std::string hex() const { return hashHex(digest()); }

 private:
  void* state_;  // XXH3_state_t*, owned; opaque so xxhash.h stays out of this header
};

}  // namespace pto::wsp
