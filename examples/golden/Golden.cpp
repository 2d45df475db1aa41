// The golden registry, host tensors and the element check. Deliberately free of PTO-WSP
// headers (including the tile library's f16 code): an independent reference must not
// share a conversion bug with the thing it checks.
#include "Golden.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace pto::wsp::golden {

// --- binary16 / bfloat16 --------------------------------------------------------------------
namespace {

// Rounds a double straight to a small IEEE-style format (ebits exponent, mbits mantissa)
// with round-to-nearest-even, on the double's bit pattern. Going through float first
// would round twice, which is wrong for values just above a half-way point of the
// target format; integer arithmetic keeps every bit of the double until the one
// rounding (and costs a few instructions instead of frexp / ldexp / nearbyint calls:
// references and input generation encode every element).
template <int ebits, int mbits>
uint16_t encodeSmallFloatSlow(uint64_t a, uint16_t signBit);

template <int ebits, int mbits>
inline uint16_t encodeSmallFloat(double v) {
  const uint64_t b = std::bit_cast<uint64_t>(v);
  const uint16_t signBit = uint16_t((b >> 63) << (ebits + mbits));
  constexpr uint32_t expAllOnes = (1u << ebits) - 1;
  const uint64_t a = b & ~(uint64_t(1) << 63);
  constexpr int bias = (1 << (ebits - 1)) - 1;
  constexpr int emin = 1 - bias;
  constexpr int kShift = 52 - mbits;  // double mantissa bits below the target's last place
  // Fast path, the values of nearly every element: a normal target exponent. Rounding
  // the magnitude's bits at kShift (add half an ulp minus one, plus the kept lsb: ties
  // to even) carries into the exponent field when the mantissa overflows; rebiasing the
  // exponent then gives the pattern, and a carry out of the largest binade reads as inf.
  constexpr uint64_t kMinNormal = uint64_t(emin + 1023) << 52;
  constexpr uint64_t kAboveMax = uint64_t(int(expAllOnes) - bias + 1023) << 52;  // 2^(emax + 1)
  if (a >= kMinNormal && a < kAboveMax) {
    const uint64_t r = (a + ((uint64_t(1) << (kShift - 1)) - 1) + ((a >> kShift) & 1)) >> kShift;
    const uint64_t bits = r - (uint64_t(1023 - bias) << mbits);
    return uint16_t(signBit | std::min<uint64_t>(bits, uint64_t(expAllOnes) << mbits));
  }
  return encodeSmallFloatSlow<ebits, mbits>(a, signBit);
}

// Zero, subnormal, overflowing, infinite and NaN results (encodeSmallFloat's rare cases).
template <int ebits, int mbits>
[[gnu::noinline]] uint16_t encodeSmallFloatSlow(uint64_t a, uint16_t signBit) {
  constexpr uint32_t expAllOnes = (1u << ebits) - 1;
  constexpr int bias = (1 << (ebits - 1)) - 1;
  constexpr int emin = 1 - bias;
  constexpr int kShift = 52 - mbits;
  constexpr uint64_t kInfBits = uint64_t(0x7ff) << 52;
  if (a > kInfBits) return uint16_t(signBit | (expAllOnes << mbits) | (1u << (mbits - 1)));  // NaN
  if (a == kInfBits) return uint16_t(signBit | (expAllOnes << mbits));
  const int dexp = static_cast<int>(a >> 52);
  // Zero, and double subnormals (< 2^-1022): far below half the smallest target subnormal.
  if (dexp == 0) return signBit;
  const uint64_t sig = (a & ((uint64_t(1) << 52) - 1)) | (uint64_t(1) << 52);  // v = sig * 2^(e - 52)
  const int e = dexp - 1023;
  if (e + bias >= int(expAllOnes)) return uint16_t(signBit | (expAllOnes << mbits));  // overflow
  // Otherwise e < emin (the fast path took every normal exponent): a subnormal result,
  // in units of the smallest subnormal 2^(emin - mbits).
  const int shift = kShift + (emin - e);
  if (shift > 63) return signBit;  // below a quarter of the smallest subnormal
  uint64_t q = sig >> shift;
  const uint64_t rem = sig & ((uint64_t(1) << shift) - 1), half = uint64_t(1) << (shift - 1);
  q += uint64_t(rem > half) | (uint64_t(rem == half) & q & 1);  // ties to even
  return uint16_t(signBit | q);  // q == 2^mbits (rounded up) is the smallest normal's pattern
}

// Exact: a normal's fields move into a double's, a subnormal is mant * 2^(1 - bias - mbits)
// (a product by a power of two, exact in double).
template <int ebits, int mbits>
double decodeSmallFloat(uint16_t bits) {
  constexpr int bias = (1 << (ebits - 1)) - 1;
  constexpr uint32_t expAllOnes = (1u << ebits) - 1;
  const uint64_t sign = uint64_t(bits >> (ebits + mbits)) << 63;
  const uint32_t field = (bits >> mbits) & expAllOnes;
  const uint64_t mant = bits & ((1u << mbits) - 1);
  if (field - 1 < expAllOnes - 1) {  // normal (field 0 wraps around): rebias the exponent
    const uint64_t mag = bits & ((1u << (ebits + mbits)) - 1);
    return std::bit_cast<double>(sign | ((mag << (52 - mbits)) + (uint64_t(1023 - bias) << 52)));
  }
  if (field == expAllOnes) {
    const double v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
    return sign ? -v : v;
  }
  // field == 0: zero or subnormal
  constexpr double kUlp = bias == 15 ? 0x1p-24 : 0x1p-133;  // 2^(1 - bias - mbits)
  static_assert((bias == 15 && mbits == 10) || (bias == 127 && mbits == 7), "binary16 or bfloat16");
  const double v = double(mant) * kUlp;
  return sign ? -v : v;
}

enum class Kind { Float, Signed, Unsigned, Bool };
enum class Code : uint8_t { F16, BF16, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64, Bool };
struct DTypeInfo {
  const char* name;
  size_t bytes;
  Kind kind;
  Code code;
};
constexpr DTypeInfo kDTypes[] = {
    {"f16", 2, Kind::Float, Code::F16},      {"bf16", 2, Kind::Float, Code::BF16},
    {"f32", 4, Kind::Float, Code::F32},      {"f64", 8, Kind::Float, Code::F64},
    {"i8", 1, Kind::Signed, Code::I8},       {"i16", 2, Kind::Signed, Code::I16},
    {"i32", 4, Kind::Signed, Code::I32},     {"i64", 8, Kind::Signed, Code::I64},
    {"u8", 1, Kind::Unsigned, Code::U8},     {"u16", 2, Kind::Unsigned, Code::U16},
    {"u32", 4, Kind::Unsigned, Code::U32},   {"u64", 8, Kind::Unsigned, Code::U64},
    {"bool", 1, Kind::Bool, Code::Bool},
};

// By length and characters, not by string compares: references call get / set per
// element (a bgemm reference spent 99% of its time finding the dtype by name).
const DTypeInfo* find(const std::string& s) {
  const auto at = [](Code c) { return &kDTypes[static_cast<size_t>(c)]; };
  switch (s.size()) {
    case 2:
      if (s[1] == '8' && (s[0] == 'i' || s[0] == 'u')) return at(s[0] == 'i' ? Code::I8 : Code::U8);
      return nullptr;
    case 3: {
      const int w = s[1] == '1' && s[2] == '6' ? 0 : s[1] == '3' && s[2] == '2' ? 1 : s[1] == '6' && s[2] == '4' ? 2 : -1;
      if (w < 0) return nullptr;
      if (s[0] == 'f') return at(w == 0 ? Code::F16 : w == 1 ? Code::F32 : Code::F64);
      if (s[0] == 'i') return at(static_cast<Code>(static_cast<int>(Code::I16) + w));
      if (s[0] == 'u') return at(static_cast<Code>(static_cast<int>(Code::U16) + w));
      return nullptr;
    }
    case 4:
      if (s == "bf16") return at(Code::BF16);
      if (s == "bool") return at(Code::Bool);
      return nullptr;
    default:
      return nullptr;
  }
}

const DTypeInfo& info(const std::string& dtype) {
  if (const DTypeInfo* d = find(dtype)) return *d;
  throw std::invalid_argument("golden: unknown dtype '" + dtype + "'");
}

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// Truncates toward zero and saturates to [lo, hi]; NaN becomes 0.
template <class T>
T toInt(double v) {
  if (std::isnan(v)) return 0;
  const double t = std::trunc(v);
  if (t <= double(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (t >= double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(t);
}

}  // namespace

uint16_t f16FromDouble(double v) { return encodeSmallFloat<5, 10>(v); }
double f16ToDouble(uint16_t bits) { return decodeSmallFloat<5, 10>(bits); }
uint16_t bf16FromDouble(double v) { return encodeSmallFloat<8, 7>(v); }
double bf16ToDouble(uint16_t bits) { return decodeSmallFloat<8, 7>(bits); }

// --- HostTensor ---------------------------------------------------------------------------------
HostTensor HostTensor::make(std::string dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = std::move(dtype);
  t.shape = std::move(shape);
  for (int64_t d : t.shape)
    if (d < 0) throw std::invalid_argument("golden: negative dimension in tensor shape");
  t.bytes.assign(t.numel() * t.elemBytes(), std::byte{0});
  return t;
}

size_t HostTensor::numel() const {
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(d);
  return n;
}

size_t HostTensor::elemBytes() const { return info(dtype).bytes; }

namespace {
// Element conversions by dtype code, as templates so that a whole-tensor loop has the
// dtype resolved once, outside the loop (decodeRun / encodeRun), not a switch per element.
template <Code C>
double loadAs(const std::byte* p) {
  if constexpr (C == Code::F16) return decodeSmallFloat<5, 10>(load<uint16_t>(p));
  else if constexpr (C == Code::BF16) return decodeSmallFloat<8, 7>(load<uint16_t>(p));
  else if constexpr (C == Code::F32) return load<float>(p);
  else if constexpr (C == Code::F64) return load<double>(p);
  else if constexpr (C == Code::I8) return load<int8_t>(p);
  else if constexpr (C == Code::I16) return load<int16_t>(p);
  else if constexpr (C == Code::I32) return load<int32_t>(p);
  else if constexpr (C == Code::I64) return double(load<int64_t>(p));
  else if constexpr (C == Code::U8) return load<uint8_t>(p);
  else if constexpr (C == Code::U16) return load<uint16_t>(p);
  else if constexpr (C == Code::U32) return load<uint32_t>(p);
  else if constexpr (C == Code::U64) return double(load<uint64_t>(p));
  else return load<uint8_t>(p) != 0 ? 1.0 : 0.0;  // Bool
}

template <Code C>
void storeAs(std::byte* p, double v) {
  if constexpr (C == Code::F16) store(p, encodeSmallFloat<5, 10>(v));
  else if constexpr (C == Code::BF16) store(p, encodeSmallFloat<8, 7>(v));
  else if constexpr (C == Code::F32) store(p, static_cast<float>(v));
  else if constexpr (C == Code::F64) store(p, v);
  else if constexpr (C == Code::I8) store(p, toInt<int8_t>(v));
  else if constexpr (C == Code::I16) store(p, toInt<int16_t>(v));
  else if constexpr (C == Code::I32) store(p, toInt<int32_t>(v));
  else if constexpr (C == Code::I64) store(p, toInt<int64_t>(v));
  else if constexpr (C == Code::U8) store(p, toInt<uint8_t>(v));
  else if constexpr (C == Code::U16) store(p, toInt<uint16_t>(v));
  else if constexpr (C == Code::U32) store(p, toInt<uint32_t>(v));
  else if constexpr (C == Code::U64) store(p, toInt<uint64_t>(v));
  else store(p, uint8_t(v != 0 && !std::isnan(v)));  // Bool
}

template <Code C>
void decodeRun(const std::byte* p, double* out, size_t n) {
  constexpr size_t bytes = kDTypes[static_cast<size_t>(C)].bytes;
  for (size_t i = 0; i < n; ++i) out[i] = loadAs<C>(p + i * bytes);
}
template <Code C>
void encodeRun(std::byte* p, const double* in, size_t n) {
  constexpr size_t bytes = kDTypes[static_cast<size_t>(C)].bytes;
  for (size_t i = 0; i < n; ++i) storeAs<C>(p + i * bytes, in[i]);
}

using DecodeFn = void (*)(const std::byte*, double*, size_t);
using EncodeFn = void (*)(std::byte*, const double*, size_t);
template <size_t... I>
constexpr std::array<DecodeFn, sizeof...(I)> decoders(std::index_sequence<I...>) {
  return {decodeRun<static_cast<Code>(I)>...};
}
template <size_t... I>
constexpr std::array<EncodeFn, sizeof...(I)> encoders(std::index_sequence<I...>) {
  return {encodeRun<static_cast<Code>(I)>...};
}
constexpr size_t kNumCodes = std::size(kDTypes);
constexpr auto kDecode = decoders(std::make_index_sequence<kNumCodes>{});
constexpr auto kEncode = encoders(std::make_index_sequence<kNumCodes>{});
static_assert([] {
  for (size_t i = 0; i < kNumCodes; ++i)
    if (static_cast<size_t>(kDTypes[i].code) != i) return false;
  return true;
}(), "kDTypes is indexed by Code");

// Elements [first, first + n) of t as doubles into out, bounds checked.
void decode(const HostTensor& t, const DTypeInfo& d, size_t first, size_t n, double* out) {
  if ((first + n) * d.bytes > t.bytes.size()) throw std::out_of_range("golden: element index out of range");
  kDecode[static_cast<size_t>(d.code)](t.bytes.data() + first * d.bytes, out, n);
}
void encode(HostTensor& t, const DTypeInfo& d, size_t first, size_t n, const double* in) {
  if ((first + n) * d.bytes > t.bytes.size()) throw std::out_of_range("golden: element index out of range");
  kEncode[static_cast<size_t>(d.code)](t.bytes.data() + first * d.bytes, in, n);
}
}  // namespace

double HostTensor::get(size_t i) const {
  double v;
  decode(*this, info(dtype), i, 1, &v);
  return v;
}

void HostTensor::set(size_t i, double v) { encode(*this, info(dtype), i, 1, &v); }

void HostTensor::assign(const std::vector<double>& values) {
  if (values.size() != numel())
    throw std::invalid_argument("golden: assign of " + std::to_string(values.size()) + " values to a tensor of " +
                                std::to_string(numel()) + " elements");
  encode(*this, info(dtype), 0, values.size(), values.data());
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> out(numel());
  decode(*this, info(dtype), 0, out.size(), out.data());
  return out;
}

// --- registry -----------------------------------------------------------------------------------
namespace {
std::map<std::string, Golden, std::less<>>& registry() {
  static std::map<std::string, Golden, std::less<>> r;
  return r;
}
}  // namespace

Registrar::Registrar(Golden g) {
  // Runs during static initialisation, where an exception would terminate without a
  // message: report the programming error and abort instead.
  if (g.module.empty() || !g.compute) {
    std::fprintf(stderr, "golden: registration for module '%s' needs a module name and compute\n",
                 g.module.c_str());
    std::abort();
  }
  if (registry().count(g.module)) {
    std::fprintf(stderr, "golden: module '%s' registered twice\n", g.module.c_str());
    std::abort();
  }
  if (g.readme.empty()) g.readme = "examples/" + g.module + "/README.md";
  std::string name = g.module;
  registry().emplace(std::move(name), std::move(g));
}

const Golden* findGolden(std::string_view module) {
  auto it = registry().find(module);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<const Golden*> allGoldens() {
  std::vector<const Golden*> out;
  for (const auto& [name, g] : registry()) out.push_back(&g);
  return out;  // std::map keeps them sorted by module name
}

// --- random data ----------------------------------------------------------------------------------
namespace {
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ uint8_t(c)) * 0x100000001b3ull;
  return h;
}
}  // namespace

void fillRandom(HostTensor& t, std::string_view name, uint64_t seed) {
  uint64_t state = fnv1a(name) ^ (seed * 0x9e3779b97f4a7c15ull);
  const DTypeInfo& d = info(t.dtype);
  const size_t n = t.numel();
  double chunk[1024];  // values drawn a chunk at a time, encoded by one typed loop
  for (size_t first = 0; first < n; first += std::size(chunk)) {
    const size_t len = std::min(n - first, std::size(chunk));
    if (d.kind == Kind::Float)
      for (size_t i = 0; i < len; ++i) chunk[i] = double(int64_t(splitmix64(state) >> 11)) * 0x1p-53 * 2.0 - 1.0;
    else if (d.kind == Kind::Bool)
      for (size_t i = 0; i < len; ++i) chunk[i] = double(int64_t(splitmix64(state) & 1));
    else
      for (size_t i = 0; i < len; ++i) chunk[i] = double(int64_t(splitmix64(state) % 8));
    encode(t, d, first, len, chunk);
  }
}

// --- compare ------------------------------------------------------------------------------------
namespace {

std::string fmtNum(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

std::string shapeStr(const std::vector<int64_t>& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out.empty() ? "scalar" : out;
}

// "Y[3, 17]" for row-major element `flat` of a tensor of shape `s`.
std::string elementName(const std::string& tensor, const std::vector<int64_t>& s, size_t flat) {
  std::vector<int64_t> idx(s.size(), 0);
  for (size_t d = s.size(); d-- > 0;) {
    if (s[d] == 0) break;
    idx[d] = int64_t(flat % size_t(s[d]));
    flat /= size_t(s[d]);
  }
  std::string out = tensor + "[";
  for (size_t d = 0; d < idx.size(); ++d) out += (d ? ", " : "") + std::to_string(idx[d]);
  return out + "]";
}

}  // namespace

CheckResult compare(const TensorSet& got, const TensorSet& want, Tolerance tol) {
  CheckResult res;
  std::string passed;  // per-tensor parts of the pass summary
  for (const auto& [name, w] : want) {
    auto it = got.find(name);
    if (it == got.end()) {
      res.ok = false;
      res.tensor = name;
      res.summary = "check FAILED: output " + name + " was not produced";
      return res;
    }
    const HostTensor& g = it->second;
    if (g.shape != w.shape) {
      res.ok = false;
      res.tensor = name;
      res.summary = "check FAILED: " + name + " has shape " + shapeStr(g.shape) + ", expected " +
                    shapeStr(w.shape);
      return res;
    }
    const size_t n = w.numel();
    double maxErr = 0;
    size_t bad = 0;
    double worstExcess = -1;
    size_t worst = 0;
    double worstErr = 0, worstAllowed = 0;
    const DTypeInfo &gd = info(g.dtype), &wd = info(w.dtype);
    double gbuf[1024], wbuf[1024];  // a chunk of both tensors decoded by typed loops
    for (size_t first = 0; first < n; first += std::size(gbuf)) {
      const size_t len = std::min(n - first, std::size(gbuf));
      decode(g, gd, first, len, gbuf);
      decode(w, wd, first, len, wbuf);
      for (size_t c = 0; c < len; ++c) {
        const double gv = gbuf[c], wv = wbuf[c];
        // The common case first: within tolerance, both finite (NaN compares false; an
        // infinite error is within an infinite allowance, as below, but not a max error).
        const double allowed = tol.atol + tol.rtol * std::fabs(wv);
        const double diff = std::fabs(gv - wv);
        if (diff <= allowed) {
          if (!std::isinf(diff)) maxErr = std::max(maxErr, diff);
          continue;
        }
        double err = 0;
        bool ok;
        if (std::isnan(wv) || std::isnan(gv)) {
          ok = std::isnan(wv) && std::isnan(gv);
          err = ok ? 0 : std::numeric_limits<double>::infinity();
        } else if (gv == wv) {  // also equal infinities
          ok = true;
        } else {
          err = std::fabs(gv - wv);
          ok = err <= allowed;
        }
        const double allowedHere = std::isinf(wv) ? 0 : allowed;
        if (!std::isinf(err)) maxErr = std::max(maxErr, err);
        if (!ok) {
          ++bad;
          const double excess = err - allowedHere;
          if (excess > worstExcess || std::isnan(excess)) {
            worstExcess = std::isnan(excess) ? std::numeric_limits<double>::infinity() : excess;
            worst = first + c;
            worstErr = err;
            worstAllowed = allowedHere;
          }
        }
      }
    }
    res.mismatches += bad;
    if (bad && res.ok) {
      res.ok = false;
      res.tensor = name;
      res.index = worst;
      res.got = g.get(worst);
      res.want = w.get(worst);
      res.maxError = worstErr;
      res.allowed = worstAllowed;
      res.summary = "check FAILED: " + elementName(name, w.shape, worst) + " = " + fmtNum(res.got) +
                    ", expected " + fmtNum(res.want) + " (|err| " + fmtNum(worstErr) + " > " +
                    fmtNum(worstAllowed) + "); " + std::to_string(bad) + " of " + std::to_string(n) +
                    " elements out of tolerance";
    }
    if (res.ok) {
      res.maxError = std::max(res.maxError, maxErr);
      passed += (passed.empty() ? "" : ", ") + name + " (" + std::to_string(n) +
                " elements, max abs err " + fmtNum(maxErr) + ")";
    }
  }
  if (res.ok)
    res.summary = "check passed: " + (passed.empty() ? std::string("no outputs") : passed) +
                  " within rtol " + fmtNum(tol.rtol) + " atol " + fmtNum(tol.atol);
  return res;
}

}  // namespace pto::wsp::golden
