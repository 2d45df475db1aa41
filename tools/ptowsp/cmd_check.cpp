// ptowsp check FILE.wsp [--print]: parse + verify a module; exit 0, or 1 with located
// diagnostics on stderr.
#include "Command.h"
#include "WspFile.h"

#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Printer.h"

#include <cstdio>

namespace pto::wsp::cli {
namespace {

struct CheckOptions {
  std::string file;
  bool print = false;
};

int runCheck(const CheckOptions& o) {
  ir::Module m = parseWspFile(o.file);  // throws UserError (rendered by main)
  DiagnosticList diags = ir::verify(m);
  if (!diags.empty()) std::fprintf(stderr, "%s\n", diags.render().c_str());
  if (diags.hasErrors()) return 1;
  if (o.print) std::fputs(ir::text::print(m).c_str(), stdout);
  return 0;
}

PTOWSP_COMMAND("check", "parse and verify a .wsp module", [](CLI::App& sub) {
  auto o = std::make_shared<CheckOptions>();
  sub.add_option("file", o->file, ".wsp file to check")->required();
  sub.add_flag("--print", o->print, "print the verified module in canonical form");
  return [o] { return runCheck(*o); };
});

}  // namespace
}  // namespace pto::wsp::cli
