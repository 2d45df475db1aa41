// Subcommand registry for the ptowsp CLI. Each cmd_<name>.cpp defines one subcommand
// and registers it with a static PTOWSP_COMMAND(...) object, so adding a command never
// edits main.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace pto::wsp::cli {

// setup() adds options to the subcommand and returns the action to run when the
// subcommand is selected; the action returns the process exit code.
using CommandSetup = std::function<std::function<int()>(CLI::App& sub)>;

struct CommandInfo {
  std::string name;
  std::string description;
  CommandSetup setup;
};

std::vector<CommandInfo>& commandRegistry();

struct RegisterCommand {
  RegisterCommand(std::string name, std::string description, CommandSetup setup) {
    commandRegistry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace pto::wsp::cli

#define PTOWSP_CONCAT2(a, b) a##b
#define PTOWSP_CONCAT(a, b) PTOWSP_CONCAT2(a, b)
#define PTOWSP_COMMAND(name, desc, setup) \
  static ::pto::wsp::cli::RegisterCommand PTOWSP_CONCAT(ptowsp_cmd_, __LINE__)(name, desc, setup)
