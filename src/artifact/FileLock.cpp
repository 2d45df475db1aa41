#include "pto/wsp/artifact/FileLock.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace pto::wsp::artifact {

FileLock::FileLock(const std::filesystem::path& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    int err = errno;
    throw UserError(makeError(SourceLoc{path.string(), 0, 0, {}},
                              fmt::format("cannot create lock file: {}", std::strerror(err)))
                        .help("make the cache directory writable or point $PTO_WSP_CACHE_DIR elsewhere"));
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
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the lock
}

}  // namespace pto::wsp::artifact
