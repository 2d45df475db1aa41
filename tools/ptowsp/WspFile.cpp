#include "WspFile.h"

#include "pto/wsp/ir/text/Lexer.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/FileRead.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

namespace pto::wsp::cli {

ir::Module parseWspFile(const std::string& path) {
  if (std::optional<std::string> why = regularFileProblem(path, ir::text::kMaxInputBytes)) {
    const bool missing = !std::filesystem::exists(path);
    throw UserError(makeError(SourceLoc{path, 0, 0, {}},
                              fmt::format("cannot open file: {}", missing ? "No such file or directory" : *why))
                        .help(fmt::format("pass a regular .wsp text file of at most {} bytes, see docs/wsp-format.md",
                                          ir::text::kMaxInputBytes)));
  }
  const std::string text = readRegularFile(path, "file", "check that the path is a readable .wsp file",
                                           ir::text::kMaxInputBytes);
  return ir::text::parse(text, path);
}

}  // namespace pto::wsp::cli
