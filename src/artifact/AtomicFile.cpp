#include "pto/wsp/artifact/AtomicFile.h"

#include "pto/wsp/support/Diagnostic.h"
#include "pto/wsp/support/FileRead.h"
#include "pto/wsp/support/Hash.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pto::wsp::artifact {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void ioError(const fs::path& p, const std::string& what, int err) {
  throw UserError(makeError(SourceLoc{p.string(), 0, 0, {}},
                            fmt::format("cannot {}: {}", what, std::strerror(err)))
                      .help("check free space and permissions of the directory, or set "
                            "$PTO_WSP_CACHE_DIR to a writable local directory"));
}

void fsyncPath(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) ioError(p, "open for fsync", errno);
  // Some file systems refuse fsync on directories (EINVAL); the rename is still atomic.
  if (::fsync(fd) != 0 && !(directory && (errno == EINVAL || errno == EROFS))) {
    int err = errno;
    ::close(fd);
    ioError(p, "fsync", err);
  }
  ::close(fd);
}

}  // namespace

fs::path uniqueTempPath(const fs::path& dest) {
  static std::atomic<uint64_t> counter{0};
  return fs::path(fmt::format("{}.tmp.{}.{}", dest.string(), ::getpid(),
                              counter.fetch_add(1, std::memory_order_relaxed)));
}

void writeFileAtomic(const fs::path& dest, std::string_view bytes) {
  fs::path tmp = uniqueTempPath(dest);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) ioError(tmp, "create temporary file", errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      ioError(tmp, "write", err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    ioError(tmp, "fsync", err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    ioError(dest, "rename into place", err);
  }
  fsyncPath(dest.parent_path().empty() ? fs::path(".") : dest.parent_path(), true);
}

void writeUserFile(const fs::path& dest, std::string_view bytes, std::string_view what) {
  std::error_code ec;
  const fs::file_status st = fs::status(dest, ec);
  if (!fs::exists(st) || fs::is_regular_file(st)) {
    writeFileAtomic(dest, bytes);
    return;
  }
  auto fail = [&](int err) {
    throw UserError(makeError(SourceLoc{dest.string(), 0, 0, {}},
                              fmt::format("cannot write the {} to '{}': {}", what, dest.string(), std::strerror(err)))
                        .help("choose a writable path with enough free space"));
  };
  if (fs::is_directory(st)) fail(EISDIR);
  const int fd = ::open(dest.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(errno);
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      fail(err);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) fail(errno);
}

void publishFile(const fs::path& tmp, const fs::path& dest) {
  fsyncPath(tmp, false);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    ioError(dest, "rename into place", err);
  }
  fsyncPath(dest.parent_path().empty() ? fs::path(".") : dest.parent_path(), true);
}

namespace {
// Streams the file to sink(bytes, n) in chunks. False on failure, with errno from the
// failing open/read (close must not clobber it: readFile reports it).
template <class Sink>
bool readChunks(const fs::path& p, Sink&& sink) {
  // Only regular files: a FIFO or /dev/zero would block or never end (O_NONBLOCK keeps
  // the open of a FIFO from waiting for a writer).
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) > kMaxReadFileBytes) {
    ::close(fd);
    errno = EINVAL;
    return false;
  }
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      errno = err;
      return false;
    }
    if (n == 0) break;
    sink(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}
}  // namespace

std::optional<std::string> tryReadFile(const fs::path& p) {
  std::string out;
  if (!readChunks(p, [&](const char* b, size_t n) { out.append(b, n); })) return std::nullopt;
  return out;
}

std::string readFile(const fs::path& p) {
  return readRegularFile(p, "file", "check that the path is a readable regular file");
}

std::optional<FileDigest> digestFile(const fs::path& p) {
  Hasher h;
  FileDigest d;
  const bool ok = readChunks(p, [&](const char* b, size_t n) {
    h.bytes(b, n);
    d.size += n;
  });
  if (!ok) return std::nullopt;
  d.hash = h.digest();
  return d;
}

}  // namespace pto::wsp::artifact
