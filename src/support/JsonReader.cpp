#include "pto/wsp/support/JsonReader.h"

#include <nlohmann/json.hpp>

namespace pto::wsp {

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

nlohmann::json parseJsonText(std::string_view text, const std::string& file, std::string_view what,
                             std::string_view help) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts the characters read, so the offending one is at e.byte - 1.
    LineCol lc = lineColOf(text, e.byte > 0 ? e.byte - 1 : 0);
    std::string reason = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line L, column C: ".
    if (auto pos = reason.find(": "); pos != std::string::npos && reason.find("parse error") < pos)
      reason = reason.substr(pos + 2);
    Diagnostic d = makeError(SourceLoc{file, lc.line, lc.col, {}}, std::string(what) + ": " + reason);
    d.help(std::string(help));
    throw UserError(std::move(d));
  }
}

std::vector<Diagnostic> locateByPointer(std::vector<Diagnostic> diags, std::string_view text) {
  std::map<std::string, size_t> at = locateJsonPointers(text);
  for (Diagnostic& d : diags) {
    auto it = at.find(d.loc.context == "/" ? std::string() : d.loc.context);
    if (d.loc.line != 0 || it == at.end()) continue;
    LineCol lc = lineColOf(text, it->second);
    d.loc.line = lc.line;
    d.loc.col = lc.col;
  }
  return diags;
}

}  // namespace pto::wsp
