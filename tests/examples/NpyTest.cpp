// .npy reader/writer of the CLI (tools/ptowsp/Npy.h): NumPy's exact byte layout, round
// trips, and located errors for every malformed file.
#include "Npy.h"

#include "pto/wsp/support/Diagnostic.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace pto::wsp::cli {
namespace {

using golden::HostTensor;

std::string errorOf(std::string_view bytes) {
  try {
    parseNpy(bytes, "t.npy");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// A v1.0 file with the given header dict, padded like NumPy, then `data`.
std::string npyFile(const std::string& dict, const std::string& data) {
  std::string header = dict;
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + data;
}

TEST(Npy, WritesNumpyLayout) {
  HostTensor t = HostTensor::make("f32", {2, 3});
  const std::string bytes = npyBytes(t);
  // What numpy.save writes for np.zeros((2, 3), np.float32): header length 118 ('v').
  const std::string want = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                           "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, want.size()), want);
  EXPECT_EQ(bytes[127], '\n');
  EXPECT_EQ(bytes.substr(want.size(), 127 - want.size()), std::string(127 - want.size(), ' '));
  EXPECT_NE(npyBytes(HostTensor::make("i64", {5})).find("'shape': (5,), }"), std::string::npos);
  EXPECT_NE(npyBytes(HostTensor::make("u8", {})).find("'descr': '|u1', 'fortran_order': False, 'shape': (), }"),
            std::string::npos);
}

TEST(Npy, RoundTripsEveryDtype) {
  for (const char* dtype : {"f16", "f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bool"}) {
    HostTensor t = HostTensor::make(dtype, {3, 5});
    golden::fillRandom(t, dtype, 3);
    HostTensor back = parseNpy(npyBytes(t), "t.npy");
    EXPECT_EQ(back.dtype, dtype);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.bytes, t.bytes) << dtype;
  }
}

TEST(Npy, Bf16IsWrittenAsExactF32) {
  HostTensor t = HostTensor::make("bf16", {4});
  golden::fillRandom(t, "B", 1);
  HostTensor back = parseNpy(npyBytes(t), "t.npy");
  EXPECT_EQ(back.dtype, "f32");
  EXPECT_EQ(back.toDoubles(), t.toDoubles());
}

TEST(Npy, FileRoundTripAndVersion2Header) {
  const auto dir = std::filesystem::path(PTO_WSP_BINARY_DIR) / "tests" / "examples_npy";
  std::filesystem::create_directories(dir);
  HostTensor t = HostTensor::make("i32", {2, 2});
  t.set(3, 42);
  writeNpy(dir / "a.npy", t);
  EXPECT_EQ(readNpy(dir / "a.npy").bytes, t.bytes);
  // Version 2.0 has a 4-byte header length.
  std::string v2("\x93NUMPY\x02\x00", 8);
  std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
  header.append(128 - 12 - header.size() - 1, ' ');
  header += '\n';
  v2 += char(header.size());
  v2 += std::string(3, '\0');
  v2 += header;
  v2 += std::string("\x07\x00\x00\x00\x09\x00\x00\x00", 8);
  HostTensor r = parseNpy(v2, "v2.npy");
  EXPECT_EQ(r.toDoubles(), (std::vector<double>{7, 9}));
}

TEST(Npy, MalformedFiles) {
  const std::string ok = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0'));
  EXPECT_EQ(parseNpy(ok, "t.npy").numel(), 2u);

  EXPECT_NE(errorOf("PK\x03\x04 not numpy").find("t.npy: error: not a .npy file: missing the \\x93NUMPY magic"),
            std::string::npos);
  std::string v4 = ok;
  v4[6] = 4;
  EXPECT_NE(errorOf(v4).find("error: unsupported .npy format version 4.0"), std::string::npos);
  EXPECT_NE(errorOf(ok.substr(0, 40)).find("error: truncated .npy header: header length 118 but the file has 40 bytes"),
            std::string::npos);
  EXPECT_NE(errorOf(ok.substr(0, ok.size() - 3)).find("error: truncated .npy data: shape 2 of <f4 needs 8 bytes, the file has 5"),
            std::string::npos);
  EXPECT_NE(errorOf(ok + "xx").find("error: malformed .npy file: 10 bytes of data after the header"), std::string::npos);
  EXPECT_NE(errorOf(npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", std::string(8, '\0')))
                .find("error: Fortran-order (column-major) arrays are not supported"),
            std::string::npos);
  EXPECT_NE(errorOf(npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", std::string(8, '\0')))
                .find("error: unsupported .npy dtype '>f4'"),
            std::string::npos);
  EXPECT_NE(errorOf(npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')))
                .find("error: unsupported .npy dtype '<c8'"),
            std::string::npos);
  EXPECT_NE(errorOf(npyFile("{'descr': '<f4', 'shape': (2,), }", std::string(8, '\0')))
                .find("error: malformed .npy header: missing key 'fortran_order'"),
            std::string::npos);
  EXPECT_NE(errorOf(npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", std::string(8, '\0')))
                .find("error: malformed .npy header: expected a dimension at offset"),
            std::string::npos);
  EXPECT_NE(errorOf(npyFile("not a dict", "")).find("error: malformed .npy header: expected '{' at offset 0"),
            std::string::npos);
  // Every error says what to do.
  EXPECT_NE(errorOf(v4).find("note: help: supported versions: 1.0, 2.0, 3.0"), std::string::npos);
}

TEST(Npy, MissingFileIsLocated) {
  try {
    readNpy("/nonexistent/dir/x.npy");
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.npy: error: cannot read .npy file: No such file"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pto::wsp::cli
