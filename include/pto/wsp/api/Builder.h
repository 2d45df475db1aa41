// C++ authoring API: builds an ir::Module with code that reads close to the math.
//
//   ModuleBuilder M("rmsnorm");
//   auto X = M.tensor("x", {64, 4096}, ir::DType::F32);
//   auto Y = M.tensor("y", {64, 4096}, ir::DType::F32, ir::TensorRole::Output);
//   auto rms = M.kernel("rmsnorm", [](KernelBuilder& k) {
//     auto x = k.in("x", 16, 128, ir::DType::F32);
//     auto y = k.out("y", 16, 128, ir::DType::F32);
//     auto t = k.load(x);
//     k.store(y, t * rsqrt(rowmean(t * t) + 1e-6));
//   });
//   Var b("b"), t("t");
//   M.workload("main")
//       .P({b.in(Dense(4)), t.in(Dense(32))}, [&](WorkloadBuilder& w) {
//         w.call(rms, {X.at({b * 16, t * 128}), Y.at({b * 16, t * 128})});
//       })
//       .dispatch("round_robin", {{"workers", 4}})
//       .task_window(64);
//   ir::Module m = M.build();          // or M.buildVerified(): throws UserError
//
// Every builder call captures its C++ call site (std::source_location) plus a context path
// ("workload 'main' > P b, t > call rmsnorm") into the node's SourceLoc, so verifier errors
// point at the user's line. Tile ops whose operand shapes/dtypes break a rule throw
// UserError at once (located at the op); everything else is reported by ir::verify.
//
// Names and bodies: the builder spells a module the way a .wsp file does, so a builder
// module and the parsed text of the same workload print identically. SSA values are named
// t0, t1, ... unless given a name with Tile::named ("auto xh = k.load(x).named(\"xh\")",
// printed %xh); every workload, loop, branch, process, consume and scope body is a
// { block }, even with one statement.
//
// Op order: the ops of one C++ expression are emitted in the compiler's argument evaluation
// order (unspecified in C++); bind tiles to variables when the op order must be stable
// across compilers (the examples do).
//
// Ownership / threading: a ModuleBuilder owns its workload and kernel builders; references
// returned by workload() stay valid until build(). Not thread-safe; one thread per builder.
#pragma once

#include "pto/wsp/ir/Module.h"
#include "pto/wsp/ir/Verifier.h"

#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <memory>
#include <source_location>
#include <string>
#include <utility>
#include <vector>

namespace pto::wsp {

using SrcLoc = std::source_location;

// ---------------------------------------------------------------- scalars and axes
// A loop variable. Is-an ir::Expr, so `b * 16 + 1` builds expressions directly.
class Var : public ir::Expr {
 public:
  explicit Var(std::string name);
  const std::string& name() const { return name_; }
  struct Spec {
    std::string name;
    ir::Axis axis;
    SourceLoc loc;
  };
  // `b.in(Dense(4))`: this variable ranging over an axis (for P / seq / sel).
  Spec in(ir::Axis axis, SrcLoc sl = SrcLoc::current()) const;

 private:
  std::string name_;
};

ir::Axis Dense(int64_t n);
ir::Axis DenseDyn(ir::Expr extent);
ir::Axis Ragged(const Var& outer, std::string lengthsTensor);
ir::Axis Sparse(const Var& outer, std::string indptrTensor, std::string indicesTensor);

// ---------------------------------------------------------------- tensors and views
// A view of a tensor at some offsets. Without an explicit shape, a call takes the tile
// shape from the kernel parameter it is bound to.
struct ViewArg {
  std::string tensor;
  std::vector<ir::Expr> offsets;
  int64_t rows = 0, cols = 0;  // 0 = from the kernel parameter
  int64_t rowStep = 1, colStep = 1;
  bool transposed = false;
  SourceLoc loc;

  ViewArg T() const;                                     // transposed view
  ViewArg step(int64_t rowStep, int64_t colStep) const;  // strided view
  ViewArg shape(int64_t rows, int64_t cols) const;       // explicit tile shape
  ir::View toView() const;                               // internal assert: shape known
};

class ModuleBuilder;

// Handle to a declared tensor. Copyable; refers to its ModuleBuilder (must outlive it).
class TensorRef {
 public:
  const std::string& name() const { return name_; }
  // View with offsets (one per dim): X.at({b * 16, t * 128}); tile shape from the kernel
  // parameter the view is bound to.
  ViewArg at(std::vector<ir::Expr> offsets, SrcLoc sl = SrcLoc::current()) const;
  // View with an explicit rows x cols tile shape.
  ViewArg view(std::vector<ir::Expr> offsets, int64_t rows, int64_t cols, SrcLoc sl = SrcLoc::current()) const;
  // Layout: per-dim distribution facets, element strides, memory dim order.
  const TensorRef& dist(std::vector<ir::DimDist> d) const;
  const TensorRef& strides(std::vector<int64_t> s) const;
  const TensorRef& dimOrder(std::vector<int> o) const;

 private:
  friend class ModuleBuilder;
  TensorRef(ModuleBuilder* mb, std::string name) : mb_(mb), name_(std::move(name)) {}
  ir::Tensor& decl() const;
  ModuleBuilder* mb_;
  std::string name_;
};

// ---------------------------------------------------------------- kernels
class KernelBuilder;

// An SSA tile value inside a kernel body.
class Tile {
 public:
  const std::string& name() const { return name_; }
  const ir::TileType& type() const { return type_; }
  KernelBuilder& builder() const { return *kb_; }
  // Renames this value (printed %name) and returns this handle. Other copies of the handle
  // and ops already emitted follow the new name. Throws UserError (located here) when the
  // name is empty or another value of the kernel already has it.
  Tile& named(std::string name, SrcLoc sl = SrcLoc::current());

 private:
  friend class KernelBuilder;
  Tile(KernelBuilder* kb, std::string n, ir::TileType t) : kb_(kb), name_(std::move(n)), type_(t) {}
  KernelBuilder* kb_;
  std::string name_;
  ir::TileType type_;
};

struct TileParam {
  std::string name;
  ir::TileType type;
  ir::ParamDir dir;
};
struct ScalarParam {
  std::string name;
  ir::DType type;
};

// Scalar operand of a tile op: a literal or a scalar parameter.
struct Scalar {
  ir::ScalarOperand op;
  Scalar(double v) : op(ir::ScalarOperand::of(ir::Expr(v))) {}              // NOLINT(implicit)
  Scalar(int v) : op(ir::ScalarOperand::of(ir::Expr(v))) {}                 // NOLINT(implicit)
  Scalar(int64_t v) : op(ir::ScalarOperand::of(ir::Expr(v))) {}             // NOLINT(implicit)
  Scalar(const ScalarParam& p) : op(ir::ScalarOperand::ofParam(p.name)) {}  // NOLINT(implicit)
};

class KernelBuilder {
 public:
  TileParam in(std::string name, int64_t rows, int64_t cols, ir::DType t, SrcLoc sl = SrcLoc::current());
  TileParam out(std::string name, int64_t rows, int64_t cols, ir::DType t, SrcLoc sl = SrcLoc::current());
  TileParam inout(std::string name, int64_t rows, int64_t cols, ir::DType t, SrcLoc sl = SrcLoc::current());
  ScalarParam scalar(std::string name, ir::DType t, SrcLoc sl = SrcLoc::current());

  Tile load(const TileParam& p, SrcLoc sl = SrcLoc::current());
  void store(const TileParam& p, const Tile& v, SrcLoc sl = SrcLoc::current());
  // Binary op; Broadcast::None is refined to Row / Col when b is [H,1] / [1,W].
  Tile binary(ir::TileOpKind op, const Tile& a, const Tile& b, ir::Broadcast bc = ir::Broadcast::None,
              SrcLoc sl = SrcLoc::current());
  Tile binary(ir::TileOpKind op, const Tile& a, Scalar s, SrcLoc sl = SrcLoc::current());
  Tile unary(ir::TileOpKind op, const Tile& a, SrcLoc sl = SrcLoc::current());
  Tile matmul(const Tile& a, const Tile& b, SrcLoc sl = SrcLoc::current());
  Tile matmul(const Tile& a, const Tile& b, const Tile& acc, SrcLoc sl = SrcLoc::current());
  Tile cast(const Tile& a, ir::DType to, SrcLoc sl = SrcLoc::current());
  Tile fill(int64_t rows, int64_t cols, ir::DType t, Scalar value, SrcLoc sl = SrcLoc::current());
  Tile iota(int64_t rows, int64_t cols, ir::DType t, SrcLoc sl = SrcLoc::current());
  Tile select(const Tile& mask, const Tile& a, const Tile& b, SrcLoc sl = SrcLoc::current());
  Tile transpose(const Tile& a, SrcLoc sl = SrcLoc::current());
  Tile sort(const Tile& a, bool descending = false, SrcLoc sl = SrcLoc::current());
  std::pair<Tile, Tile> topk(const Tile& a, int64_t k, bool descending = true, SrcLoc sl = SrcLoc::current());

  const ir::Kernel& kernel() const { return k_; }

 private:
  friend class ModuleBuilder;
  friend class Tile;
  KernelBuilder(std::string name, SourceLoc loc);
  TileParam param(std::string name, ir::ParamDir d, int64_t rows, int64_t cols, ir::DType t, SrcLoc sl);
  // Appends inst, infers its result types (throws UserError on a broken rule).
  std::vector<Tile> emit(ir::TileInst inst, SrcLoc sl);
  SourceLoc at(SrcLoc sl, std::string_view what) const;
  std::string fresh();
  // The current name of a value whose handle may predate a rename.
  const std::string& resolve(const std::string& name) const;
  void rename(const std::string& from, const std::string& to, SrcLoc sl);
  ir::Kernel k_;
  std::map<std::string, ir::TileType> types_;
  std::map<std::string, std::string> renamed_;  // old name -> newer name
  int next_ = 0;
};

// Elementwise operators (located at the kernel; use the named forms for exact lines).
Tile operator+(const Tile& a, const Tile& b);
Tile operator-(const Tile& a, const Tile& b);
Tile operator*(const Tile& a, const Tile& b);
Tile operator/(const Tile& a, const Tile& b);
Tile operator+(const Tile& a, Scalar s);
Tile operator-(const Tile& a, Scalar s);
Tile operator*(const Tile& a, Scalar s);
Tile operator/(const Tile& a, Scalar s);
Tile operator-(const Tile& a);
Tile max(const Tile& a, const Tile& b, SrcLoc sl = SrcLoc::current());
Tile min(const Tile& a, const Tile& b, SrcLoc sl = SrcLoc::current());
Tile exp(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile log(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile sqrt(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile rsqrt(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile tanh(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile sigmoid(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile relu(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile gelu(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile silu(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile abs(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile sin(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile cos(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile rowsum(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile rowmax(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile rowmin(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile rowmean(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile colsum(const Tile& a, SrcLoc sl = SrcLoc::current());
Tile colmax(const Tile& a, SrcLoc sl = SrcLoc::current());

// Kernel handle returned by ModuleBuilder::kernel.
struct KernelRef {
  std::string name;
};

// ---------------------------------------------------------------- workloads
// A call argument: a view (tile params) or a scalar expression (scalar params).
struct Arg {
  bool isView;
  ViewArg view;
  ir::Expr value;
  Arg(ViewArg v) : isView(true), view(std::move(v)) {}     // NOLINT(implicit)
  Arg(ir::Expr e) : isView(false), value(std::move(e)) {}  // NOLINT(implicit)
  Arg(int v) : Arg(ir::Expr(v)) {}                         // NOLINT(implicit)
  Arg(int64_t v) : Arg(ir::Expr(v)) {}                     // NOLINT(implicit)
  Arg(double v) : Arg(ir::Expr(v)) {}                      // NOLINT(implicit)
};

class WorkloadBuilder;
using Body = std::function<void(WorkloadBuilder&)>;

// Returned by when(): chain more branches with .when() and close with .otherwise().
class WhenChain {
 public:
  WhenChain& when(ir::Expr pred, const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& otherwise(const Body& body, SrcLoc sl = SrcLoc::current());

 private:
  friend class WorkloadBuilder;
  WhenChain(WorkloadBuilder* w, std::vector<ir::Stmt>* list, size_t index) : w_(w), list_(list), index_(index) {}
  void rebuild();
  WorkloadBuilder* w_;
  std::vector<ir::Stmt>* list_;
  size_t index_;
  std::vector<ir::CondBranch> branches_;
  ir::Stmt otherwise_;
  SourceLoc loc_;
};

class WorkloadBuilder {
 public:
  // ---- loops ----
  WorkloadBuilder& P(std::vector<Var::Spec> vars, const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& seq(Var::Spec var, const Body& body, SrcLoc sl = SrcLoc::current());  // P.seq
  WorkloadBuilder& sel(Var::Spec var, const Body& body, SrcLoc sl = SrcLoc::current());  // P.sel
  // ---- calls and structure ----
  WorkloadBuilder& call(const KernelRef& k, std::vector<Arg> args, SrcLoc sl = SrcLoc::current());
  WhenChain& when(ir::Expr pred, const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& combine(const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& sequential(const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& scope(const Body& body, SrcLoc sl = SrcLoc::current());
  // ---- CSP ----
  WorkloadBuilder& channel(std::string name, ir::ChannelElem elem = ir::ChannelElem::Task,
                           SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& process(std::string name, std::vector<std::string> produces, std::vector<std::string> consumes,
                           const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& send(std::string channel, const KernelRef& k, std::vector<Arg> args, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& sendValue(std::string channel, ir::Expr value, SrcLoc sl = SrcLoc::current());
  // consume(ch, v, body): body sees the token value as Var v.
  WorkloadBuilder& consume(std::string channel, const Var& v, const Body& body, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& connect(std::string channel, std::string from, std::string to, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& replicate(std::string process, ir::Expr n, SrcLoc sl = SrcLoc::current());
  // ---- slots ----
  WorkloadBuilder& slot_load(const ir::Expr& slot, const ViewArg& v, ir::Expr row, ir::Expr col,
                             SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& slot_set(const ir::Expr& slot, ir::Expr value, SrcLoc sl = SrcLoc::current());
  // ---- schedule (chains; directives keep call order) ----
  WorkloadBuilder& dispatch(std::string policy, std::vector<ir::NamedExpr> params = {}, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& dispatch_custom(ir::Expr key, std::vector<ir::NamedExpr> params = {}, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& task_window(int64_t n, std::string unit = "tasks", std::string mode = "stall",
                               SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& channel_defaults(int64_t capacity, int64_t latency, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& channel_config(std::string name, int64_t capacity, int64_t latency, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& pool(std::string resource, int64_t size, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& streams(int64_t n, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& stream_by(ir::Expr key, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& timing(std::vector<ir::NamedExpr> params, SrcLoc sl = SrcLoc::current());

  const std::string& name() const { return name_; }
  ir::Workload build() const;  // body = a block of the top-level statements

 private:
  friend class ModuleBuilder;
  friend class WhenChain;
  WorkloadBuilder(ModuleBuilder* mb, std::string name, SourceLoc loc);
  SourceLoc at(SrcLoc sl, const std::string& what) const;
  void add(ir::Stmt s);
  // Runs body collecting its statements into a fresh list under context `what`.
  ir::Stmt collect(const Body& body, const std::string& what, const SourceLoc& loc);
  ir::Stmt makeCall(const KernelRef& k, std::vector<Arg> args, SrcLoc sl);
  WorkloadBuilder& loop(ir::LoopKind kind, std::vector<Var::Spec> vars, const Body& body, SrcLoc sl);

  ModuleBuilder* mb_;
  std::string name_;
  SourceLoc loc_;
  std::vector<ir::Stmt> top_;
  std::vector<std::vector<ir::Stmt>*> lists_;
  std::vector<std::string> ctx_;
  std::deque<std::unique_ptr<WhenChain>> chains_;
  ir::Schedule schedule_;
};

// ---------------------------------------------------------------- modules
class ModuleBuilder {
 public:
  explicit ModuleBuilder(std::string name, SrcLoc sl = SrcLoc::current());
  ModuleBuilder(const ModuleBuilder&) = delete;
  ModuleBuilder& operator=(const ModuleBuilder&) = delete;

  // Runtime-settable integer symbol with a default value; returns its expression.
  ir::Expr symbol(std::string name, std::optional<int64_t> value = std::nullopt, SrcLoc sl = SrcLoc::current());
  // u64 runtime slot; returns its expression.
  ir::Expr slot(std::string name, uint64_t init = 0, SrcLoc sl = SrcLoc::current());
  TensorRef tensor(std::string name, std::vector<ir::Expr> shape, ir::DType dtype,
                   ir::TensorRole role = ir::TensorRole::Input, SrcLoc sl = SrcLoc::current());
  KernelRef kernel(std::string name, const std::function<void(KernelBuilder&)>& body, SrcLoc sl = SrcLoc::current());
  // Escape hatch: a kernel implemented in a C++ source file with a declared cycle cost.
  // `params` declares the signature (use a KernelBuilder lambda that only declares params).
  KernelRef externalKernel(std::string name, const std::function<void(KernelBuilder&)>& params, std::string source,
                           ir::Expr cycles, SrcLoc sl = SrcLoc::current());
  WorkloadBuilder& workload(std::string name, SrcLoc sl = SrcLoc::current());

  // The module as built so far (may be invalid: run ir::verify).
  ir::Module build() const;
  // build() + verify; throws UserError with every error. Warnings are ignored.
  ir::Module buildVerified() const;
  const ir::Module& partial() const { return m_; }

 private:
  friend class TensorRef;
  friend class WorkloadBuilder;
  ir::Module m_;
  std::deque<std::unique_ptr<WorkloadBuilder>> workloads_;
};

}  // namespace pto::wsp
