#include "pto/wsp/support/FileRead.h"

#include "pto/wsp/support/Diagnostic.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pto::wsp {

namespace {

const char* kindName(mode_t m) {
  if (S_ISDIR(m)) return "it is a directory";
  if (S_ISCHR(m)) return "it is not a regular file (a character device)";
  if (S_ISBLK(m)) return "it is not a regular file (a block device)";
  if (S_ISFIFO(m)) return "it is not a regular file (a FIFO)";
  if (S_ISSOCK(m)) return "it is not a regular file (a socket)";
  return "it is not a regular file";
}

std::optional<std::string> statProblem(const struct stat& st, uint64_t maxBytes) {
  if (!S_ISREG(st.st_mode)) return std::string(kindName(st.st_mode));
  if (static_cast<uint64_t>(st.st_size) > maxBytes)
    return fmt::format("it is {} bytes, more than the limit of {} bytes", st.st_size, maxBytes);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> regularFileProblem(const std::filesystem::path& p, uint64_t maxBytes) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::string(std::strerror(errno));
  return statProblem(st, maxBytes);
}

std::string readRegularFile(const std::filesystem::path& p, const std::string& what, const std::string& help,
                            uint64_t maxBytes) {
  auto fail = [&](const std::string& why) -> std::string {
    throw UserError(makeError(SourceLoc{p.string(), 0, 0, {}}, fmt::format("cannot read {}: {}", what, why))
                        .help(help));
  };
  // O_NONBLOCK: opening a FIFO without a writer must not block; fstat then rejects it.
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(std::strerror(err));
  }
  if (std::optional<std::string> why = statProblem(st, maxBytes)) {
    ::close(fd);
    return fail(*why);
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return fail(std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > maxBytes) {  // the file grew while being read
      ::close(fd);
      return fail(fmt::format("it is more than the limit of {} bytes", maxBytes));
    }
  }
  ::close(fd);
  return out;
}

}  // namespace pto::wsp
