// TEST DOUBLE, not pto-runtime code: the host_build_graph orchestration API as the
// project reads it (../shared/design/PTO-RUNTIME.md section 2), declared here so that
// emitted orchestrations compile and run in CI without a pto-runtime checkout. The
// functions are defined by the recording implementation (RecordingRuntime.cc, not globbed into the test binary), which
// prints every call. Names and signatures follow the documented ABI; layouts do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

enum class CoreType : int { AIC = 0, AIV = 1 };

struct ContinuousTensor {
  void* data = nullptr;  // host address
  size_t bytes = 0;
  size_t nbytes() const { return bytes; }
  template <typename T>
  T* data_as() const { return static_cast<T*>(data); }
};

struct ChipStorageTaskArgs {
  std::vector<ContinuousTensor> tensors;
  std::vector<uint64_t> scalars;
  int tensor_count() const { return static_cast<int>(tensors.size()); }
  int scalar_count() const { return static_cast<int>(scalars.size()); }
  const ContinuousTensor& tensor(int i) const { return tensors.at(static_cast<size_t>(i)); }
  uint64_t scalar(int i) const { return scalars.at(static_cast<size_t>(i)); }
};

struct OrchestrationRuntime;

int add_task(OrchestrationRuntime* rt, uint64_t* args, int num_args, int func_id, CoreType core_type);
void add_successor(OrchestrationRuntime* rt, int from, int to);
void* device_malloc(OrchestrationRuntime* rt, size_t size);
void device_free(OrchestrationRuntime* rt, void* p);
int copy_to_device(OrchestrationRuntime* rt, void* dev, const void* host, size_t size);
void record_tensor_pair(OrchestrationRuntime* rt, void* host, void* dev, size_t size);
int get_task_count(OrchestrationRuntime* rt);
