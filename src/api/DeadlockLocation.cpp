#include "DeadlockLocation.h"

#include "pto/wsp/ir/Visitor.h"
#include "pto/wsp/lower/KernelCodegen.h"

#include <map>
#include <string>

namespace pto::wsp::detail {
namespace {

// Declaration sites of a workload's processes and channels, by name.
class Declarations : public ir::IRVisitor {
 public:
  using IRVisitor::visit;
  std::map<std::string, SourceLoc, std::less<>> processes, channels;

  void visit(const ir::Process& s) override {
    processes.emplace(s.name, s.loc);
    IRVisitor::visit(s);
  }
  void visit(const ir::ChannelDecl& s) override { channels.emplace(s.name, s.loc); }
};

std::string_view instanceBase(std::string_view name) {  // "worker[1]" -> "worker"
  const size_t bracket = name.find('[');
  return bracket == std::string_view::npos ? name : name.substr(0, bracket);
}

}  // namespace

void locateDeadlock(rt::DeadlockReport& r, const ir::Module& m, std::string_view workload) {
  const ir::Workload* w = m.findWorkload(workload);
  if (w == nullptr) return;
  Declarations decls;
  decls.visit(w->body);
  r.loc = w->loc.valid() ? w->loc : m.loc;
  for (rt::BlockedActor& b : r.blocked) {
    if (auto it = decls.processes.find(instanceBase(b.name)); it != decls.processes.end())
      b.loc = it->second;
    else
      b.loc = r.loc;  // the workload's own task stream
    if (auto it = decls.channels.find(b.channel); it != decls.channels.end()) b.channelLoc = it->second;
  }
  for (rt::RunningKernel& k : r.running)
    for (const ir::Kernel& kd : m.kernels)
      if (lower::kernelSymbol(kd.name) == k.symbol) {
        k.name = kd.name;
        k.loc = kd.loc;
      }
}

}  // namespace pto::wsp::detail
