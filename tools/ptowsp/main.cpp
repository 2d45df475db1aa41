// ptowsp: the PTO-WSP command-line driver (check, fmt, targets, arch, compile, run, ...).
#include "Command.h"

#include "pto/wsp/support/Diagnostic.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace pto::wsp::cli {
std::vector<CommandInfo>& commandRegistry() {
  static std::vector<CommandInfo> registry;
  return registry;
}
}  // namespace pto::wsp::cli

int main(int argc, char** argv) {
  using namespace pto::wsp::cli;
  CLI::App app{"ptowsp: PTO-WSP workload-schedule compiler and runtime"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ptowsp 0.1.0");

  auto& registry = commandRegistry();
  std::sort(registry.begin(), registry.end(),
            [](const CommandInfo& a, const CommandInfo& b) { return a.name < b.name; });
  std::vector<std::pair<CLI::App*, std::function<int()>>> actions;
  for (const CommandInfo& info : registry) {
    CLI::App* sub = app.add_subcommand(info.name, info.description);
    actions.emplace_back(sub, info.setup(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) return action();
  } catch (const pto::wsp::UserError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
