#include "pto/wsp/arch/JsonLocation.h"

namespace pto::wsp::arch {

LineCol lineColOf(std::string_view text, size_t offset) {
  LineCol lc;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++lc.line;
      lc.col = 1;
    } else {
      ++lc.col;
    }
  }
  return lc;
}

namespace {

// Start offset of every value in (syntactically valid) JSON text, keyed by JSON pointer
// ("" = the root), so that semantic errors located by pointer also get line:col.
class PointerLocator {
 public:
  explicit PointerLocator(std::string_view t) : t_(t) {}
  std::map<std::string, size_t> run() {
    value("");
    return std::move(at_);
  }

 private:
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t')) ++i_;
  }
  std::string str() {  // at the opening quote; decodes \" and \\ only (enough for keys)
    std::string out;
    ++i_;
    while (i_ < t_.size() && t_[i_] != '"') {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) {
        ++i_;
        out += (t_[i_] == '"' || t_[i_] == '\\') ? t_[i_] : '?';
      } else {
        out += t_[i_];
      }
      ++i_;
    }
    ++i_;
    return out;
  }
  // Skips one nested value without recursion (deeply nested documents).
  void skip() {
    size_t depth = 0;
    do {
      if (t_[i_] == '"') {
        str();
        continue;
      }
      if (t_[i_] == '{' || t_[i_] == '[') ++depth;
      if ((t_[i_] == '}' || t_[i_] == ']') && depth > 0) --depth;
      ++i_;
    } while (i_ < t_.size() && depth > 0);
  }
  void value(const std::string& ptr, int depth = 0) {
    ws();
    if (i_ >= t_.size()) return;
    at_.emplace(ptr, i_);
    char c = t_[i_];
    if ((c == '{' || c == '[') && depth > 64) {
      skip();
      return;
    }
    if (c == '{') {
      ++i_;
      ws();
      while (i_ < t_.size() && t_[i_] != '}') {
        std::string k = str();
        ws();
        ++i_;  // ':'
        value(ptr + "/" + k, depth + 1);
        ws();
        if (i_ < t_.size() && t_[i_] == ',') ++i_;
        ws();
      }
      ++i_;
    } else if (c == '[') {
      ++i_;
      ws();
      for (size_t n = 0; i_ < t_.size() && t_[i_] != ']'; ++n) {
        value(ptr + "/" + std::to_string(n), depth + 1);
        ws();
        if (i_ < t_.size() && t_[i_] == ',') ++i_;
        ws();
      }
      ++i_;
    } else if (c == '"') {
      str();
    } else {
      while (i_ < t_.size() && t_[i_] != ',' && t_[i_] != '}' && t_[i_] != ']' && t_[i_] != ' ' &&
             t_[i_] != '\n' && t_[i_] != '\r' && t_[i_] != '\t')
        ++i_;
    }
  }
  std::string_view t_;
  size_t i_ = 0;
  std::map<std::string, size_t> at_;
};

}  // namespace

std::map<std::string, size_t> locateJsonPointers(std::string_view text) { return PointerLocator(text).run(); }

}  // namespace pto::wsp::arch
