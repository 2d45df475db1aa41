// StarPU, a heterogeneous task runtime from the same field as the Engine, as a comparator
// of bench_runtime: the chain and fan-out/fan-in shapes of empty tasks, dependencies
//   - implicit, from access modes on data handles (StarPU's sequential consistency, its
//     counterpart of the TensorMap), or
//   - explicit, by tags (starpu_tag_declare_deps, the counterpart of explicit edges).
// Every run checks its own result (the data handles' final values, the order the tasks
// ran in, how many ran) and aborts when it is wrong.
//
// Built only when pkg-config finds starpu-1.3 at configure time (PTO_WSP_HAVE_STARPU);
// otherwise starpuAvailable() is false and bench_runtime says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

bool starpuAvailable();
// Why StarPU is absent, or its version and scheduler when present.
std::string starpuDescription();

// Each call starts StarPU with `workers` CPU workers, runs one shape and shuts it down
// (outside the timed part), so StarPU's threads never compete with the other runs.
// At most `window` tasks are submitted and not yet done (STARPU_LIMIT_MAX_SUBMITTED_TASKS,
// unless set): memory stays bounded as in the Engine. Returns ns/task of submission +
// execution until every task has run.
double starpuChain(size_t tasks, uint32_t workers, uint32_t window, bool tags);
double starpuFan(size_t blocks, uint32_t width, uint32_t workers, uint32_t window, bool tags);

}  // namespace bench
