// Emitted-text checks of the cpu_sim kernel code generator (no compiler runs here; the
// end-to-end numerics are in KernelNumericsTest.cpp).
#include "pto/wsp/lower/KernelCodegen.h"

#include "KernelTestUtil.h"
#include "pto/wsp/arch/ArchRegistry.h"
#include "pto/wsp/cost/KernelCost.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <unistd.h>

namespace pto::wsp::lower {
namespace {

using namespace test;

const arch::ArchModel& hostArch() { return arch::builtinArch("host_cpu"); }

ir::Kernel rmsnormKernel() {
  KernelMaker m("rmsnorm");
  m.tile("x", ParamDir::In, {8, 64, DType::F32})
      .tile("g", ParamDir::In, {1, 64, DType::F32})
      .tile("y", ParamDir::Out, {8, 64, DType::F32})
      .scalar("eps", DType::F32);
  std::string x = m.load("x");
  std::string sq = m.op(TileOpKind::Mul, {x, x});
  std::string mean = m.op(TileOpKind::RowMean, {sq});
  std::string me = m.opScalar(TileOpKind::Add, mean, ScalarOperand::ofParam("eps"));
  std::string r = m.op(TileOpKind::Rsqrt, {me});
  std::string xn = m.op(TileOpKind::Mul, {x, r}, Broadcast::Row);
  std::string g = m.load("g");
  std::string y = m.op(TileOpKind::Mul, {xn, g}, Broadcast::Col);
  m.store("y", y);
  return m.build();
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

TEST(KernelSymbol, IdentifierNamesMapDirectly) {
  EXPECT_EQ(kernelSymbol("rmsnorm"), "pto_k_rmsnorm");
  EXPECT_EQ(cyclesSymbol("rmsnorm"), "pto_k_rmsnorm_cycles");
  EXPECT_EQ(kernelSymbol("a_b"), "pto_k_a_b");
}

TEST(KernelSymbol, OtherCharactersAreReplacedAndHashed) {
  const std::string s1 = kernelSymbol("a-b"), s2 = kernelSymbol("a.b");
  EXPECT_TRUE(std::regex_match(s1, std::regex("pto_k_a_b_[0-9a-f]{8}"))) << s1;
  EXPECT_NE(s1, s2);
  EXPECT_NE(s1, kernelSymbol("a_b"));
  EXPECT_TRUE(std::regex_match(kernelSymbol("9 lives\n"), std::regex("[A-Za-z_][A-Za-z0-9_]*")));
}

TEST(KernelCodegen, RmsnormTextHasEntryPointsIncludesAndOneCallPerOp) {
  const ir::Kernel k = rmsnormKernel();
  const std::string text = emitCpuKernel(k, hostArch());
  EXPECT_NE(text.find("#include \"pto/wsp/tile/TileLib.h\""), std::string::npos);
  EXPECT_NE(text.find("#include \"pto/wsp/abi/KernelAbi.h\""), std::string::npos);
  EXPECT_NE(text.find("extern \"C\" void pto_k_rmsnorm(const uint64_t* args, uint32_t num_args)"), std::string::npos);
  EXPECT_NE(text.find("extern \"C\" uint64_t pto_k_rmsnorm_cycles(const uint64_t* args, uint32_t num_args)"),
            std::string::npos);
  // 3 tile params x 3 words + 1 scalar word.
  EXPECT_NE(text.find("if (num_args != 10u) __builtin_trap();"), std::string::npos);
  EXPECT_NE(text.find("std::bit_cast<float>(static_cast<uint32_t>(args[9]))"), std::string::npos);
  // One comment and one tile-library call per IR op, in order.
  const std::regex callRe(R"(\n  pto::tile::[a-z_]+\()");
  EXPECT_EQ(static_cast<size_t>(std::distance(std::sregex_iterator(text.begin(), text.end(), callRe), std::sregex_iterator())),
            k.body.size())
      << text;
  for (size_t i = 0; i < k.body.size(); ++i) EXPECT_NE(text.find(fmt::format("// [{}] ", i)), std::string::npos);
  for (const char* call : {"pto::tile::load(", "pto::tile::mul(", "pto::tile::rowmean(", "pto::tile::add(",
                           "pto::tile::rsqrt(", "pto::tile::mul_row(", "pto::tile::mul_col(", "pto::tile::store("})
    EXPECT_NE(text.find(call), std::string::npos) << call;
  EXPECT_NE(text.find("// [3] %v3 = add.scalar %v2, eps : 8x1xf32"), std::string::npos) << text;
  EXPECT_NE(text.find("pto::tile::Tile<float, 8, 1>"), std::string::npos);
}

TEST(KernelCodegen, CyclesAreTheCostModelTotal) {
  const ir::Kernel k = rmsnormKernel();
  const uint64_t total = cost::kernelCycles(k, hostArch()).total;
  ASSERT_GT(total, 0u);
  const std::string text = emitCpuKernel(k, hostArch());
  EXPECT_NE(text.find(fmt::format("return UINT64_C({});", total)), std::string::npos) << text;
}

TEST(KernelCodegen, OutputIsDeterministic) {
  EXPECT_EQ(emitCpuKernel(rmsnormKernel(), hostArch()), emitCpuKernel(rmsnormKernel(), hostArch()));
}

TEST(KernelCodegen, BigTilesAreNotOnTheStack) {
  KernelMaker m("big");
  m.tile("x", ParamDir::In, {128, 128, DType::F32}).tile("y", ParamDir::Out, {128, 128, DType::F32});
  m.store("y", m.op(TileOpKind::Exp, {m.load("x")}));
  const std::string text = emitCpuKernel(m.build(), hostArch());
  EXPECT_EQ(count(text, "static thread_local pto::tile::Tile<float, 128, 128>"), 2u) << text;
}

TEST(KernelCodegen, LiteralScalarsKeepTheirValue) {
  KernelMaker m("lits");
  m.tile("y", ParamDir::Out, {2, 16, DType::F32}).tile("z", ParamDir::Out, {1, 16, DType::I64});
  std::string f = m.typed(TileOpKind::Fill, {}, {2, 16, DType::F32}, ScalarOperand::of(-ir::floatConst(INFINITY)));
  m.store("y", m.opScalar(TileOpKind::Mul, f, ScalarOperand::of(ir::floatConst(0.1))));
  m.store("z", m.typed(TileOpKind::Iota, {}, {1, 16, DType::I64}, ScalarOperand::of(ir::intConst(INT64_MIN))));
  const std::string text = emitCpuKernel(m.build(), hostArch());
  EXPECT_NE(text.find("-std::numeric_limits<double>::infinity()"), std::string::npos) << text;
  EXPECT_NE(text.find("static_cast<pto::tile::Compute<float>>(0.1)"), std::string::npos) << text;
  EXPECT_NE(text.find("(-INT64_C(9223372036854775807) - 1)"), std::string::npos) << text;
}

TEST(KernelCodegen, UnsupportedOpIsAUserErrorNamingOpDtypeAndTarget) {
  KernelMaker m("intrelu");
  m.tile("x", ParamDir::In, {4, 16, DType::I32}).tile("y", ParamDir::Out, {4, 16, DType::I32});
  std::string x = m.load("x");
  std::string r = m.op(TileOpKind::Relu, {x});
  m.store("y", m.op(TileOpKind::Div, {r, x}));
  const ir::Kernel k = m.build();
  EXPECT_TRUE(unsupportedReason("cpu_sim", k.body[1], std::vector<TileType>{{4, 16, DType::I32}}).has_value());
  EXPECT_FALSE(unsupportedReason("cpu_sim", k.body[1], std::vector<TileType>{{4, 16, DType::F16}}).has_value());
  try {
    (void)emitCpuKernel(k, hostArch());
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);  // relu and div, both reported
    const std::string msg = e.diagnostics()[0].message;
    EXPECT_EQ(msg,
              "'relu' on i32 tiles cannot be lowered for target 'cpu_sim': the tile library implements unary ops "
              "for f32, f16 and bf16 only (kernel 'intrelu')");
    EXPECT_NE(e.diagnostics()[1].message.find("'div' on i32 tiles"), std::string::npos);
    EXPECT_NE(e.diagnostics()[0].render().find("help:"), std::string::npos);
  }
}

class ExternalKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("ptowsp-lower-ext-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  ir::Kernel kernel(std::string source, ir::Expr cycles) {
    return ir::Kernel::makeExternal("myk",
                                    {ir::KernelParam::makeTile("x", ParamDir::InOut, {4, 4, DType::F32}),
                                     ir::KernelParam::makeScalar("n", DType::I32)},
                                    std::move(source), std::move(cycles));
  }
  CodegenOptions opts() const {
    CodegenOptions o;
    o.sourceDir = dir_;
    return o;
  }
  std::string errorOf(const ir::Kernel& k) {
    try {
      validateExternalKernel(k, opts());
    } catch (const UserError& e) {
      return e.diagnostics().at(0).message;
    }
    return "";
  }
  std::filesystem::path dir_;
};

TEST_F(ExternalKernel, ValidKernelEmitsNothing) {
  write("k.cpp", "extern \"C\" void pto_k_myk(const uint64_t* args, uint32_t n) {}\n");
  EXPECT_EQ(emitCpuKernel(kernel("k.cpp", ir::var("n") * 4 + 10), hostArch(), opts()), "");
}

TEST_F(ExternalKernel, MissingFileSymbolOrCyclesAreUserErrors) {
  write("k.cpp", "extern \"C\" void other(const uint64_t*, uint32_t) {}\n");
  EXPECT_NE(errorOf(kernel("nope.cpp", 10)).find("cannot read source file"), std::string::npos);
  EXPECT_NE(errorOf(kernel("k.cpp", 10)).find("does not define 'pto_k_myk'"), std::string::npos);
  EXPECT_NE(errorOf(kernel("", 10)).find("has no source file"), std::string::npos);
  write("k2.cpp", "extern \"C\" void pto_k_myk(const uint64_t*, uint32_t) {}\n");
  EXPECT_NE(errorOf(kernel("k2.cpp", ir::Expr())).find("declares no cycles"), std::string::npos);
  EXPECT_NE(errorOf(kernel("k2.cpp", ir::var("m") + 1)), "");  // not a scalar param
  EXPECT_EQ(errorOf(kernel("k2.cpp", ir::var("n") + 1)), "");
}

}  // namespace
}  // namespace pto::wsp::lower

namespace pto::wsp::lower {
namespace {

// Every op is either one tile-library call or part of a streamed chain (one call for
// its loads, op and store; each replaced op says so in a comment).
TEST(KernelCodegen, EveryExampleKernelLowersWithOneCallPerOp) {
  const std::vector<ir::Kernel> ks = test::exampleKernels();
  ASSERT_GE(ks.size(), 5u);
  const std::regex callRe(R"(\n  pto::tile::[a-z_]+(<[0-9, ]+>)?\()");
  size_t streamedOps = 0;
  for (const ir::Kernel& k : ks) {
    if (k.external) continue;
    const std::string text = emitCpuKernel(k, hostArch());
    const size_t calls = static_cast<size_t>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), callRe), std::sregex_iterator()));
    const size_t streamed = count(text, "// streamed by [");
    EXPECT_EQ(calls + streamed, k.body.size()) << k.name;
    streamedOps += streamed;
  }
  EXPECT_GT(streamedOps, 0u) << "no example kernel streams a load/op/store chain";
}

// load, load, add, store with single-use tiles: one call between the global views.
TEST(KernelCodegen, LoadOpStoreChainsStreamBetweenGlobalViews) {
  KernelMaker m("mix");
  m.tile("h", ParamDir::In, {16, 128, DType::F32})
      .tile("r", ParamDir::In, {16, 128, DType::F32})
      .tile("y", ParamDir::Out, {16, 128, DType::F32})
      .tile("z", ParamDir::Out, {16, 128, DType::F32})
      .scalar("s", DType::F32);
  m.store("y", m.op(TileOpKind::Add, {m.load("h"), m.load("r")}));
  m.store("z", m.opScalar(TileOpKind::Mul, m.load("h"), ScalarOperand::ofParam("s")));
  const std::string text = emitCpuKernel(m.build(), hostArch());
  EXPECT_NE(text.find("pto::tile::add_global<16, 128>(g2_y, g0_h, g1_r);"), std::string::npos) << text;
  EXPECT_NE(text.find("pto::tile::mul_global<16, 128>(g3_z, g0_h, static_cast<pto::tile::Compute<float>>(s4_s));"),
            std::string::npos)
      << text;
  EXPECT_EQ(count(text, "pto::tile::load("), 0u) << text;
  EXPECT_EQ(count(text, "pto::tile::Tile<"), 0u) << text;
  EXPECT_EQ(count(text, "// streamed by [3]"), 3u) << text;
}

// load, load, [load,] matmul, store with single-use tiles: one matmul_global call.
TEST(KernelCodegen, MatmulChainsStreamBetweenGlobalViews) {
  KernelMaker m("gemm");
  m.tile("a", ParamDir::In, {64, 32, DType::F16})
      .tile("b", ParamDir::In, {32, 48, DType::F16})
      .tile("c", ParamDir::InOut, {64, 48, DType::F32})
      .tile("d", ParamDir::Out, {64, 48, DType::F32});
  m.store("c", m.op(TileOpKind::Matmul, {m.load("a"), m.load("b"), m.load("c")}));
  m.store("d", m.op(TileOpKind::Matmul, {m.load("a"), m.load("b")}));
  const std::string text = emitCpuKernel(m.build(), hostArch());
  EXPECT_NE(text.find("pto::tile::matmul_global<64, 48, 32>(g2_c, g0_a, g1_b, g2_c);"), std::string::npos) << text;
  EXPECT_NE(text.find("pto::tile::matmul_global<64, 48, 32>(g3_d, g0_a, g1_b);"), std::string::npos) << text;
  EXPECT_EQ(count(text, "pto::tile::Tile<"), 0u) << text;
  EXPECT_EQ(count(text, "// streamed by [4]"), 4u) << text;
  EXPECT_EQ(count(text, "// streamed by [8]"), 3u) << text;
}

// A matmul whose operand or result has another use, or with a store between its loads
// and its store, stays staged.
TEST(KernelCodegen, MatmulChainsThatCannotStreamStayStaged) {
  {
    KernelMaker m("reuse");
    m.tile("a", ParamDir::In, {8, 8, DType::F32}).tile("y", ParamDir::Out, {8, 8, DType::F32});
    const std::string a = m.load("a");
    m.store("y", m.op(TileOpKind::Matmul, {a, a}));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
  {
    KernelMaker m("store_between");
    m.tile("a", ParamDir::InOut, {8, 8, DType::F32})
        .tile("b", ParamDir::In, {8, 8, DType::F32})
        .tile("y", ParamDir::Out, {8, 8, DType::F32});
    const std::string a = m.load("a");
    const std::string b = m.load("b");
    m.store("a", m.op(TileOpKind::Exp, {m.load("b")}));
    m.store("y", m.op(TileOpKind::Matmul, {a, b}));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
  {
    KernelMaker m("result_reused");
    m.tile("a", ParamDir::In, {8, 8, DType::F32})
        .tile("b", ParamDir::In, {8, 8, DType::F32})
        .tile("y", ParamDir::Out, {8, 8, DType::F32})
        .tile("z", ParamDir::Out, {8, 8, DType::F32});
    const std::string p = m.op(TileOpKind::Matmul, {m.load("a"), m.load("b")});
    m.store("y", p);
    m.store("z", m.op(TileOpKind::Exp, {p}));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
}

// What must stay staged: a tile with a second use, a store between a load and the chain's
// store (the load must read memory before it), broadcast operands, big tiles.
TEST(KernelCodegen, ChainsThatCannotStreamStayStaged) {
  {
    KernelMaker m("reuse");
    m.tile("a", ParamDir::In, {4, 16, DType::F32}).tile("y", ParamDir::Out, {4, 16, DType::F32});
    const std::string a = m.load("a");
    m.store("y", m.op(TileOpKind::Add, {a, a}));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
  {
    KernelMaker m("store_between");
    m.tile("a", ParamDir::InOut, {4, 16, DType::F32})
        .tile("b", ParamDir::In, {4, 16, DType::F32})
        .tile("y", ParamDir::Out, {4, 16, DType::F32});
    const std::string a = m.load("a");
    const std::string b = m.load("b");
    m.store("a", m.op(TileOpKind::Exp, {m.load("b")}));
    m.store("y", m.op(TileOpKind::Add, {a, b}));
    const std::string text = emitCpuKernel(m.build(), hostArch());
    EXPECT_EQ(count(text, "_global<"), 0u) << text;
  }
  {
    KernelMaker m("rowbc");
    m.tile("a", ParamDir::In, {4, 16, DType::F32})
        .tile("r", ParamDir::In, {4, 1, DType::F32})
        .tile("y", ParamDir::Out, {4, 16, DType::F32});
    m.store("y", m.op(TileOpKind::Max, {m.load("a"), m.load("r")}, Broadcast::Row));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
  {
    KernelMaker m("bigadd");
    m.tile("a", ParamDir::In, {128, 128, DType::F32})
        .tile("b", ParamDir::In, {128, 128, DType::F32})
        .tile("y", ParamDir::Out, {128, 128, DType::F32});
    m.store("y", m.op(TileOpKind::Add, {m.load("a"), m.load("b")}));
    EXPECT_EQ(count(emitCpuKernel(m.build(), hostArch()), "_global<"), 0u);
  }
}

}  // namespace
}  // namespace pto::wsp::lower
