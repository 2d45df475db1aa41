// ptowsp targets [--json] [TARGET]: what the target registry holds (target/Target.h):
// each target's summary, whether it runs here, and its capability matrix with its [ops]
// rows
// (docs/capabilities.md).
#include "Command.h"

#include "pto/wsp/arch/Capability.h"
#include "pto/wsp/target/Target.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace {
using namespace pto::wsp;

std::function<int()> setupTargets(CLI::App& sub) {
                 auto asJson = std::make_shared<bool>(false);
                 auto only = std::make_shared<std::string>();
                 sub.add_option("target", *only, "print only this target (`ptowsp targets` lists them)");
                 sub.add_flag("--json", *asJson, "print JSON");
                 return [asJson, only]() -> int {
                   const target::TargetRegistry& reg = target::TargetRegistry::global();
                   std::vector<const target::Target*> ts;
                   if (!only->empty())
                     ts.push_back(&reg.get(*only, SourceLoc{"<command line>", 0, 0, {}}));  // unknown -> UserError listing targets
                   else
                     ts = reg.all();
                   std::string out;
                   if (*asJson) {
                     nlohmann::ordered_json j = nlohmann::ordered_json::array();
                     for (const target::Target* t : ts) {
                       nlohmann::ordered_json e = arch::capabilitiesToJson(t->capabilities());
                       e["ops"] = arch::opsToJson(t->capabilities());
                       e["summary"] = t->summary();
                       e["runs"] = t->canRun();
                       j.push_back(std::move(e));
                     }
                     out = j.dump(2) + "\n";
                   } else {
                     out = "support levels: enforced = implemented exactly; recorded = kept in the artifact, no "
                           "effect; diagnosed = ignored with one warning; unsupported = compile error\n";
                     for (const target::Target* t : ts)
                       out += fmt::format("\n{}: {} ({})\n{}", t->name(), t->summary(),
                                          t->canRun() ? "compiles and runs here" : "does not run here",
                                          t->capabilities().table());
                   }
                   std::fwrite(out.data(), 1, out.size(), stdout);
                   return 0;
                 };
               }

PTOWSP_COMMAND("targets", "list the registered targets and their capability matrices (schedule directives, CSP, predicates, tile ops)", setupTargets);
}  // namespace
