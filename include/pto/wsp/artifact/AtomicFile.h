// Crash-safe file publication for the cache and packages: readers see either no file
// or the complete file, never a partial one.
//
// Protocol: write a uniquely named temporary next to the destination, fsync it,
// rename(2) it over the destination (atomic within one file system), fsync the
// directory so the rename itself survives a crash.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pto::wsp::artifact {

// "<dest>.tmp.<pid>.<n>": unique across processes and threads. Thread-safe.
std::filesystem::path uniqueTempPath(const std::filesystem::path& dest);

// Writes `bytes` to `dest` atomically (see above). Throws UserError on I/O errors.
void writeFileAtomic(const std::filesystem::path& dest, std::string_view bytes);

// A file the user named (a report, a recorded run, a module): atomically as above, except
// that an existing path which is not a regular file (/dev/stdout, a FIFO, a device) is
// written in place, since a rename over it would replace the device or pipe itself.
// Throws UserError naming `dest` and `what` on I/O errors.
void writeUserFile(const std::filesystem::path& dest, std::string_view bytes, std::string_view what);

// Fsyncs the already written `tmp` and renames it to `dest` atomically. Throws UserError.
void publishFile(const std::filesystem::path& tmp, const std::filesystem::path& dest);

// Whole file contents; nullopt if it cannot be opened or read.
std::optional<std::string> tryReadFile(const std::filesystem::path& p);
// Whole file contents; throws UserError naming the file.
std::string readFile(const std::filesystem::path& p);

struct FileDigest {
  uint64_t size = 0;
  uint64_t hash = 0;  // hash64 (XXH3) of the contents
};
// Size and content hash in one streaming pass; nullopt if the file cannot be read.
std::optional<FileDigest> digestFile(const std::filesystem::path& p);

}  // namespace pto::wsp::artifact
