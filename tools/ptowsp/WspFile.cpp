#include "WspFile.h"

#include "pto/wsp/ir/text/Lexer.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace pto::wsp::cli {

ir::Module parseWspFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UserError(makeError(SourceLoc{path, 0, 0, {}},
                              fmt::format("cannot open file: {}", std::strerror(errno)))
                        .help("check the path; .wsp files are text modules, see docs/wsp-format.md"));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, size_t(in.gcount()));
    if (text.size() > ir::text::kMaxInputBytes)
      throw UserError(makeError(SourceLoc{path, 0, 0, {}},
                                fmt::format("file is larger than {} bytes", ir::text::kMaxInputBytes))
                          .help("split the module into smaller files"));
  }
  if (in.bad())
    throw UserError(makeError(SourceLoc{path, 0, 0, {}}, "cannot read file")
                        .help("check that the path is a readable file"));
  return ir::text::parse(text, path);
}

}  // namespace pto::wsp::cli
