// Chrome trace-event JSON, written by hand into a bounded buffer: a long run's trace
// streams to its file without a document tree (nlohmann-json spent ~50k instructions
// per task building one).
#include "pto/wsp/runtime/Trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>

namespace pto::wsp::rt {

namespace {

constexpr size_t kFlushBytes = size_t{64} << 10;
// Fixed text and up to 20 numbers of 20 digits (or 24-character doubles) per event pair,
// and the up to 96 bytes a block copy writes past the text it copies.
constexpr size_t kEventFixedBytes = 1536;

// Events are written by pointer: a literal is one fixed-size copy and an integer one
// 8-byte store per 8 digits, instead of ~25 checked string appends per event.
template <size_t N>
inline char* put(char* p, const char (&lit)[N]) {
  std::memcpy(p, lit, N - 1);
  return p + N - 1;
}

inline char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

constexpr std::array<uint64_t, 20> kPow10 = [] {
  std::array<uint64_t, 20> t{};
  t[0] = 1;
  for (size_t i = 1; i < t.size(); ++i) t[i] = t[i - 1] * 10;
  return t;
}();

// Decimal digits of v without a loop: log10(2) ~ 1233 / 4096 turns the bit width into
// the digit count or one more, and one comparison with a power of ten settles it.
inline unsigned digits10(uint64_t v) {
  const unsigned t = (static_cast<unsigned>(std::bit_width(v | 1)) * 1233) >> 12;
  return t + 1 - (v < kPow10[t]);
}

// The four characters of every v < 10^4 ("0000".."9999"): a number of up to 8 digits is
// two table loads instead of four divide-by-100 steps (40 KB, built at compile time).
constexpr std::array<char, 40000> kDigitQuads = [] {
  std::array<char, 40000> t{};
  for (unsigned v = 0; v < 10000; ++v) {
    t[4 * v] = static_cast<char>('0' + v / 1000);
    t[4 * v + 1] = static_cast<char>('0' + v / 100 % 10);
    t[4 * v + 2] = static_cast<char>('0' + v / 10 % 10);
    t[4 * v + 3] = static_cast<char>('0' + v % 10);
  }
  return t;
}();

inline uint64_t quadBits(uint32_t v) {  // the four characters of v < 10^4 as a 32-bit unit
  uint32_t u;
  std::memcpy(&u, kDigitQuads.data() + 4 * v, 4);
  return u;
}

// The last n (1..8) of v's eight decimal digits (leading zeros included; v < 10^8) as
// one 64-bit word, first character in the low byte: both halves come from the table and
// the leading characters are shifted out.
inline uint64_t lastDigits(uint32_t v, unsigned n) {
  const uint32_t hi = v / 10000;
  const uint64_t w = quadBits(hi) | quadBits(v - hi * 10000) << 32;
  return w >> (8 * (8 - n));
}

// One 8-byte store of lastDigits (the reserve of an event covers the bytes past n).
inline char* putWord(char* p, uint64_t w, unsigned n) {
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  std::memcpy(p, &w, 8);
  return p + n;
}

inline char* putLast(char* p, uint32_t v, unsigned n) { return putWord(p, lastDigits(v, n), n); }

// Writes up to 8 bytes past the number's end (the event's reserve covers them).
inline char* putUint(char* p, uint64_t v) {
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  const unsigned n = digits10(v);
  if (n <= 8) return putLast(p, static_cast<uint32_t>(v), n);
  const uint64_t top = v / 100000000, low = v - top * 100000000;
  if (n <= 16) {
    p = putLast(p, static_cast<uint32_t>(top), n - 8);
  } else {
    const uint64_t top2 = top / 100000000;
    p = putLast(p, static_cast<uint32_t>(top2), n - 16);
    p = putLast(p, static_cast<uint32_t>(top - top2 * 100000000), 8);
  }
  return putLast(p, static_cast<uint32_t>(low), 8);
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
// several times cheaper per event than the shortest round-trip double. The fraction is
// written whole (zero-padded), then its trailing zeros are dropped.
template <int Digits>
char* putFraction(char* p, uint32_t frac) {
  if (frac == 0) return p;
  *p++ = '.';
  const uint64_t w = lastDigits(frac, Digits);
  // Trailing '0' characters are the word's high bytes equal to 0x30 (frac != 0: not all).
  const uint64_t x = w ^ (0x3030303030303030ull >> (64 - 8 * Digits));
  const auto zeros = static_cast<unsigned>(std::countl_zero(x) - (64 - 8 * Digits)) / 8;
  return putWord(p, w, Digits - zeros);
}

template <int Digits>
char* putFixed(char* p, uint64_t v) {
  static_assert(Digits == 3 || Digits == 6);
  constexpr uint64_t kScale = Digits == 3 ? 1000 : 1000000;
  const uint64_t ip = v / kScale;
  p = putUint(p, ip);
  return putFraction<Digits>(p, static_cast<uint32_t>(v - ip * kScale));
}

}  // namespace

constexpr std::string_view kTaskRest = ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":0,\"tid\":";
constexpr std::string_view kHostRest = ",\"cat\":\"host\",\"ph\":\"X\",\"pid\":1,\"tid\":";
// A segment is copied in one block of this many bytes when it fits (the text is padded
// by as much, and an event's reserve covers the bytes written past its end).
constexpr size_t kSegBlock = 64;

ChromeTraceWriter::ChromeTraceWriter(uint32_t numWorkers, TraceExportOptions opts, Output out)
    : opts_(std::move(opts)), out_(std::move(out)), numWorkers_(numWorkers) {
  scale_ = opts_.cyclesPerMicrosecond > 0 ? 1.0 / opts_.cyclesPerMicrosecond : 1.0;
  unitScale_ = scale_ == 1.0;
  size_t longestName = 0;
  for (const std::string& n : opts_.kernelNames) {
    std::string q;
    appendQuoted(q, n);
    longestName = std::max(longestName, q.size());
    taskPrefix_.push_back(addSeg(",\n{\"name\":" + q + std::string(kTaskRest)));
    hostPrefix_.push_back(addSeg(",\n{\"name\":" + q + std::string(kHostRest)));
  }
  for (uint32_t w = 0; w < numWorkers; ++w) workerTs_.push_back(addSeg(std::to_string(w) + ",\"ts\":"));
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

ChromeTraceWriter::Seg ChromeTraceWriter::addSeg(std::string_view text) {
  const Seg s{static_cast<uint32_t>(segText_.size()), static_cast<uint32_t>(text.size())};
  segText_.insert(segText_.end(), text.begin(), text.end());
  segText_.resize(segText_.size() + kSegBlock, '\0');
  return s;
}

inline char* ChromeTraceWriter::putSeg(char* p, Seg s) const {
  const char* src = segText_.data() + s.off;
  if (s.len <= kSegBlock) {
    std::memcpy(p, src, kSegBlock);
  } else {
    std::memcpy(p, src, s.len);
  }
  return p + s.len;
}

inline char* ChromeTraceWriter::prefix(char* p, const std::vector<Seg>& segs, uint32_t kernel,
                                std::string_view rest) const {
  if (kernel < segs.size()) return putSeg(p, segs[kernel]);
  p = put(p, ",\n{\"name\":\"k");
  p = putUint(p, kernel);
  *p++ = '"';
  return put(p, rest);
}

inline char* ChromeTraceWriter::time(char* p, double cycles) const {
  // Device microseconds to the picosecond (below one cycle at any clock up to 1000 GHz).
  const double ps = cycles * scale_ * 1e6;
  if (ps < 1.8e19) return putFixed<6>(p, static_cast<uint64_t>(ps + 0.5));
  return std::to_chars(p, p + 32, cycles * scale_).ptr;
}

// time() of a task's start: consecutive tasks mostly start within the same microsecond,
// whose digits are kept from the last start.
inline char* ChromeTraceWriter::startTime(char* p, uint64_t start) {
  const double cycles = static_cast<double>(start);
  const double ps = cycles * scale_ * 1e6;
  if (!(ps < 1.8e19)) [[unlikely]]
    return std::to_chars(p, p + 32, cycles * scale_).ptr;
  const auto v = static_cast<uint64_t>(ps + 0.5);
  const uint64_t us = v / 1000000;
  if (us != startUs_.value) startUs_.len = static_cast<uint32_t>(putUint(startUs_.text, startUs_.value = us) - startUs_.text);
  std::memcpy(p, startUs_.text, 16);  // < 1.8e13 us: at most 14 digits
  return putFraction<6>(p + startUs_.len, static_cast<uint32_t>(v - us * 1000000));
}

// putUint of a cycle: the digits above the last four are mostly the last issue's.
inline char* ChromeTraceWriter::issueCycle(char* p, uint64_t c) {
  if (c < 10000) return putUint(p, c);
  const uint64_t high = c / 10000;
  if (high != issueHigh_.value)
    issueHigh_.len = static_cast<uint32_t>(putUint(issueHigh_.text, issueHigh_.value = high) - issueHigh_.text);
  std::memcpy(p, issueHigh_.text, 16);  // < 1.9e15: at most 16 digits
  p += issueHigh_.len;
  const auto low = static_cast<uint32_t>(quadBits(static_cast<uint32_t>(c - high * 10000)));
  std::memcpy(p, &low, 4);
  return p + 4;
}

inline char* ChromeTraceWriter::cycles(char* p, uint64_t c) const {
  return unitScale_ ? putUint(p, c) : time(p, static_cast<double>(c));
}

void ChromeTraceWriter::buildDur(uint64_t dur) {
  char* p = put(durText_, ",\"dur\":");
  p = cycles(p, dur);
  p = put(p, ",\"args\":{\"task\":");
  durLen_ = static_cast<uint32_t>(p - durText_);
  durKey_ = dur;
  durValid_ = true;
}

void ChromeTraceWriter::buildArgs(uint32_t kernel, uint32_t process, uint64_t dur) {
  char* p = put(argsText_, ",\"kernel\":");
  p = putUint(p, kernel);
  p = put(p, ",\"process\":");
  p = putUint(p, process);
  p = put(p, ",\"cycles\":");
  p = putUint(p, dur);
  p = put(p, ",\"issue_cycle\":");
  argsLen_ = static_cast<uint32_t>(p - argsText_);
  argsKernel_ = kernel;
  argsProcess_ = process;
  argsDur_ = dur;
  argsValid_ = true;
}

// Adds one to the decimal in taskText_; false when every digit is a 9 (it grows).
inline bool ChromeTraceWriter::bumpTask() {
  for (char* q = taskText_ + taskLen_; q != taskText_;) {
    if (*--q != '9') {
      ++*q;
      return true;
    }
    *q = '0';
  }
  return false;
}

void ChromeTraceWriter::add(const TraceRecord& r) {
  ++records_;
  const bool host = r.hostEndNs != 0;
  const uint64_t dur = r.finish - r.start;
  char* p = static_cast<size_t>(cur_ - buf_.get()) + eventBytes_ <= cap_ ? cur_ : reserve(eventBytes_);
  p = prefix(p, taskPrefix_, r.kernel, kTaskRest);
  if (r.worker < workerTs_.size()) {
    std::memcpy(p, segText_.data() + workerTs_[r.worker].off, 16);  // `W,"ts":` fits 16
    p += workerTs_[r.worker].len;
  } else {
    p = putUint(p, r.worker);
    p = put(p, ",\"ts\":");
  }
  p = unitScale_ ? putUint(p, r.start) : startTime(p, r.start);
  if (!durValid_ || dur != durKey_) buildDur(dur);
  std::memcpy(p, durText_, sizeof durText_);
  p += durLen_;
  // Tasks mostly arrive in issue order: the next task id is the last one's digits plus
  // one, not a new conversion.
  if (r.task == lastTask_ + 1 && r.task != 0 && taskLen_ != 0 && bumpTask()) {
    lastTask_ = r.task;
  } else {
    taskLen_ = static_cast<uint32_t>(putUint(taskText_, r.task) - taskText_);
    lastTask_ = r.task;
  }
  std::memcpy(p, taskText_, 24);  // at most 20 digits
  p += taskLen_;
  if (!argsValid_ || dur != argsDur_ || r.kernel != argsKernel_ || r.process != argsProcess_)
    buildArgs(r.kernel, r.process, dur);
  std::memcpy(p, argsText_, sizeof argsText_);
  p += argsLen_;
  char* const issue = p;
  p = issueCycle(p, r.issue);
  const auto issueLen = static_cast<size_t>(p - issue);
  p = put(p, ",\"start_cycle\":");
  char* const start = p;
  if (r.start == r.issue && issueLen <= 16) {  // a task that did not wait: the same digits
    std::memcpy(p, issue, 16);
    p += issueLen;
  } else {
    p = putUint(p, r.start);
  }
  const auto startLen = static_cast<size_t>(p - start);
  p = put(p, ",\"finish_cycle\":");
  // A short task ends within the same 10^4 cycles: start's digits but the last four.
  if (r.start >= 10000 && startLen <= 16 && r.finish / 10000 == r.start / 10000) {
    std::memcpy(p, start, 16);
    p += startLen;
    const auto low = static_cast<uint32_t>(quadBits(static_cast<uint32_t>(r.finish % 10000)));
    std::memcpy(p - 4, &low, 4);
  } else {
    p = putUint(p, r.finish);
  }
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
    p = prefix(p, hostPrefix_, r.kernel, kHostRest);
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
    p = putUint(p, dur);
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
