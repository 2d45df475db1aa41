// Advisory whole-file lock (flock) held for the lifetime of the object.
//
// flock locks belong to the open file description, so two threads of one process that
// each construct a FileLock on the same path exclude each other just like two processes
// do. The descriptor is close-on-exec: a compiler spawned while the lock is held must
// not inherit (and thereby prolong) it.
#pragma once

#include <filesystem>

namespace pto::wsp::artifact {

class FileLock {
 public:
  // Creates `path` if needed and blocks until an exclusive lock is held; the file is
  // removed again on release. An empty directory in its place is removed first. Throws
  // UserError when the file cannot be created or locked (e.g. read-only cache dir).
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace pto::wsp::artifact
