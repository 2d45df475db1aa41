// JSON form of an ArchModel (schema: docs/arch-json.md, version kArchSchemaVersion).
//
// Reading collects every problem before failing: a UserError whose diagnostics are
// located by file and JSON pointer (e.g. "my.json (in /units/2/bytes_per_cycle)"), or by
// file:line:col for syntax errors, each stating the expected type / legal values.
// All functions are pure and thread-safe.
#pragma once

#include "pto/wsp/arch/ArchModel.h"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pto::wsp::arch {

// Ordered as in docs/arch-json.md (converts to nlohmann::json implicitly if needed).
nlohmann::ordered_json archToJson(const ArchModel& a);
// Pretty-printed (2-space indent), trailing newline.
std::string archToJsonText(const ArchModel& a);

// `file` names the source in diagnostics (any label for in-memory text).
ArchModel archFromJson(const nlohmann::json& j, const std::string& file);
ArchModel parseArchJson(std::string_view text, const std::string& file);
// Reads and parses a file; an unreadable file is a located user error.
ArchModel loadArchFile(const std::string& path);
// Writes archToJsonText(a) to path (user error if it cannot be written).
void saveArchFile(const ArchModel& a, const std::string& path);

// One semantic problem of a model: where (JSON pointer), what, and what to do.
struct ArchProblem {
  std::string pointer;  // e.g. "/transfers/0/unit"
  std::string message;
  std::string help;
};
// Structural validation shared by the JSON reader and the built-in instances: positive
// clock/sizes, unique names, cross references (transfer/worker/group unit and memory
// names), unit kinds used where a kind is required, required transfers and syncs.
std::vector<ArchProblem> validateArch(const ArchModel& a);

}  // namespace pto::wsp::arch
