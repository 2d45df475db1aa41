// The golden registry, host tensors and the element check. Deliberately free of PTO-WSP
// headers (including the tile library's f16 code): an independent reference must not
// share a conversion bug with the thing it checks.
#include "Golden.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace pto::wsp::golden {

// --- binary16 / bfloat16 --------------------------------------------------------------------
namespace {

// Rounds a double straight to a small IEEE-style format (ebits exponent, mbits mantissa)
// with round-to-nearest-even. Going through float first would round twice, which is
// wrong for values just above a half-way point of the target format.
uint16_t encodeSmallFloat(double v, int ebits, int mbits) {
  const uint16_t signBit = std::signbit(v) ? uint16_t(1u << (ebits + mbits)) : uint16_t(0);
  const uint32_t expAllOnes = (1u << ebits) - 1;
  if (std::isnan(v)) return uint16_t(signBit | (expAllOnes << mbits) | (1u << (mbits - 1)));
  const double a = std::fabs(v);
  if (std::isinf(a)) return uint16_t(signBit | (expAllOnes << mbits));
  if (a == 0) return signBit;
  const int bias = (1 << (ebits - 1)) - 1;
  const int emin = 1 - bias;
  int e = 0;
  std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): unbiased exponent of 1.x form is e - 1
  int exp = std::max(e - 1, emin);
  // Scaling by a power of two is exact, so nearbyint (round-half-even by default) sees
  // the exact value in units of the target's last place.
  double q = std::nearbyint(std::ldexp(a, mbits - exp));
  if (q >= std::ldexp(1.0, mbits + 1)) {  // rounding carried into the next binade
    q /= 2;
    ++exp;
  }
  const uint64_t qi = static_cast<uint64_t>(q);
  const uint64_t implicitOne = uint64_t(1) << mbits;
  if (qi < implicitOne) return uint16_t(signBit | qi);  // subnormal (exp == emin)
  const int field = exp + bias;
  if (field >= int(expAllOnes)) return uint16_t(signBit | (expAllOnes << mbits));  // overflow
  return uint16_t(signBit | (uint32_t(field) << mbits) | uint32_t(qi - implicitOne));
}

double decodeSmallFloat(uint16_t bits, int ebits, int mbits) {
  const bool neg = (bits >> (ebits + mbits)) & 1u;
  const uint32_t field = (bits >> mbits) & ((1u << ebits) - 1);
  const uint32_t mant = bits & ((1u << mbits) - 1);
  const int bias = (1 << (ebits - 1)) - 1;
  double v;
  if (field == (1u << ebits) - 1)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (field == 0)
    v = std::ldexp(double(mant), 1 - bias - mbits);
  else
    v = std::ldexp(double(mant | (1u << mbits)), int(field) - bias - mbits);
  return neg ? -v : v;
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

uint16_t f16FromDouble(double v) { return encodeSmallFloat(v, 5, 10); }
namespace {
// Every 16-bit pattern decoded once (512 KiB per format, on first use): references read
// f16 / bf16 elements one by one, and the ldexp-based decode cost ~75 instructions each.
template <int E, int M>
const std::vector<double>& decodeTable() {
  static const std::vector<double> table = [] {
    std::vector<double> t(size_t{1} << 16);
    for (uint32_t b = 0; b < t.size(); ++b) t[b] = decodeSmallFloat(static_cast<uint16_t>(b), E, M);
    return t;
  }();
  return table;
}
}  // namespace

double f16ToDouble(uint16_t bits) { return decodeTable<5, 10>()[bits]; }
uint16_t bf16FromDouble(double v) { return encodeSmallFloat(v, 8, 7); }
double bf16ToDouble(uint16_t bits) { return decodeTable<8, 7>()[bits]; }

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
double loadAs(Code c, const std::byte* p) {
  switch (c) {
    case Code::F16: return f16ToDouble(load<uint16_t>(p));
    case Code::BF16: return bf16ToDouble(load<uint16_t>(p));
    case Code::F32: return load<float>(p);
    case Code::F64: return load<double>(p);
    case Code::I8: return load<int8_t>(p);
    case Code::I16: return load<int16_t>(p);
    case Code::I32: return load<int32_t>(p);
    case Code::I64: return double(load<int64_t>(p));
    case Code::U8: return load<uint8_t>(p);
    case Code::U16: return load<uint16_t>(p);
    case Code::U32: return load<uint32_t>(p);
    case Code::U64: return double(load<uint64_t>(p));
    case Code::Bool: break;
  }
  return load<uint8_t>(p) != 0 ? 1.0 : 0.0;
}

// Elements [0, n) of t with its dtype resolved once (the per-element loops of compare
// and toDoubles).
struct Elements {
  const std::byte* data;
  size_t bytes;
  Code code;
  Elements(const HostTensor& t, size_t n) {
    const DTypeInfo& d = info(t.dtype);
    if (n * d.bytes > t.bytes.size()) throw std::out_of_range("golden: element index out of range");
    data = t.bytes.data();
    bytes = d.bytes;
    code = d.code;
  }
  double operator[](size_t i) const { return loadAs(code, data + i * bytes); }
};
}  // namespace

double HostTensor::get(size_t i) const {
  const DTypeInfo& d = info(dtype);
  if ((i + 1) * d.bytes > bytes.size()) throw std::out_of_range("golden: element index out of range");
  return loadAs(d.code, bytes.data() + i * d.bytes);
}

void HostTensor::set(size_t i, double v) {
  const DTypeInfo& d = info(dtype);
  if ((i + 1) * d.bytes > bytes.size()) throw std::out_of_range("golden: element index out of range");
  std::byte* p = bytes.data() + i * d.bytes;
  switch (d.code) {
    case Code::F16: return store(p, f16FromDouble(v));
    case Code::BF16: return store(p, bf16FromDouble(v));
    case Code::F32: return store(p, static_cast<float>(v));
    case Code::F64: return store(p, v);
    case Code::I8: return store(p, toInt<int8_t>(v));
    case Code::I16: return store(p, toInt<int16_t>(v));
    case Code::I32: return store(p, toInt<int32_t>(v));
    case Code::I64: return store(p, toInt<int64_t>(v));
    case Code::U8: return store(p, toInt<uint8_t>(v));
    case Code::U16: return store(p, toInt<uint16_t>(v));
    case Code::U32: return store(p, toInt<uint32_t>(v));
    case Code::U64: return store(p, toInt<uint64_t>(v));
    case Code::Bool: break;
  }
  store(p, uint8_t(v != 0 && !std::isnan(v)));
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> out(numel());
  const Elements e(*this, out.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = e[i];
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
  const Kind kind = info(t.dtype).kind;
  const size_t n = t.numel();
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = splitmix64(state);
    switch (kind) {
      case Kind::Float:
        t.set(i, double(r >> 11) * 0x1p-53 * 2.0 - 1.0);
        break;
      case Kind::Signed:
      case Kind::Unsigned:
        t.set(i, double(r % 8));
        break;
      case Kind::Bool:
        t.set(i, double(r & 1));
        break;
    }
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
    const Elements ge(g, n), we(w, n);
    for (size_t i = 0; i < n; ++i) {
      const double gv = ge[i], wv = we[i];
      double err = 0;
      bool ok;
      if (std::isnan(wv) || std::isnan(gv)) {
        ok = std::isnan(wv) && std::isnan(gv);
        err = ok ? 0 : std::numeric_limits<double>::infinity();
      } else if (gv == wv) {  // also equal infinities
        ok = true;
      } else {
        err = std::fabs(gv - wv);
        ok = err <= tol.atol + tol.rtol * std::fabs(wv);
      }
      const double allowed = std::isinf(wv) ? 0 : tol.atol + tol.rtol * std::fabs(wv);
      if (!std::isinf(err)) maxErr = std::max(maxErr, err);
      if (!ok) {
        ++bad;
        const double excess = err - allowed;
        if (excess > worstExcess || std::isnan(excess)) {
          worstExcess = std::isnan(excess) ? std::numeric_limits<double>::infinity() : excess;
          worst = i;
          worstErr = err;
          worstAllowed = allowed;
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
