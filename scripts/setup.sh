#!/usr/bin/env bash
# Sets up everything Celeris needs on a Debian 12 machine and builds it.
# Idempotent: installs only missing packages, reuses the build directory.
#
#   scripts/setup.sh            # packages + Python environment + build
#
# Environment: CELERIS_BUILD_DIR (default: build), CELERIS_BUILD_TYPE
# (default: Release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}

# --- Debian packages --------------------------------------------------------
packages=(
  cmake ninja-build g++ git
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libgtest-dev
  python3 python3-venv python3-pip python3-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "celeris setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# --- Python environment (pinned) --------------------------------------------
venv=$root/.venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
if ! cmp -s "$root/python/requirements.txt" "$venv/.celeris-requirements" 2>/dev/null; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$root/python/requirements.txt"
  cp "$root/python/requirements.txt" "$venv/.celeris-requirements"
fi

# --- Build ------------------------------------------------------------------
if [[ ! -f $build/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE="${CELERIS_BUILD_TYPE:-Release}" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DPython3_EXECUTABLE="$venv/bin/python"
fi
cmake --build "$build"
echo "celeris setup: built in $build"
