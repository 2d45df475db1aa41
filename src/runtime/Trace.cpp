// Chrome trace-event JSON, written by hand into a bounded buffer: a long run's trace
// streams to its file without a document tree (nlohmann-json spent ~50k instructions
// per task building one).
#include "pto/wsp/runtime/Trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace pto::wsp::rt {

namespace {

constexpr size_t kFlushBytes = size_t{64} << 10;
// Fixed text and up to 20 numbers of 20 digits (or 24-character doubles) per event pair.
constexpr size_t kEventFixedBytes = 1536;

// Events are written by pointer: a literal is one fixed-size copy and an integer two
// digits per step, instead of ~25 checked string appends per event.
template <size_t N>
inline char* put(char* p, const char (&lit)[N]) {
  std::memcpy(p, lit, N - 1);
  return p + N - 1;
}

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline char* putPairs(char* q, uint64_t v) {  // v's digits, right-aligned ending at q
  while (v >= 100) {
    q -= 2;
    std::memcpy(q, kDigitPairs + (v % 100) * 2, 2);
    v /= 100;
  }
  if (v >= 10) {
    q -= 2;
    std::memcpy(q, kDigitPairs + v * 2, 2);
  } else {
    *--q = static_cast<char>('0' + v);
  }
  return q;
}

inline unsigned digits10(uint64_t v) {
  unsigned n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

inline char* putUint(char* p, uint64_t v) {
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  const unsigned n = digits10(v);
  putPairs(p + n, v);
  return p + n;
}

void appendUint(std::string& s, uint64_t v) {
  char b[24];
  s.append(b, putUint(b, v));
}

void appendQuoted(std::string& s, std::string_view v) {
  s += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      s += '\\';
      s += c;
    } else if (u < 0x20) {
      s += fmt::format("\\u{:04x}", u);
    } else {
      s += c;
    }
  }
  s += '"';
}

void metaName(std::string& s, const char* what, uint32_t pid, const uint32_t* tid, std::string_view value,
              const char* key = "name") {
  s += ",\n{\"name\":\"";
  s += what;
  s += "\",\"ph\":\"M\",\"pid\":";
  appendUint(s, pid);
  if (tid) {
    s += ",\"tid\":";
    appendUint(s, *tid);
  }
  s += ",\"args\":{\"";
  s += key;
  s += "\":";
  s += value;
  s += "}}";
}

// v / 10^Digits as a decimal without trailing zeros ("12.5", "3"): integer formatting,
// several times cheaper per event than the shortest round-trip double.
template <int Digits>
char* putFixed(char* p, uint64_t v) {
  constexpr uint64_t kPow10 = Digits == 3 ? 1000 : 1000000;
  static_assert(Digits == 3 || Digits == 6);
  p = putUint(p, v / kPow10);
  uint64_t frac = v % kPow10;
  if (frac == 0) return p;
  *p = '.';
  char* const end = p + 1 + Digits;
  char* q = end;
  for (int i = Digits; i >= 2; i -= 2, frac /= 100) {
    q -= 2;
    std::memcpy(q, kDigitPairs + (frac % 100) * 2, 2);
  }
  if constexpr (Digits % 2 == 1) *--q = static_cast<char>('0' + frac);
  char* e = end;
  while (e[-1] == '0') --e;  // frac != 0: stops before the '.'
  return e;
}

}  // namespace

ChromeTraceWriter::ChromeTraceWriter(uint32_t numWorkers, TraceExportOptions opts, Output out)
    : opts_(std::move(opts)), out_(std::move(out)), numWorkers_(numWorkers) {
  scale_ = opts_.cyclesPerMicrosecond > 0 ? 1.0 / opts_.cyclesPerMicrosecond : 1.0;
  unitScale_ = scale_ == 1.0;
  size_t longestName = 0;
  for (const std::string& n : opts_.kernelNames) {
    std::string q;
    appendQuoted(q, n);
    longestName = std::max(longestName, q.size());
    quoted_.push_back(std::move(q));
  }
  eventBytes_ = kEventFixedBytes + 2 * longestName;
  cap_ = kFlushBytes + eventBytes_;
  buf_ = std::make_unique_for_overwrite<char[]>(cap_);
  cur_ = buf_.get();
  std::string head =
      "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,"
      "\"args\":{\"name\":";
  appendQuoted(head, opts_.processName);
  head += "}}";
  for (uint32_t w = 0; w < numWorkers; ++w) {
    std::string n;
    appendQuoted(n, fmt::format("worker {}", w));
    metaName(head, "thread_name", 0, &w, n);
    metaName(head, "thread_sort_index", 0, &w, std::to_string(w), "sort_index");
    if (head.size() >= kFlushBytes) {
      append(head);
      head.clear();
    }
  }
  append(head);
}

char* ChromeTraceWriter::reserve(size_t bytes) {
  if (static_cast<size_t>(cur_ - buf_.get()) + bytes > cap_) {
    flush();
    if (bytes > cap_) {
      cap_ = bytes;
      buf_ = std::make_unique_for_overwrite<char[]>(cap_);
      cur_ = buf_.get();
    }
  }
  return cur_;
}

void ChromeTraceWriter::append(std::string_view s) {
  cur_ = put(reserve(s.size()), s);
  if (static_cast<size_t>(cur_ - buf_.get()) >= kFlushBytes) flush();
}

char* ChromeTraceWriter::name(char* p, uint32_t kernel) const {
  if (kernel < quoted_.size()) return put(p, std::string_view(quoted_[kernel]));
  p = put(p, "\"k");
  p = putUint(p, kernel);
  *p++ = '"';
  return p;
}

char* ChromeTraceWriter::time(char* p, double cycles) const {
  // Device microseconds to the picosecond (below one cycle at any clock up to 1000 GHz).
  const double ps = cycles * scale_ * 1e6;
  if (ps < 1.8e19) return putFixed<6>(p, static_cast<uint64_t>(ps + 0.5));
  return std::to_chars(p, p + 32, cycles * scale_).ptr;
}

char* ChromeTraceWriter::cycles(char* p, uint64_t c) const {
  return unitScale_ ? putUint(p, c) : time(p, static_cast<double>(c));
}

void ChromeTraceWriter::add(const TraceRecord& r) {
  ++records_;
  const bool host = r.hostEndNs != 0;
  char* p = reserve(eventBytes_);
  p = put(p, ",\n{\"name\":");
  p = name(p, r.kernel);
  p = put(p, ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":0,\"tid\":");
  p = putUint(p, r.worker);
  p = put(p, ",\"ts\":");
  p = cycles(p, r.start);
  p = put(p, ",\"dur\":");
  p = cycles(p, r.finish - r.start);
  p = put(p, ",\"args\":{\"task\":");
  p = putUint(p, r.task);
  p = put(p, ",\"kernel\":");
  p = putUint(p, r.kernel);
  p = put(p, ",\"process\":");
  p = putUint(p, r.process);
  p = put(p, ",\"cycles\":");
  p = putUint(p, r.finish - r.start);
  p = put(p, ",\"issue_cycle\":");
  p = putUint(p, r.issue);
  p = put(p, ",\"start_cycle\":");
  p = putUint(p, r.start);
  p = put(p, ",\"finish_cycle\":");
  p = putUint(p, r.finish);
  if (host) {
    p = put(p, ",\"host_start_ns\":");
    p = putUint(p, r.hostStartNs);
    p = put(p, ",\"host_end_ns\":");
    p = putUint(p, r.hostEndNs);
  }
  p = put(p, "}}");
  if (host) {
    if (hostTrack_.empty() || r.hostThread >= hostTrack_.size() || !hostTrack_[r.hostThread]) {
      cur_ = p;
      nameHostTrack(r.hostThread);
      p = reserve(eventBytes_);
    }
    p = put(p, ",\n{\"name\":");
    p = name(p, r.kernel);
    p = put(p, ",\"cat\":\"host\",\"ph\":\"X\",\"pid\":1,\"tid\":");
    p = putUint(p, r.hostThread);
    p = put(p, ",\"ts\":");
    p = putFixed<3>(p, r.hostStartNs);  // ns as microseconds, exactly
    p = put(p, ",\"dur\":");
    p = putFixed<3>(p, r.hostEndNs - r.hostStartNs);
    p = put(p, ",\"args\":{\"task\":");
    p = putUint(p, r.task);
    p = put(p, ",\"kernel\":");
    p = putUint(p, r.kernel);
    p = put(p, ",\"worker\":");
    p = putUint(p, r.worker);
    p = put(p, ",\"cycles\":");
    p = putUint(p, r.finish - r.start);
    p = put(p, ",\"start_cycle\":");
    p = putUint(p, r.start);
    p = put(p, ",\"finish_cycle\":");
    p = putUint(p, r.finish);
    p = put(p, "}}");
  }
  cur_ = p;
  if (static_cast<size_t>(cur_ - buf_.get()) >= kFlushBytes) flush();
}

void ChromeTraceWriter::nameHostTrack(uint32_t thread) {
  std::string meta;
  if (hostTrack_.empty()) {
    std::string n;
    appendQuoted(n, opts_.hostProcessName);
    metaName(meta, "process_name", 1, nullptr, n);
    metaName(meta, "process_sort_index", 1, nullptr, "1", "sort_index");
  }
  if (thread >= hostTrack_.size()) hostTrack_.resize(thread + 1, false);
  if (!hostTrack_[thread]) {
    hostTrack_[thread] = true;
    std::string n;
    appendQuoted(n, fmt::format("host thread {}", thread));
    metaName(meta, "thread_name", 1, &thread, n);
  }
  append(meta);
}

void ChromeTraceWriter::addStall(Resource res, uint32_t process, uint64_t task, uint64_t from, uint64_t cycles) {
  const uint32_t track = process * static_cast<uint32_t>(kNumResources) + static_cast<uint32_t>(res);
  const uint32_t tid = numWorkers_ + track;
  if (track >= stallTrack_.size()) stallTrack_.resize(track + 1, false);
  if (!stallTrack_[track]) {
    stallTrack_[track] = true;
    std::string n;
    appendQuoted(n, fmt::format("stall: {} ({})", resourceName(res),
                                process < opts_.processNames.size() ? opts_.processNames[process]
                                                                    : fmt::format("process {}", process)));
    std::string meta;
    metaName(meta, "thread_name", 0, &tid, n);
    metaName(meta, "thread_sort_index", 0, &tid, std::to_string(tid), "sort_index");
    append(meta);
  }
  const std::string_view resName = resourceName(res);
  char* p = reserve(kEventFixedBytes + resName.size());
  p = put(p, ",\n{\"name\":\"stall: ");
  p = put(p, resName);
  p = put(p, "\",\"cat\":\"stall\",\"ph\":\"X\",\"pid\":0,\"tid\":");
  p = putUint(p, tid);
  p = put(p, ",\"ts\":");
  p = this->cycles(p, from);
  p = put(p, ",\"dur\":");
  p = this->cycles(p, cycles);
  p = put(p, ",\"args\":{\"task\":");
  p = putUint(p, task);
  p = put(p, ",\"process\":");
  p = putUint(p, process);
  p = put(p, ",\"cycles\":");
  p = putUint(p, cycles);
  p = put(p, ",\"start_cycle\":");
  p = putUint(p, from);
  p = put(p, ",\"finish_cycle\":");
  p = putUint(p, from + cycles);
  p = put(p, "}}");
  cur_ = p;
  if (static_cast<size_t>(cur_ - buf_.get()) >= kFlushBytes) flush();
}

void ChromeTraceWriter::addChannel(uint32_t channel, uint64_t at, uint64_t tokens) {
  std::string n;
  if (channel < opts_.channelNames.size()) {
    appendQuoted(n, "channel " + opts_.channelNames[channel]);
  } else {
    n = "\"channel c";
    appendUint(n, channel);
    n += '"';
  }
  char* p = reserve(kEventFixedBytes + n.size());
  p = put(p, ",\n{\"name\":");
  p = put(p, std::string_view(n));
  p = put(p, ",\"cat\":\"channel\",\"ph\":\"C\",\"pid\":0,\"ts\":");
  p = cycles(p, at);
  p = put(p, ",\"args\":{\"tokens\":");
  p = putUint(p, tokens);
  p = put(p, "}}");
  cur_ = p;
  if (static_cast<size_t>(cur_ - buf_.get()) >= kFlushBytes) flush();
}

void ChromeTraceWriter::flush() {
  out_(std::string_view(buf_.get(), static_cast<size_t>(cur_ - buf_.get())));
  cur_ = buf_.get();
}

void ChromeTraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (opts_.droppedTasks == 0) {
    append("\n]}\n");
    flush();
    return;
  }
  // A capped record list is never passed off as the whole run.
  const std::string truncated =
      fmt::format("{{\"dropped_tasks\":{},\"first_dropped_task\":{},\"recorded_tasks\":{}}}", opts_.droppedTasks,
                  opts_.firstDroppedTask, records_);
  std::string tail = ",\n{\"name\":";
  appendQuoted(tail, fmt::format("trace truncated: {} tasks from task {} on are not recorded", opts_.droppedTasks,
                                 opts_.firstDroppedTask));
  tail += ",\"ph\":\"i\",\"s\":\"g\",\"pid\":0,\"tid\":0,\"ts\":0,\"args\":" + truncated + "}";
  tail += "\n],\"pto_wsp_truncated\":" + truncated + "}\n";
  append(tail);
  flush();
}

std::string chromeTraceJson(std::span<const TraceRecord> records, uint32_t numWorkers,
                            const TraceExportOptions& opts) {
  std::string doc;
  ChromeTraceWriter w(numWorkers, opts, [&](std::string_view s) { doc += s; });
  for (const TraceRecord& r : records) w.add(r);
  w.finish();
  return doc;
}

}  // namespace pto::wsp::rt
