// Chrome trace-event JSON, written by hand into a bounded buffer: a long run's trace
// streams to its file without a document tree (nlohmann-json spent ~50k instructions
// per task building one).
#include "pto/wsp/runtime/Trace.h"

#include <fmt/format.h>

#include <charconv>

namespace pto::wsp::rt {

namespace {

constexpr size_t kFlushBytes = size_t{64} << 10;

void appendUint(std::string& s, uint64_t v) {
  char b[24];
  const auto r = std::to_chars(b, b + sizeof b, v);
  s.append(b, r.ptr);
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

}  // namespace

ChromeTraceWriter::ChromeTraceWriter(uint32_t numWorkers, TraceExportOptions opts, Output out)
    : opts_(std::move(opts)), out_(std::move(out)), numWorkers_(numWorkers) {
  scale_ = opts_.cyclesPerMicrosecond > 0 ? 1.0 / opts_.cyclesPerMicrosecond : 1.0;
  unitScale_ = scale_ == 1.0;
  for (const std::string& n : opts_.kernelNames) {
    std::string q;
    appendQuoted(q, n);
    quoted_.push_back(std::move(q));
  }
  buf_.reserve(kFlushBytes + 4096);
  buf_ += "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,"
          "\"args\":{\"name\":";
  appendQuoted(buf_, opts_.processName);
  buf_ += "}}";
  for (uint32_t w = 0; w < numWorkers; ++w) {
    std::string n;
    appendQuoted(n, fmt::format("worker {}", w));
    metaName(buf_, "thread_name", 0, &w, n);
    metaName(buf_, "thread_sort_index", 0, &w, std::to_string(w), "sort_index");
  }
}

void ChromeTraceWriter::name(uint32_t kernel) {
  if (kernel < quoted_.size()) {
    buf_ += quoted_[kernel];
  } else {
    buf_ += "\"k";
    appendUint(buf_, kernel);
    buf_ += '"';
  }
}

// v / 10^digits as a decimal without trailing zeros ("12.5", "3"): integer formatting,
// several times cheaper per event than the shortest round-trip double.
static void appendFixed(std::string& s, uint64_t v, int digits, uint64_t pow10) {
  appendUint(s, v / pow10);
  uint64_t frac = v % pow10;
  if (frac == 0) return;
  char d[20];
  int n = digits;
  while (frac % 10 == 0) {
    frac /= 10;
    --n;
  }
  for (int i = n - 1; i >= 0; --i, frac /= 10) d[i] = static_cast<char>('0' + frac % 10);
  s += '.';
  s.append(d, static_cast<size_t>(n));
}

void ChromeTraceWriter::time(double cycles) {
  // Device microseconds to the picosecond (below one cycle at any clock up to 1000 GHz).
  const double ps = cycles * scale_ * 1e6;
  if (ps < 1.8e19) {
    appendFixed(buf_, static_cast<uint64_t>(ps + 0.5), 6, 1000000);
    return;
  }
  char b[32];
  const auto r = std::to_chars(b, b + sizeof b, cycles * scale_);
  buf_.append(b, r.ptr);
}

void ChromeTraceWriter::add(const TraceRecord& r) {
  ++records_;
  std::string& s = buf_;
  s += ",\n{\"name\":";
  name(r.kernel);
  s += ",\"cat\":\"task\",\"ph\":\"X\",\"pid\":0,\"tid\":";
  appendUint(s, r.worker);
  s += ",\"ts\":";
  if (unitScale_) appendUint(s, r.start);
  else time(static_cast<double>(r.start));
  s += ",\"dur\":";
  if (unitScale_) appendUint(s, r.finish - r.start);
  else time(static_cast<double>(r.finish - r.start));
  s += ",\"args\":{\"task\":";
  appendUint(s, r.task);
  s += ",\"kernel\":";
  appendUint(s, r.kernel);
  s += ",\"process\":";
  appendUint(s, r.process);
  s += ",\"cycles\":";
  appendUint(s, r.finish - r.start);
  s += ",\"issue_cycle\":";
  appendUint(s, r.issue);
  s += ",\"start_cycle\":";
  appendUint(s, r.start);
  s += ",\"finish_cycle\":";
  appendUint(s, r.finish);
  if (r.hostEndNs != 0) {
    s += ",\"host_start_ns\":";
    appendUint(s, r.hostStartNs);
    s += ",\"host_end_ns\":";
    appendUint(s, r.hostEndNs);
  }
  s += "}}";
  if (r.hostEndNs != 0) {
    if (hostTrack_.empty()) {
      std::string n;
      appendQuoted(n, opts_.hostProcessName);
      metaName(s, "process_name", 1, nullptr, n);
      metaName(s, "process_sort_index", 1, nullptr, "1", "sort_index");
    }
    if (r.hostThread >= hostTrack_.size()) hostTrack_.resize(r.hostThread + 1, false);
    if (!hostTrack_[r.hostThread]) {
      hostTrack_[r.hostThread] = true;
      std::string n;
      appendQuoted(n, fmt::format("host thread {}", r.hostThread));
      metaName(s, "thread_name", 1, &r.hostThread, n);
    }
    s += ",\n{\"name\":";
    name(r.kernel);
    s += ",\"cat\":\"host\",\"ph\":\"X\",\"pid\":1,\"tid\":";
    appendUint(s, r.hostThread);
    s += ",\"ts\":";
    appendFixed(s, r.hostStartNs, 3, 1000);  // ns as microseconds, exactly
    s += ",\"dur\":";
    appendFixed(s, r.hostEndNs - r.hostStartNs, 3, 1000);
    s += ",\"args\":{\"task\":";
    appendUint(s, r.task);
    s += ",\"kernel\":";
    appendUint(s, r.kernel);
    s += ",\"worker\":";
    appendUint(s, r.worker);
    s += ",\"cycles\":";
    appendUint(s, r.finish - r.start);
    s += ",\"start_cycle\":";
    appendUint(s, r.start);
    s += ",\"finish_cycle\":";
    appendUint(s, r.finish);
    s += "}}";
  }
  if (s.size() >= kFlushBytes) flush();
}

void ChromeTraceWriter::addStall(Resource res, uint32_t process, uint64_t task, uint64_t from, uint64_t cycles) {
  std::string& s = buf_;
  const uint32_t track = process * static_cast<uint32_t>(kNumResources) + static_cast<uint32_t>(res);
  const uint32_t tid = numWorkers_ + track;
  if (track >= stallTrack_.size()) stallTrack_.resize(track + 1, false);
  if (!stallTrack_[track]) {
    stallTrack_[track] = true;
    std::string n;
    appendQuoted(n, fmt::format("stall: {} ({})", resourceName(res),
                                process < opts_.processNames.size() ? opts_.processNames[process]
                                                                    : fmt::format("process {}", process)));
    metaName(s, "thread_name", 0, &tid, n);
    metaName(s, "thread_sort_index", 0, &tid, std::to_string(tid), "sort_index");
  }
  s += ",\n{\"name\":\"stall: ";
  s += resourceName(res);
  s += "\",\"cat\":\"stall\",\"ph\":\"X\",\"pid\":0,\"tid\":";
  appendUint(s, tid);
  s += ",\"ts\":";
  if (unitScale_) appendUint(s, from);
  else time(static_cast<double>(from));
  s += ",\"dur\":";
  if (unitScale_) appendUint(s, cycles);
  else time(static_cast<double>(cycles));
  s += ",\"args\":{\"task\":";
  appendUint(s, task);
  s += ",\"process\":";
  appendUint(s, process);
  s += ",\"cycles\":";
  appendUint(s, cycles);
  s += ",\"start_cycle\":";
  appendUint(s, from);
  s += ",\"finish_cycle\":";
  appendUint(s, from + cycles);
  s += "}}";
  if (s.size() >= kFlushBytes) flush();
}

void ChromeTraceWriter::addChannel(uint32_t channel, uint64_t at, uint64_t tokens) {
  std::string& s = buf_;
  s += ",\n{\"name\":";
  if (channel < opts_.channelNames.size()) {
    appendQuoted(s, "channel " + opts_.channelNames[channel]);
  } else {
    s += "\"channel c";
    appendUint(s, channel);
    s += '"';
  }
  s += ",\"cat\":\"channel\",\"ph\":\"C\",\"pid\":0,\"ts\":";
  if (unitScale_) appendUint(s, at);
  else time(static_cast<double>(at));
  s += ",\"args\":{\"tokens\":";
  appendUint(s, tokens);
  s += "}}";
  if (s.size() >= kFlushBytes) flush();
}

void ChromeTraceWriter::flush() {
  out_(buf_);
  buf_.clear();
}

void ChromeTraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  if (opts_.droppedTasks == 0) {
    buf_ += "\n]}\n";
    flush();
    return;
  }
  // A capped record list is never passed off as the whole run.
  const std::string truncated =
      fmt::format("{{\"dropped_tasks\":{},\"first_dropped_task\":{},\"recorded_tasks\":{}}}", opts_.droppedTasks,
                  opts_.firstDroppedTask, records_);
  buf_ += ",\n{\"name\":";
  appendQuoted(buf_, fmt::format("trace truncated: {} tasks from task {} on are not recorded", opts_.droppedTasks,
                                 opts_.firstDroppedTask));
  buf_ += ",\"ph\":\"i\",\"s\":\"g\",\"pid\":0,\"tid\":0,\"ts\":0,\"args\":" + truncated + "}";
  buf_ += "\n],\"pto_wsp_truncated\":" + truncated + "}\n";
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
