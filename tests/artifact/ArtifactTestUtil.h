// Shared helpers for artifact tests: a private temporary cache directory per test and
// tiny kernel sources.
#pragma once

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace pto::wsp::artifact::test {

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ptowsp-artifact-test-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) std::abort();
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// extern "C" int <symbol>(int x) { return x * factor + bias; }
inline std::string scaleKernel(const std::string& symbol, int factor, int bias = 0) {
  return fmt::format("extern \"C\" int {}(int x) {{ return x * {} + {}; }}\n", symbol, factor, bias);
}

// Files in `dir` whose name contains `needle`.
inline std::vector<std::filesystem::path> filesContaining(const std::filesystem::path& dir,
                                                          const std::string& needle) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().filename().string().find(needle) != std::string::npos) out.push_back(e.path());
  return out;
}

}  // namespace pto::wsp::artifact::test
