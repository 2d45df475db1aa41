// ptowsp: the PTO-WSP command-line driver (check, fmt, targets, arch, compile, run, ...).
#include "Command.h"

#include "pto/wsp/support/Diagnostic.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <memory>
#include <string>

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

  // CLI11 reports an unknown first word as "A subcommand is required"; name it and list
  // the subcommands instead (flags such as --help and --version still go to CLI11).
  if (argc >= 2 && argv[1][0] != '-') {
    const std::string word = argv[1];
    const bool known = std::any_of(registry.begin(), registry.end(),
                                   [&](const CommandInfo& info) { return info.name == word; });
    if (!known) {
      std::string names;
      for (const CommandInfo& info : registry) names += (names.empty() ? "" : ", ") + info.name;
      std::fprintf(stderr, "<command line>: error: unknown subcommand '%s'\n<command line>: note: help: subcommands: %s\n",
                   word.c_str(), names.c_str());
      return 1;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  int rc = 0;
  try {
    for (auto& [sub, action] : actions)
      if (sub->parsed()) {
        rc = action();
        break;
      }
  } catch (const pto::wsp::UserError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    rc = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = 1;
  }
  // Output that did not reach stdout (a full disk, a closed pipe, /dev/full) is a failed
  // command, not a silent success.
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int err = errno;
    std::fprintf(stderr, "<stdout>: error: cannot write the output: %s\n<stdout>: note: help: %s\n",
                 err ? std::strerror(err) : "write error",
                 "redirect stdout to a writable file or pipe");
    return 1;
  }
  return rc;
}
