#!/usr/bin/env bash
# Installs the Debian packages PTO-WSP needs (as root), skipping what is present.
set -euo pipefail
PKGS=(g++ cmake ninja-build clang libclang-rt-14-dev
      libgtest-dev libgmock-dev libbenchmark-dev valgrind
      nlohmann-json3-dev libcli11-dev libfmt-dev libxxhash-dev
      libtbb-dev libopenblas-dev graphviz libstarpu-dev pkg-config
      pybind11-dev python3-dev python3-numpy python3-pytest
      mlir-19-tools)  # mlir-opt-19: checks the aie target's MLIR (tests/aie)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
