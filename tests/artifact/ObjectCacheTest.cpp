#include "pto/wsp/artifact/ObjectCache.h"
#include "pto/wsp/artifact/SharedLibrary.h"
#include "pto/wsp/support/Hash.h"

#include "ArtifactTestUtil.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>

using namespace pto::wsp;
using namespace pto::wsp::artifact;
using namespace pto::wsp::artifact::test;
namespace fs = std::filesystem;

namespace {

using ScaleFn = int (*)(int);

uint64_t compiles() { return compilerInvocationCount(InvocationKind::Compile); }
uint64_t links() { return compilerInvocationCount(InvocationKind::Link); }

int callKernel(const CacheEntry& lib, const std::string& symbol, int x) {
  SharedLibrary so = SharedLibrary::open(lib.path);
  return so.function<ScaleFn>(symbol)(x);
}

// Scoped environment variable override.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~EnvVar() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void truncateHalf(const fs::path& p) { fs::resize_file(p, fs::file_size(p) / 2); }

void flipByte(const fs::path& p, size_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

}  // namespace

TEST(ObjectCache, DefaultDirectoryFollowsEnvironment) {
  EnvVar xdg("XDG_CACHE_HOME", "/xdg/cache");
  EnvVar home("HOME", "/home/someone");
  {
    EnvVar cache("PTO_WSP_CACHE_DIR", "/explicit/cache");
    EXPECT_EQ(ObjectCache::defaultDir(), fs::path("/explicit/cache"));
  }
  EnvVar cache("PTO_WSP_CACHE_DIR", nullptr);
  EXPECT_EQ(ObjectCache::defaultDir(), fs::path("/xdg/cache/pto-wsp"));
  {
    EnvVar relative("XDG_CACHE_HOME", "relative/cache");  // invalid per the XDG spec: ignored
    EXPECT_EQ(ObjectCache::defaultDir(), fs::path("/home/someone/.cache/pto-wsp"));
  }
  EnvVar noXdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(ObjectCache::defaultDir(), fs::path("/home/someone/.cache/pto-wsp"));
}

TEST(ObjectCache, CompilesLoadsAndCallsThenHitsWithoutCompiling) {
  TempDir dir;
  ObjectCache cache(dir.path());
  uint64_t c0 = compiles(), l0 = links();
  CacheEntry lib = cache.build({{"times3", scaleKernel("times3", 3), {}, {}}}, "artifact 'demo'");
  EXPECT_FALSE(lib.hit);
  EXPECT_EQ(compiles(), c0 + 1);
  EXPECT_EQ(links(), l0 + 1);
  EXPECT_EQ(callKernel(lib, "times3", 5), 15);

  CacheEntry again = cache.build({{"times3", scaleKernel("times3", 3), {}, {}}}, "artifact 'demo'");
  EXPECT_TRUE(again.hit);
  EXPECT_EQ(again.path, lib.path);
  EXPECT_EQ(compiles(), c0 + 1);
  EXPECT_EQ(links(), l0 + 1);

  // A new cache object on the same directory (as a new process would) also hits.
  ObjectCache fresh(dir.path());
  CacheEntry third = fresh.build({{"times3", scaleKernel("times3", 3), {}, {}}}, "artifact 'demo'");
  EXPECT_TRUE(third.hit);
  EXPECT_EQ(compiles(), c0 + 1);
  EXPECT_EQ(links(), l0 + 1);
  EXPECT_EQ(fresh.stats().hits, 2u);  // one object + one library
  EXPECT_TRUE(fresh.takeRemarks().empty());
}

TEST(ObjectCache, EntryHasVerifiedMetadataSidecar) {
  TempDir dir;
  ObjectCache cache(dir.path());
  CacheEntry obj = cache.object({"k", scaleKernel("k", 2), {}, {}});
  std::ifstream in(cache.metadataPath(EntryKind::Object, obj.key));
  nlohmann::json meta = nlohmann::json::parse(in);
  EXPECT_EQ(meta["format_version"], kCacheFormatVersion);
  EXPECT_EQ(meta["kind"], "object");
  EXPECT_EQ(meta["key"], obj.key);
  EXPECT_EQ(meta["size"], fs::file_size(obj.path));
  EXPECT_EQ(meta["xxh3"], hashHex(obj.payloadHash));
  EXPECT_EQ(meta["compiler"]["path"], cache.compiler().path);
  EXPECT_EQ(meta["flags"], nlohmann::json(cache.config().compileFlags));
  EXPECT_TRUE(meta.contains("created"));
  // The compiled source is kept next to the object for messages and debuggers.
  EXPECT_TRUE(fs::exists(obj.path.parent_path() / (obj.key + ".cpp")));
}

TEST(ObjectCache, KeyDependsOnSourceFlagsAndOrigin) {
  TempDir dir;
  ObjectCache o2(dir.path());
  CompilerConfig cfg;
  cfg.compileFlags = {"-std=c++20", "-O1", "-fPIC"};
  ObjectCache o1(dir.path(), cfg);
  KernelSource k{"k", scaleKernel("k", 2), {}, {}};
  EXPECT_EQ(o2.objectKey(k), o2.objectKey(k));
  EXPECT_NE(o2.objectKey(k), o1.objectKey(k));
  KernelSource changed = k;
  changed.text = scaleKernel("k", 3);
  EXPECT_NE(o2.objectKey(k), o2.objectKey(changed));
  KernelSource fromFile = k;
  fromFile.origin = "user/k.cpp";
  EXPECT_NE(o2.objectKey(k), o2.objectKey(fromFile));
  // The kernel name is a label only: same text, same object.
  KernelSource renamed = k;
  renamed.name = "other";
  EXPECT_EQ(o2.objectKey(k), o2.objectKey(renamed));
}

TEST(ObjectCache, EditingAHeaderInAnIncludeDirChangesTheKey) {
  TempDir dir;
  const fs::path inc = dir.path() / "inc";
  fs::create_directories(inc / "lib");
  std::ofstream(inc / "lib" / "factor.h") << "#define FACTOR 3\n";
  CompilerConfig cfg;
  cfg.includeDirs = {inc};
  KernelSource k{"h", "#include \"lib/factor.h\"\nextern \"C\" int hk(int x) { return x * FACTOR; }\n", {}, {}};
  ObjectCache before(dir.path() / "cache", cfg);
  CacheEntry lib1 = before.build({k}, "artifact 'h'");
  EXPECT_EQ(callKernel(lib1, "hk", 2), 6);

  std::ofstream(inc / "lib" / "factor.h") << "#define FACTOR 40\n";
  ObjectCache after(dir.path() / "cache", cfg);
  EXPECT_NE(after.objectKey(k), before.objectKey(k));
  uint64_t c0 = compiles();
  CacheEntry lib2 = after.build({k}, "artifact 'h'");
  EXPECT_EQ(compiles(), c0 + 1);
  EXPECT_EQ(callKernel(lib2, "hk", 2), 80);

  CompilerConfig keyed = cfg;
  keyed.extraKey = "tile-lib v2";
  EXPECT_NE(ObjectCache(dir.path() / "cache", keyed).objectKey(k), after.objectKey(k));
}

TEST(ObjectCache, ChangingOneOfTwoKernelsRecompilesOnlyThatKernel) {
  TempDir dir;
  ObjectCache cache(dir.path());
  std::vector<KernelSource> ks{{"a", scaleKernel("ka", 2), {}, {}}, {"b", scaleKernel("kb", 10), {}, {}}};
  uint64_t c0 = compiles(), l0 = links();
  CacheEntry lib1 = cache.build(ks, "artifact 'ab'");
  EXPECT_EQ(compiles(), c0 + 2);
  EXPECT_EQ(links(), l0 + 1);

  ks[1].text = scaleKernel("kb", 10, 1);
  std::vector<CacheEntry> objs = cache.objects(ks);
  EXPECT_TRUE(objs[0].hit);
  EXPECT_FALSE(objs[1].hit);
  EXPECT_EQ(compiles(), c0 + 3);
  CacheEntry lib2 = cache.link(objs, "artifact 'ab'");
  EXPECT_FALSE(lib2.hit);
  EXPECT_NE(lib2.key, lib1.key);
  EXPECT_EQ(links(), l0 + 2);
  EXPECT_EQ(callKernel(lib2, "ka", 4), 8);
  EXPECT_EQ(callKernel(lib2, "kb", 4), 41);
}

TEST(ObjectCache, TruncatedObjectIsDetectedReportedOnceAndRebuilt) {
  TempDir dir;
  ObjectCache cache(dir.path());
  KernelSource k{"t", scaleKernel("t7", 7), {}, {}};
  CacheEntry obj = cache.object(k);
  truncateHalf(obj.path);

  uint64_t c0 = compiles();
  CacheEntry lib = cache.build({k}, "artifact 't'");
  EXPECT_EQ(compiles(), c0 + 1);
  std::vector<Diagnostic> remarks = cache.takeRemarks();
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_EQ(remarks[0].severity, Severity::Remark);
  EXPECT_NE(remarks[0].message.find("cache entry " + obj.key + " (kernel 't') is corrupt: payload is"),
            std::string::npos)
      << remarks[0].message;
  EXPECT_NE(remarks[0].message.find("rebuilding it"), std::string::npos);
  EXPECT_EQ(cache.stats().corruptRebuilt, 1u);
  EXPECT_EQ(callKernel(lib, "t7", 3), 21);
  // Rebuilt entries are healthy: the next lookup is a silent hit.
  EXPECT_TRUE(cache.object(k).hit);
  EXPECT_TRUE(cache.takeRemarks().empty());
}

TEST(ObjectCache, FlippedBytesInLibraryAreDetectedAndOnlyTheLinkReruns) {
  TempDir dir;
  ObjectCache cache(dir.path());
  std::vector<KernelSource> ks{{"f", scaleKernel("f5", 5), {}, {}}};
  CacheEntry lib = cache.build(ks, "artifact 'f'");  // not loaded: we corrupt it below
  flipByte(lib.path, fs::file_size(lib.path) / 2);

  uint64_t c0 = compiles(), l0 = links();
  CacheEntry again = cache.build(ks, "artifact 'f'");
  EXPECT_FALSE(again.hit);
  EXPECT_EQ(compiles(), c0);
  EXPECT_EQ(links(), l0 + 1);
  std::vector<Diagnostic> remarks = cache.takeRemarks();
  ASSERT_EQ(remarks.size(), 1u);
  EXPECT_NE(remarks[0].message.find("does not match metadata hash"), std::string::npos) << remarks[0].message;
  EXPECT_EQ(callKernel(again, "f5", 2), 10);
}

TEST(ObjectCache, BadOrMissingMetadataIsRebuilt) {
  TempDir dir;
  ObjectCache cache(dir.path());
  KernelSource k{"m", scaleKernel("m", 1), {}, {}};
  CacheEntry obj = cache.object(k);
  const fs::path meta = cache.metadataPath(EntryKind::Object, obj.key);

  std::ofstream(meta) << "{not json";
  EXPECT_FALSE(cache.object(k).hit);
  std::vector<Diagnostic> r1 = cache.takeRemarks();
  ASSERT_EQ(r1.size(), 1u);
  EXPECT_NE(r1[0].message.find("its metadata is not valid JSON"), std::string::npos) << r1[0].message;

  std::ofstream(meta) << R"({"format_version": 1, "kind": "object", "key": ")" << obj.key
                      << R"(", "size": "big", "xxh3": "0000000000000000"})";
  EXPECT_FALSE(cache.object(k).hit);
  std::vector<Diagnostic> r2 = cache.takeRemarks();
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_NE(r2[0].message.find("metadata field 'size' is missing or has the wrong type"), std::string::npos)
      << r2[0].message;

  fs::remove(meta);
  EXPECT_FALSE(cache.object(k).hit);
  std::vector<Diagnostic> r3 = cache.takeRemarks();
  ASSERT_EQ(r3.size(), 1u);
  EXPECT_NE(r3[0].message.find("its metadata file is missing"), std::string::npos);
  EXPECT_TRUE(cache.object(k).hit);
}

TEST(ObjectCache, TemporariesOfACrashedWriterAreRemovedOnRebuild) {
  TempDir dir;
  ObjectCache cache(dir.path());
  KernelSource k{"c", scaleKernel("c", 1), {}, {}};
  const std::string key = cache.objectKey(k);
  const fs::path stale = cache.payloadPath(EntryKind::Object, key).string() + ".tmp.999999.0";
  std::ofstream(stale) << "half an object";
  EXPECT_FALSE(cache.object(k).hit);
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(cache.takeRemarks().empty());  // stray temporaries are not a corrupt entry
}

TEST(ObjectCache, RemarkHandlerReceivesRemarksAsTheyHappen) {
  TempDir dir;
  ObjectCache cache(dir.path());
  std::vector<std::string> seen;
  cache.setRemarkHandler([&](const Diagnostic& d) { seen.push_back(d.render()); });
  KernelSource k{"h", scaleKernel("h", 1), {}, {}};
  CacheEntry obj = cache.object(k);
  truncateHalf(obj.path);
  cache.object(k);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find(": remark: cache entry"), std::string::npos) << seen[0];
  EXPECT_TRUE(cache.takeRemarks().empty());
}

TEST(ObjectCache, CompileErrorNamesKernelAndQuotesTheCompiler) {
  TempDir dir;
  ObjectCache cache(dir.path());
  KernelSource bad{"broken_kernel", "extern \"C\" int f(int x) {\n  return x + undefined_thing;\n}\n", {}, {}};
  const std::string key = cache.objectKey(bad);
  try {
    cache.build({bad}, "artifact 'bad'");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("error: kernel 'broken_kernel' failed to compile: g++ exited with status 1"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find(key + ".cpp:2:14: error: 'undefined_thing' was not declared in this scope"),
              std::string::npos)
        << msg;
    const fs::path log = cache.payloadPath(EntryKind::Object, key).replace_extension(".log");
    EXPECT_NE(msg.find("help: the full compiler log is at " + log.string()), std::string::npos) << msg;
    EXPECT_TRUE(fs::exists(log));
  }
  // Nothing was published and no temporary file is left behind.
  const fs::path objects = cache.payloadPath(EntryKind::Object, key).parent_path();
  EXPECT_FALSE(fs::exists(cache.payloadPath(EntryKind::Object, key)));
  EXPECT_FALSE(fs::exists(cache.metadataPath(EntryKind::Object, key)));
  EXPECT_TRUE(filesContaining(objects, ".tmp.").empty());
}

TEST(ObjectCache, OriginMapsCompilerMessagesToTheUserFile) {
  TempDir dir;
  ObjectCache cache(dir.path());
  KernelSource bad{"user_kernel", "\n\nint g() { return nope; }\n", "kernels/user_kernel.cpp", {}};
  try {
    cache.object(bad);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("kernels/user_kernel.cpp (in kernel 'user_kernel'): error: kernel 'user_kernel' failed"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("kernels/user_kernel.cpp:3:18: error: 'nope' was not declared"), std::string::npos) << msg;
  }
}

TEST(ObjectCache, EveryFailingKernelIsReported) {
  TempDir dir;
  CompilerConfig cfg;
  cfg.jobs = 2;
  ObjectCache cache(dir.path(), cfg);
  try {
    cache.objects({{"first_bad", "int a() { return x1; }", {}, {}},
                   {"good", scaleKernel("good", 1), {}, {}},
                   {"second_bad", "int b() { return x2; }", {}, {}}});
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_NE(e.diagnostics()[0].message.find("kernel 'first_bad'"), std::string::npos);
    EXPECT_NE(e.diagnostics()[1].message.find("kernel 'second_bad'"), std::string::npos);
  }
  EXPECT_TRUE(cache.object({"good", scaleKernel("good", 1), {}, {}}).hit);
}

TEST(ObjectCache, LinkErrorIsAUserError) {
  TempDir dir;
  ObjectCache cache(dir.path());
  // Two kernels defining the same symbol cannot be linked into one library.
  std::vector<CacheEntry> objs = cache.objects({{"one", scaleKernel("dup", 1), {}, {}},
                                                {"two", scaleKernel("dup", 2), {}, {}}});
  try {
    cache.link(objs, "artifact 'dups'");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("error: linking artifact 'dups' failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("multiple definition of `dup'"), std::string::npos) << msg;
  }
}

TEST(ObjectCache, ProgressIsReportedPerKernel) {
  TempDir dir;
  ObjectCache cache(dir.path());
  std::vector<BuildProgress> events;
  cache.setProgressHandler([&](const BuildProgress& p) { events.push_back(p); });
  cache.objects({{"p1", scaleKernel("p1", 1), {}, {}}, {"p2", scaleKernel("p2", 2), {}, {}}});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events.back().done, 2u);
  EXPECT_EQ(events.back().total, 2u);
  EXPECT_FALSE(events[0].hit);
}

TEST(ObjectCache, UnwritableDirectoryIsAUserError) {
  TempDir dir;
  const fs::path file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  try {
    ObjectCache cache(file / "cache");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create cache directory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("help: set $PTO_WSP_CACHE_DIR"), std::string::npos);
  }
}

TEST(SharedLibrary, MissingFileAndMissingSymbolAreExplained) {
  TempDir dir;
  try {
    SharedLibrary::open(dir.path() / "nope.so");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load shared object"), std::string::npos) << e.what();
  }
  ObjectCache cache(dir.path());
  CacheEntry lib = cache.build({{"s", scaleKernel("present", 1), {}, {}}}, "artifact 's'");
  SharedLibrary so = SharedLibrary::open(lib.path);
  EXPECT_NE(so.findSymbol("present"), nullptr);
  EXPECT_EQ(so.findSymbol("absent"), nullptr);
  try {
    so.symbol("absent", "kernel 's'");
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("error: symbol 'absent' (for kernel 's') not found in shared object"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("help: define it with C linkage: extern \"C\""), std::string::npos) << msg;
  }
}
