#!/usr/bin/env bash
# Bounded fuzz run: builds the `fuzz` preset (clang + libFuzzer + ASan/UBSan) and runs,
# for SECONDS in total (default 60, split evenly):
#  * fuzz_wsp_parser over a scratch copy of the seed corpus the build generates from
#    examples/*/*.wsp and tests/**/*.wsp (fuzz/CMakeLists.txt);
#  * fuzz_wsp_pipeline (parse + verify + lower + dry run of generated modules) from an
#    empty corpus (its inputs are generator choices, not text).
# Fails on any crash, timeout, leak or sanitizer report.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
PER_TARGET=$(( SECONDS_TO_RUN / 2 > 0 ? SECONDS_TO_RUN / 2 : 1 ))
BUILD=build/fuzz
cmake --preset fuzz >/dev/null
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target fuzz_wsp_parser fuzz_wsp_pipeline
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ptowsp-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_target() {  # name, extra libFuzzer flags...
  local name=$1; shift
  local dir="$WORK/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  if [ "$name" = fuzz_wsp_parser ]; then cp "$BUILD"/fuzz/corpus/wsp/*.wsp "$dir/corpus/"; fi
  echo "== $name for ${PER_TARGET}s (log: $dir/log.txt)"
  local rc=0
  "$BUILD/fuzz/$name" "$dir/corpus" "$@" -max_total_time="$PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" >"$dir/log.txt" 2>&1 || rc=$?
  grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/log.txt" || true
  if [ "$rc" -ne 0 ] || grep -qE 'runtime error|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|SUMMARY: ' "$dir/log.txt" \
     || [ -n "$(ls -A "$dir/artifacts")" ]; then
    echo "$name FAILED (exit $rc); end of log:" >&2
    tail -n 60 "$dir/log.txt" >&2
    mkdir -p build/fuzz-failures
    cp -r "$dir/artifacts/." build/fuzz-failures/ 2>/dev/null || true
    echo "reproducers copied to build/fuzz-failures/ (rerun: $BUILD/fuzz/$name FILE)" >&2
    exit 1
  fi
  echo "$name: clean (0 crashes, 0 timeouts, 0 sanitizer reports)"
}

run_target fuzz_wsp_parser -dict=fuzz/wsp.dict -max_len=8192
run_target fuzz_wsp_pipeline -max_len=512
