// TEST DOUBLE, not pto-runtime code: a recording implementation of the
// tensormap_and_ringbuffer orchestration API (pto_orchestration_api.h in this folder).
// It enforces the documented limits (16 tensors and 32 scalars per task, a scope below
// the 16384-task window, scope depth 64: a violation exits non-zero) and prints:
//   config <expected_arg_count>
//   scope <begin|end> <depth>
//   task <id> <kernel|dummy> <aiv|aic|-> ; <entry>+<elem offset>/<rows>x<cols>/<dir> ... ; <scalars> ; <deps>
// main(argc, argv): argv[1..] are the entry tensors' shapes ("64x512").
#include "pto_orchestration_api.h"

#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" PTO2OrchestrationConfig aicpu_orchestration_config(const ChipStorageTaskArgs& args);
extern "C" void aicpu_orchestration_entry(const ChipStorageTaskArgs& args);

namespace {
int64_t next = 0;
std::vector<int64_t> scopeTasks;  // tasks submitted in each open scope

TaskOutputTensors submit(const char* kernel, const char* core, const Arg& a) {
  if (a.uses.size() > 16 || a.scalars.size() > 32) {
    std::printf("error too many arguments\n");
    std::exit(3);
  }
  if (!scopeTasks.empty() && ++scopeTasks.back() >= 16384) {
    std::printf("error scope deadlock\n");
    std::exit(4);
  }
  const int64_t id = next++;
  std::printf("task %lld %s %s ;", static_cast<long long>(id), kernel, core);
  for (const Arg::Use& u : a.uses)
    std::printf(" %d+%lld/%ux%u/%s", u.t.entry, static_cast<long long>(u.t.offset), u.t.rows, u.t.cols, u.dir);
  std::printf(" ;");
  for (uint64_t s : a.scalars) std::printf(" %llu", static_cast<unsigned long long>(s));
  std::printf(" ;");
  for (PTO2TaskId d : a.deps) {
    if (d < 0 || d >= id) {
      std::printf("\nerror dependency on task %lld, which is not submitted yet\n", static_cast<long long>(d));
      std::exit(5);
    }
    std::printf(" %lld", static_cast<long long>(d));
  }
  std::printf("\n");
  return TaskOutputTensors{id};
}
}  // namespace

TaskOutputTensors rt_submit_aiv_task(int kernel_id, const Arg& a) {
  return submit(std::to_string(kernel_id).c_str(), "aiv", a);
}
TaskOutputTensors rt_submit_aic_task(int kernel_id, const Arg& a) {
  return submit(std::to_string(kernel_id).c_str(), "aic", a);
}
TaskOutputTensors rt_submit_dummy_task(const Arg& a) { return submit("dummy", "-", a); }

void rt_scope_begin() {
  scopeTasks.push_back(0);
  if (scopeTasks.size() > 64) std::exit(6);
  std::printf("scope begin %zu\n", scopeTasks.size());
}
void rt_scope_end() {
  std::printf("scope end %zu\n", scopeTasks.size());
  scopeTasks.pop_back();
}

int main(int argc, char** argv) {
  ChipStorageTaskArgs args;
  for (int i = 1; i < argc; ++i) {
    ContinuousTensor c;
    c.entry = i - 1;
    for (const char* p = argv[i]; *p;) {
      char* end = nullptr;
      c.shapes.push_back(static_cast<uint32_t>(std::strtoul(p, &end, 10)));
      p = *end == 'x' ? end + 1 : end;
    }
    args.tensors.push_back(c);
  }
  std::printf("config %d\n", aicpu_orchestration_config(args).expected_arg_count);
  rt_scope_begin();  // the entry runs inside an outer scope
  aicpu_orchestration_entry(args);
  rt_scope_end();
  return 0;
}
