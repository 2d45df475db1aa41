#!/bin/sh
# Regenerates the golden files: printed plans (tests/cli/data/plans/<example>.plan.txt)
# from `ptowsp compile --dump=plan examples/<example>/<example>.wsp`, and the profile
# tables (tests/cli/data/profiles/<example>.profile.txt: the part of `ptowsp run
# --dry-run` from the "  worker " header line up to "host_ms"). Every file in those directories is a
# golden (cli_plan_golden_* / cli_profile_golden_* compare against it); to add one,
# create an empty file there and run this script.
# Usage: scripts/update-goldens.sh [build dir, default build/ci]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/ci}
ptowsp=$build/tools/ptowsp/ptowsp
[ -x "$ptowsp" ] || { echo "error: $ptowsp not built (cmake --build --preset ci --target ptowsp)" >&2; exit 1; }
for golden in "$root"/tests/cli/data/plans/*.plan.txt; do
  name=$(basename "$golden" .plan.txt)
  "$ptowsp" compile --dump=plan "$root/examples/$name/$name.wsp" > "$golden.tmp"
  mv "$golden.tmp" "$golden"
  echo "updated tests/cli/data/plans/$name.plan.txt"
done
# Emitted ascend trees (docs/ascend.md): tests/cli/data/ascend/<example>.tree.txt from
# `ptowsp compile --target ascend --dump=tree`.
for golden in "$root"/tests/cli/data/ascend/*.tree.txt; do
  name=$(basename "$golden" .tree.txt)
  "$ptowsp" compile --target ascend --dump=tree "$root/examples/$name/$name.wsp" > "$golden.tmp"
  mv "$golden.tmp" "$golden"
  echo "updated tests/cli/data/ascend/$name.tree.txt"
done
for golden in "$root"/tests/cli/data/profiles/*.profile.txt; do
  name=$(basename "$golden" .profile.txt)
  "$ptowsp" run "$root/examples/$name/$name.wsp" --dry-run | sed -n '/^  worker /,/^host_ms /p' | sed '$d' \
    > "$golden.tmp"
  mv "$golden.tmp" "$golden"
  echo "updated tests/cli/data/profiles/$name.profile.txt"
done
