// ptowsp targets [--json]: each target's capability matrix (docs/capabilities.md).
#include "Command.h"

#include "pto/wsp/arch/Capability.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>

namespace {
using namespace pto::wsp;

std::function<int()> setupTargets(CLI::App& sub) {
                 auto asJson = std::make_shared<bool>(false);
                 auto only = std::make_shared<std::string>();
                 sub.add_option("target", *only, "print only this target (cpu_sim, ascend, aie)");
                 sub.add_flag("--json", *asJson, "print JSON");
                 return [asJson, only]() -> int {
                   std::vector<const arch::CapabilityMatrix*> ms;
                   if (!only->empty())
                     ms.push_back(&arch::capabilities(*only, SourceLoc{"<command line>", 0, 0, {}}));  // unknown -> UserError listing targets
                   else
                     for (std::string_view t : arch::knownTargets()) ms.push_back(&arch::capabilities(t));
                   std::string out;
                   if (*asJson) {
                     nlohmann::ordered_json j = nlohmann::ordered_json::array();
                     for (const auto* m : ms) j.push_back(arch::capabilitiesToJson(*m));
                     out = j.dump(2) + "\n";
                   } else {
                     out = "support levels: enforced = implemented exactly; recorded = kept in the artifact, no "
                           "effect; diagnosed = ignored with one warning; unsupported = compile error\n";
                     for (const auto* m : ms) out += "\n" + m->table();
                   }
                   std::fwrite(out.data(), 1, out.size(), stdout);
                   return 0;
                 };
               }

PTOWSP_COMMAND("targets", "print each target's capability matrix (schedule directives, CSP, predicates)", setupTargets);
}  // namespace
