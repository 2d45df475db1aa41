// Orchestration emission (Orchestration.h).
#include "Orchestration.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pto::wsp::target::ascend {

namespace {

std::string ident(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "t_" + out;
  return out;
}

std::string baseName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

class Writer {
 public:
  explicit Writer(const OrchestrationInput& in) : in_(in), plan_(*in.plan), sites_(*in.sites), m_(*in.module) {}
  Orchestration run();

 private:
  void checkLimits();
  std::string siteComment(size_t s, std::string_view indent) const;
  std::string tableChecks(size_t table, std::string_view fail) const;
  void hostBuildGraph();
  void ringBuffer();

  const OrchestrationInput& in_;
  const abi::Plan& plan_;
  const std::vector<TaskSite>& sites_;
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
}

// The one comment of a site: kernel, tensors, statements, processes, and its words.
std::string Writer::siteComment(size_t s, std::string_view indent) const {
  const TaskSite& site = sites_[s];
  if (site.kernel < 0)
    return fmt::format("{}// site 0: no-op task ({}); words: {}\n", indent,
                       in_.runtime == Runtime::HostBuildGraph ? "structural joins and fan-out relays"
                                                              : "structural joins, ordered by their dependencies",
                       in_.runtime == Runtime::HostBuildGraph ? "none" : "dependency count, dependencies");
  const abi::PlanKernel& k = plan_.kernels[site.kernel];
  std::string tensors, where, procs;
  for (uint32_t t : site.tensors) tensors += (tensors.empty() ? "" : ", ") + plan_.tensors[t].name;
  for (uint32_t l : site.locs) {
    const SourceLoc loc = plan_.locations.at(l);
    where += (where.empty() ? "" : ", ") + (loc.valid() ? fmt::format("{}:{}", baseName(loc.file), loc.line) : "?");
  }
  for (uint32_t p : site.processes) procs += (procs.empty() ? "'" : ", '") + plan_.processes.at(p).name + "'";
  const size_t tiles = site.tensors.size();
  const size_t scalars = k.params.size() - tiles;
  const std::string offsets = in_.runtime == Runtime::HostBuildGraph ? "element offset" : "row and column";
  return fmt::format("{0}// site {1}: {2}({3}) at {4} in process {5}\n"
                     "{0}// words: the {6} of {3}; {7} row stride{8}; {9} scalar{10}{11}\n",
                     indent, s, k.name, tensors, where, procs, offsets, tiles, tiles == 1 ? "" : "s", scalars,
                     scalars == 1 ? "" : "s",
                     in_.runtime == Runtime::HostBuildGraph ? "" : "; dependency count, dependencies");
}

// Checks the table's header against the plan the orchestration was written for.
std::string Writer::tableChecks(size_t table, std::string_view fail) const {
  const size_t nt = plan_.tensors.size();
  std::string s = fmt::format("  // The task table (docs/ascend.md): the last entry tensor, u64 words.\n");
  s += fmt::format("  const uint64_t* w = args.tensor({}).data_as<uint64_t>();\n", table);
  s += fmt::format("  const uint64_t n = args.tensor({}).nbytes() / sizeof(uint64_t);\n", table);
  s += fmt::format("  if (n < {} || w[0] != {} || w[1] != {} || w[2] != {}) {}\n", 4 + nt, kTableVersion,
                   in_.runtime == Runtime::HostBuildGraph ? 0 : 1, nt, fail);
  s += fmt::format("  const uint64_t* bytes = w + 3;  // per plan tensor\n  uint64_t p = {};\n", 3 + nt);
  return s;
}

void Writer::hostBuildGraph() {
  out_.entry = "pto_wsp_" + ident(m_.name);
  const size_t table = out_.entries.size() - 1;
  t_ += "#include <cstdint>\n#include <vector>\n\n#include \"orchestration_api.h\"\n\n";
  t_ += "namespace {\n// Device address of element `elem` of a tensor.\n";
  t_ += "uint64_t at(void* base, uint64_t elem, uint64_t elem_bytes) {\n";
  t_ += "  return reinterpret_cast<uint64_t>(static_cast<char*>(base) + elem * elem_bytes);\n}\n}  // namespace\n\n";
  t_ += "// Returns 0, or: -1 wrong entry tensors, -2 device_malloc failed, -3 copy_to_device failed,\n"
        "// -4 add_task refused a task, -5 a malformed task table.\n";
  t_ += fmt::format("extern \"C\" int {}(OrchestrationRuntime* rt, const ChipStorageTaskArgs& args) {{\n", out_.entry);
  t_ += fmt::format("  if (args.tensor_count() != {}) return -1;\n", out_.entries.size());
  t_ += tableChecks(table, "return -5;");
  std::map<uint32_t, size_t> entryOf;
  for (size_t e = 0; e < table; ++e) entryOf[out_.entries[e].planTensor] = e;
  std::string temps;
  for (size_t i = 0; i < plan_.tensors.size(); ++i)
    if (!entryOf.count(static_cast<uint32_t>(i))) temps += fmt::format("{}bytes[{}]", temps.empty() ? "" : ", ", i);
  if (!temps.empty()) {
    t_ += "  uint64_t temp_bytes = 0;  // temps start zeroed, as in cpu_sim\n";
    t_ += fmt::format("  for (uint64_t b : {{{}}}) temp_bytes = b > temp_bytes ? b : temp_bytes;\n", temps);
    t_ += "  const std::vector<uint8_t> zeros(temp_bytes);\n";
  }
  for (size_t i = 0; i < plan_.tensors.size(); ++i) {
    const abi::PlanTensor& pt = plan_.tensors[i];
    const std::string& v = tensorVar_[i];
    auto it = entryOf.find(static_cast<uint32_t>(i));
    t_ += fmt::format("  // {}: {}\n", pt.name, it == entryOf.end() ? "temp" : fmt::format("entry tensor {} ({})", it->second,
                                                                                        out_.entries[it->second].direction));
    t_ += fmt::format("  void* {} = device_malloc(rt, bytes[{}]);\n  if ({} == nullptr) return -2;\n", v, i, v);
    if (it == entryOf.end()) {
      t_ += fmt::format("  if (copy_to_device(rt, {}, zeros.data(), bytes[{}]) != 0) return -3;\n", v, i);
      continue;
    }
    t_ += fmt::format("  if (args.tensor({}).nbytes() < bytes[{}]) return -1;\n", it->second, i);
    t_ += fmt::format("  if (copy_to_device(rt, {}, args.tensor({}).data_as<void>(), bytes[{}]) != 0) return -3;\n", v,
                      it->second, i);
    if (out_.entries[it->second].direction != "IN")
      t_ += fmt::format("  record_tensor_pair(rt, args.tensor({}).data_as<void>(), {}, bytes[{}]);\n", it->second, v, i);
  }
  t_ += fmt::format("\n  if (p >= n || w[p] > {}) return -5;\n", kMaxTasks);
  t_ += "  const uint64_t tasks = w[p++];\n  std::vector<int> id(tasks, -1);\n  uint64_t none[1] = {0};\n";
  t_ += "  for (uint64_t i = 0; i < tasks; ++i) {\n    if (p >= n) return -5;\n    switch (w[p++]) {\n";
  for (size_t s = 0; s < sites_.size(); ++s) {
    const TaskSite& site = sites_[s];
    t_ += siteComment(s, "      ");
    if (site.kernel < 0) {
      t_ += fmt::format("      case 0:\n        id[i] = add_task(rt, none, 0, {}, CoreType::AIV);\n        break;\n",
                        in_.relayFuncId);
      continue;
    }
    const PtoIsaKernel& pk = in_.kernels[site.kernel];
    const size_t tiles = site.tensors.size();
    std::string words;
    for (size_t a = 0; a < tiles; ++a)
      words += fmt::format("{}at({}, w[p + {}], {})", a ? ", " : "", tensorVar_[site.tensors[a]], a,
                           plan_.tensors[site.tensors[a]].elemBytes);
    for (size_t a = tiles; a < pk.numArgs(); ++a) words += fmt::format(", w[p + {}]", a);
    t_ += fmt::format("      case {}: {{\n        if (n - p < {}) return -5;\n", s, pk.numArgs());
    t_ += fmt::format("        uint64_t a[] = {{{}}};\n        p += {};\n", words, pk.numArgs());
    t_ += fmt::format("        id[i] = add_task(rt, a, {}, {}, CoreType::{});\n        break;\n      }}\n", pk.numArgs(),
                      site.kernel, pk.core == CoreKind::Aic ? "AIC" : "AIV");
  }
  t_ += "      default:\n        return -5;\n    }\n    if (id[i] < 0) return -4;\n  }\n";
  t_ += fmt::format("  // edges (from, to), at most {} successors per task: relays took the rest\n", kMaxFanout);
  t_ += "  if (p >= n) return -5;\n  const uint64_t edges = w[p++];\n  if ((n - p) / 2 < edges) return -5;\n";
  t_ += "  for (uint64_t e = 0; e < edges; ++e, p += 2) {\n    if (w[p] >= tasks || w[p + 1] >= tasks) return -5;\n";
  t_ += "    add_successor(rt, id[w[p]], id[w[p + 1]]);\n  }\n  return 0;\n}\n";
}

void Writer::ringBuffer() {
  out_.entry = "aicpu_orchestration_entry";
  const size_t table = out_.entries.size() - 1;
  t_ += "#include <stddef.h>\n#include <stdint.h>\n\n#include <vector>\n\n#include \"pto_orchestration_api.h\"\n\n";
  t_ += "namespace {\n// Reads a task's explicit dependencies at w[p] (count, then task indices) into `out`.\n";
  t_ += "bool read_deps(const uint64_t* w, uint64_t n, uint64_t& p, const std::vector<PTO2TaskId>& id,\n"
        "               std::vector<PTO2TaskId>& out) {\n";
  t_ += "  out.clear();\n  if (p >= n) return false;\n  const uint64_t k = w[p++];\n  if (n - p < k) return false;\n";
  t_ += "  for (uint64_t j = 0; j < k; ++j, ++p) {\n    if (w[p] >= id.size()) return false;\n"
        "    out.push_back(id[w[p]]);\n  }\n  return true;\n}\n}  // namespace\n\n";
  t_ += "extern \"C\" {\n\n";
  t_ += "__attribute__((visibility(\"default\"))) PTO2OrchestrationConfig\n";
  t_ += "aicpu_orchestration_config(const ChipStorageTaskArgs& args) {\n  (void)args;\n";
  t_ += fmt::format("  return PTO2OrchestrationConfig{{.expected_arg_count = {}}};\n}}\n\n", out_.entries.size());
  t_ += "__attribute__((visibility(\"default\"))) void aicpu_orchestration_entry(const ChipStorageTaskArgs& args) {\n";
  for (size_t e = 0; e < table; ++e)
    t_ += fmt::format("  Tensor {} = from_tensor_arg(args.tensor({}));  // {}\n", tensorVar_[out_.entries[e].planTensor],
                      e, out_.entries[e].direction);
  t_ += tableChecks(table, "{\n    rt_report_fatal(1, \"pto_wsp: the task table does not match this orchestration\");\n"
                           "    return;\n  }");
  t_ += "  (void)bytes;\n  if (p >= n) {\n    rt_report_fatal(1, \"pto_wsp: the task table is truncated\");\n    return;\n  }\n";
  t_ += "  const uint64_t tasks = w[p++];\n  std::vector<PTO2TaskId> id;\n  id.reserve(tasks);\n";
  t_ += "  std::vector<PTO2TaskId> deps;  // set_dependencies keeps the pointer until the submit\n";
  t_ += "  int open = 0;  // scopes this function opened\n  bool bad = false;\n";
  t_ += "  for (uint64_t i = 0; i < tasks && !bad; ++i) {\n    if (p >= n) {\n      bad = true;\n      break;\n    }\n";
  t_ += fmt::format("    const uint64_t head = w[p++];\n    if (head & {:#x}ull) {{\n      rt_scope_begin();\n      ++open;\n    }}\n",
                    kOpenScope);
  t_ += "    Arg a;\n    TaskOutputTensors o;\n    switch (head & 0xffffffffull) {\n";
  for (size_t s = 0; s < sites_.size(); ++s) {
    const TaskSite& site = sites_[s];
    t_ += siteComment(s, "      ");
    t_ += fmt::format("      case {}: {{\n", s);
    if (site.kernel < 0) {
      t_ += "        if (!read_deps(w, n, p, id, deps)) {\n          bad = true;\n          break;\n        }\n";
      t_ += "        if (!deps.empty()) a.set_dependencies(deps.data(), static_cast<uint32_t>(deps.size()));\n";
      t_ += "        o = rt_submit_dummy_task(a);\n        break;\n      }\n";
      continue;
    }
    const abi::PlanKernel& k = plan_.kernels[site.kernel];
    const PtoIsaKernel& pk = in_.kernels[site.kernel];
    const size_t tiles = site.tensors.size();
    const size_t words = 3 * tiles + pk.numScalars;
    t_ += fmt::format("        if (n - p < {}) {{\n          bad = true;\n          break;\n        }}\n", words);
    size_t ti = 0;
    for (const abi::PlanParam& p : k.params) {
      if (p.kind == abi::ParamKind::Scalar) continue;
      const bool rank1 = plan_.tensors[site.tensors[ti]].shape.size() < 2;
      const std::string shapes = rank1 ? fmt::format("{}", p.cols) : fmt::format("{}, {}", p.rows, p.cols);
      const std::string offs = rank1 ? fmt::format("static_cast<uint32_t>(w[p + {}])", 2 * ti + 1)
                                     : fmt::format("static_cast<uint32_t>(w[p + {}]), static_cast<uint32_t>(w[p + {}])",
                                                   2 * ti, 2 * ti + 1);
      t_ += fmt::format("        uint32_t s{0}[] = {{{1}}};\n        uint32_t o{0}[] = {{{2}}};\n", ti, shapes, offs);
      t_ += fmt::format("        Tensor v{} = {}.view(s{}, o{});\n", ti, tensorVar_[site.tensors[ti]], ti, ti);
      const char* add = p.kind == abi::ParamKind::In ? "add_input" : p.kind == abi::ParamKind::Out ? "add_output" : "add_inout";
      t_ += fmt::format("        a.{}(v{});\n", add, ti);
      ++ti;
    }
    t_ += fmt::format("        for (uint64_t j = {}; j < {}; ++j) a.add_scalar(w[p + j]);  // row strides, scalars\n",
                      2 * tiles, words);
    t_ += fmt::format("        p += {};\n", words);
    t_ += "        if (!read_deps(w, n, p, id, deps)) {\n          bad = true;\n          break;\n        }\n";
    t_ += "        if (!deps.empty()) a.set_dependencies(deps.data(), static_cast<uint32_t>(deps.size()));\n";
    t_ += fmt::format("        o = rt_submit_{}_task({}, a);\n        break;\n      }}\n", coreName(pk.core), site.kernel);
  }
  t_ += "      default:\n        bad = true;\n        break;\n    }\n    if (bad) break;\n    id.push_back(o.task_id());\n";
  t_ += fmt::format("    if ((head & {:#x}ull) && open > 0) {{\n      rt_scope_end();\n      --open;\n    }}\n  }}\n", kCloseScope);
  t_ += "  for (; open > 0; --open) rt_scope_end();\n";
  t_ += "  if (bad) rt_report_fatal(1, \"pto_wsp: malformed task table at word %llu\", static_cast<unsigned long long>(p));\n";
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
  out_.entries.push_back({kTableTensor, kTableEntry, "IN"});
  out_.file = fmt::format("kernels/orchestration/{}_orch.cpp", ident(m_.name));
  t_ = fmt::format("// Generated by PTO-WSP (target ascend, runtime {}). Do not edit.\n"
                   "// module '{}': plays the task table ({}), one case per task site; the same text\n"
                   "// serves every symbol value and dynamic size.\n",
                   runtimeName(in_.runtime), m_.name, kTableFile);
  if (in_.runtime == Runtime::HostBuildGraph) hostBuildGraph();
  else ringBuffer();
  out_.text = std::move(t_);
  return std::move(out_);
}

}  // namespace

Orchestration emitOrchestration(const OrchestrationInput& in) {
  PTO_INTERNAL_ASSERT(in.module && in.plan && in.sites, "orchestration input incomplete");
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
