// TEST DOUBLE, not pto-runtime code: a recording implementation of the
// tensormap_and_ringbuffer orchestration API (pto_orchestration_api.h in this folder).
// It enforces the documented limits (16 tensors and 32 scalars per task, at most W - 1
// tasks in one scope for a ring of W = $PTO2_RING_TASK_WINDOW slots (16384 when unset),
// scope depth 64: a violation exits non-zero) and models pto-runtime's ring slot reuse:
// a task that depends on a producer whose scope has already ended, fewer than W tasks
// earlier, is an error (exit 7), because pto-runtime may consume that producer, retire it
// and hand its slot to task producer + W before it wires the consumer, which then waits on
// the wrong task (docs/ascend.md). Its dependencies are pto-runtime's: the explicit ones
// plus, for every IN / INOUT view, every earlier task that wrote (OUT / INOUT) an
// overlapping region (the TensorMap's rule, without its removals: a superset). It prints:
//   config <expected_arg_count>
//   scope <begin|end> <depth>
//   task <id> <kernel|dummy> <aiv|aic|-> ; <entry>+<elem offset>/<rows>x<cols>/<dir> ... ; <scalars> ; <deps>
// main(argc, argv): argv[1..] are the entry tensors' shapes ("64x512"), or "@FILE" for
// the task table (FILE holds its text: '#' comments, decimal words).
#include "pto_orchestration_api.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

extern "C" PTO2OrchestrationConfig aicpu_orchestration_config(const ChipStorageTaskArgs& args);
extern "C" void aicpu_orchestration_entry(const ChipStorageTaskArgs& args);

namespace {
int64_t next = 0;
int64_t window = 16384;           // the ring's slots (PTO2_RING_TASK_WINDOW)
std::vector<int64_t> scopeTasks;  // tasks submitted in each open scope
std::vector<int64_t> openScopes;  // serials of the open scopes, innermost last
int64_t scopeSerial = 0;
std::vector<bool> scopeEnded;     // by serial

struct Region {
  int entry;
  int64_t r0, c0, rows, cols;
  bool write;
};
struct Submitted {
  std::vector<Region> regions;
  int64_t scope;  // the innermost scope it was submitted in: the one holding its slot
};
std::vector<Submitted> submitted;

Region regionOf(const Arg::Use& u) {
  const int64_t rs = u.t.rowStride > 0 ? u.t.rowStride : 1;
  return {u.t.entry, u.t.offset / rs, u.t.offset % rs, u.t.rows, u.t.cols, std::string(u.dir) != "IN"};
}
bool overlap(const Region& a, const Region& b) {
  return a.entry == b.entry && a.r0 < b.r0 + b.rows && b.r0 < a.r0 + a.rows && a.c0 < b.c0 + b.cols &&
         b.c0 < a.c0 + a.cols;
}

// A producer whose scope has ended can be consumed before this task is wired; within the
// window its slot can then belong to a later task.
void checkSlot(int64_t id, int64_t producer) {
  if (id - producer < window && scopeEnded[static_cast<size_t>(submitted[static_cast<size_t>(producer)].scope)]) {
    std::printf("\nerror task %lld depends on task %lld, whose scope ended before it was submitted: its ring slot can "
                "be reused within the window of %lld\n",
                static_cast<long long>(id), static_cast<long long>(producer), static_cast<long long>(window));
    std::exit(7);
  }
}

TaskOutputTensors submit(const char* kernel, const char* core, const Arg& a) {
  if (a.uses.size() > 16 || a.scalars.size() > 32) {
    std::printf("error too many arguments\n");
    std::exit(3);
  }
  // check_scope_can_accept_task: a scope holds at most window - 1 tasks.
  if (!scopeTasks.empty() && ++scopeTasks.back() > window - 1) {
    std::printf("error scope deadlock: %lld tasks in one scope, ring of %lld\n",
                static_cast<long long>(scopeTasks.back()), static_cast<long long>(window));
    std::exit(4);
  }
  const int64_t id = next++;
  Submitted me{{}, openScopes.empty() ? -1 : openScopes.back()};
  for (const Arg::Use& u : a.uses) {
    const Region r = regionOf(u);
    if (std::string(u.dir) != "OUT")  // the TensorMap looks up IN and INOUT views
      for (int64_t j = 0; j < id; ++j)
        for (const Region& w : submitted[static_cast<size_t>(j)].regions)
          if (w.write && overlap(r, w)) {
            checkSlot(id, j);
            break;
          }
    me.regions.push_back(r);
  }
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
    checkSlot(id, d);
  }
  std::printf("\n");
  submitted.push_back(std::move(me));
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
  openScopes.push_back(scopeSerial++);
  scopeEnded.push_back(false);
  if (scopeTasks.size() > 64) std::exit(6);
  std::printf("scope begin %zu\n", scopeTasks.size());
}
void rt_scope_end() {
  std::printf("scope end %zu\n", scopeTasks.size());
  scopeTasks.pop_back();
  scopeEnded[static_cast<size_t>(openScopes.back())] = true;
  openScopes.pop_back();
}

void pto_wsp_double_fatal(int code, const char* fmt) {
  std::printf("error fatal %d %s\n", code, fmt);
  std::exit(8);
}

int main(int argc, char** argv) {
  if (const char* w = std::getenv("PTO2_RING_TASK_WINDOW")) window = std::strtoll(w, nullptr, 10);
  ChipStorageTaskArgs args;
  std::vector<uint64_t> table;
  for (int i = 1; i < argc; ++i) {
    ContinuousTensor c;
    c.entry = i - 1;
    if (argv[i][0] == '@') {
      std::ifstream f(argv[i] + 1);
      for (std::string line; std::getline(f, line);) {
        std::istringstream ls(line.substr(0, line.find('#')));
        for (std::string w; ls >> w;) table.push_back(std::stoull(w));
      }
      c.shapes.push_back(static_cast<uint32_t>(table.size()));
      c.data = table.data();
      c.bytes = table.size() * sizeof(uint64_t);
      args.tensors.push_back(c);
      continue;
    }
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
