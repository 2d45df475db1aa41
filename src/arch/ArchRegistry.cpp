#include "pto/wsp/arch/ArchRegistry.h"

#include "pto/wsp/arch/ArchJson.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <array>

namespace pto::wsp::arch {

namespace {
constexpr std::array<std::string_view, 3> kNames{"ascend910b", "aie_npu1", "host_cpu"};

struct Builtins {
  std::array<ArchModel, 3> models{makeAscend910b(), makeAieNpu1(), makeHostCpu()};
  Builtins() {
    for (const ArchModel& m : models) {
      auto problems = validateArch(m);
      PTO_INTERNAL_ASSERT(problems.empty(), "built-in arch '{}' is invalid at {}: {}", m.name,
                          problems.empty() ? "" : problems[0].pointer,
                          problems.empty() ? "" : problems[0].message);
    }
  }
};
const Builtins& builtins() {
  static const Builtins b;  // thread-safe static init
  return b;
}
}  // namespace

std::span<const std::string_view> builtinArchNames() { return kNames; }

const ArchModel* findBuiltinArch(std::string_view name) {
  for (const ArchModel& m : builtins().models)
    if (m.name == name) return &m;
  return nullptr;
}

const ArchModel& builtinArch(std::string_view name, const SourceLoc& loc) {
  if (const ArchModel* m = findBuiltinArch(name)) return *m;
  Diagnostic d = makeError(loc, fmt::format("unknown arch '{}'", name));
  d.help(fmt::format("known archs: {}; or pass a path to an arch JSON file (docs/arch-json.md)",
                     fmt::join(kNames, ", ")));
  throw UserError(std::move(d));
}

ArchModel resolveArch(std::string_view spec, const SourceLoc& loc) {
  bool isPath = spec.find('/') != std::string_view::npos ||
                (spec.size() >= 5 && spec.substr(spec.size() - 5) == ".json");
  if (isPath) return loadArchFile(std::string(spec));
  return builtinArch(spec, loc);
}

}  // namespace pto::wsp::arch
