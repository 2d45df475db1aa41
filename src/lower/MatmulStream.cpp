#include "MatmulStream.h"

#include "KernelDefUse.h"

#include "pto/wsp/support/Assert.h"

#include <fmt/format.h>

#include <algorithm>

namespace pto::wsp::lower::detail {

using ir::TileInst;
using ir::TileOpKind;

std::vector<MatmulStream> findMatmulStreams(const KernelDefUse& du) {
  const ir::Kernel& k = du.kernel;
  const auto& def = du.def;
  std::vector<MatmulStream> out;
  for (size_t s = 0; s < k.body.size(); ++s) {
    const TileInst& st = k.body[s];
    if (st.op != TileOpKind::Store || st.operands.size() != 1) continue;
    auto d = def.find(st.operands[0]);
    if (d == def.end() || du.usesOf(st.operands[0]) != 1) continue;
    const TileInst& mm = k.body[d->second];
    if (mm.op != TileOpKind::Matmul || mm.results.size() != 1 || mm.resultTypes.size() != 1) continue;
    if (mm.operands.size() != 2 && mm.operands.size() != 3) continue;
    const ir::KernelParam* pc = du.tileParam(st.param);
    if (!pc || !(pc->tile == mm.resultTypes[0])) continue;
    MatmulStream chain;
    chain.store = s;
    chain.matmul = d->second;
    chain.out = st.param;
    for (const std::string& v : mm.operands) {
      auto l = def.find(v);
      if (l == def.end() || du.usesOf(v) != 1) break;
      const TileInst& ld = k.body[l->second];
      const ir::KernelParam* p = du.tileParam(ld.param);
      if (ld.op != TileOpKind::Load || ld.resultTypes.size() != 1 || !p || !(p->tile == ld.resultTypes[0])) break;
      chain.loads.push_back(l->second);
      chain.in.push_back(ld.param);
    }
    if (chain.loads.size() != mm.operands.size()) continue;
    const size_t first = *std::min_element(chain.loads.begin(), chain.loads.end());
    bool storeBetween = false;
    for (size_t i = first; i < s; ++i) storeBetween |= k.body[i].op == TileOpKind::Store;
    if (storeBetween) continue;
    const ir::TileType& a = k.body[chain.loads[0]].resultTypes[0];
    chain.m = mm.resultTypes[0].rows;
    chain.n = mm.resultTypes[0].cols;
    chain.k = a.cols;
    out.push_back(std::move(chain));
  }
  return out;
}

std::string matmulStreamCall(const MatmulStream& s, const std::map<std::string, std::string, std::less<>>& paramVar) {
  auto var = [&](const std::string& p) -> const std::string& {
    auto it = paramVar.find(p);
    PTO_INTERNAL_ASSERT(it != paramVar.end(), "matmul chain of unknown param '{}'", p);
    return it->second;
  };
  std::string args = var(s.out);
  for (const std::string& p : s.in) args += ", " + var(p);
  return fmt::format("pto::tile::matmul_global<{}, {}, {}>({});", s.m, s.n, s.k, args);
}

}  // namespace pto::wsp::lower::detail
