#!/usr/bin/env bash
# Compiles the artifacts the device checks load into .device/ (ignored by
# git; pass it to the device machine alongside the tree).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}
rm -rf "$root/.device" && mkdir -p "$root/.device"
"$build/bin/celeris-compile" "$root/test/Integration/GPU/saxpy.mlir" -o "$root/.device/saxpy"
"$build/bin/celeris-compile" "$root/test/Integration/GPU/mma_tile.mlir" -o "$root/.device/mma_tile"
"$build/bin/celeris-compile" "$root/test/Integration/GPU/attention_fwd.mlir" -o "$root/.device/attention_fwd"
