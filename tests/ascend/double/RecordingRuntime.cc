// TEST DOUBLE, not pto-runtime code: a recording implementation of the host_build_graph
// orchestration API (orchestration_api.h in this folder). It enforces the documented
// limits the way pto-runtime does (16 args -> -1; more than 128 successors: the edge is
// dropped) and prints one line per call, so the conformance test sees exactly what a
// real runtime would have kept:
//   alloc <i> <bytes>            device_malloc (buffer i lives at (i + 1) << 40)
//   copy <i> <host|zeros> <n> <bytes>   copy_to_device into buffer i (host: entry tensor n)
//   record <n> <i> <bytes>       record_tensor_pair (entry tensor n <- buffer i)
//   task <id> <func> <core> <words...>   add_task; a word inside buffer i prints as b<i>+<byte offset>
//   edge <from> <to>             add_successor that was kept
//   dropped <from> <to>          add_successor beyond 128 successors (pto-runtime only logs it)
// main(argc, argv): argv[1..] are the entry tensors' byte sizes, or "@FILE" for the task
// table (FILE holds its text: '#' comments, decimal words); exit code = the entry's
// return value.
#include "orchestration_api.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#ifndef PTO_WSP_ENTRY
#error "define PTO_WSP_ENTRY to the orchestration's function_name"
#endif

extern "C" int PTO_WSP_ENTRY(OrchestrationRuntime* rt, const ChipStorageTaskArgs& args);

struct OrchestrationRuntime {
  std::vector<size_t> buffers;
  std::vector<const void*> hosts;
  std::vector<int> fanout;
};

namespace {
constexpr int kShift = 40;
void word(uint64_t w) {
  const uint64_t b = w >> kShift;
  if (b >= 1 && b <= 4096) std::printf(" b%llu+%llu", static_cast<unsigned long long>(b - 1),
                                       static_cast<unsigned long long>(w & ((uint64_t{1} << kShift) - 1)));
  else std::printf(" %llu", static_cast<unsigned long long>(w));
}
}  // namespace

int add_task(OrchestrationRuntime* rt, uint64_t* args, int num_args, int func_id, CoreType core_type) {
  if (num_args > 16 || rt->fanout.size() >= 131072) return -1;
  const int id = static_cast<int>(rt->fanout.size());
  rt->fanout.push_back(0);
  std::printf("task %d %d %s", id, func_id, core_type == CoreType::AIC ? "aic" : "aiv");
  for (int i = 0; i < num_args; ++i) word(args[i]);
  std::printf("\n");
  return id;
}

void add_successor(OrchestrationRuntime* rt, int from, int to) {
  if (rt->fanout.at(static_cast<size_t>(from)) >= 128) {
    std::printf("dropped %d %d\n", from, to);
    return;
  }
  ++rt->fanout[static_cast<size_t>(from)];
  std::printf("edge %d %d\n", from, to);
}

void* device_malloc(OrchestrationRuntime* rt, size_t size) {
  rt->buffers.push_back(size);
  std::printf("alloc %zu %zu\n", rt->buffers.size() - 1, size);
  return reinterpret_cast<void*>(static_cast<uintptr_t>(rt->buffers.size()) << kShift);
}

void device_free(OrchestrationRuntime*, void*) {}

static long bufferOf(void* dev) { return static_cast<long>((reinterpret_cast<uintptr_t>(dev) >> kShift) - 1); }

int copy_to_device(OrchestrationRuntime* rt, void* dev, const void* host, size_t size) {
  long entry = -1;
  for (size_t i = 0; i < rt->hosts.size(); ++i)
    if (rt->hosts[i] == host) entry = static_cast<long>(i);
  if (entry >= 0) std::printf("copy %ld host %ld %zu\n", bufferOf(dev), entry, size);
  else std::printf("copy %ld zeros -1 %zu\n", bufferOf(dev), size);
  return 0;
}

void record_tensor_pair(OrchestrationRuntime* rt, void* host, void* dev, size_t size) {
  long entry = -1;
  for (size_t i = 0; i < rt->hosts.size(); ++i)
    if (rt->hosts[i] == host) entry = static_cast<long>(i);
  std::printf("record %ld %ld %zu\n", entry, bufferOf(dev), size);
}

int get_task_count(OrchestrationRuntime* rt) { return static_cast<int>(rt->fanout.size()); }

int main(int argc, char** argv) {
  OrchestrationRuntime rt;
  ChipStorageTaskArgs args;
  std::vector<std::vector<char>> host(static_cast<size_t>(argc > 1 ? argc - 1 : 0));
  std::vector<uint64_t> table;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] == '@') {
      std::ifstream f(argv[i] + 1);
      for (std::string line; std::getline(f, line);) {
        std::istringstream ls(line.substr(0, line.find('#')));
        for (std::string w; ls >> w;) table.push_back(std::stoull(w));
      }
      args.tensors.push_back({table.data(), table.size() * sizeof(uint64_t)});
      rt.hosts.push_back(table.data());
      continue;
    }
    host[static_cast<size_t>(i - 1)].resize(std::strtoull(argv[i], nullptr, 10) + 1);
    args.tensors.push_back({host[static_cast<size_t>(i - 1)].data(), host[static_cast<size_t>(i - 1)].size() - 1});
    rt.hosts.push_back(host[static_cast<size_t>(i - 1)].data());
  }
  return PTO_WSP_ENTRY(&rt, args);
}
