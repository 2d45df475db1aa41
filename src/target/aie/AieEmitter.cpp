#include "pto/wsp/target/aie/AieEmitter.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>

namespace pto::wsp::target::aie {

namespace {

std::string tileVal(TileCoord t) { return fmt::format("%tile_{}_{}", t.col, t.row); }

std::string i64Array(const std::array<int64_t, 4>& a) { return fmt::format("array<i64: {}>", fmt::join(a, ", ")); }

std::string scalarLiteral(const CoreArg& a) {
  const auto t = mlirElementType(a.scalarType);
  if (ir::isFloat(a.scalarType)) {
    if (std::isinf(a.scalar)) {  // infinities as bit patterns (MLIR has no inf literal)
      const bool pos = a.scalar > 0;
      switch (a.scalarType) {
        case ir::DType::F16: return fmt::format("{} : {}", pos ? "0x7C00" : "0xFC00", t);
        case ir::DType::BF16: return fmt::format("{} : {}", pos ? "0x7F80" : "0xFF80", t);
        case ir::DType::F64: return fmt::format("{} : {}", pos ? "0x7FF0000000000000" : "0xFFF0000000000000", t);
        default: return fmt::format("{} : {}", pos ? "0x7F800000" : "0xFF800000", t);
      }
    }
    return fmt::format("{:.9e} : {}", a.scalar, t);
  }
  return fmt::format("{} : {}", static_cast<int64_t>(a.scalar), t);
}

class Emitter {
 public:
  explicit Emitter(const Mapping& m) : m_(m) {}

  std::string run() {
    line(0, fmt::format("// {}: workload '{}' mapped onto {} by the PTO-WSP aie target (mlir-aie {})", m_.module,
                        m_.workload, kDeviceName, kMlirAieCommit));
    line(0, "\"builtin.module\"() ({");
    line(1, "\"aie.device\"() ({");
    for (auto t : m_.tiles)
      line(2, fmt::format("{} = \"aie.tile\"() {{col = {} : i32, row = {} : i32}} : () -> index", tileVal(t), t.col, t.row));
    for (const auto& f : m_.fifos) fifo(f);
    for (const auto& l : m_.links) link(l);
    for (const auto& k : m_.kernels)
      line(2, fmt::format("\"func.func\"() <{{function_type = ({}) -> (), sym_name = \"{}\", sym_visibility = \"private\"}}> "
                          "({{\n    }}) : () -> ()",
                          fmt::join(k.argTypes, ", "), k.name));
    for (const auto& c : m_.cores) core(c);
    sequence();
    line(1, fmt::format("}}) {{device = {} : i32}} : () -> ()", kDeviceEnum));
    line(0, "}) : () -> ()");
    return out_;
  }

 private:
  void line(int indent, const std::string& s) {
    out_.append(static_cast<size_t>(indent) * 2, ' ');
    out_ += s;
    out_ += '\n';
  }

  void fifo(const ObjectFifo& f) {
    std::vector<std::string> operands{tileVal(f.producer)};
    for (auto c : f.consumers) operands.push_back(tileVal(c));
    std::vector<std::string> perConsumer(f.consumers.size(), "[]");
    std::string extra;
    for (const auto& [k, v] : f.annotations) extra += fmt::format(", {} = \"{}\"", k, v);
    line(2, fmt::format("\"aie.objectfifo\"({}) {{sym_name = \"{}\", elemNumber = {} : i32, elemType = "
                        "!aie.objectfifo<{}>, dimensionsToStream = #aie<bd_dim_layout_array[]>, "
                        "dimensionsFromStreamPerConsumer = #aie<bd_dim_layout_array_array[{}]>{}}} : ({}) -> ()",
                        fmt::join(operands, ", "), f.name, f.depth, f.elem.str(), fmt::join(perConsumer, ", "), extra,
                        fmt::join(std::vector<std::string>(operands.size(), "index"), ", ")));
  }

  void link(const FifoLink& l) {
    auto syms = [](const std::vector<std::string>& v) {
      std::vector<std::string> s;
      for (const auto& n : v) s.push_back("@" + n);
      return fmt::format("[{}]", fmt::join(s, ", "));
    };
    auto ints = [](const std::vector<int64_t>& v) {
      std::vector<std::string> s;
      for (auto x : v) s.push_back(fmt::format("{} : i64", x));
      return fmt::format("[{}]", fmt::join(s, ", "));
    };
    line(2, fmt::format("\"aie.objectfifo.link\"() {{fifoIns = {}, fifoOuts = {}, src_offsets = {}, dst_offsets = {}}} "
                        ": () -> ()",
                        syms(l.ins), syms(l.outs), ints(l.srcOffsets), ints(l.dstOffsets)));
  }

  // Acquire + access of `u`; records the memref value under the FIFO's name.
  void acquire(int ind, const FifoUse& u, std::map<std::string, std::string>& vals) {
    const ObjectFifo* f = m_.fifo(u.fifo);
    PTO_INTERNAL_ASSERT(f != nullptr, "core uses an unknown FIFO");
    const std::string sub = fmt::format("%sv{}", n_), mem = fmt::format("%el{}", n_);
    ++n_;
    const std::string ty = f->elem.str();
    line(ind, fmt::format("{} = \"aie.objectfifo.acquire\"() {{objFifo_name = @{}, port = {} : i32, size = 1 : i32}} : "
                          "() -> !aie.objectfifosubview<{}>",
                          sub, u.fifo, static_cast<int>(u.port), ty));
    line(ind, fmt::format("{} = \"aie.objectfifo.subview.access\"({}) {{index = 0 : i32}} : "
                          "(!aie.objectfifosubview<{}>) -> {}",
                          mem, sub, ty, ty));
    vals[u.fifo] = mem;
  }

  void release(int ind, const FifoUse& u) {
    line(ind, fmt::format("\"aie.objectfifo.release\"() {{objFifo_name = @{}, port = {} : i32, size = 1 : i32}} : () -> ()",
                          u.fifo, static_cast<int>(u.port)));
  }

  void call(int ind, const CoreCall& c, const std::map<std::string, std::string>& vals) {
    std::vector<std::string> args, types;
    for (const auto& a : c.args) {
      if (a.isFifo) {
        args.push_back(vals.at(a.fifo));
        types.push_back(m_.fifo(a.fifo)->elem.str());
      } else {
        const std::string v = fmt::format("%cst{}", n_++);
        line(ind, fmt::format("{} = \"arith.constant\"() <{{value = {}}}> : () -> {}", v, scalarLiteral(a),
                              mlirElementType(a.scalarType)));
        args.push_back(v);
        types.emplace_back(mlirElementType(a.scalarType));
      }
    }
    line(ind, fmt::format("\"func.call\"({}) <{{callee = @{}}}> : ({}) -> ()", fmt::join(args, ", "), c.kernel,
                          fmt::join(types, ", ")));
  }

  void core(const CoreProgram& c) {
    line(2, fmt::format("// {}", c.what));
    line(2, fmt::format("%core_{}_{} = \"aie.core\"({}) ({{", c.tile.col, c.tile.row, tileVal(c.tile)));
    std::map<std::string, std::string> vals;
    for (const auto& u : c.once) acquire(3, u, vals);
    const std::string lb = fmt::format("%lb{}", n_), ub = fmt::format("%ub{}", n_), st = fmt::format("%st{}", n_);
    const std::string iv = fmt::format("%iv{}", n_);
    ++n_;
    line(3, fmt::format("{} = \"arith.constant\"() <{{value = 0 : index}}> : () -> index", lb));
    line(3, fmt::format("{} = \"arith.constant\"() <{{value = {} : index}}> : () -> index", ub, c.trips));
    line(3, fmt::format("{} = \"arith.constant\"() <{{value = 1 : index}}> : () -> index", st));
    line(3, fmt::format("\"scf.for\"({}, {}, {}) ({{", lb, ub, st));
    line(3, fmt::format("^bb0({}: index):", iv));
    for (const auto& s : c.steps) {
      auto local = vals;
      for (const auto& u : s.acquires) acquire(4, u, local);
      for (const auto& k : s.calls) call(4, k, local);
      for (const auto& u : s.acquires) release(4, u);
    }
    line(4, "\"scf.yield\"() : () -> ()");
    line(3, "}) : (index, index, index) -> ()");
    for (const auto& u : c.once) release(3, u);
    line(3, "\"aie.end\"() : () -> ()");
    line(2, fmt::format("}}) {{link_with = \"{}\"}} : (index) -> index", m_.kernelObject));
  }

  void sequence() {
    line(2, "\"aiex.runtime_sequence\"() ({");
    std::vector<std::string> args;
    for (const auto& b : m_.buffers) args.push_back(fmt::format("%{}: {}", b.tensor, b.type.str()));
    line(2, fmt::format("^bb0({}):", fmt::join(args, ", ")));
    auto type = [&](const std::string& t) {
      for (const auto& b : m_.buffers)
        if (b.tensor == t) return b.type.str();
      PTO_INTERNAL_ASSERT(false, "DMA of an unknown buffer");
      __builtin_unreachable();
    };
    for (const auto& d : m_.dmas)
      line(3, fmt::format("\"aiex.npu.dma_memcpy_nd\"(%{}) {{operandSegmentSizes = array<i32: 1, 0, 0, 0>, x = {} : i64, "
                          "y = 0 : i64, id = {} : i64, metadata = @{}, issue_token = {}, static_offsets = {}, "
                          "static_sizes = {}, static_strides = {}}} : ({}) -> ()",
                          d.tensor, d.col, d.id, d.fifo, d.toHost ? "true" : "false", i64Array(d.offsets),
                          i64Array(d.sizes), i64Array(d.strides), type(d.tensor)));
    for (const auto& d : m_.dmas)
      if (d.toHost) line(3, fmt::format("\"aiex.npu.dma_wait\"() {{symbol = @{}}} : () -> ()", d.fifo));
    line(2, "}) {sym_name = \"sequence\"} : () -> ()");
  }

  const Mapping& m_;
  std::string out_;
  int n_ = 0;
};

}  // namespace

std::string emitMlir(const Mapping& m) { return Emitter(m).run(); }

}  // namespace pto::wsp::target::aie
