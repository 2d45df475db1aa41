#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <new>

namespace pto::wsp {

static XXH3_state_t* st(void* p) { return static_cast<XXH3_state_t*>(p); }

uint64_t hash64(const void* data, size_t size, uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

std::string hashHex(uint64_t h) { return fmt::format("{:016x}", h); }

static void* newState() {
  XXH3_state_t* s = XXH3_createState();
  if (!s) throw std::bad_alloc();
  return s;
}

Hasher::Hasher() : state_(newState()) { XXH3_64bits_reset(st(state_)); }
Hasher::~Hasher() { XXH3_freeState(st(state_)); }
Hasher::Hasher(const Hasher& o) : state_(newState()) { XXH3_copyState(st(state_), st(o.state_)); }
Hasher& Hasher::operator=(const Hasher& o) {
  if (this != &o) XXH3_copyState(st(state_), st(o.state_));
  return *this;
}

Hasher& Hasher::bytes(const void* data, size_t size) {
  XXH3_64bits_update(st(state_), data, size);
  return *this;
}

Hasher& Hasher::str(std::string_view s) {
  pod<uint64_t>(s.size());
  return bytes(s.data(), s.size());
}

uint64_t Hasher::digest() const { return XXH3_64bits_digest(st(state_)); }

}  // namespace pto::wsp
