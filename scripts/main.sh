#!/usr/bin/env bash
# The main job: compiles every example model in examples/ and runs each of
# its functions on seeded random inputs with the CPU backend (celeris-run:
# celeris-cpu pipeline, JIT), printing one line per function. Run
# scripts/setup.sh first. CELERIS_TILED=1 runs the tiled algorithms instead
# of the reference lowering. On a machine with an NVIDIA GPU and PyTorch,
# the attention, decode, recurrence and scan model IR of examples/gpu is also
# compiled for the GPU (celeris-compile) and each of its kernels run against
# a float64 reference.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}
opt=$build/bin/celeris-opt
run=$build/bin/celeris-run
out=$build/examples
mkdir -p "$out"
tiled=()
[[ ${CELERIS_TILED:-0} == 1 ]] && tiled=(--tiled)

ran=0 failed=0
for example in "$root"/examples/*.mlir; do
  name=$(basename "$example" .mlir)
  # Canonical form first (masks simplified), as a user's pipeline would.
  if ! "$opt" "$example" --celeris-simplify-masks --canonicalize -o "$out/$name.mlir"; then
    printf '%-36s FAILED to compile\n' "$name"
    failed=$((failed + 1))
    continue
  fi
  for fn in $(sed -n 's/^func\.func @\([A-Za-z0-9_]*\).*/\1/p' "$example"); do
    log=$out/$name.$fn.log
    if "$run" "$out/$name.mlir" --entry="$fn" --seed=1 --dynamic-size=128 \
         "${tiled[@]}" --output-dir="$out/$name.$fn" > "$log" 2>&1; then
      shapes=$(sed -n 's/^ *out[0-9]*: shape=\(\[[^]]*\]\) dtype=\([a-z0-9]*\).*/\1 \2/p' "$log" | paste -sd ';' -)
      time=$(sed -n 's/^time: //p' "$log")
      printf '%-36s ran in %10s: %s\n' "$name.$fn" "$time" "$shapes"
      ran=$((ran + 1))
    else
      printf '%-36s FAILED: %s\n' "$name.$fn" "$(grep -m1 error "$log")"
      failed=$((failed + 1))
    fi
  done
done
echo "main job: $ran functions ran on the CPU, $failed failed (outputs in $out)"
[[ $failed -eq 0 ]]

# The GPU path, where there is a GPU to run it.
if nvidia-smi -L > /dev/null 2>&1 &&
   python3 -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2> /dev/null; then
  format=()
  command -v ptxas > /dev/null || [[ -x /usr/local/cuda/bin/ptxas ]] || format=(--format=isa)
  chip=$(python3 -c "import torch; m, n = torch.cuda.get_device_capability(); print(f'sm_{m}{n}' + ('a' if m == 9 else ''))")
  # Prefill (attention.mlir), decode steps (decode.mlir), chunkwise and
  # token-by-token recurrences (recurrence.mlir, recurrence_sequential.mlir)
  # and blocked scans (scan.mlir), each against float64.
  for model in attention decode recurrence recurrence_sequential scan; do
    artifact=$out/gpu-$model
    check=check_attention.py
    [[ $model == decode ]] && check=check_decode.py
    [[ $model == recurrence* ]] && check=check_recurrence.py
    [[ $model == scan ]] && check=check_scan.py
    if "$build/bin/celeris-compile" "$root/examples/gpu/$model.mlir" --chip="$chip" \
         "${format[@]}" -o "$artifact" &&
       python3 "$root/scripts/device/$check" "$artifact/manifest.txt" --small; then
      echo "main job: examples/gpu/$model.mlir ran on the GPU ($chip)"
    else
      echo "main job: examples/gpu/$model.mlir FAILED on the GPU"
      failed=$((failed + 1))
    fi
  done
else
  echo "main job: no usable NVIDIA GPU (or no PyTorch): the GPU path was skipped"
fi
[[ $failed == 0 ]]
