#!/usr/bin/env bash
# The main job: compiles every example model in examples/ with celeris-opt
# (parse, verify, canonicalize, simplify masks) and prints what each contains.
# Run scripts/setup.sh first.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}
opt=$build/bin/celeris-opt
out=$build/examples
mkdir -p "$out"

status=0
for example in "$root"/examples/*.mlir; do
  name=$(basename "$example" .mlir)
  start=$(date +%s%N)
  if "$opt" "$example" --celeris-simplify-masks --canonicalize -o "$out/$name.mlir"; then
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    ops=$(grep -o 'celeris\.[a-z_]*' "$out/$name.mlir" | sort | uniq -c |
          awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}')
    printf '%-28s compiled in %4d ms: %s\n' "$name" "$ms" "$ops"
  else
    printf '%-28s FAILED\n' "$name"
    status=1
  fi
done
echo "compiled IR written to $out"
exit $status
