// The host launcher `ptowsp run --target ascend` compiles against a pto-runtime checkout
// (docs/ascend.md) and the C struct it is called with. The launcher is the project's own
// code, emitted as text and built against the checkout's task_interface headers so the
// ChipCallable and ChipStorageTaskArgs layouts are that checkout's. Internal to the
// ascend target.
#pragma once

#include <cstdint>
#include <string_view>

namespace pto::wsp::target::ascend {

// Keep in step with the struct in the launcher text (HostLauncher.cpp); the launcher
// refuses a call whose struct_size differs.
extern "C" {
struct PtoWspLaunchTensor {
  void* data;
  uint32_t shapes[5];
  uint32_t ndims;
  uint32_t dtype;      // pto-runtime DataType
  uint32_t direction;  // ArgDirection: 1 IN, 2 OUT, 3 INOUT
};
struct PtoWspLaunchKernel {
  int32_t func_id;
  const char* so_path;
  int32_t sig_count;
  int32_t sig[16];
};
struct PtoWspLaunch {
  uint64_t struct_size;
  const char* log_so;
  const char* sim_context_so;
  const char* host_runtime_so;
  const char* aicpu_so;
  const char* aicore_so;
  const char* orch_so;
  const char* func_name;
  const char* config_name;
  int32_t tensor_count;
  const PtoWspLaunchTensor* tensors;
  int32_t scalar_count;
  const uint64_t* scalars;
  int32_t kernel_count;
  const PtoWspLaunchKernel* kernels;
  int32_t block_dim;
  int32_t aicpu_thread_num;
  int32_t device_id;
  uint64_t host_wall_ns;
  uint64_t device_wall_ns;
  char error[1024];
};
}
using PtoWspLaunchFn = int (*)(PtoWspLaunch*);

std::string_view hostLauncherSource();

}  // namespace pto::wsp::target::ascend
