#include "HostInputs.h"

#include "Npy.h"

#include "pto/wsp/abi/Bytecode.h"
#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

namespace pto::wsp::cli {
namespace {

SourceLoc commandLine() { return SourceLoc{"<command line>", 0, 0, {}}; }

std::string stripDollar(std::string_view s) {
  return std::string(!s.empty() && s[0] == '$' ? s.substr(1) : s);
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

template <class T>
bool parseInt(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end && !text.empty();
}

}  // namespace

std::string shapeString(const std::vector<int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string out;
  for (int64_t d : shape) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

namespace {
bool hasSlotLoad(const std::vector<abi::PlanNode>& nodes) {
  for (const abi::PlanNode& n : nodes)
    if (n.kind == abi::NodeKind::SlotLoad || hasSlotLoad(n.children)) return true;
  return false;
}
}  // namespace

bool hasDataDependentControl(const abi::Plan& plan) {
  for (const abi::PlanProcess& p : plan.processes)
    if (hasSlotLoad(p.body)) return true;
  return false;
}

RunValues resolveRunValues(const abi::Plan& plan, const std::vector<std::string>& sets) {
  RunValues v;
  for (const abi::PlanSymbol& s : plan.symbols) v.symbols[s.name] = s.defaultValue;
  std::map<std::string, std::string> given;  // plan name -> the --set that gave it
  for (const std::string& arg : sets) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UserError(makeError(commandLine(), fmt::format("--set expects NAME=VALUE, got '{}'", arg))
                          .help("e.g. --set S=512 for a symbol or --set '$expert=1' for a slot"));
    const std::string name = arg.substr(0, eq);
    const std::string_view value = std::string_view(arg).substr(eq + 1);
    const abi::PlanSymbol* sym = nullptr;
    for (const abi::PlanSymbol& s : plan.symbols)
      if (s.name == name) sym = &s;
    const abi::PlanSlot* slot = nullptr;
    for (const abi::PlanSlot& s : plan.slots)
      if (stripDollar(s.name) == stripDollar(name)) slot = &s;
    if (sym || slot) {
      const std::string key = sym ? sym->name : "$" + stripDollar(slot->name);
      auto [it, fresh] = given.emplace(key, arg);
      if (!fresh)
        throw UserError(makeError(commandLine(), fmt::format("--set gives {} twice ('{}' and '{}')", key,
                                                             it->second, arg))
                            .help(fmt::format("give {} one value", key)));
    }
    if (sym) {
      int64_t x = 0;
      if (!parseInt(value, x))
        throw UserError(makeError(commandLine(), fmt::format("symbol {} needs an integer value, got '{}'", name, value))
                            .help(fmt::format("symbols are int64 runtime values in [{}, {}], e.g. --set S=512",
                                              std::numeric_limits<int64_t>::min(),
                                              std::numeric_limits<int64_t>::max())));
      if (x != sym->defaultValue) v.defaults = false;
      v.symbols[name] = x;
    } else if (slot) {
      uint64_t x = 0;
      if (!parseInt(value, x))
        throw UserError(
            makeError(commandLine(), fmt::format("slot ${} needs an unsigned integer value, got '{}'",
                                                 stripDollar(slot->name), value))
                .help("slots are u64 runtime values, e.g. --set '$expert=1'"));
      // A slot's initial value is 0 unless the module gives one; any explicit value is
      // treated as a change, since the plan does not record slot initial values here.
      v.defaults = false;
      v.slots[slot->name] = x;
    } else {
      std::vector<std::string> syms, slots;
      for (const abi::PlanSymbol& s : plan.symbols) syms.push_back(s.name);
      for (const abi::PlanSlot& s : plan.slots) slots.push_back("$" + stripDollar(s.name));
      throw UserError(makeError(commandLine(), fmt::format("--set names unknown symbol or slot '{}'", name))
                          .help(fmt::format("symbols: {}; slots: {}", joinNames(syms), joinNames(slots))));
    }
  }
  return v;
}

RunTensors allocateTensors(const artifact::ManifestAbi& abi, const std::map<std::string, int64_t>& symbols,
                           const abi::Plan* plan) {
  RunTensors r;
  uint64_t totalBytes = 0;
  std::vector<int64_t> symbolValues;  // by plan symbol index, for the plan's shape expressions
  if (plan)
    for (const abi::PlanSymbol& s : plan->symbols) symbolValues.push_back(symbols.count(s.name) ? symbols.at(s.name) : 0);
  const abi::BytecodeEnv env{symbolValues.data(), symbolValues.size(), nullptr, 0, nullptr, 0};
  for (const artifact::ManifestTensor& t : abi.tensors) {
    if (t.role == "scratch") continue;
    std::vector<int64_t> shape;
    for (size_t k = 0; k < t.shape.size(); ++k) {
      const artifact::ManifestDim& d = t.shape[k];
      if (d.size) {
        shape.push_back(*d.size);
        continue;
      }
      int64_t v = 0;
      const abi::PlanTensor* pt = plan && t.index < plan->tensors.size() ? &plan->tensors[t.index] : nullptr;
      if (pt && k < pt->shapeExprs.size()) {
        try {
          v = abi::evalBytecode(pt->shapeExprs[k], env);
        } catch (const UserError& e) {  // a symbol that makes it divide by zero, an overflow
          throw UserError(makeError(commandLine(), fmt::format("tensor {} dimension '{}': {}", t.name, d.symbol,
                                                               e.diagnostics().empty() ? std::string("cannot be "
                                                                                                     "evaluated")
                                                                                       : e.diagnostics()[0].message))
                              .help("set the symbols of its shape to other values with --set NAME=VALUE"));
        }
      } else {
        auto it = symbols.find(d.symbol);
        if (it == symbols.end())
          throw UserError(makeError(commandLine(),
                                    fmt::format("tensor {} has dimension '{}', which is not a symbol of the plan",
                                                t.name, d.symbol))
                              .help("the package is inconsistent; recompile the module"));
        v = it->second;
      }
      if (v < 0)
        throw UserError(makeError(commandLine(), fmt::format("tensor {} would have dimension {} = {}", t.name,
                                                             d.symbol, v))
                            .help("set the symbols of its shape with --set NAME=VALUE so that it is >= 0"));
      shape.push_back(v);
    }
    // Checked before allocating: a huge --set value is a located error, not bad_alloc.
    uint64_t bytes = golden::HostTensor{t.dtype, {}, {}}.elemBytes();
    bool overflow = false;
    for (int64_t d : shape) overflow |= __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes);
    if (overflow || bytes > kMaxHostTensorBytes || totalBytes + bytes > kMaxHostTensorBytes)
      throw UserError(makeError(commandLine(),
                                fmt::format("tensor {} of shape {} needs {} bytes of host memory; the run's host "
                                            "buffers are limited to {} bytes in total",
                                            t.name, shapeString(shape),
                                            overflow ? std::string("more than 2^64") : std::to_string(bytes),
                                            kMaxHostTensorBytes))
                          .help("set the symbols of its shape to smaller values with --set NAME=VALUE"));
    totalBytes += bytes;
    r.all[t.name] = golden::HostTensor::make(t.dtype, shape);
    if (t.role == "input" || t.role == "inout") r.inputs.push_back(t.name);
    if (t.role == "output" || t.role == "inout") r.outputs.push_back(t.name);
  }
  return r;
}

InputSpec parseInputSpec(const std::vector<std::string>& args) {
  InputSpec spec;
  bool fillGiven = false;
  for (const std::string& a : args) {
    if (a == "random" || a == "zeros") {
      if (fillGiven && a != spec.fill)
        throw UserError(makeError(commandLine(), fmt::format("--inputs gives both '{}' and '{}'", spec.fill, a))
                            .help("choose one fill for the inputs not bound to a .npy file"));
      spec.fill = a;
      fillGiven = true;
      continue;
    }
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      if (eq == 0 || eq + 1 == a.size())
        throw UserError(makeError(commandLine(), fmt::format("--inputs expects NAME=FILE.npy, got '{}'", a))
                            .help("e.g. --inputs X=x.npy W=w.npy"));
      spec.named.emplace_back(a.substr(0, eq), a.substr(eq + 1));
    } else {
      spec.positional.push_back(a);
    }
  }
  return spec;
}

void fillInputs(RunTensors& t, const InputSpec& spec, uint64_t seed) {
  for (const std::string& name : t.inputs) {
    golden::HostTensor& h = t.all.at(name);
    if (spec.fill == "zeros")
      std::fill(h.bytes.begin(), h.bytes.end(), std::byte{0});
    else
      golden::fillRandom(h, name, seed);
  }
}

namespace {

void loadOne(golden::HostTensor& dst, const std::string& name, const std::string& file) {
  golden::HostTensor src = readNpy(file);
  const bool bf16FromF32 = dst.dtype == "bf16" && src.dtype == "f32";
  if (src.dtype != dst.dtype && !bf16FromF32)
    throw UserError(makeError(SourceLoc{file, 0, 0, {}},
                              fmt::format("dtype {} ('{}') does not match tensor {} of dtype {}", src.dtype,
                                          npyDescr(src.dtype), name, dst.dtype))
                        .help(fmt::format("save the array as '{}', e.g. numpy.save(path, a.astype('{}'))",
                                          npyDescr(dst.dtype), npyDescr(dst.dtype))));
  if (src.shape != dst.shape)
    throw UserError(makeError(SourceLoc{file, 0, 0, {}},
                              fmt::format("shape {} does not match tensor {} of shape {}", shapeString(src.shape),
                                          name, shapeString(dst.shape)))
                        .help("reshape the array, or set the symbols its shape depends on with --set NAME=VALUE"));
  if (bf16FromF32) {
    for (size_t i = 0; i < src.numel(); ++i) dst.set(i, src.get(i));
  } else {
    dst.bytes = std::move(src.bytes);
  }
}

}  // namespace

void loadInputFiles(RunTensors& t, const InputSpec& spec) {
  if (spec.positional.size() > t.inputs.size())
    throw UserError(makeError(commandLine(), fmt::format("--inputs gives {} .npy files but the module has {} inputs",
                                                         spec.positional.size(), t.inputs.size()))
                        .help(fmt::format("inputs in declaration order: {}", joinNames(t.inputs))));
  std::set<std::string> bound;
  for (size_t i = 0; i < spec.positional.size(); ++i) {
    loadOne(t.all.at(t.inputs[i]), t.inputs[i], spec.positional[i]);
    bound.insert(t.inputs[i]);
  }
  for (const auto& [name, file] : spec.named) {
    const bool isInput = std::find(t.inputs.begin(), t.inputs.end(), name) != t.inputs.end();
    if (!isInput) {
      const bool isOutput = t.all.count(name) != 0;
      throw UserError(makeError(commandLine(),
                                isOutput ? fmt::format("--inputs binds {}, which is an output", name)
                                         : fmt::format("--inputs names unknown tensor '{}'", name))
                          .help(fmt::format("inputs: {}", joinNames(t.inputs))));
    }
    if (!bound.insert(name).second)
      throw UserError(makeError(commandLine(), fmt::format("--inputs binds tensor {} twice", name))
                          .help("give each input at most one .npy file"));
    loadOne(t.all.at(name), name, file);
  }
}

}  // namespace pto::wsp::cli
