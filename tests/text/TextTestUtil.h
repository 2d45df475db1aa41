// Helpers shared by the text_tests sources.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <algorithm>

namespace pto::wsp::ir::text::testing {

inline std::filesystem::path sourceDir() { return PTO_WSP_SOURCE_DIR; }

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Sorted *.wsp files directly under `dir` (or one level down for examples/<name>/).
inline std::vector<std::filesystem::path> wspFiles(const std::filesystem::path& dir, bool nested) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (nested && e.is_directory()) {
      for (const auto& f : std::filesystem::directory_iterator(e.path()))
        if (f.path().extension() == ".wsp") out.push_back(f.path());
    } else if (!nested && e.path().extension() == ".wsp") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace pto::wsp::ir::text::testing
