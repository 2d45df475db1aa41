#include "Npy.h"

#include "pto/wsp/support/Diagnostic.h"

#include "pto/wsp/support/FileRead.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

namespace pto::wsp::cli {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
// Refuse absurd headers before allocating: NumPy itself caps headers far below this.
constexpr size_t kMaxHeaderBytes = 1u << 20;

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? std::string(1, char(c)) : fmt::format("\\x{:02x}", c);
  return out;
}

[[noreturn]] void fail(const std::string& file, std::string msg, std::string help) {
  throw UserError(makeError(SourceLoc{file, 0, 0, {}}, std::move(msg)).help(help));
}

struct DescrMap {
  const char* dtype;
  char kind;  // 'f', 'i', 'u', 'b'
  size_t bytes;
};
constexpr DescrMap kDescrs[] = {
    {"f16", 'f', 2}, {"f32", 'f', 4}, {"f64", 'f', 8}, {"i8", 'i', 1},  {"i16", 'i', 2},
    {"i32", 'i', 4}, {"i64", 'i', 8}, {"u8", 'u', 1},  {"u16", 'u', 2}, {"u32", 'u', 4},
    {"u64", 'u', 8}, {"bool", 'b', 1},
};

constexpr const char* kSupported =
    "supported dtypes: <f2, <f4, <f8, |i1, <i2, <i4, <i8, |u1, <u2, <u4, <u8, |b1 (little-endian)";

// The header is a Python dict literal with string keys whose values are strings,
// booleans or tuples of integers; this parses exactly that.
struct HeaderValue {
  std::optional<std::string> str;
  std::optional<bool> boolean;
  std::optional<std::vector<int64_t>> tuple;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& file) : s_(text), file_(file) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> out;
    expect('{');
    while (true) {
      skipSpace();
      if (peek() == '}') break;
      std::string key = parseString();
      expect(':');
      out[key] = parseValue();
      skipSpace();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') bad(fmt::format("expected ',' or '}}' at offset {}", pos_));
    }
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& what) {
    fail(file_, fmt::format("malformed .npy header: {}", what),
         "the header must be a dict like {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }; "
         "write the file with numpy.save");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skipSpace();
    if (peek() != c) bad(fmt::format("expected '{}' at offset {}", c, pos_));
    ++pos_;
  }
  std::string parseString() {
    skipSpace();
    const char q = peek();
    if (q != '\'' && q != '"') bad(fmt::format("expected a quoted string at offset {}", pos_));
    const size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string v(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return v;
  }
  HeaderValue parseValue() {
    skipSpace();
    HeaderValue v;
    const char c = peek();
    if (c == '\'' || c == '"') {
      v.str = parseString();
    } else if (s_.substr(pos_, 4) == "True") {
      v.boolean = true;
      pos_ += 4;
    } else if (s_.substr(pos_, 5) == "False") {
      v.boolean = false;
      pos_ += 5;
    } else if (c == '(') {
      ++pos_;
      std::vector<int64_t> dims;
      while (true) {
        skipSpace();
        if (peek() == ')') break;
        if (!std::isdigit(static_cast<unsigned char>(peek())))
          bad(fmt::format("expected a dimension at offset {}", pos_));
        int64_t d = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
          if (d > (int64_t(1) << 50)) bad("dimension too large");
          d = d * 10 + (s_[pos_++] - '0');
        }
        if (peek() == 'L') ++pos_;  // Python 2 long suffix
        dims.push_back(d);
        skipSpace();
        if (peek() == ',') ++pos_;
        else if (peek() != ')') bad(fmt::format("expected ',' or ')' at offset {}", pos_));
      }
      ++pos_;
      v.tuple = std::move(dims);
    } else {
      bad(fmt::format("unexpected value at offset {}", pos_));
    }
    return v;
  }

  std::string_view s_;
  const std::string& file_;
  size_t pos_ = 0;
};

std::string shapeText(const std::vector<int64_t>& s) {
  if (s.empty()) return "()";
  std::string out;
  for (int64_t d : s) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

}  // namespace

std::string npyDescr(std::string_view dtype) {
  if (dtype == "bf16") return "<f4";
  for (const DescrMap& d : kDescrs)
    if (dtype == d.dtype) return fmt::format("{}{}{}", d.bytes == 1 ? '|' : '<', d.kind, d.bytes);
  return "";
}

golden::HostTensor parseNpy(std::string_view bytes, const std::string& file) {
  if (bytes.size() < kMagicLen + 2 || bytes.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    fail(file, "not a .npy file: missing the \\x93NUMPY magic",
         "write the file with numpy.save (np.savez .npz archives are not supported)");
  const unsigned major = static_cast<unsigned char>(bytes[6]);
  const unsigned minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail(file, fmt::format("unsupported .npy format version {}.{}", major, minor),
         "supported versions: 1.0, 2.0, 3.0");
  const size_t lenBytes = major == 1 ? 2 : 4;
  if (bytes.size() < kMagicLen + 2 + lenBytes)
    fail(file, fmt::format("truncated .npy file: {} bytes, the header length alone needs {}", bytes.size(),
                           kMagicLen + 2 + lenBytes),
         "the file is incomplete; write it again with numpy.save");
  size_t headerLen = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    headerLen |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const size_t dataStart = kMagicLen + 2 + lenBytes + headerLen;
  if (headerLen > kMaxHeaderBytes || dataStart > bytes.size())
    fail(file, fmt::format("truncated .npy header: header length {} but the file has {} bytes", headerLen,
                           bytes.size()),
         "the file is incomplete; write it again with numpy.save");
  std::string_view header = bytes.substr(kMagicLen + 2 + lenBytes, headerLen);
  auto dict = HeaderParser(header, file).parse();

  auto need = [&](const char* key) -> const HeaderValue& {
    auto it = dict.find(key);
    if (it == dict.end())
      fail(file, fmt::format("malformed .npy header: missing key '{}'", key),
           "the header needs 'descr', 'fortran_order' and 'shape'; write the file with numpy.save");
    return it->second;
  };
  const HeaderValue& descrV = need("descr");
  const HeaderValue& fortranV = need("fortran_order");
  const HeaderValue& shapeV = need("shape");
  if (!descrV.str) fail(file, "malformed .npy header: 'descr' is not a string", kSupported);
  if (!fortranV.boolean) fail(file, "malformed .npy header: 'fortran_order' is not True/False", "use numpy.save");
  if (!shapeV.tuple) fail(file, "malformed .npy header: 'shape' is not a tuple", "use numpy.save");
  if (*fortranV.boolean)
    fail(file, "Fortran-order (column-major) arrays are not supported",
         "save a C-order copy: numpy.save(path, numpy.ascontiguousarray(a))");

  const std::string& descr = *descrV.str;
  std::string dtype;
  if (descr.size() >= 3) {
    const char order = descr[0];
    const char kind = descr[1];
    const std::string sizeText = descr.substr(2);
    for (const DescrMap& d : kDescrs) {
      if (kind != d.kind || sizeText != std::to_string(d.bytes)) continue;
      const bool little = order == '<' || order == '=' || (order == '|' && d.bytes == 1) ||
                          (order == '>' && d.bytes == 1);
      if (little) dtype = d.dtype;
    }
  }
  if (dtype.empty())
    // Escaped: a NUL or control byte in the header must not cut the message (and its help)
    // short when printed.
    fail(file, fmt::format("unsupported .npy dtype '{}'", printable(descr)),
         std::string(kSupported) + "; convert with a.astype('<f4') or similar");

  golden::HostTensor t;
  t.dtype = dtype;
  t.shape = *shapeV.tuple;
  const size_t want = t.numel() * t.elemBytes();
  const size_t have = bytes.size() - dataStart;
  if (have < want)
    fail(file, fmt::format("truncated .npy data: shape {} of {} needs {} bytes, the file has {}",
                           shapeText(t.shape), descr, want, have),
         "the file is incomplete; write it again with numpy.save");
  if (have > want)
    fail(file, fmt::format("malformed .npy file: {} bytes of data after the header, shape {} of {} needs {}",
                           have, shapeText(t.shape), descr, want),
         "the header does not describe the data; write the file with numpy.save");
  t.bytes.resize(want);
  if (want) std::memcpy(t.bytes.data(), bytes.data() + dataStart, want);
  return t;
}

golden::HostTensor readNpy(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string bytes = readRegularFile(path, ".npy file", "pass the path of a readable .npy file");
  return parseNpy(bytes, file);
}

std::string npyBytes(const golden::HostTensor& t) {
  const std::string descr = npyDescr(t.dtype);
  if (descr.empty())
    throw UserError(makeError(SourceLoc{}, fmt::format("cannot write dtype '{}' as .npy", t.dtype))
                        .help(kSupported));
  std::string shape = "(";
  for (int64_t d : t.shape) shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1) shape.resize(shape.size() - 2);
  else if (t.shape.size() == 1) shape.resize(shape.size() - 1);  // "(5,)"
  shape += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  size_t prefix = kMagicLen + 2 + 2;
  if (header.size() + 1 + prefix > 0xffff) prefix = kMagicLen + 2 + 4;
  const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::string out(kMagic, kMagicLen);
  const size_t lenBytes = prefix - kMagicLen - 2;
  out += char(lenBytes == 2 ? 1 : 2);
  out += char(0);
  for (size_t i = 0; i < lenBytes; ++i) out += char((header.size() >> (8 * i)) & 0xff);
  out += header;
  if (t.dtype == "bf16") {  // NumPy has no bfloat16: widen to f32, which is exact
    for (size_t i = 0; i < t.numel(); ++i) {
      const float f = static_cast<float>(t.get(i));
      out.append(reinterpret_cast<const char*>(&f), sizeof f);
    }
  } else {
    out.append(reinterpret_cast<const char*>(t.bytes.data()), t.bytes.size());
  }
  return out;
}

void writeNpy(const std::filesystem::path& path, const golden::HostTensor& t) {
  const std::string bytes = npyBytes(t);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      fail(path.string(), fmt::format("cannot write .npy file: {}", std::strerror(errno)),
           "check that the output directory exists and is writable");
    out.write(bytes.data(), std::streamsize(bytes.size()));
    if (!out) fail(path.string(), "cannot write .npy file", "check free disk space");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail(path.string(), fmt::format("cannot write .npy file: {}", ec.message()), "check permissions");
}

}  // namespace pto::wsp::cli
