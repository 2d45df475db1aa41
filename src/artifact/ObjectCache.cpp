#include "pto/wsp/artifact/ObjectCache.h"

#include "pto/wsp/artifact/AtomicFile.h"
#include "pto/wsp/artifact/FileLock.h"
#include "pto/wsp/support/Assert.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <pwd.h>
#include <thread>
#include <unistd.h>

namespace pto::wsp::artifact {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kindName(EntryKind k) { return k == EntryKind::Object ? "object" : "shared_library"; }
const char* kindDir(EntryKind k) { return k == EntryKind::Object ? "objects" : "libs"; }
const char* kindExt(EntryKind k) { return k == EntryKind::Object ? ".o" : ".so"; }

std::string nowIso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::optional<uint64_t> parseHex(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size() || s.size() != 16) return std::nullopt;
  return v;
}

// Contents of every regular file under `dir` (sorted by relative path). Re-hashing the
// tile library on every cache construction would eat the warm-path budget, so the
// content hash is memoised per process under a cheap signature (relative paths, sizes,
// mtimes): an edited header changes the signature and is re-hashed.
uint64_t directoryContentHash(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  Hasher sig;
  sig.str(fs::absolute(dir).lexically_normal().string());
  for (const fs::path& f : files) {
    std::error_code e2;
    auto mtime = fs::last_write_time(f, e2).time_since_epoch().count();
    sig.str(f.lexically_relative(dir).string()).pod<uint64_t>(fs::file_size(f, e2)).pod<int64_t>(mtime);
  }
  static std::mutex mu;
  static std::map<uint64_t, uint64_t> memo;  // signature -> content hash
  const uint64_t key = sig.digest();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = memo.find(key); it != memo.end()) return it->second;
  }
  Hasher h;
  h.str("dir").pod<uint64_t>(files.size());
  for (const fs::path& f : files) {
    h.str(f.lexically_relative(dir).string());
    std::optional<FileDigest> d = digestFile(f);
    h.pod<uint64_t>(d ? d->hash : 0).pod<uint64_t>(d ? d->size : 0);
  }
  uint64_t v = h.digest();
  std::lock_guard<std::mutex> lock(mu);
  memo.emplace(key, v);
  return v;
}

// -march=native makes the object depend on the host CPU, which neither the compiler
// identity nor the flags capture.
std::string hostCpuIdentity() {
  static const std::string id = [] {
    std::string text = tryReadFile("/proc/cpuinfo").value_or("");
    std::string out;
    for (const char* field : {"model name", "flags"}) {
      size_t p = text.find(field);
      if (p != std::string::npos) out += text.substr(p, text.find('\n', p) - p) + "\n";
    }
    return out;
  }();
  return id;
}

enum class State { Missing, Valid, Corrupt };
struct Verdict {
  State state = State::Missing;
  std::string reason;  // for Corrupt
  FileDigest digest;
};

// Checks metadata and payload of one entry. Cheap: one small JSON parse plus one XXH3
// pass over the payload (GB/s), so it runs on every lookup.
Verdict verify(const fs::path& payload, const fs::path& meta, EntryKind kind, const std::string& key) {
  Verdict v;
  std::optional<std::string> text = tryReadFile(meta);
  std::error_code ec;
  bool havePayload = fs::exists(payload, ec);
  if (!text && !havePayload) return v;
  v.state = State::Corrupt;
  if (!text) {
    v.reason = "its metadata file is missing";
    return v;
  }
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    v.reason = "its metadata is not valid JSON";
    return v;
  }
  auto field = [&](const char* name, json::value_t t) -> const json* {
    auto it = j.find(name);
    if (it == j.end() || it->type() != t) {
      v.reason = fmt::format("metadata field '{}' is missing or has the wrong type", name);
      return nullptr;
    }
    return &*it;
  };
  const json* fv = field("format_version", json::value_t::number_unsigned);
  if (!fv) return v;
  if (fv->get<uint64_t>() != static_cast<uint64_t>(kCacheFormatVersion)) {
    v.reason = fmt::format("metadata format_version is {}, expected {}", fv->get<uint64_t>(), kCacheFormatVersion);
    return v;
  }
  const json* k = field("key", json::value_t::string);
  const json* kn = k ? field("kind", json::value_t::string) : nullptr;
  const json* sz = kn ? field("size", json::value_t::number_unsigned) : nullptr;
  const json* hx = sz ? field("xxh3", json::value_t::string) : nullptr;
  if (!hx) return v;
  if (k->get<std::string>() != key || kn->get<std::string>() != kindName(kind)) {
    v.reason = fmt::format("metadata describes {} '{}', expected {} '{}'", kn->get<std::string>(),
                           k->get<std::string>(), kindName(kind), key);
    return v;
  }
  std::optional<uint64_t> want = parseHex(hx->get<std::string>());
  if (!want) {
    v.reason = fmt::format("metadata xxh3 '{}' is not 16 hex digits", hx->get<std::string>());
    return v;
  }
  std::optional<FileDigest> d = havePayload ? digestFile(payload) : std::nullopt;
  if (!d) {
    v.reason = "its payload file is missing or unreadable";
    return v;
  }
  if (d->size != sz->get<uint64_t>()) {
    v.reason = fmt::format("payload is {} bytes, metadata says {}", d->size, sz->get<uint64_t>());
    return v;
  }
  if (d->hash != *want) {
    v.reason = fmt::format("payload hash {} does not match metadata hash {}", hashHex(d->hash),
                           hashHex(*want));
    return v;
  }
  v.state = State::Valid;
  v.digest = *d;
  return v;
}

[[noreturn]] void dirError(const fs::path& p, const std::error_code& ec) {
  throw UserError(makeError(SourceLoc{p.string(), 0, 0, {}},
                            fmt::format("cannot create cache directory: {}", ec.message()))
                      .help("set $PTO_WSP_CACHE_DIR to a writable directory"));
}

}  // namespace

fs::path ObjectCache::defaultDir() {
  auto env = [](const char* n) -> std::string {
    const char* v = std::getenv(n);
    return v ? v : "";
  };
  if (std::string d = env("PTO_WSP_CACHE_DIR"); !d.empty()) return fs::absolute(d);
  // XDG: a relative $XDG_CACHE_HOME is invalid and must be ignored.
  if (std::string x = env("XDG_CACHE_HOME"); !x.empty() && x[0] == '/') return fs::path(x) / "pto-wsp";
  std::string home = env("HOME");
  if (home.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home = pw->pw_dir;
  }
  if (home.empty())
    throw UserError(makeError(SourceLoc{{}, 0, 0, "object cache"},
                              "cannot determine a cache directory: $PTO_WSP_CACHE_DIR, $XDG_CACHE_HOME "
                              "and $HOME are all unset")
                        .help("set $PTO_WSP_CACHE_DIR to a writable directory"));
  return fs::path(home) / ".cache" / "pto-wsp";
}

ObjectCache::ObjectCache(fs::path root, CompilerConfig cfg)
    : root_(fs::absolute(root)),
      dir_(root_ / fmt::format("v{}", kCacheFormatVersion)),
      cfg_(std::move(cfg)),
      cc_(&compilerIdentity(cfg_.cxx, dir_ / "compilers")) {
  for (EntryKind k : {EntryKind::Object, EntryKind::SharedLibrary}) {
    std::error_code ec;
    fs::create_directories(dir_ / kindDir(k), ec);
    if (ec) dirError(dir_ / kindDir(k), ec);
  }
  Hasher h;
  h.str("pto-wsp object").pod<int>(kCacheFormatVersion).str(cc_->path).str(cc_->version);
  h.pod<uint64_t>(cfg_.compileFlags.size());
  bool native = false;
  for (const std::string& f : cfg_.compileFlags) {
    h.str(f);
    native |= f.find("native") != std::string::npos;
  }
  h.pod<uint64_t>(cfg_.includeDirs.size());
  for (const fs::path& d : cfg_.includeDirs) h.str(d.string()).pod(directoryContentHash(d));
  h.str(cfg_.extraKey);
  if (native) h.str(hostCpuIdentity());
  compileKeyPrefix_ = h.hex();
}

fs::path ObjectCache::payloadPath(EntryKind kind, const std::string& key) const {
  return dir_ / kindDir(kind) / (key + kindExt(kind));
}

fs::path ObjectCache::metadataPath(EntryKind kind, const std::string& key) const {
  return dir_ / kindDir(kind) / (key + ".json");
}

std::string ObjectCache::compiledText(const KernelSource& k) {
  if (k.origin.empty()) return k.text;
  std::string esc;
  for (char c : k.origin) {
    if (c == '"' || c == '\\') esc += '\\';
    esc += c;
  }
  return fmt::format("#line 1 \"{}\"\n{}", esc, k.text);
}

std::string ObjectCache::objectKey(const KernelSource& k) const {
  return Hasher().str(compileKeyPrefix_).str(compiledText(k)).hex();
}

void ObjectCache::remark(Diagnostic d) {
  std::lock_guard<std::mutex> lock(mu_);
  if (remarkHandler_)
    remarkHandler_(d);
  else
    remarks_.push_back(std::move(d));
}

CacheEntry ObjectCache::obtain(EntryKind kind, const std::string& key, const std::string& what,
                               const std::function<void(const fs::path&, json&)>& produce) {
  CacheEntry e;
  e.kind = kind;
  e.key = key;
  e.path = payloadPath(kind, key);
  const fs::path meta = metadataPath(kind, key);
  auto hit = [&](const Verdict& v) {
    e.hit = true;
    e.size = v.digest.size;
    e.payloadHash = v.digest.hash;
    hits_.fetch_add(1, std::memory_order_relaxed);
    return e;
  };

  // Lock-free fast path: publication is atomic, so a Valid verdict is trustworthy. Any
  // other verdict may be a writer mid-publication: decide only under the lock.
  if (Verdict v = verify(e.path, meta, kind, key); v.state == State::Valid) return hit(v);

  FileLock lock(dir_ / kindDir(kind) / (key + ".lock"));
  Verdict v = verify(e.path, meta, kind, key);
  if (v.state == State::Valid) return hit(v);  // another thread or process built it
  if (v.state == State::Corrupt) {
    corrupt_.fetch_add(1, std::memory_order_relaxed);
    Diagnostic d{Severity::Remark, SourceLoc{e.path.string(), 0, 0, {}},
                 fmt::format("cache entry {} ({}) is corrupt: {}; rebuilding it", key, what, v.reason),
                 {}};
    remark(std::move(d));
    // Metadata first: a concurrent lock-free reader then sees "missing", never a
    // half-replaced pair.
    std::error_code ec;
    fs::remove(meta, ec);
    fs::remove(e.path, ec);
  }

  // Temporaries of this entry are only ever written under its lock, so any left now
  // belong to a writer that crashed: remove them.
  {
    std::error_code ec;
    const std::string prefix = key + ".";
    for (fs::directory_iterator it(e.path.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.compare(0, prefix.size(), prefix) == 0 && name.find(".tmp.") != std::string::npos) {
        std::error_code rm;
        fs::remove(it->path(), rm);
      }
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  fs::path tmp = uniqueTempPath(e.path);
  json m = json::object();
  try {
    produce(tmp, m);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::optional<FileDigest> d = digestFile(tmp);
  if (!d || d->size == 0) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw UserError(makeError(SourceLoc{e.path.string(), 0, 0, {}},
                              fmt::format("{}: the compiler reported success but wrote no output", what))
                        .help(fmt::format("check the compiler ({}) and the free space in {}", cc_->path,
                                          root_.string())));
  }
  publishFile(tmp, e.path);
  m["format_version"] = kCacheFormatVersion;
  m["kind"] = kindName(kind);
  m["key"] = key;
  m["name"] = what;
  m["size"] = d->size;
  m["xxh3"] = hashHex(d->hash);
  m["compiler"] = {{"path", cc_->path}, {"version", cc_->firstVersionLine()}};
  m["created"] = nowIso();
  m["build_ms"] = msSince(t0);
  writeFileAtomic(meta, m.dump(2) + "\n");
  builds_.fetch_add(1, std::memory_order_relaxed);
  e.hit = false;
  e.size = d->size;
  e.payloadHash = d->hash;
  return e;
}

CacheEntry ObjectCache::object(const KernelSource& k) {
  const std::string key = objectKey(k);
  const std::string what = fmt::format("kernel '{}'", k.name);
  return obtain(EntryKind::Object, key, what, [&](const fs::path& tmp, json& meta) {
    const fs::path src = dir_ / kindDir(EntryKind::Object) / (key + ".cpp");
    const fs::path log = dir_ / kindDir(EntryKind::Object) / (key + ".log");
    // The source is kept next to the object: compiler messages and debuggers point at it.
    writeFileAtomic(src, compiledText(k));
    std::vector<std::string> args = cfg_.compileFlags;
    args.insert(args.end(), cfg_.unkeyedFlags.begin(), cfg_.unkeyedFlags.end());
    for (const fs::path& inc : cfg_.includeDirs) args.push_back("-I" + inc.string());
    args.insert(args.end(), {"-c", src.string(), "-o", tmp.string()});
    ProcessResult r = invokeCompiler(*cc_, InvocationKind::Compile, args, log, cfg_.timeout);
    if (!r.ok()) {
      SourceLoc loc = k.loc.valid() ? k.loc
                                    : SourceLoc{k.origin.empty() ? src.string() : k.origin, 0, 0,
                                                fmt::format("kernel '{}'", k.name)};
      throw UserError(compilerFailure(std::move(loc), fmt::format("kernel '{}' failed to compile", k.name),
                                      *cc_, r, cfg_.errorLines));
    }
    meta["flags"] = cfg_.compileFlags;
    meta["source"] = src.filename().string();
    meta["source_hash"] = hashHex(hash64(compiledText(k)));
  });
}

std::vector<CacheEntry> ObjectCache::objects(const std::vector<KernelSource>& ks) {
  std::vector<CacheEntry> out(ks.size());
  std::vector<std::exception_ptr> errors(ks.size());
  std::atomic<size_t> next{0};
  size_t done = 0;  // guarded by mu_
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < ks.size();) {
      auto t0 = std::chrono::steady_clock::now();
      try {
        out[i] = object(ks[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu_);
      ++done;
      if (progressHandler_ && !errors[i])
        progressHandler_(BuildProgress{ks[i].name, done, ks.size(), out[i].hit, msSince(t0)});
    }
  };
  unsigned jobs = cfg_.jobs ? cfg_.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<size_t>(jobs, ks.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < jobs; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();

  std::vector<Diagnostic> diags;
  for (const std::exception_ptr& ep : errors) {
    if (!ep) continue;
    try {
      std::rethrow_exception(ep);
    } catch (const UserError& ue) {
      diags.insert(diags.end(), ue.diagnostics().begin(), ue.diagnostics().end());
    }  // anything else propagates as is
  }
  if (!diags.empty()) throw UserError(std::move(diags));
  return out;
}

CacheEntry ObjectCache::link(const std::vector<CacheEntry>& objs, const std::string& what) {
  Hasher h;
  h.str("pto-wsp link").pod<int>(kCacheFormatVersion).str(cc_->path).str(cc_->version);
  h.pod<uint64_t>(cfg_.linkFlags.size());
  for (const std::string& f : cfg_.linkFlags) h.str(f);
  h.pod<uint64_t>(objs.size());
  for (const CacheEntry& o : objs) {
    PTO_INTERNAL_ASSERT(o.kind == EntryKind::Object, "link input {} is not an object", o.key);
    h.str(o.key).pod(o.payloadHash);
  }
  const std::string key = h.hex();
  return obtain(EntryKind::SharedLibrary, key, what, [&](const fs::path& tmp, json& meta) {
    const fs::path log = dir_ / kindDir(EntryKind::SharedLibrary) / (key + ".log");
    std::vector<std::string> args = cfg_.linkFlags;
    json inputs = json::array();
    for (const CacheEntry& o : objs) {
      args.push_back(o.path.string());
      inputs.push_back(o.key);
    }
    // A workload that calls no kernel still gets a library (an empty one): the package
    // and the loader need not tell it apart.
    if (objs.empty()) {
      const fs::path empty = dir_ / kindDir(EntryKind::SharedLibrary) / (key + ".empty.cpp");
      writeFileAtomic(empty, "// a package without kernels\n");
      args.push_back(empty.string());
    }
    args.push_back("-o");
    args.push_back(tmp.string());
    ProcessResult r = invokeCompiler(*cc_, InvocationKind::Link, args, log, cfg_.timeout);
    if (!r.ok())
      throw UserError(compilerFailure(SourceLoc{{}, 0, 0, what}, fmt::format("linking {} failed", what), *cc_, r,
                                      cfg_.errorLines));
    meta["flags"] = cfg_.linkFlags;
    meta["inputs"] = std::move(inputs);
  });
}

CacheEntry ObjectCache::build(const std::vector<KernelSource>& ks, const std::string& what) {
  return link(objects(ks), what);
}

void ObjectCache::setRemarkHandler(std::function<void(const Diagnostic&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  remarkHandler_ = std::move(handler);
}

std::vector<Diagnostic> ObjectCache::takeRemarks() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(remarks_, {});
}

void ObjectCache::setProgressHandler(std::function<void(const BuildProgress&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  progressHandler_ = std::move(handler);
}

CacheStats ObjectCache::stats() const {
  return CacheStats{hits_.load(), builds_.load(), corrupt_.load()};
}

}  // namespace pto::wsp::artifact
