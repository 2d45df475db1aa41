// Orchestration emission (Orchestration.h).
#include "Orchestration.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pto::wsp::target::ascend {

std::string_view runtimeName(Runtime r) {
  return r == Runtime::HostBuildGraph ? "host_build_graph" : "tensormap_and_ringbuffer";
}

namespace {

std::string ident(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "t_" + out;
  return out;
}

// Rows x cols region of a tile in its tensor's (row, col) plane.
struct Rect {
  uint32_t tensor;
  int64_t r0, c0, rows, cols;
};

Rect rectOf(const GraphTile& t, const abi::PlanParam& p) {
  const int64_t rs = t.rowStride > 0 ? t.rowStride : 1;
  return {t.tensor, t.offset / rs, t.offset % rs, p.rows, p.cols};
}

bool overlap(const Rect& a, const Rect& b) {
  return a.tensor == b.tensor && a.r0 < b.r0 + b.rows && b.r0 < a.r0 + a.rows && a.c0 < b.c0 + b.cols &&
         b.c0 < a.c0 + a.cols;
}

class Writer {
 public:
  explicit Writer(const OrchestrationInput& in) : in_(in), plan_(*in.plan), g_(*in.graph), m_(*in.module) {}
  Orchestration run();

 private:
  void checkLimits();
  std::string site(size_t i) const;  // the comment of task i
  bool dataDerived(size_t task, uint32_t pred) const;
  void hostBuildGraph();
  void ringBuffer();

  const OrchestrationInput& in_;
  const abi::Plan& plan_;
  const TaskGraph& g_;
  const ir::Module& m_;
  Orchestration out_;
  std::vector<std::string> tensorVar_;
  std::string t_;
};

void Writer::checkLimits() {
  for (size_t k = 0; k < in_.kernels.size(); ++k) {
    const PtoIsaKernel& pk = in_.kernels[k];
    const ir::Kernel* ik = m_.findKernel(pk.name);
    const SourceLoc loc = ik ? ik->loc : m_.loc;
    if (in_.runtime == Runtime::HostBuildGraph && pk.numArgs() > kMaxTaskArgs)
      throw UserError(makeError(loc, fmt::format("kernel '{}' needs {} argument words ({} tiles x 2: address and row "
                                                 "stride, {} scalars); host_build_graph passes at most {}",
                                                 pk.name, pk.numArgs(), pk.numTiles, pk.numScalars, kMaxTaskArgs))
                          .help("split the kernel, or compile with --runtime tensormap_and_ringbuffer (16 tensors, "
                                "32 scalars per task)"));
    if (in_.runtime == Runtime::TensorMapAndRingBuffer &&
        (pk.numTiles > kMaxTensorArgs || pk.numTiles + pk.numScalars > kMaxScalarArgs))
      throw UserError(makeError(loc, fmt::format("kernel '{}' has {} tile and {} scalar argument words; "
                                                 "tensormap_and_ringbuffer passes at most {} tensors and {} scalars",
                                                 pk.name, pk.numTiles, pk.numTiles + pk.numScalars, kMaxTensorArgs,
                                                 kMaxScalarArgs))
                          .help("split the kernel into smaller ones"));
  }
  for (const GraphTask& t : g_.tasks)
    for (size_t i = 0; i < t.tiles.size(); ++i)
      if (t.tiles[i].colStride != 1) {
        const std::string& kn = plan_.kernels.at(t.kernel).name;
        const ir::Kernel* ik = m_.findKernel(kn);
        throw UserError(makeError(ik ? ik->loc : m_.loc,
                                  fmt::format("tile argument {} of kernel '{}' has column stride {}; the ascend target "
                                              "passes row-major tiles with column stride 1",
                                              i, kn, t.tiles[i].colStride))
                            .help("pass an untransposed view with column step 1"));
      }
}

std::string Writer::site(size_t i) const {
  const GraphTask& t = g_.tasks[i];
  std::string preds;
  for (uint32_t p : t.preds) preds += (preds.empty() ? "" : ", ") + std::to_string(p);
  if (t.kernel < 0) return fmt::format("// task {}: join (after {})", i, preds.empty() ? "-" : preds);
  const abi::PlanKernel& k = plan_.kernels[t.kernel];
  std::string args;
  size_t ti = 0;
  for (const abi::PlanParam& p : k.params) {
    if (p.kind == abi::ParamKind::Scalar) continue;
    const Rect r = rectOf(t.tiles[ti++], p);
    args += fmt::format("{}{}[{}:{}, {}:{}]", args.empty() ? "" : ", ", plan_.tensors[r.tensor].name, r.r0,
                        r.r0 + r.rows, r.c0, r.c0 + r.cols);
  }
  return fmt::format("// task {}: {}({}) in process '{}'{}", i, k.name, args, plan_.processes.at(t.process).name,
                     preds.empty() ? "" : "; after " + preds);
}

// True when pto-runtime's TensorMap finds this edge itself: `pred` writes a tile that
// `task` reads or writes. Any other edge (anti-dependencies, structural joins) is
// passed explicitly.
bool Writer::dataDerived(size_t task, uint32_t pred) const {
  const GraphTask& a = g_.tasks[task];
  const GraphTask& b = g_.tasks[pred];
  if (a.kernel < 0 || b.kernel < 0) return false;
  const auto& ap = plan_.kernels[a.kernel].params;
  const auto& bp = plan_.kernels[b.kernel].params;
  std::vector<Rect> writes;
  size_t bi = 0;
  for (const abi::PlanParam& p : bp) {
    if (p.kind == abi::ParamKind::Scalar) continue;
    if (p.kind != abi::ParamKind::In) writes.push_back(rectOf(b.tiles[bi], p));
    ++bi;
  }
  size_t ai = 0;
  for (const abi::PlanParam& p : ap) {
    if (p.kind == abi::ParamKind::Scalar) continue;
    const Rect r = rectOf(a.tiles[ai++], p);
    for (const Rect& w : writes)
      if (overlap(r, w)) return true;
  }
  return false;
}

void Writer::hostBuildGraph() {
  // Successor lists, then relays for fan-outs beyond pto-runtime's limit.
  const size_t n = g_.tasks.size();
  std::vector<std::vector<uint32_t>> succ(n);
  for (size_t i = 0; i < n; ++i)
    for (uint32_t p : g_.tasks[i].preds) succ[p].push_back(static_cast<uint32_t>(i));
  std::vector<std::pair<uint32_t, std::vector<uint32_t>>> edges;  // from -> to list, each <= kMaxFanout
  uint32_t next = static_cast<uint32_t>(n);
  std::vector<std::pair<uint32_t, uint32_t>> relayOf;  // relay id -> task it fans out for
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t from = i;
    std::vector<uint32_t> rest = succ[i];
    while (rest.size() > kMaxFanout) {
      std::vector<uint32_t> direct(rest.begin(), rest.begin() + (kMaxFanout - 1));
      const uint32_t relay = next++;
      relayOf.push_back({relay, i});
      direct.push_back(relay);
      edges.push_back({from, std::move(direct)});
      rest.erase(rest.begin(), rest.begin() + (kMaxFanout - 1));
      from = relay;
    }
    if (!rest.empty()) edges.push_back({from, std::move(rest)});
  }
  out_.tasks = next;
  out_.relays = next - static_cast<uint32_t>(n);
  if (out_.tasks > kMaxTasks)
    throw UserError(makeError(m_.loc, fmt::format("the workload expands to {} tasks ({} of them relays); "
                                                  "host_build_graph holds at most {}",
                                                  out_.tasks, out_.relays, kMaxTasks))
                        .help("compile with --runtime tensormap_and_ringbuffer, which streams tasks through its ring"));

  out_.entry = "pto_wsp_" + ident(m_.name);
  t_ += "#include <cstdint>\n#include <vector>\n\n#include \"orchestration_api.h\"\n\n";
  t_ += "namespace {\n// Device address of element `elem` of a tensor.\n";
  t_ += "uint64_t at(void* base, int64_t elem, int64_t elem_bytes) {\n";
  t_ += "  return reinterpret_cast<uint64_t>(static_cast<char*>(base) + elem * elem_bytes);\n}\n}  // namespace\n\n";
  t_ += fmt::format("extern \"C\" int {}(OrchestrationRuntime* rt, const ChipStorageTaskArgs& args) {{\n", out_.entry);
  t_ += fmt::format("  if (args.tensor_count() != {}) return -1;\n", out_.entries.size());
  uint64_t maxTemp = 0;
  for (const abi::PlanTensor& pt : plan_.tensors) maxTemp = std::max(maxTemp, pt.bytes);
  t_ += fmt::format("  const std::vector<uint8_t> zeros({});  // temps start zeroed, as in cpu_sim\n", maxTemp);
  std::map<uint32_t, size_t> entryOf;
  for (size_t e = 0; e < out_.entries.size(); ++e) entryOf[out_.entries[e].planTensor] = e;
  for (size_t i = 0; i < plan_.tensors.size(); ++i) {
    const abi::PlanTensor& pt = plan_.tensors[i];
    const std::string& v = tensorVar_[i];
    auto it = entryOf.find(static_cast<uint32_t>(i));
    t_ += fmt::format("  // {}: {} bytes, {}\n", pt.name, pt.bytes,
                      it == entryOf.end() ? "temp" : fmt::format("entry tensor {} ({})", it->second,
                                                                 out_.entries[it->second].direction));
    t_ += fmt::format("  void* {} = device_malloc(rt, {});\n  if ({} == nullptr) return -2;\n", v, pt.bytes, v);
    if (it == entryOf.end()) {
      t_ += fmt::format("  if (copy_to_device(rt, {}, zeros.data(), {}) != 0) return -3;\n", v, pt.bytes);
      continue;
    }
    t_ += fmt::format("  if (copy_to_device(rt, {}, args.tensor({}).data_as<void>(), {}) != 0) return -3;\n", v,
                      it->second, pt.bytes);
    if (out_.entries[it->second].direction != "IN")
      t_ += fmt::format("  record_tensor_pair(rt, args.tensor({}).data_as<void>(), {}, {});\n", it->second, v, pt.bytes);
  }
  t_ += fmt::format("\n  std::vector<int> id({}, -1);\n  uint64_t none[1] = {{0}};\n  (void)none;\n", out_.tasks);
  for (size_t i = 0; i < n; ++i) {
    const GraphTask& gt = g_.tasks[i];
    t_ += "  " + site(i) + "\n";
    if (gt.kernel < 0) {
      t_ += fmt::format("  id[{}] = add_task(rt, none, 0, {}, CoreType::AIV);\n", i, in_.relayFuncId);
    } else {
      const PtoIsaKernel& pk = in_.kernels[gt.kernel];
      std::string words;
      for (const GraphTile& tl : gt.tiles)
        words += fmt::format("{}at({}, {}, {})", words.empty() ? "" : ", ", tensorVar_[tl.tensor], tl.offset,
                             plan_.tensors[tl.tensor].elemBytes);
      for (const GraphTile& tl : gt.tiles) words += fmt::format(", {}", tl.rowStride);
      for (uint64_t s : gt.scalars) words += fmt::format(", UINT64_C({:#x})", s);
      if (words.starts_with(", ")) words = words.substr(2);
      t_ += fmt::format("  {{\n    uint64_t a[] = {{{}}};\n    id[{}] = add_task(rt, a, {}, {}, CoreType::{});\n  }}\n",
                        words, i, pk.numArgs(), gt.kernel, pk.core == CoreKind::Aic ? "AIC" : "AIV");
    }
    t_ += fmt::format("  if (id[{}] < 0) return -4;\n", i);
  }
  for (const auto& [relay, task] : relayOf) {
    t_ += fmt::format("  // relay {}: fans out the successors of task {} beyond {}\n", relay, task, kMaxFanout);
    t_ += fmt::format("  id[{}] = add_task(rt, none, 0, {}, CoreType::AIV);\n  if (id[{}] < 0) return -4;\n", relay,
                      in_.relayFuncId, relay);
  }
  t_ += "  // edges (at most " + std::to_string(kMaxFanout) + " successors per task)\n";
  for (const auto& [from, tos] : edges)
    for (uint32_t to : tos) {
      t_ += fmt::format("  add_successor(rt, id[{}], id[{}]);\n", from, to);
      ++out_.edges;
    }
  t_ += "  return 0;\n}\n";
}

void Writer::ringBuffer() {
  out_.tasks = static_cast<uint32_t>(g_.tasks.size());
  out_.entry = "aicpu_orchestration_entry";
  // Scopes end only where no dependency crosses, and the ring holds the largest one.
  out_.ring = planRingScopes(g_, plan_, plan_.schedule.taskWindow);
  out_.warnings = ringScopeDiagnostics(out_.ring, in_.taskWindowLoc, in_.taskWindowDefaulted);
  size_t scope = 0;
  t_ += "#include <stddef.h>\n#include <stdint.h>\n\n#include <vector>\n\n#include \"pto_orchestration_api.h\"\n\n";
  t_ += "extern \"C\" {\n\n";
  t_ += "__attribute__((visibility(\"default\"))) PTO2OrchestrationConfig\n";
  t_ += "aicpu_orchestration_config(const ChipStorageTaskArgs& args) {\n  (void)args;\n";
  t_ += fmt::format("  return PTO2OrchestrationConfig{{.expected_arg_count = {}}};\n}}\n\n", out_.entries.size());
  t_ += "__attribute__((visibility(\"default\"))) void aicpu_orchestration_entry(const ChipStorageTaskArgs& args) {\n";
  for (size_t e = 0; e < out_.entries.size(); ++e)
    t_ += fmt::format("  Tensor {} = from_tensor_arg(args.tensor({}));  // {}\n", tensorVar_[out_.entries[e].planTensor],
                      e, out_.entries[e].direction);
  t_ += fmt::format("  std::vector<PTO2TaskId> id;\n  id.reserve({});\n", g_.tasks.size());
  for (size_t i = 0; i < g_.tasks.size(); ++i) {
    if (scope < out_.ring.begins.size() && i == out_.ring.begins[scope]) {
      t_ += fmt::format("  PTO2_SCOPE() {{  // tasks {}..{}: no dependency crosses its end (ring of {})\n", i,
                        out_.ring.end(scope, out_.tasks) - 1, out_.ring.ringWindow);
      ++out_.scopes;
      ++scope;
    }
    const GraphTask& gt = g_.tasks[i];
    t_ += "    " + site(i) + "\n    {\n      Arg a;\n";
    std::vector<uint32_t> explicitDeps;
    for (uint32_t p : gt.preds)
      if (!dataDerived(i, p)) explicitDeps.push_back(p);
    if (gt.kernel >= 0) {
      const abi::PlanKernel& k = plan_.kernels[gt.kernel];
      size_t ti = 0;
      for (const abi::PlanParam& p : k.params) {
        if (p.kind == abi::ParamKind::Scalar) continue;
        const Rect r = rectOf(gt.tiles[ti], p);
        const abi::PlanTensor& pt = plan_.tensors[r.tensor];
        const bool rank1 = pt.shape.size() < 2;
        const std::string shapes = rank1 ? fmt::format("{}", p.cols) : fmt::format("{}, {}", p.rows, p.cols);
        const std::string offs = rank1 ? fmt::format("{}", r.c0) : fmt::format("{}, {}", r.r0, r.c0);
        t_ += fmt::format("      uint32_t s{0}[] = {{{1}}};\n      uint32_t o{0}[] = {{{2}}};\n", ti, shapes, offs);
        t_ += fmt::format("      Tensor v{} = {}.view(s{}, o{});\n", ti, tensorVar_[r.tensor], ti, ti);
        const char* add = p.kind == abi::ParamKind::In ? "add_input" : p.kind == abi::ParamKind::Out ? "add_output" : "add_inout";
        t_ += fmt::format("      a.{}(v{});\n", add, ti);
        ++ti;
      }
      for (const GraphTile& tl : gt.tiles) t_ += fmt::format("      a.add_scalar(uint64_t{{{}}});  // row stride\n", tl.rowStride);
      for (uint64_t s : gt.scalars) t_ += fmt::format("      a.add_scalar(uint64_t{{{:#x}}});\n", s);
    }
    if (!explicitDeps.empty()) {
      std::string ds;
      for (uint32_t d : explicitDeps) ds += fmt::format("{}id[{}]", ds.empty() ? "" : ", ", d);
      t_ += fmt::format("      PTO2TaskId deps[] = {{{}}};\n      a.set_dependencies(deps, {});\n", ds, explicitDeps.size());
      out_.edges += static_cast<uint32_t>(explicitDeps.size());
    }
    if (gt.kernel < 0) {
      t_ += "      TaskOutputTensors o = rt_submit_dummy_task(a);\n";
    } else {
      const PtoIsaKernel& pk = in_.kernels[gt.kernel];
      t_ += fmt::format("      TaskOutputTensors o = rt_submit_{}_task({}, a);\n", coreName(pk.core), gt.kernel);
    }
    t_ += "      id.push_back(o.task_id());\n    }\n";
    if (i + 1 == out_.ring.end(scope - 1, out_.tasks)) t_ += "  }\n";
  }
  t_ += "}\n\n}  // extern \"C\"\n";
}

Orchestration Writer::run() {
  checkLimits();
  for (size_t i = 0; i < plan_.tensors.size(); ++i) {
    const abi::PlanTensor& pt = plan_.tensors[i];
    tensorVar_.push_back(ident(pt.name));
    const ir::Tensor* t = m_.findTensor(pt.name);
    const ir::TensorRole role = t ? t->role : ir::TensorRole::Temp;
    // tensormap_and_ringbuffer copies every entry tensor in and out; temps travel as
    // entry tensors too (zero-filled, IN: never compared).
    if (role == ir::TensorRole::Temp && in_.runtime == Runtime::HostBuildGraph) continue;
    out_.entries.push_back({static_cast<uint32_t>(i), pt.name,
                            role == ir::TensorRole::Input    ? "IN"
                            : role == ir::TensorRole::Output ? "OUT"
                            : role == ir::TensorRole::InOut  ? "INOUT"
                                                             : "IN"});
  }
  out_.file = fmt::format("kernels/orchestration/{}_orch.cpp", ident(m_.name));
  t_ = fmt::format("// Generated by PTO-WSP (target ascend, runtime {}). Do not edit.\n// module '{}': {} tasks.\n",
                   runtimeName(in_.runtime), m_.name, g_.tasks.size());
  if (in_.runtime == Runtime::HostBuildGraph) hostBuildGraph();
  else ringBuffer();
  out_.text = std::move(t_);
  return std::move(out_);
}

}  // namespace

Orchestration emitOrchestration(const OrchestrationInput& in) {
  PTO_INTERNAL_ASSERT(in.module && in.plan && in.graph, "orchestration input incomplete");
  return Writer(in).run();
}

std::string relayKernelText() {
  return "// Generated by PTO-WSP (target ascend). Do not edit.\n"
         "// A task that only orders others: structural joins and fan-out relays.\n"
         "#include <cstdint>\n"
         "#include <pto/pto-inst.hpp>  // defines __aicore__ for the simulator and the device compiler\n\n"
         "#ifndef __gm__\n#define __gm__\n#endif\n#ifndef __aicore__\n#define __aicore__ [aicore]\n#endif\n\n"
         "extern \"C\" __aicore__ __attribute__((always_inline)) void kernel_entry(__gm__ int64_t* args) { (void)args; }\n";
}

}  // namespace pto::wsp::target::ascend
