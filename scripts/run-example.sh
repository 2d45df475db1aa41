#!/usr/bin/env bash
# Installs dependencies, builds ptowsp and runs an example end to end on cpu_sim: compile
# (kernels -> C++ -> cached objects), execute on host threads, check the outputs against
# the example's independent C++ golden and total_cycles against the hand-derived value.
# Builds only the CLI and the libraries it links (not the tests or benchmarks), in an
# existing build tree when there is one: $PTO_WSP_BUILD_DIR, else build/ci (the test
# command's tree), else build/release (configured here on first use).
# Usage: scripts/run-example.sh [EXAMPLE.wsp] [ptowsp run flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
configured() { [ -f "$1/CMakeCache.txt" ] && [ -f "$1/build.ninja" ]; }
if [ -n "${PTO_WSP_BUILD_DIR:-}" ]; then
  BUILD=$PTO_WSP_BUILD_DIR
  configured "$BUILD" || { echo "run-example: $BUILD is not a configured build tree" >&2; exit 1; }
  echo "== reusing the build tree $BUILD (PTO_WSP_BUILD_DIR)"
elif configured build/ci; then
  BUILD=build/ci
  echo "== reusing the test command's build tree $BUILD"
elif configured build/release; then
  BUILD=build/release
  echo "== reusing the build tree $BUILD"
else
  BUILD=build/release
  echo "== configuring $BUILD (cmake --preset release)"
  cmake --preset release >/dev/null
fi
echo "== building ptowsp and the libraries it links in $BUILD (tests and benchmarks are not built)"
cmake --build "$BUILD" -j "$(nproc)" --target ptowsp ptowsp_tile_pch
EXAMPLE=${1:-examples/rmsnorm/rmsnorm.wsp}
shift || true
echo "== ptowsp run $EXAMPLE $*"
"$BUILD"/tools/ptowsp/ptowsp run "$EXAMPLE" "$@"
