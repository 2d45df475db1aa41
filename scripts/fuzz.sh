#!/usr/bin/env bash
# Bounded parser fuzz run: builds the `fuzz` preset (clang + libFuzzer + ASan/UBSan) and
# runs fuzz_wsp_parser for SECONDS (default 60) over a scratch copy of the seed corpus the
# build generates from examples/*/*.wsp and tests/**/*.wsp (fuzz/CMakeLists.txt). Fails on any crash, timeout, leak or sanitizer report.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
BUILD=build/fuzz
cmake --preset fuzz >/dev/null
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target fuzz_wsp_parser
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptowsp-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus" "$WORK/artifacts"
cp "$BUILD"/fuzz/corpus/wsp/*.wsp "$WORK/corpus/"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
echo "== fuzz_wsp_parser for ${SECONDS_TO_RUN}s (log: $WORK/log.txt)"
rc=0
"$BUILD/fuzz/fuzz_wsp_parser" "$WORK/corpus" \
  -dict=fuzz/wsp.dict -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -print_final_stats=1 -artifact_prefix="$WORK/artifacts/" \
  >"$WORK/log.txt" 2>&1 || rc=$?
grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$WORK/log.txt" || true
if [ "$rc" -ne 0 ] || grep -qE 'runtime error|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|SUMMARY: ' "$WORK/log.txt" \
   || [ -n "$(ls -A "$WORK/artifacts")" ]; then
  echo "fuzz_wsp_parser FAILED (exit $rc); end of log:" >&2
  tail -n 60 "$WORK/log.txt" >&2
  mkdir -p build/fuzz-failures
  cp -r "$WORK/artifacts/." build/fuzz-failures/ 2>/dev/null || true
  echo "reproducers copied to build/fuzz-failures/ (rerun: build/fuzz/fuzz/fuzz_wsp_parser FILE)" >&2
  exit 1
fi
echo "fuzz_wsp_parser: clean (0 crashes, 0 timeouts, 0 sanitizer reports)"
