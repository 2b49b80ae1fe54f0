#!/usr/bin/env bash
# Runs the whole Celeris test suite on a built tree (run scripts/setup.sh
# first): the lit regression tests, every CTest test (unit tests, the
# install-and-link test) and the Python tests (float64 references and the
# tools driven from Python). Ends with one line `N passed, N failed`.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${CELERIS_BUILD_DIR:-$root/build}
lit=$(command -v lit || echo /usr/lib/llvm-22/bin/lit)

cmake --build "$build"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== lit regression tests"
"$lit" -sv "$build/test" 2>&1 | tee "$log"
lit_passed=$(awk '/^ *(Passed|Expectedly Failed|Unsupported): /{n+=$(NF-1)} END{print n+0}' "$log")
lit_failed=$(awk '/^ *(Failed|Unexpectedly Passed|Unresolved|Timed Out): /{n+=$(NF-1)} END{print n+0}' "$log")
# A crash of lit itself counts as a failure.
grep -q "Total Discovered Tests" "$log" || lit_failed=$((lit_failed + 1))

echo "== CTest (unit tests, install and link)"
(cd "$build" && ctest -E '^lit-check-celeris$' --output-on-failure) 2>&1 | tee "$log"
ctest_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
ctest_failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
ctest_total=${ctest_total:-0}
ctest_failed=${ctest_failed:-1}

echo "== pytest (float64 references, Python tools)"
CELERIS_BUILD_DIR="$build" "$root/.venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests" 2>&1 | tee "$log"
py_passed=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | grep -oE '[0-9]+' || true)
py_failed=$(grep -oE '[0-9]+ (failed|error|errors)' "$log" | awk '{n+=$1} END{print n+0}')
grep -qE '[0-9]+ passed' "$log" || py_failed=$((py_failed + 1))

passed=$((lit_passed + ctest_total - ctest_failed + ${py_passed:-0}))
failed=$((lit_failed + ctest_failed + py_failed))
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
