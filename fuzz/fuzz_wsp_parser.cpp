// libFuzzer target for the .wsp parser. For every input:
//  * parse either succeeds or throws UserError with located diagnostics (never crashes,
//    hangs or throws anything else);
//  * if it parses: print, reparse, and require parse(print(m)) == m and a stable print;
//  * the verifier runs on the parsed module without throwing.
// Any violation aborts, which libFuzzer reports as a crash with a reproducer.
#include "pto/wsp/ir/Verifier.h"
#include "pto/wsp/ir/text/Parser.h"
#include "pto/wsp/ir/text/Printer.h"
#include "pto/wsp/support/Diagnostic.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace pto::wsp;

namespace {
[[noreturn]] void die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_wsp_parser: %s\n%s\n", what, detail.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ir::Module m;
  try {
    m = ir::text::parse(text, "fuzz.wsp");
  } catch (const UserError& e) {
    if (e.diagnostics().empty()) die("UserError without diagnostics", "");
    for (const Diagnostic& d : e.diagnostics())
      if (d.loc.file != "fuzz.wsp" || d.loc.line == 0 || d.loc.col == 0)
        die("parse error without file:line:col", d.render());
    return 0;
  }
  std::string printed = ir::text::print(m);
  ir::Module back;
  try {
    back = ir::text::parse(printed, "printed.wsp");
  } catch (const UserError& e) {
    die("printed module does not parse", std::string(e.what()) + "\n--- printed:\n" + printed);
  }
  if (!(back == m)) die("parse(print(m)) != m", printed);
  std::string again = ir::text::print(back);
  if (again != printed) die("print is not stable", printed + "\n--- reprinted:\n" + again);
  DiagnosticList diags = ir::verify(m);
  (void)diags.render();
  return 0;
}
