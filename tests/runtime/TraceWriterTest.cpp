// ChromeTraceWriter's exact bytes: tests/runtime/data/chrome_trace_golden.json holds the
// document of a fixed set of records, stalls and channel events at three clocks (1 cycle
// per us, 1800 MHz with fractional microseconds, and a clock so slow that times fall back
// to the double form, with a truncated record list), so that a faster writer can be
// checked to write the same trace byte for byte. Traces are compared by tools and by eye
// across runs: a changed byte is a changed trace.
#include "pto/wsp/runtime/Trace.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pto::wsp::rt {
namespace {

std::string traceOf(int variant, size_t* chunks = nullptr) {
  TraceExportOptions o;
  o.kernelNames = {"mm", "q\"k\\v\x01"};
  o.channelNames = {"kv"};
  o.processNames = {"main"};
  o.cyclesPerMicrosecond = variant == 0 ? 1.0 : variant == 1 ? 1800.0 : 1e-30;
  if (variant == 2) {
    o.droppedTasks = 5;
    o.firstDroppedTask = 3;
  }
  std::string doc;
  ChromeTraceWriter w(2, o, [&](std::string_view s) {
    doc += s;
    if (chunks) ++*chunks;
  });
  w.add({0, 0, 0, 0, 0, 0, 0, 10, 0, 0});
  w.add({1, 1, 1, 0, 1, 5, 7, 12345678901ull, 1500, 2999});
  w.add({2, 7, 0, 1, 3, 9, 18446744073709551000ull, 18446744073709551615ull, 123456789012ull, 123456789999ull});
  w.add({3, 0, 0, 0, 1, 9, 99, 100, 1001, 1002});
  w.addStall(Resource::TensorMapPool, 0, 2, 9, 11);
  w.addStall(Resource::TensorMapPool, 3, 2, 19, 0);
  w.addChannel(0, 17, 3);
  w.addChannel(4, 18, 0);
  w.finish();
  return doc;
}

TEST(ChromeTraceWriter, BytesMatchGolden) {
  std::ifstream in(PTO_WSP_SOURCE_DIR "/tests/runtime/data/chrome_trace_golden.json", std::ios::binary);
  ASSERT_TRUE(in) << "missing golden trace";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(traceOf(0) + traceOf(1) + traceOf(2), golden.str());
}

// A long run streams in chunks of bounded size.
TEST(ChromeTraceWriter, StreamsInBoundedChunks) {
  std::string doc;
  size_t chunks = 0, largest = 0;
  ChromeTraceWriter w(1, {}, [&](std::string_view s) {
    doc += s;
    ++chunks;
    largest = std::max(largest, s.size());
  });
  for (uint64_t i = 0; i < 20000; ++i) w.add({i, 1, 0, 0, 0, i, i, i + 1, 0, 0});
  w.finish();
  EXPECT_GT(chunks, 10u);
  EXPECT_LT(largest, size_t{128} << 10);
  EXPECT_EQ(w.records(), 20000u);
  EXPECT_EQ(doc.substr(doc.size() - 4), "\n]}\n");
  EXPECT_NE(doc.find("{\"name\":\"k1\",\"cat\":\"task\",\"ph\":\"X\",\"pid\":0,\"tid\":0,\"ts\":19999,\"dur\":1,"
                     "\"args\":{\"task\":19999,"),
            std::string::npos);
}

// Names longer than a chunk arrive whole.
TEST(ChromeTraceWriter, KeepsNamesLongerThanAChunk) {
  TraceExportOptions o;
  o.kernelNames = {std::string(200000, 'k')};
  o.channelNames = {std::string(300000, 'c')};
  std::string doc;
  ChromeTraceWriter w(1, o, [&](std::string_view s) { doc += s; });
  for (uint64_t i = 0; i < 3; ++i) w.add({i, 0, 0, 0, 0, i, i, i + 1, 0, 0});
  w.addChannel(0, 5, 1);
  w.finish();
  const std::string k = "{\"name\":\"" + std::string(200000, 'k') + "\",\"cat\":\"task\"";
  size_t n = 0;
  for (size_t at = doc.find(k); at != std::string::npos; at = doc.find(k, at + 1)) ++n;
  EXPECT_EQ(n, 3u);
  EXPECT_NE(doc.find("{\"name\":\"channel " + std::string(300000, 'c') + "\",\"cat\":\"channel\""), std::string::npos);
  EXPECT_EQ(doc.substr(doc.size() - 4), "\n]}\n");
}

}  // namespace
}  // namespace pto::wsp::rt
