// ChromeTraceWriter's exact bytes: tests/runtime/data/chrome_trace_golden.json holds the
// document of a fixed set of records, stalls and channel events at three clocks (1 cycle
// per us, 1800 MHz with fractional microseconds, and a clock so slow that times fall back
// to the double form, with a truncated record list), so that a faster writer can be
// checked to write the same trace byte for byte. Traces are compared by tools and by eye
// across runs: a changed byte is a changed trace.
#include "pto/wsp/runtime/Trace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// The reference text of one task event, from std::to_string: ts/dur at `mhz` (0 = one
// "us" per cycle) are the picoseconds, rounded as the writer does, printed as a decimal
// without trailing zeros.
std::string referenceTime(uint64_t c, double mhz) {
  if (mhz == 0) return std::to_string(c);
  const auto ps = static_cast<uint64_t>(static_cast<double>(c) * (1.0 / mhz) * 1e6 + 0.5);
  std::string s = std::to_string(ps / 1000000);
  if (const uint64_t frac = ps % 1000000; frac != 0) {
    std::string f = std::to_string(frac);
    f = std::string(6 - f.size(), '0') + f;
    while (f.back() == '0') f.pop_back();
    s += "." + f;
  }
  return s;
}

std::string referenceEvent(const TraceRecord& r, const std::vector<std::string>& names, double mhz) {
  const auto n = [](uint64_t v) { return std::to_string(v); };
  return ",\n{\"name\":\"" + names[r.kernel] + "\",\"cat\":\"task\",\"ph\":\"X\",\"pid\":0,\"tid\":" + n(r.worker) +
         ",\"ts\":" + referenceTime(r.start, mhz) + ",\"dur\":" + referenceTime(r.finish - r.start, mhz) +
         ",\"args\":{\"task\":" + n(r.task) + ",\"kernel\":" + n(r.kernel) + ",\"process\":" + n(r.process) +
         ",\"cycles\":" + n(r.finish - r.start) + ",\"issue_cycle\":" + n(r.issue) + ",\"start_cycle\":" +
         n(r.start) + ",\"finish_cycle\":" + n(r.finish) + "}}";
}

// Numbers of every digit count (both sides of each power of ten), task ids counting
// up across 9 -> 10, 999 -> 1000 and UINT64_MAX -> 0 and jumping, events that repeat
// or change their kernel, worker, process and duration, and device times at a
// fractional clock: each event equals the one built from std::to_string.
TEST(ChromeTraceWriter, NumbersMatchToString) {
  std::vector<uint64_t> values = {0, 1, 9, UINT32_MAX, uint64_t{UINT32_MAX} + 1, UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t p = 10; p <= 10000000000000000000ull; p *= 10) {
    values.insert(values.end(), {p - 1, p, p + 1, p + p / 2});
    if (p > UINT64_MAX / 10) break;
  }
  std::vector<uint64_t> tasks;
  for (uint64_t t = 0; t < 1100; ++t) tasks.push_back(t);
  tasks.insert(tasks.end(), {99999, 100000, 5, 6, UINT64_MAX - 1, UINT64_MAX, 0, 1, 999999999999, 1000000000000});
  const std::vector<std::string> names = {"mm", "add"};
  for (const double mhz : {0.0, 1800.0, 1100.0}) {
    TraceExportOptions o;
    o.kernelNames = names;
    o.cyclesPerMicrosecond = mhz == 0 ? 1.0 : mhz;
    std::string doc, empty;
    ChromeTraceWriter w(3, o, [&](std::string_view s) { doc += s; });
    ChromeTraceWriter e(3, o, [&](std::string_view s) { empty += s; });
    e.finish();
    std::string expected = empty.substr(0, empty.size() - 4);  // the header, without "\n]}\n"
    for (size_t i = 0; i < tasks.size(); ++i) {
      const uint64_t a = values[i % values.size()], b = values[(i / 3) % values.size()];
      const uint64_t start = std::min(a, b), finish = i % 4 == 0 ? start : std::max(a, b);
      const TraceRecord r{tasks[i], static_cast<uint32_t>(i / 7 % 2), static_cast<uint32_t>(i % 3),
                          static_cast<uint32_t>(i / 5 % 2), 0, i % 2 ? start : a / 2, start, finish, 0, 0};
      if (mhz != 0 && static_cast<double>(finish) / mhz * 1e6 >= 1.8e19) continue;  // the double form
      w.add(r);
      expected += referenceEvent(r, names, mhz);
    }
    w.finish();
    EXPECT_EQ(doc, expected + "\n]}\n") << "clock " << mhz;
  }
}

// Runs of tasks whose issue cycles and start times share their leading digits (the
// writer keeps those from the last task), across 10^4, a new digit count, a step back
// and a jump: each event equals the one built from std::to_string.
TEST(ChromeTraceWriter, ConsecutiveTasksMatchToString) {
  std::vector<uint64_t> issues;
  for (const uint64_t from : {uint64_t{9000}, uint64_t{99990000}, uint64_t{999999999990000}, uint64_t{12345678}})
    for (uint64_t i = 0; i < 300; ++i) issues.push_back(from + 180 * i);
  issues.insert(issues.end(), {5, 123456789, 123446789, UINT64_MAX / 2, UINT64_MAX / 2 + 1, 40000, 40001});
  const std::vector<std::string> names = {"mm"};
  for (const double mhz : {0.0, 1800.0, 1100.0}) {
    TraceExportOptions o;
    o.kernelNames = names;
    o.cyclesPerMicrosecond = mhz == 0 ? 1.0 : mhz;
    std::string doc, empty;
    ChromeTraceWriter w(2, o, [&](std::string_view s) { doc += s; });
    ChromeTraceWriter e(2, o, [&](std::string_view s) { empty += s; });
    e.finish();
    std::string expected = empty.substr(0, empty.size() - 4);
    for (size_t i = 0; i < issues.size(); ++i) {
      const uint64_t start = issues[i] + (i % 3 == 0 ? 7 : 0);
      const TraceRecord r{i, 0, static_cast<uint32_t>(i % 2), 0, 0, issues[i], start, start + 10, 0, 0};
      if (mhz != 0 && static_cast<double>(r.finish) / mhz * 1e6 >= 1.8e19) continue;  // the double form
      w.add(r);
      expected += referenceEvent(r, names, mhz);
    }
    w.finish();
    EXPECT_EQ(doc, expected + "\n]}\n") << "clock " << mhz;
  }
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
