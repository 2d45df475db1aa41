// One test per placement / resource rule of the aie target (docs/aie.md, "Rules"), each
// checking the located error with the actual numbers and the limit.
#include "AieTestUtil.h"

namespace pto::wsp::target::aie::testing {
namespace {

// The pipeline example's shape, with the l2c capacity and the worker count as knobs.
std::string pipelineText(int capacity, int workers = 2) {
  return R"(module p
input X : f32[128, 128]
temp Buf : f32[128, 128]
temp Res : f32[128, 128]
output Y : f32[128, 128]
kernel copy(in a : Tile[16, 128, f32], out b : Tile[16, 128, f32]) {
  %t = load a
  store b, %t
}
workload pipe {
  channel l2c : index
  channel c2s : index
  process loader produces(l2c) {
    P.seq i in dense(8) {
      call copy(X[i * 16 : 16, 0 : 128], Buf[i * 16 : 16, 0 : 128])
      send l2c value i
    }
  }
  process worker consumes(l2c) produces(c2s) {
    consume l2c as i {
      call copy(Buf[i * 16 : 16, 0 : 128], Res[i * 16 : 16, 0 : 128])
      send c2s value i
    }
  }
  process storer consumes(c2s) {
    consume c2s as i {
      call copy(Res[i * 16 : 16, 0 : 128], Y[i * 16 : 16, 0 : 128])
    }
  }
  connect loader -> worker via l2c
  connect worker -> storer via c2s
  replicate worker )" +
         std::to_string(workers) + R"(
}
schedule {
  channel l2c capacity )" +
         std::to_string(capacity) + R"( latency 0
}
)";
}

std::string messages(const std::vector<Diagnostic>& v) {
  std::string s;
  for (const auto& d : v) s += d.render() + "\n";
  return s;
}

const Diagnostic* find(const std::vector<Diagnostic>& v, std::string_view needle) {
  for (const auto& d : v)
    if (d.message.find(needle) != std::string::npos) return &d;
  return nullptr;
}

TEST(AieRules, PipelineWithinEveryLimit) {
  const Mapping m = mapText(pipelineText(2));
  EXPECT_TRUE(resourceViolations(m, npu1()).empty()) << messages(resourceViolations(m, npu1()));
}

TEST(AieRules, OverBudgetFifoIsRefusedAtTheChannel) {
  // Worker tile: l2c 8 x 8 KiB + c2s 1 x 8 KiB (default capacity 1) + 1 KiB stack = 73 KiB.
  const Mapping m = mapText(pipelineText(8), "over.wsp");
  const auto v = resourceViolations(m, npu1());
  const Diagnostic* d = find(v, "compute tile (0, 3) needs 73 KiB of data memory, limit 64 KiB");
  ASSERT_NE(d, nullptr) << messages(v);
  EXPECT_EQ(d->loc.file, "over.wsp");
  EXPECT_EQ(d->loc.line, 11u);  // channel l2c : index
  EXPECT_NE(d->message.find("'l2c_0' 8 x 8 KiB"), std::string::npos) << d->message;
  EXPECT_THROW(checkResources(m, npu1()), UserError);
}

TEST(AieRules, MemtileBudget) {
  Mapping m = mapText(pipelineText(2));
  for (auto& f : m.fifos)
    if (f.name == "X_shim") f.depth = 80;  // 80 x 8 KiB = 640 KiB at memtile (0, 1)
  const auto v = resourceViolations(m, npu1());
  ASSERT_NE(find(v, "memtile tile (0, 1) needs"), nullptr) << messages(v);
  EXPECT_NE(find(v, "limit 512 KiB"), nullptr) << messages(v);
}

TEST(AieRules, UnlinkedMemtileFifoIsRefused) {
  Mapping m = mapText(pipelineText(2), "unlinked.wsp");
  ASSERT_EQ(m.links.front().ins.front(), "X_shim");
  m.links.erase(m.links.begin());
  const auto v = resourceViolations(m, npu1());
  const Diagnostic* in = find(v, "object FIFO 'X_shim' ends at a memtile but no objectfifo.link forwards it");
  const Diagnostic* out = find(v, "object FIFO 'X' leaves memtile (0, 1) but no objectfifo.link feeds it");
  ASSERT_NE(in, nullptr) << messages(v);
  ASSERT_NE(out, nullptr) << messages(v);
  EXPECT_EQ(in->loc.file, "unlinked.wsp");
  EXPECT_GT(in->loc.line, 0u);
}

TEST(AieRules, CyclicChannelGraphIsRefusedNamingTheChannels) {
  const std::string text = R"(module cyc
input X : f32[16, 128]
temp A : f32[64, 128]
temp B : f32[64, 128]
kernel copy(in a : Tile[16, 128, f32], out b : Tile[16, 128, f32]) {
  %t = load a
  store b, %t
}
workload cyc {
  channel fwd : index
  channel back : index
  process ping consumes(back) produces(fwd) {
    consume back as i {
      call copy(B[i * 16 : 16, 0 : 128], A[i * 16 : 16, 0 : 128])
      send fwd value i
    }
  }
  process pong consumes(fwd) produces(back) {
    consume fwd as i {
      call copy(A[i * 16 : 16, 0 : 128], B[i * 16 : 16, 0 : 128])
      send back value i
    }
  }
  connect ping -> pong via fwd
  connect pong -> ping via back
}
)";
  const Diagnostic d = firstError([&] { (void)mapText(text, "cyc.wsp"); });
  EXPECT_NE(d.message.find("has a cycle through channels fwd: ping -> pong, back: pong -> ping"), std::string::npos)
      << d.render();
  EXPECT_EQ(d.loc.file, "cyc.wsp");
  EXPECT_EQ(d.loc.line, 10u);  // channel fwd : index
}

TEST(AieRules, TilesInsideTheDevice) {
  Mapping m = mapText(pipelineText(2));
  m.cores.back().tile = {4, 2};
  for (auto& f : m.fifos)
    if (f.name == "Y") f.producer = {4, 2};
  const auto v = resourceViolations(m, npu1());
  EXPECT_NE(find(v, "is placed on tile (4, 2), outside the npu1_4col array (columns 0..3, rows 0..5)"), nullptr)
      << messages(v);
}

TEST(AieRules, CoresOnComputeTilesOnly) {
  Mapping m = mapText(pipelineText(2));
  m.cores.front().tile = {0, 1};
  const auto v = resourceViolations(m, npu1());
  EXPECT_NE(find(v, "is on memtile tile (0, 1)"), nullptr) << messages(v);
}

TEST(AieRules, TooManyCoresIsRefusedAtMapping) {
  const Diagnostic d = firstError([&] { (void)mapText(pipelineText(2, 16)); });
  EXPECT_NE(d.message.find("needs 18 cores, the npu1_4col array has 16 compute tiles"), std::string::npos) << d.render();
}

// Plain grid with `inputs` per-iteration input tensors on `workers` cores.
std::string gridText(int inputs, int workers, const std::string& tile = "16 : 16, 0 : 128", const std::string& dt = "f32") {
  std::string params, args, decls;
  const std::string cols = tile.substr(tile.find(": ", tile.find(',')) + 2);
  const std::string shape = "[16, " + cols + ", " + dt + "]";
  for (int i = 0; i < inputs; ++i) {
    decls += "input X" + std::to_string(i) + " : " + dt + "[128, 128]\n";
    params += "in a" + std::to_string(i) + " : Tile" + shape + ", ";
    args += "X" + std::to_string(i) + "[i * " + tile + "], ";
  }
  return "module g\n" + decls + "output Y : " + dt + "[128, 128]\nkernel k(" + params + "out y : Tile" + shape +
         ") {\n  %t = load a0\n  store y, %t\n}\nworkload g {\n  P i in dense(8) {\n    call k(" + args + "Y[i * " + tile +
         "])\n  }\n}\nschedule {\n  dispatch round_robin(workers = " + std::to_string(workers) + ")\n}\n";
}

std::string gridTextForAnnotations() {
  std::string t = gridText(1, 4);
  const std::string decl = "input X0 : f32[128, 128]";
  t.replace(t.find(decl), decl.size(), decl + " layout(S(tp), R)");
  return t;
}

TEST(AieRules, GridWithinEveryLimit) {
  const Mapping m = mapText(gridText(1, 4));
  EXPECT_TRUE(resourceViolations(m, npu1()).empty()) << messages(resourceViolations(m, npu1()));
  const auto p = writeModule("grid_1x4", emitMlir(m));
  EXPECT_EQ(runChecker(p), 0) << checkerOutput(p);
}

TEST(AieRules, DmaChannelsPerTile) {
  // Two split inputs over 4 cores: 8 memtile MM2S channels (limit 6); two host inputs and
  // one output: shim MM2S 2 (limit 2) is fine.
  const Mapping m = mapText(gridText(2, 4), "dma.wsp");
  const auto v = resourceViolations(m, npu1());
  const Diagnostic* d = find(v, "memtile tile (0, 1) needs 9 MM2S (outgoing) DMA channels, limit 6");
  ASSERT_NE(d, nullptr) << messages(v);
  EXPECT_EQ(d->loc.file, "dma.wsp");
  const auto v3 = resourceViolations(mapText(gridText(3, 1)), npu1());
  EXPECT_NE(find(v3, "shim tile (0, 0) needs 3 MM2S (outgoing) DMA channels, limit 2"), nullptr) << messages(v3);
  EXPECT_NE(find(v3, "compute tile (0, 2) needs 3 S2MM (incoming) DMA channels, limit 2"), nullptr) << messages(v3);
}

TEST(AieRules, BufferDescriptorIdsPerShim) {
  Mapping m = mapText(pipelineText(2));
  while (m.dmas.size() < 17) {
    HostDma d = m.dmas.front();
    d.id = static_cast<int64_t>(m.dmas.size());
    m.dmas.push_back(d);
  }
  const auto v = resourceViolations(m, npu1());
  EXPECT_NE(find(v, "shim tile (0, 0) needs 17 buffer descriptor ids, limit 16"), nullptr) << messages(v);
}

TEST(AieRules, DmaSizesInMultiplesOfFourBytes) {
  // f16 tiles one column wide: 2-byte rows.
  const Mapping m = mapText(gridText(1, 1, "16 : 16, 0 : 1", "f16"), "narrow.wsp");
  const auto v = resourceViolations(m, npu1());
  const Diagnostic* d = find(v, "moves rows of 2 bytes, not a multiple of 4");
  ASSERT_NE(d, nullptr) << messages(v);
  EXPECT_EQ(d->loc.file, "narrow.wsp");
  EXPECT_GT(d->loc.line, 0u);
}

TEST(AieRules, DmaOffsetsFourByteAligned) {
  Mapping m = mapText(gridText(1, 1, "16 : 16, 0 : 2", "f16"));
  EXPECT_TRUE(resourceViolations(m, npu1()).empty()) << messages(resourceViolations(m, npu1()));
  m.dmas.front().offsets[3] = 1;  // one f16 element in: byte 2
  const auto v = resourceViolations(m, npu1());
  EXPECT_NE(find(v, "starts at byte offset 2, not 4-byte aligned"), nullptr) << messages(v);
}

TEST(AieRules, DmaWrapAndStepLimits) {
  Mapping m = mapText(gridText(1, 1, "16 : 16, 0 : 64"));
  ASSERT_EQ(m.dmas.front().sizes[1], 8);  // a strided walk: 8 tiles of 16 x 64
  auto wrap = m;
  wrap.dmas.front().sizes[2] = 2000;
  EXPECT_NE(find(resourceViolations(wrap, npu1()), "wraps 2000 rows, limit 1023"), nullptr)
      << messages(resourceViolations(wrap, npu1()));
  auto inner = m;
  inner.dmas.front().sizes[3] = 1100;  // 1100 f32 words
  EXPECT_NE(find(resourceViolations(inner, npu1()), "moves 1100 words in its innermost dim, limit 1023"), nullptr)
      << messages(resourceViolations(inner, npu1()));
  auto step = m;
  step.dmas.front().strides[1] = (int64_t{1} << 20) + 8;
  EXPECT_NE(find(resourceViolations(step, npu1()), "steps 1048584 words in dim 1, limit 1048577"), nullptr)
      << messages(resourceViolations(step, npu1()));
  auto repeat = m;
  repeat.dmas.front().sizes[0] = 65;
  EXPECT_NE(find(resourceViolations(repeat, npu1()), "repeats 65 times, limit 64"), nullptr)
      << messages(resourceViolations(repeat, npu1()));
}

TEST(AieRules, CapacitiesComeFromTheArch) {
  const AieDevice d = npu1();
  EXPECT_EQ(d.computeMemBytes, 64u * 1024);
  EXPECT_EQ(d.memtileBytes, 512u * 1024);
  EXPECT_EQ(d.computeTile(0).str(), "(0, 2)");
  EXPECT_EQ(d.computeTile(5).str(), "(1, 3)");
}

}  // namespace
}  // namespace pto::wsp::target::aie::testing

namespace pto::wsp::target::aie::testing {
namespace {

TEST(AieAnnotations, ShardingAndLayoutCarriedAsAttributes) {
  std::string text = gridTextForAnnotations();
  const Mapping m = mapText(text);
  const std::string mlir = emitMlir(m);
  EXPECT_NE(mlir.find("pto.tensor = \"X0\", pto.sharding = \"S(tp),R\", pto.layout = \"dims 0,1\""), std::string::npos)
      << mlir;
  const auto p = writeModule("annotated", mlir);
  EXPECT_EQ(runChecker(p), 0) << checkerOutput(p);
}

}  // namespace
}  // namespace pto::wsp::target::aie::testing
