// NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian, C order) to and
// from golden::HostTensor, for `ptowsp run --inputs/--outputs`. Own small reader and
// writer: the CLI needs only plain arrays, not a NumPy dependency.
//
// dtypes: '<f2' f16, '<f4' f32, '<f8' f64, '|i1' i8, '<i2' i16, '<i4' i32, '<i8' i64,
// '|u1' u8, '<u2' u16, '<u4' u32, '<u8' u64, '|b1' bool ('=' and '<' are accepted for
// every size, '|' for one-byte types). NumPy has no bfloat16: bf16 tensors are written
// as '<f4' (exact) and read from '<f4' (rounded to nearest even).
#pragma once

#include "Golden.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace pto::wsp::cli {

// Parses the bytes of a .npy file. Throws UserError located at `file` for a bad magic,
// unknown version, malformed header, unsupported dtype (e.g. big-endian or complex),
// Fortran order, and truncated or oversized data (all with the actual values).
golden::HostTensor parseNpy(std::string_view bytes, const std::string& file);
golden::HostTensor readNpy(const std::filesystem::path& path);

// The .npy bytes of `t` (version 1.0, or 2.0 when the header needs it; header padded so
// the data starts at a multiple of 64 bytes, as NumPy does).
std::string npyBytes(const golden::HostTensor& t);
// Writes atomically enough for a CLI (temp file + rename); UserError on I/O failure.
void writeNpy(const std::filesystem::path& path, const golden::HostTensor& t);

// The NumPy descr for an ir dtype name ("f32" -> "<f4"); "" if there is none.
std::string npyDescr(std::string_view dtype);

}  // namespace pto::wsp::cli
