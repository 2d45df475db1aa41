// Host requirements of a package (artifact/HostRequirements.h).
#include "pto/wsp/artifact/HostRequirements.h"

#include "pto/wsp/artifact/AtomicFile.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <sstream>

namespace pto::wsp::artifact {

ManifestHost currentHost() {
  static const ManifestHost host = [] {
    ManifestHost h;
    utsname u{};
    if (uname(&u) == 0) {
      h.os = u.sysname;
      std::transform(h.os.begin(), h.os.end(), h.os.begin(), [](unsigned char c) { return std::tolower(c); });
      h.machine = u.machine;
    }
    // The first processor's "flags" (x86) or "Features" (arm) line.
    const std::string text = tryReadFile("/proc/cpuinfo").value_or("");
    for (const char* field : {"\nflags", "\nFeatures"}) {
      size_t p = text.find(field);
      if (p == std::string::npos) continue;
      p = text.find(':', p);
      if (p == std::string::npos) continue;
      std::istringstream in(text.substr(p + 1, text.find('\n', p) - p - 1));
      for (std::string f; in >> f;) h.cpuFeatures.push_back(f);
      break;
    }
    std::sort(h.cpuFeatures.begin(), h.cpuFeatures.end());
    h.cpuFeatures.erase(std::unique(h.cpuFeatures.begin(), h.cpuFeatures.end()), h.cpuFeatures.end());
    return h;
  }();
  return host;
}

ManifestHost hostRequirements(const std::vector<std::string>& compileFlags, uint32_t kernelAbi) {
  ManifestHost h = currentHost();
  h.kernelAbi = kernelAbi;
  const bool native = std::any_of(compileFlags.begin(), compileFlags.end(), [](const std::string& f) {
    return f == "-march=native" || f == "-mcpu=native";
  });
  if (!native) h.cpuFeatures.clear();
  return h;
}

std::vector<std::string> hostMismatches(const ManifestHost& need, const ManifestHost& have) {
  std::vector<std::string> out;
  if (need.os != have.os)
    out.push_back(fmt::format("the kernels were built for os '{}', this host runs '{}'", need.os, have.os));
  if (need.machine != have.machine)
    out.push_back(fmt::format("the kernels were built for machine '{}', this host is '{}'", need.machine, have.machine));
  if (need.kernelAbi != have.kernelAbi)
    out.push_back(fmt::format("the kernels use kernel ABI version {}, this ptowsp calls version {}", need.kernelAbi,
                              have.kernelAbi));
  std::vector<std::string> missing;
  for (const std::string& f : need.cpuFeatures)
    if (!std::binary_search(have.cpuFeatures.begin(), have.cpuFeatures.end(), f)) missing.push_back(f);
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 12; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 12) list += fmt::format(" and {} more", missing.size() - 12);
    out.push_back(fmt::format("the kernels were compiled with -march=native on a CPU with features this host lacks: {}",
                              list));
  }
  return out;
}

}  // namespace pto::wsp::artifact
