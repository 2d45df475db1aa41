#!/usr/bin/env bash
# Installs dependencies, builds ptowsp and runs the main example end to end.
# Usage: scripts/run-example.sh [EXAMPLE.wsp]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target ptowsp
EXAMPLE=${1:-examples/rmsnorm/rmsnorm.wsp}
echo "== ptowsp check $EXAMPLE"
build/release/tools/ptowsp/ptowsp check --print "$EXAMPLE"
