// The data/ folder of an emitted ascend scene (SceneData.h).
#include "SceneData.h"

#include "HostInputs.h"
#include "Npy.h"
#include "OpenProgram.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace pto::wsp::cli {

namespace fs = std::filesystem;

void writeSceneData(const fs::path& tree, const golden::TensorSet& start, const golden::TensorSet& outputs) {
  std::ifstream in(tree / "pto_wsp_manifest.json");
  const nlohmann::json m = nlohmann::json::parse(in);
  fs::create_directories(tree / "data" / "inputs");
  fs::create_directories(tree / "data" / "golden");
  // The task table is an entry tensor too, but it has its own file (the manifest's
  // task_table source), which test_<module>.py reads.
  const std::string table = m.contains("task_table") ? m["task_table"].value("entry", std::string()) : std::string();
  for (const nlohmann::json& e : m.at("entry_tensors")) {
    const std::string name = e.at("name");
    if (name == table) continue;
    auto it = start.find(name);
    writeNpy(tree / "data" / "inputs" / (name + ".npy"),
             it != start.end() ? it->second
                               : golden::HostTensor::make(e.at("dtype").get<std::string>(),
                                                          e.at("shape").get<std::vector<int64_t>>()));
    if (e.at("direction") == "IN") continue;
    auto out = outputs.find(name);
    PTO_INTERNAL_ASSERT(out != outputs.end(), "entry tensor '{}' ({}) has no cpu_sim output", name,
                        e.at("direction").get<std::string>());
    writeNpy(tree / "data" / "golden" / (name + ".npy"), out->second);
  }
}

void writeSceneDataFromCpuSim(const fs::path& tree, const std::string& file, const std::string& arch,
                              const std::string& workload, const std::string& cacheDir, uint64_t seed) {
  Program p = openProgram({file, "cpu_sim", false, arch.empty() ? "ascend910b" : arch, workload, cacheDir});
  const RunValues values = resolveRunValues(p.plan(), {});
  RunTensors tensors = allocateTensors(p.manifest().abi, values.symbols, &p.plan());
  fillInputs(tensors, InputSpec{}, seed);
  if (const golden::Golden* g = golden::findGolden(p.module().name); g && g->prepare) g->prepare(tensors.all);
  const golden::TensorSet start = tensors.all;  // before the run overwrites outputs and inouts
  for (auto& [name, t] : tensors.all) p.bind(name, t.bytes.data(), t.bytes.size());
  p.execute();
  p.synchronize();
  golden::TensorSet inputs;
  for (const std::string& name : tensors.inputs) inputs[name] = start.at(name);
  writeSceneData(tree, inputs, tensors.all);
}

}  // namespace pto::wsp::cli
