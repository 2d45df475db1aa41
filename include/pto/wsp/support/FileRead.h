// Reading a whole input file safely: only regular files of bounded size are read, so a
// path naming /dev/zero, a FIFO or a directory is a located error instead of a hang or
// an unbounded allocation (docs/cli.md, "Limits").
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace pto::wsp {

// Every file the project reads whole (modules, arch JSON, .npy, manifests, plans) is at
// most this large.
inline constexpr uint64_t kMaxReadFileBytes = uint64_t(4) << 30;  // 4 GiB

// Why `p` cannot be read as a regular file of at most maxBytes ("it is a directory",
// "it is not a regular file (a character device)", "it is 5000000000 bytes, more than
// the limit of ..."), or nullopt when it can. Does not block on FIFOs.
std::optional<std::string> regularFileProblem(const std::filesystem::path& p,
                                              uint64_t maxBytes = kMaxReadFileBytes);

// The whole file, or a UserError located at the path: "cannot read <what>: <reason>"
// with `help` as its help note. Never opens a non-regular file.
std::string readRegularFile(const std::filesystem::path& p, const std::string& what, const std::string& help,
                            uint64_t maxBytes = kMaxReadFileBytes);

}  // namespace pto::wsp
