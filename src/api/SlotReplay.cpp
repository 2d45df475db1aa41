#include "pto/wsp/api/SlotReplay.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/support/FileRead.h"
#include "pto/wsp/support/JsonReader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>

namespace pto::wsp {
namespace {

constexpr std::string_view kFormat = "pto-wsp slot loads";
constexpr int kVersion = 2;  // 2: loads are [process, slot, value]
const char* const kHelp = "record the file with `ptowsp run --record-slots FILE` on the same module, target and arch";

}  // namespace

void writeSlotReplay(const std::filesystem::path& out, const Program& p) {
  // One load per line: a long run's file stays readable and diffable.
  nlohmann::json names = nlohmann::json::array(), procs = nlohmann::json::array();
  for (const abi::PlanSlot& s : p.plan().slots) names.push_back(s.name);
  for (const abi::PlanProcess& q : p.plan().processes) procs.push_back(q.name);
  std::string text = fmt::format("{{\n \"format\": {},\n \"version\": {},\n \"package_hash\": {},\n \"slots\": {},\n"
                                 " \"processes\": {},\n \"loads\": [",
                                 nlohmann::json(kFormat).dump(), kVersion,
                                 nlohmann::json(p.manifest().packageHash).dump(), names.dump(), procs.dump());
  const std::vector<rt::SlotLoad>& loads = p.slotLoads();
  for (size_t i = 0; i < loads.size(); ++i)
    text += fmt::format("{}\n  [{}, {}, {}]", i == 0 ? "" : ",", loads[i].process, loads[i].slot, loads[i].value);
  text += loads.empty() ? "]\n}\n" : "\n ]\n}\n";
  artifact::writeUserFile(out, text, "slot loads");
}

std::vector<rt::SlotLoad> readSlotReplay(const std::filesystem::path& in, const Program& p) {
  const std::string file = in.string();
  const std::string text = readRegularFile(in, "slot replay file", kHelp);
  const nlohmann::json j = parseJsonText(text, file, "slot replay file", kHelp);
  auto fail = [&](const std::string& ptr, std::string msg, std::string help = kHelp) {
    std::vector<Diagnostic> d{makeError(SourceLoc{file, 0, 0, ptr.empty() ? "/" : ptr}, std::move(msg)).help(help)};
    throw UserError(locateByPointer(std::move(d), text));
  };
  if (!j.is_object() || j.value("format", "") != kFormat)
    fail("", fmt::format("not a slot replay file (expected \"format\": \"{}\")", kFormat));
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int64_t>() != kVersion)
    fail("/version", fmt::format("unsupported slot replay version, expected {}", kVersion));
  const std::string& want = p.manifest().packageHash;
  if (!j.contains("package_hash") || !j["package_hash"].is_string())
    fail("/package_hash", "missing \"package_hash\" string");
  if (j["package_hash"].get<std::string>() != want)
    fail("/package_hash",
         fmt::format("slots recorded for package {}, this run's package is {}", j["package_hash"].get<std::string>(),
                     want));
  const auto& planSlots = p.plan().slots;
  if (!j.contains("slots") || !j["slots"].is_array() || j["slots"].size() != planSlots.size())
    fail("/slots", fmt::format("expected the plan's {} slot names", planSlots.size()));
  for (size_t i = 0; i < planSlots.size(); ++i)
    if (!j["slots"][i].is_string() || j["slots"][i].get<std::string>() != planSlots[i].name)
      fail(fmt::format("/slots/{}", i), fmt::format("expected slot name '{}'", planSlots[i].name));
  const auto& planProcs = p.plan().processes;
  if (!j.contains("processes") || !j["processes"].is_array() || j["processes"].size() != planProcs.size())
    fail("/processes", fmt::format("expected the plan's {} process names", planProcs.size()));
  for (size_t i = 0; i < planProcs.size(); ++i)
    if (!j["processes"][i].is_string() || j["processes"][i].get<std::string>() != planProcs[i].name)
      fail(fmt::format("/processes/{}", i), fmt::format("expected process name '{}'", planProcs[i].name));
  if (!j.contains("loads") || !j["loads"].is_array()) fail("/loads", "missing \"loads\" array");
  std::vector<rt::SlotLoad> loads;
  loads.reserve(j["loads"].size());
  for (size_t i = 0; i < j["loads"].size(); ++i) {
    const nlohmann::json& e = j["loads"][i];
    if (!e.is_array() || e.size() != 3 || !e[0].is_number_unsigned() || !e[1].is_number_unsigned() ||
        !e[2].is_number_unsigned() || e[0].get<uint64_t>() >= planProcs.size() ||
        e[1].get<uint64_t>() >= planSlots.size())
      fail(fmt::format("/loads/{}", i),
           fmt::format("a load is [process index below {}, slot index below {}, unsigned value]", planProcs.size(),
                       planSlots.size()));
    loads.push_back({static_cast<uint32_t>(e[0].get<uint64_t>()), static_cast<uint32_t>(e[1].get<uint64_t>()),
                     e[2].get<uint64_t>()});
  }
  return loads;
}

}  // namespace pto::wsp
