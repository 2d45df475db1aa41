// ptowsp fmt FILE.wsp [-i [--drop-comments]]: print the canonical text of a module
// (parse only, no verify). The IR holds no comments, so the canonical text has none:
// rewriting a file that has comments needs --drop-comments.
#include "Command.h"
#include "WspFile.h"

#include "pto/wsp/ir/text/Printer.h"
#include "pto/wsp/support/Diagnostic.h"

#include "pto/wsp/support/FileRead.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace pto::wsp::cli {
namespace {

struct FmtOptions {
  std::string file;
  bool inPlace = false;
  bool dropComments = false;
};

// Location of the first `//` comment outside string literals, if any.
SourceLoc firstComment(const std::string& text, const std::string& file) {
  uint32_t line = 1, col = 1;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
        ++col;
      } else if (c == '"' || c == '\n') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      return SourceLoc{file, line, col, {}};
    }
    if (c == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {};
}

int runFmt(const FmtOptions& o) {
  std::string text = ir::text::print(parseWspFile(o.file));
  if (!o.inPlace) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (!o.dropComments) {
    SourceLoc c = firstComment(readRegularFile(o.file, "file", "check that the path is a readable .wsp file"), o.file);
    if (c.line != 0)
      throw UserError(makeError(c, "fmt -i would drop the comments of this file")
                          .help("the canonical text has no comments: pass --drop-comments to "
                                "rewrite anyway, or run 'ptowsp fmt FILE' to see the result"));
  }
  std::ofstream out(o.file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw UserError(makeError(SourceLoc{o.file, 0, 0, {}}, "cannot write file")
                        .help("check that the file is writable"));
  return 0;
}

PTOWSP_COMMAND("fmt", "print a .wsp module in canonical form", [](CLI::App& sub) {
  auto o = std::make_shared<FmtOptions>();
  sub.add_option("file", o->file, ".wsp file to format")->required();
  sub.add_flag("-i,--in-place", o->inPlace, "rewrite the file instead of printing it");
  sub.add_flag("--drop-comments", o->dropComments, "with -i: rewrite even if comments are lost");
  return [o] { return runFmt(*o); };
});

}  // namespace
}  // namespace pto::wsp::cli
