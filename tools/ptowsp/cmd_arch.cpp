// ptowsp arch list | show NAME|FILE.json [--json]: the architecture instances.
#include "Command.h"

#include "pto/wsp/arch/ArchJson.h"
#include "pto/wsp/arch/ArchRegistry.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

namespace {
using namespace pto::wsp;

std::function<int()> setupArch(CLI::App& sub) {
                 sub.require_subcommand(1);
                 CLI::App* list = sub.add_subcommand("list", "list the built-in architecture instances");
                 CLI::App* show = sub.add_subcommand("show", "print an instance (name or path to an arch JSON)");
                 auto spec = std::make_shared<std::string>();
                 auto asJson = std::make_shared<bool>(false);
                 show->add_option("arch", *spec, "built-in name (ptowsp arch list) or FILE.json")->required();
                 show->add_flag("--json", *asJson, "print the JSON form (docs/arch-json.md)");
                 return [list, show, spec, asJson]() -> int {
                   if (list->parsed()) {
                     for (std::string_view n : arch::builtinArchNames()) {
                       const arch::ArchModel& a = arch::builtinArch(n);
                       std::printf("%-12s %s\n", a.name.c_str(), a.description.c_str());
                     }
                     return 0;
                   }
                   if (show->parsed()) {
                     arch::ArchModel a = arch::resolveArch(*spec, SourceLoc{"<command line>", 0, 0, {}});
                     std::string out = *asJson ? arch::archToJsonText(a) : arch::formatArch(a);
                     std::fwrite(out.data(), 1, out.size(), stdout);
                     return 0;
                   }
                   return 2;
                 };
               }

PTOWSP_COMMAND("arch", "list the architecture instances or show one (built-in name or JSON file)", setupArch);
}  // namespace
