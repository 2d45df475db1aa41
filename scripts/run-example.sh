#!/usr/bin/env bash
# Installs dependencies, builds ptowsp and runs an example end to end on cpu_sim: compile
# (kernels -> C++ -> cached objects), execute on host threads, check the outputs against
# the example's independent C++ golden and total_cycles against the hand-derived value.
# Usage: scripts/run-example.sh [EXAMPLE.wsp] [ptowsp run flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target ptowsp ptowsp_tile_pch
EXAMPLE=${1:-examples/rmsnorm/rmsnorm.wsp}
shift || true
echo "== ptowsp run $EXAMPLE $*"
build/release/tools/ptowsp/ptowsp run "$EXAMPLE" "$@"
