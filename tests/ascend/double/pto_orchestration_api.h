// TEST DOUBLE, not pto-runtime code: the tensormap_and_ringbuffer orchestration API as the
// project reads it (../shared/design/PTO-RUNTIME.md section 3), declared so that emitted
// ring-buffer orchestrations compile and run in CI without a pto-runtime checkout. The
// submit functions are defined by the recording implementation (RecordingRing.cc), which
// prints every submitted task; the conformance test derives the TensorMap's dependencies
// from the recorded regions. Names follow the documented API; layouts do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

struct ContinuousTensor {
  int entry = -1;                // entry tensor index (the double's stand-in for the address)
  std::vector<uint32_t> shapes;  // as the manifest lists them
  const void* data = nullptr;    // set for the task table only (the orchestration reads it)
  size_t bytes = 0;
  size_t nbytes() const { return bytes; }
  template <typename T>
  T* data_as() const { return static_cast<T*>(const_cast<void*>(data)); }
};

struct ChipStorageTaskArgs {
  std::vector<ContinuousTensor> tensors;
  int tensor_count() const { return static_cast<int>(tensors.size()); }
  int scalar_count() const { return 0; }
  const ContinuousTensor& tensor(int i) const { return tensors.at(static_cast<size_t>(i)); }
};

struct PTO2OrchestrationConfig {
  int expected_arg_count = 0;
};

// A view of an entry tensor: its row stride and the view's first element and shape.
// As in pto-runtime, a view takes one shape and one offset per dimension of the tensor
// and must lie inside it (the double's tensors have at most 2 dimensions, the emitted
// views exactly 2).
struct Tensor {
  int entry = -1;
  int64_t rowStride = 1;
  int64_t offset = 0;
  uint32_t rows = 1, cols = 1;
  size_t ndims = 2;
  Tensor view(const uint32_t* shapes, const uint32_t* offsets) const {
    if (ndims != 2 || offsets[0] + shapes[0] > rows || offsets[1] + shapes[1] > cols) {
      std::fprintf(stderr, "view [%u:+%u, %u:+%u] outside entry %d (%zu dims, %u x %u)\n", offsets[0], shapes[0],
                   offsets[1], shapes[1], entry, ndims, rows, cols);
      std::exit(7);
    }
    Tensor t = *this;
    t.offset = offset + static_cast<int64_t>(offsets[0]) * rowStride + offsets[1];
    t.rows = shapes[0];
    t.cols = shapes[1];
    return t;
  }
};

inline Tensor from_tensor_arg(const ContinuousTensor& c) {
  Tensor t;
  t.entry = c.entry;
  t.ndims = c.shapes.size();
  t.rows = c.shapes.size() >= 2 ? c.shapes[c.shapes.size() - 2] : 1;
  t.cols = c.shapes.empty() ? 1 : c.shapes.back();
  t.rowStride = t.cols;
  return t;
}

using PTO2TaskId = int64_t;

struct Arg {
  struct Use {
    Tensor t;
    const char* dir;
  };
  std::vector<Use> uses;
  std::vector<uint64_t> scalars;
  std::vector<PTO2TaskId> deps;
  void add_input(const Tensor& t) { uses.push_back({t, "IN"}); }
  void add_output(const Tensor& t) { uses.push_back({t, "OUT"}); }
  void add_inout(const Tensor& t) { uses.push_back({t, "INOUT"}); }
  void add_scalar(uint64_t v) { scalars.push_back(v); }
  void set_dependencies(const PTO2TaskId* ids, int n) { deps.assign(ids, ids + n); }
};

struct TaskOutputTensors {
  PTO2TaskId id = -1;
  PTO2TaskId task_id() const { return id; }
};

TaskOutputTensors rt_submit_aiv_task(int kernel_id, const Arg& a);
TaskOutputTensors rt_submit_aic_task(int kernel_id, const Arg& a);
TaskOutputTensors rt_submit_dummy_task(const Arg& a);
void rt_scope_begin();
void rt_scope_end();
// Prints "error fatal <code> <fmt>" and exits 8 (pto-runtime marks the run failed).
void pto_wsp_double_fatal(int code, const char* fmt);
#define rt_report_fatal(code, fmt, ...) pto_wsp_double_fatal((code), (fmt))

struct PtoWspScopeGuard {
  bool once = true;
  PtoWspScopeGuard() { rt_scope_begin(); }
  ~PtoWspScopeGuard() { rt_scope_end(); }
};
#define PTO2_SCOPE() for (PtoWspScopeGuard pto_wsp_scope_; pto_wsp_scope_.once; pto_wsp_scope_.once = false)
