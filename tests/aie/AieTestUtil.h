// Helpers of the aie target tests: modules from examples or inline text, the mapping on
// npu1_4col, and the MLIR checker script (tests/aie/check_module.py, mlir-opt-19).
#pragma once

#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/target/aie/AieDevice.h"
#include "pto/wsp/target/aie/AieEmitter.h"
#include "pto/wsp/target/aie/AieMapping.h"
#include "pto/wsp/target/aie/AieResources.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pto::wsp::target::aie::testing {

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::filesystem::path examplePath(const std::string& name) {
  return std::filesystem::path(PTO_WSP_SOURCE_DIR) / "examples" / name / (name + ".wsp");
}

inline ir::Module parseVerified(const std::string& text, const std::string& file) {
  ir::Module m = ir::text::parse(text, file);
  ir::verifyOrThrow(m);
  return m;
}

inline AieDevice npu1() { return AieDevice::npu1(*arch::findBuiltinArch("aie_npu1")); }

inline Mapping mapText(const std::string& text, const std::string& file = "test.wsp") {
  const ir::Module m = parseVerified(text, file);
  return mapWorkload(m, m.workloads.front(), npu1());
}

// Writes `text` under the build tree and returns its path.
inline std::filesystem::path writeModule(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::path(PTO_WSP_BINARY_DIR) / "aie_test_modules";
  std::filesystem::create_directories(dir);
  const auto p = dir / (name + ".mlir");
  std::ofstream(p) << text;
  return p;
}

// Exit status of check_module.py on `p` ("" = every check, else calls / plain / irdl).
inline int runChecker(const std::filesystem::path& p, const std::string& only = "") {
  std::string cmd = "/usr/bin/python3 " + std::string(PTO_WSP_SOURCE_DIR) + "/tests/aie/check_module.py ";
  if (!only.empty()) cmd += "--only " + only + " ";
  cmd += "'" + p.string() + "' > '" + p.string() + ".check.txt' 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string checkerOutput(const std::filesystem::path& p) { return readFile(p.string() + ".check.txt"); }

// The first diagnostic of the UserError `f` throws ("" message if it does not throw).
template <class F>
Diagnostic firstError(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.diagnostics().front();
  }
  return {};
}

}  // namespace pto::wsp::target::aie::testing
