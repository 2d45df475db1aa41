// The data/ folder of an emitted ascend scene (docs/ascend.md): the inputs its
// test_<module>.py's generate_args loads and the cpu_sim outputs its compute_golden
// loads, as .npy. Written by `ptowsp compile --target ascend -o DIR` and by `ptowsp run
// --target ascend` into the tree they emit.
#pragma once

#include "Golden.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace pto::wsp::cli {

// Writes DIR/data/inputs/<tensor>.npy for every entry tensor of the tree's manifest but
// the task table (`start`'s data, zeros for tensors it lacks: temps and outputs start zeroed, as in
// cpu_sim) and DIR/data/golden/<tensor>.npy for every OUT / INOUT entry (`outputs`'s).
void writeSceneData(const std::filesystem::path& tree, const golden::TensorSet& start,
                    const golden::TensorSet& outputs);

// Runs `module` on cpu_sim (arch `arch`, "" = ascend910b) with the inputs `ptowsp run`
// uses by default (random, `seed`, the example golden's prepare()) and the symbols'
// defaults, then writes the tree's data/ from that run.
void writeSceneDataFromCpuSim(const std::filesystem::path& tree, const std::string& file, const std::string& arch,
                              const std::string& workload, const std::string& cacheDir, uint64_t seed);

}  // namespace pto::wsp::cli
