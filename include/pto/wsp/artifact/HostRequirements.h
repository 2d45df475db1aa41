// What a package's kernel library needs of the host that loads it (manifest `host`,
// docs/artifact.md "Host requirements"): the OS and machine it was built for, the CPU
// features its objects may use and the kernel calling convention's version.
#pragma once

#include "pto/wsp/artifact/Manifest.h"

#include <string>
#include <vector>

namespace pto::wsp::artifact {

// This host: os, uname machine and the CPU feature flags of /proc/cpuinfo (sorted).
// kernelAbi is left 0 (the caller knows the calling convention).
ManifestHost currentHost();

// The requirements of kernels built here with `compileFlags`: this host's os and machine;
// its CPU features when a flag makes the objects host-specific (-march=native,
// -mcpu=native, -mtune is not), else none.
ManifestHost hostRequirements(const std::vector<std::string>& compileFlags, uint32_t kernelAbi);

// Every way `have` falls short of `need`, one sentence each naming both values
// (e.g. "the kernels use CPU features this host lacks: avx512f, avx512bw"); empty = fine.
std::vector<std::string> hostMismatches(const ManifestHost& need, const ManifestHost& have);

}  // namespace pto::wsp::artifact
