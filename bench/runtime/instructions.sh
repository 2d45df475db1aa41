#!/usr/bin/env bash
# Instructions per task of the runtime and of `ptowsp run`, by the difference method:
# each workload runs under callgrind at N and 2N tasks, and (I(2N) - I(N)) / N is what one
# more task costs (start-up, compilation lookup, allocation and teardown cancel out).
# Instruction counts do not depend on the machine's load, so this table, not wall time, is
# the figure runtime performance work is judged by (docs/performance.md, "Runtime").
#
#   bench/runtime/instructions.sh [BUILD_DIR]       (default build/ci)
#   N=100000 E2E_N=100000 bench/runtime/instructions.sh
#   ONLY='ptowsp' bench/runtime/instructions.sh     (only the rows whose name matches)
#
# Budgets are printed beside each figure ("-": none); the script exits 1 when one is exceeded.
# valgrind cannot execute AVX-512, so the kernels `ptowsp run` compiles for the
# end-to-end rows are built without -march=native (PTO_WSP_KERNEL_FLAGS), into a cache of
# their own.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/ci}
N=${N:-100000}
E2E_N=${E2E_N:-100000}
ONLY=${ONLY:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bench=$build/bench/runtime/bench_instr_workload
ptowsp=$build/tools/ptowsp/ptowsp
for b in "$bench" "$ptowsp"; do
  [[ -x $b ]] || { echo "error: $b is missing; build the bench_instr_workload and ptowsp targets" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (scripts/deps.sh)" >&2; exit 1; }

export PTO_WSP_KERNEL_FLAGS="-O2"
export PTO_WSP_CACHE_DIR=$work/cache

# instr THREAD CMD...: instructions the command executes (THREAD = main: its first thread
# only; all: every thread).
instr() {
  local which=$1; shift
  local out=$work/cg.$RANDOM
  valgrind --tool=callgrind --callgrind-out-file="$out" --separate-threads=yes "$@" >/dev/null 2>"$out.log" ||
    { echo "error: '$*' failed under valgrind:" >&2; tail -20 "$out.log" >&2; exit 1; }
  if [[ $which == main ]]; then
    awk '/^totals:/ {print $2}' "$out-01"
  else
    cat "$out"-* | awk '/^totals:/ {s += $2} END {print s}'
  fi
  rm -f "$out" "$out"-* "$out.log"
}

status=0
printf '%-46s %10s %8s  %s\n' "workload" "instr/task" "budget" ""
row() {  # row NAME BUDGET N THREAD CMD-WITH-@N@...
  local name=$1 budget=$2 n=$3 which=$4; shift 4
  local a b per verdict
  [[ -z $ONLY || $name =~ $ONLY ]] || return 0
  a=$(instr "$which" "${@//@N@/$n}")
  b=$(instr "$which" "${@//@N@/$((2 * n))}")
  per=$(( (b - a) / n ))
  if (( budget == 0 )); then
    printf '%-46s %10d %8s\n' "$name" "$per" "-"
    return
  fi
  verdict=ok
  if (( per > budget )); then verdict="OVER BUDGET"; status=1; fi
  printf '%-46s %10d %8d  %s\n' "$name" "$per" "$budget" "$verdict"
}

row "Engine dry, chain (explicit edges)"           300 "$N" main "$bench" engine-chain @N@
row "Engine dry, chain (TensorMap)"                600 "$N" main "$bench" engine-chain-tmap @N@
row "Engine dry, fan-out/fan-in 1000 (explicit)"      0 "$N" main "$bench" engine-fan @N@
row "Engine dry, fan-out/fan-in 1000 (TensorMap)" 1200 "$N" main "$bench" engine-fan-tmap @N@
row "Engine dry, matmul 16x16 tiles (TensorMap)"      0 "$N" main "$bench" engine-matmul-tmap @N@
row "Engine + executor, chain, submitting thread"  450 "$N" main "$bench" engine-exec-chain @N@
row "executor alone, chain, submitting thread"       0 "$N" main "$bench" exec-chain @N@

data=$root/bench/runtime/data
# Compile once outside valgrind: the measured runs find the kernels in the cache.
"$ptowsp" run "$data/chain.wsp" --dry-run --set N=1 >/dev/null 2>&1
"$ptowsp" run "$data/grid.wsp" --dry-run --set N=1 >/dev/null 2>&1
row "ptowsp run --dry-run, chain"                 1000 "$E2E_N" all "$ptowsp" run "$data/chain.wsp" --dry-run --set N=@N@
row "ptowsp run --dry-run, grid"                  1000 "$E2E_N" all "$ptowsp" run "$data/grid.wsp" --dry-run --set N=@N@
row "ptowsp run --dry-run --trace, chain"         1500 "$E2E_N" all "$ptowsp" run "$data/chain.wsp" --dry-run --set N=@N@ --trace "$work/t.json"
row "ptowsp run --dry-run --trace, grid"          1500 "$E2E_N" all "$ptowsp" run "$data/grid.wsp" --dry-run --set N=@N@ --trace "$work/t.json"
exit $status
