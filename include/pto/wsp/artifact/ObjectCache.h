// Content-addressed cache of compiled kernels: one object file per kernel, plus the
// linked shared object of an artifact, each keyed by a hash of everything that affects
// its bytes. Layout and protocol: docs/artifact.md ("Object cache").
//
//   <root>/v<kCacheFormatVersion>/objects/<key>.{o,json,cpp,log,lock}
//   <root>/v<kCacheFormatVersion>/libs/<key>.{so,json,log,lock}
//
// Safety: each entry is built under an flock on <key>.lock, published by fsync + atomic
// rename, and verified (metadata, size, XXH3 of the payload) before every use; a corrupt
// entry is reported once as a remark and rebuilt, never returned.
#pragma once

#include "pto/wsp/artifact/CompilerInvocation.h"
#include "pto/wsp/support/Diagnostic.h"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace pto::wsp::artifact {

// Bumped whenever the entry layout, metadata or key recipe changes; part of every key and
// of the directory name, so old entries are simply never looked at again.
inline constexpr int kCacheFormatVersion = 1;

struct CompilerConfig {
  std::string cxx;  // "" -> $PTO_WSP_CXX -> "g++"
  std::vector<std::string> compileFlags{"-std=c++20", "-O2", "-fPIC"};
  // Passed as -I; the contents of every file under them are hashed into object keys
  // (memoised by path/size/mtime), so editing a header such as the tile library
  // invalidates dependent kernels.
  std::vector<std::filesystem::path> includeDirs;
  // Hashed into every object key: for inputs the cache cannot see (e.g. a version of
  // headers reached through -I in compileFlags, which are not hashed).
  std::string extraKey;
  // Passed after compileFlags but NOT hashed into keys: only for flags that cannot change
  // what an object computes, e.g. `-include` of a precompiled header built from inputs
  // the key already covers (the api layer's tile-library PCH). Objects built with and
  // without them are interchangeable, so a warm lookup hits either way.
  std::vector<std::string> unkeyedFlags;
  std::vector<std::string> linkFlags{"-shared"};
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};  // per compiler process
  unsigned jobs = 0;        // parallel kernel compiles; 0 = hardware concurrency
  size_t errorLines = 20;   // compiler lines quoted in a compile error
};

// One kernel translation unit.
struct KernelSource {
  std::string name;    // kernel name, used in messages
  std::string text;    // complete C++ translation unit
  std::string origin;  // optional user file: a #line directive maps compiler messages to it
  SourceLoc loc;       // optional: where the kernel is defined, for the error location
};

enum class EntryKind : uint8_t { Object, SharedLibrary };

struct CacheEntry {
  EntryKind kind = EntryKind::Object;
  std::string key;              // 16 hex digits
  std::filesystem::path path;   // the verified payload (.o or .so)
  uint64_t size = 0;
  uint64_t payloadHash = 0;     // XXH3 of the payload
  bool hit = false;             // true when no compiler ran for it
};

// Reported per kernel while objects() works; called from worker threads, one at a time.
struct BuildProgress {
  std::string kernel;
  size_t done = 0;   // kernels finished so far, this one included
  size_t total = 0;
  bool hit = false;
  double ms = 0;     // time for this kernel (verification or compile)
};

struct CacheStats {
  uint64_t hits = 0;
  uint64_t builds = 0;         // compiler or linker runs that published an entry
  uint64_t corruptRebuilt = 0; // entries found corrupt and rebuilt
};

class ObjectCache {
 public:
  // $PTO_WSP_CACHE_DIR, else $XDG_CACHE_HOME/pto-wsp, else ~/.cache/pto-wsp. Throws
  // UserError when none can be determined.
  static std::filesystem::path defaultDir();

  // Creates the directory layout and resolves the compiler (throws UserError when the
  // directory cannot be created or the compiler is missing).
  explicit ObjectCache(std::filesystem::path root, CompilerConfig cfg = {});
  ObjectCache(const ObjectCache&) = delete;
  ObjectCache& operator=(const ObjectCache&) = delete;

  const std::filesystem::path& root() const { return root_; }
  const CompilerConfig& config() const { return cfg_; }
  const CompilerIdentity& compiler() const { return *cc_; }

  // All methods below are thread-safe, and safe against other processes using the same
  // directory. They throw UserError on compile/link/I-O failure.

  // The key of `k`'s object: source text (with #line) + compiler path and `--version` +
  // compile flags + include-dir contents + format version (+ host CPU for -march=native).
  std::string objectKey(const KernelSource& k) const;
  // The text actually compiled: `k.text`, preceded by a #line directive if k.origin is set.
  static std::string compiledText(const KernelSource& k);

  CacheEntry object(const KernelSource& k);
  // Objects for all kernels, misses compiled in parallel (config().jobs). If several
  // kernels fail, one UserError carries every failure.
  std::vector<CacheEntry> objects(const std::vector<KernelSource>& ks);
  // Links `objs` (in order) into a shared object named `what` in messages, e.g.
  // "artifact 'rmsnorm'". Keyed by the objects' keys and hashes + link flags + compiler.
  CacheEntry link(const std::vector<CacheEntry>& objs, const std::string& what);
  // objects() then link().
  CacheEntry build(const std::vector<KernelSource>& ks, const std::string& what);

  // Where an entry's payload lives (whether or not it exists).
  std::filesystem::path payloadPath(EntryKind kind, const std::string& key) const;
  std::filesystem::path metadataPath(EntryKind kind, const std::string& key) const;

  // Remarks (corrupt entries that were rebuilt). Without a handler they are collected
  // for takeRemarks(); a handler receives each one as it happens (from any thread).
  void setRemarkHandler(std::function<void(const Diagnostic&)> handler);
  std::vector<Diagnostic> takeRemarks();
  void setProgressHandler(std::function<void(const BuildProgress&)> handler);

  CacheStats stats() const;

 private:
  // Verified entry for `key`, or build it with `produce(tmpPayload, metadata)` under the
  // entry's lock and publish it.
  CacheEntry obtain(EntryKind kind, const std::string& key, const std::string& what,
                    const std::function<void(const std::filesystem::path&, nlohmann::json&)>& produce);
  void remark(Diagnostic d);

  std::filesystem::path root_;
  std::filesystem::path dir_;  // root_/v<kCacheFormatVersion>
  CompilerConfig cfg_;
  const CompilerIdentity* cc_;
  std::string compileKeyPrefix_;  // digest of everything but the source text

  mutable std::mutex mu_;  // guards the handlers and remarks_
  std::function<void(const Diagnostic&)> remarkHandler_;
  std::function<void(const BuildProgress&)> progressHandler_;
  std::vector<Diagnostic> remarks_;
  std::atomic<uint64_t> hits_{0}, builds_{0}, corrupt_{0};
};

}  // namespace pto::wsp::artifact
