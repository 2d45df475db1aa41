#include "pto/wsp/artifact/FileLock.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pto::wsp::artifact {

namespace {

[[noreturn]] void createError(const std::filesystem::path& path, int err) {
  throw UserError(makeError(SourceLoc{path.string(), 0, 0, {}},
                            fmt::format("cannot create lock file: {}", std::strerror(err)))
                      .help("make the cache directory writable or point $PTO_WSP_CACHE_DIR elsewhere"));
}

}  // namespace

// The lock file is removed when the lock is released, so a finished compile leaves no
// X.lock next to its output. Removing a locked file is safe only because every holder
// re-checks, after flock returns, that the path still names the inode it locked: a
// waiter whose file was unlinked meanwhile retries on the new file instead of holding a
// lock nobody else can see.
FileLock::FileLock(const std::filesystem::path& path) : path_(path) {
  for (int attempt = 0;; ++attempt) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      const int err = errno;
      struct stat st {};
      // A directory in the lock's place (left by a tool or a user) is not a lock anybody
      // holds: an empty one is removed and the lock retried; a non-empty one is reported.
      if (err == EISDIR && attempt < 8 && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT) continue;
        throw UserError(makeError(SourceLoc{path.string(), 0, 0, {}},
                                  "cannot create lock file: a non-empty directory is in its place")
                            .help(fmt::format("remove the directory '{}'; it is not a PTO-WSP lock", path.string())));
      }
      createError(path, err);
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw UserError(makeError(SourceLoc{path.string(), 0, 0, {}},
                                fmt::format("cannot lock cache entry: {}", std::strerror(err)))
                          .help("the cache directory must be on a file system that supports flock; "
                                "set $PTO_WSP_CACHE_DIR to a local directory"));
    }
    struct stat held {}, named {};
    if (::fstat(fd_, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      return;
    ::close(fd_);  // the previous holder removed the file while we waited: retry
    fd_ = -1;
  }
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding it (see the constructor)
  ::close(fd_);             // closing the last descriptor releases the lock
}

}  // namespace pto::wsp::artifact
