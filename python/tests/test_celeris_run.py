"""End-to-end tests of celeris-run, the CPU runner.

Each test writes fresh random inputs with np.save, runs the runner on a small
tensor function, and compares every result with a float64 NumPy reference:
||out - ref|| / ||ref|| must not exceed the tolerance of the element type, and
a NaN anywhere fails. The output directory is poisoned first, so a stale file
can never pass.

The binary is build/bin/celeris-run under $CELERIS_BUILD_DIR (default
build/ of this checkout). Set CELERIS_RUN_SEED to replay a failure.
"""

import os
import subprocess
import textwrap

import ml_dtypes
import numpy as np
import pytest

BUILD_DIR = os.environ.get(
    "CELERIS_BUILD_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build"))
RUNNER = os.path.join(BUILD_DIR, "bin", "celeris-run")


@pytest.fixture(scope="module")
def runner():
    assert os.access(RUNNER, os.X_OK), (
        f"celeris-run not found at {RUNNER}: build it (ninja -C {BUILD_DIR} "
        "celeris-run) or set CELERIS_BUILD_DIR to the build directory")
    return RUNNER


class Seeded:
    """A fresh generator whose seed is named in assertion messages."""

    def __init__(self):
        env = os.environ.get("CELERIS_RUN_SEED")
        self.seed = int(env) if env else int(np.random.SeedSequence().entropy % 2**63)
        self.gen = np.random.default_rng(self.seed)
        self.msg = f"seed={self.seed} (rerun with CELERIS_RUN_SEED={self.seed})"

    def standard_normal(self, shape):
        return self.gen.standard_normal(shape)

    def integers(self, lo, hi, size):
        return self.gen.integers(lo, hi, size=size)


@pytest.fixture
def rng():
    return Seeded()


def run(runner, tmp_path, mlir, inputs, n_outputs, extra=()):
    """Writes `mlir` and `inputs`, poisons the output dir, runs the runner and
    returns the loaded results."""
    src = tmp_path / "f.mlir"
    src.write_text(textwrap.dedent(mlir))
    paths = []
    for i, x in enumerate(inputs):
        p = tmp_path / f"in{i}.npy"
        np.save(p, x)
        paths.append(p)
    out = tmp_path / "out"
    out.mkdir()
    for i in range(n_outputs):
        # Poison: a readable array of the wrong content, and garbage.
        np.save(out / f"out{i}.npy", np.full((1,), np.nan, np.float32))
    proc = subprocess.run(
        [runner, str(src), *[f"--input={p}" for p in paths],
         f"--output-dir={out}", *extra],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"celeris-run failed:\n{proc.stdout}\n{proc.stderr}"
    assert "time:" in proc.stdout and "compile:" in proc.stdout, proc.stdout
    results = [np.load(out / f"out{i}.npy") for i in range(n_outputs)]
    assert proc.stdout.count(" dtype=") == n_outputs, proc.stdout
    return results


def check(out, ref, tol, msg):
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert out.shape == ref.shape, f"shape {out.shape} != {ref.shape}; {msg}"
    assert np.all(np.isfinite(out)), f"non-finite output; {msg}"
    err = np.linalg.norm(out - ref) / max(np.linalg.norm(ref), 1e-300)
    assert err <= tol, f"relative error {err:.3e} > {tol:.0e}; {msg}"


SOFTMAX_MATMUL = """
#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @main(%a: tensor<{M}x{K}x{T}>, %b: tensor<{K}x{N}x{T}>)
    -> (tensor<{M}x{N}x{T}>, tensor<{M}x{N}x{T}>) {{
  %zero = arith.constant 0.0 : {T}
  %ninf = arith.constant -1.0e+30 : {T}
  {dims}
  %e = tensor.empty({dyn}) : tensor<{M}x{N}x{T}>
  %z = linalg.fill ins(%zero : {T}) outs(%e : tensor<{M}x{N}x{T}>) -> tensor<{M}x{N}x{T}>
  %s = linalg.matmul ins(%a, %b : tensor<{M}x{K}x{T}>, tensor<{K}x{N}x{T}>)
                     outs(%z : tensor<{M}x{N}x{T}>) -> tensor<{M}x{N}x{T}>
  %er = tensor.empty({dynrow}) : tensor<{M}x{T}>
  %mi = linalg.fill ins(%ninf : {T}) outs(%er : tensor<{M}x{T}>) -> tensor<{M}x{T}>
  %mx = linalg.generic {{indexing_maps = [#id, #row],
      iterator_types = ["parallel", "reduction"]}}
      ins(%s : tensor<{M}x{N}x{T}>) outs(%mi : tensor<{M}x{T}>) {{
  ^bb0(%x: {T}, %m: {T}):
    %r = arith.maximumf %x, %m : {T}
    linalg.yield %r : {T}
  }} -> tensor<{M}x{T}>
  %ex = linalg.generic {{indexing_maps = [#id, #row, #id],
      iterator_types = ["parallel", "parallel"]}}
      ins(%s, %mx : tensor<{M}x{N}x{T}>, tensor<{M}x{T}>) outs(%e : tensor<{M}x{N}x{T}>) {{
  ^bb0(%x: {T}, %m: {T}, %o: {T}):
    %d = arith.subf %x, %m : {T}
    %r = math.exp %d : {T}
    linalg.yield %r : {T}
  }} -> tensor<{M}x{N}x{T}>
  %zr = linalg.fill ins(%zero : {T}) outs(%er : tensor<{M}x{T}>) -> tensor<{M}x{T}>
  %sum = linalg.generic {{indexing_maps = [#id, #row],
      iterator_types = ["parallel", "reduction"]}}
      ins(%ex : tensor<{M}x{N}x{T}>) outs(%zr : tensor<{M}x{T}>) {{
  ^bb0(%x: {T}, %acc: {T}):
    %r = arith.addf %x, %acc : {T}
    linalg.yield %r : {T}
  }} -> tensor<{M}x{T}>
  %p = linalg.generic {{indexing_maps = [#id, #row, #id],
      iterator_types = ["parallel", "parallel"]}}
      ins(%ex, %sum : tensor<{M}x{N}x{T}>, tensor<{M}x{T}>) outs(%e : tensor<{M}x{N}x{T}>) {{
  ^bb0(%x: {T}, %d: {T}, %o: {T}):
    %r = arith.divf %x, %d : {T}
    linalg.yield %r : {T}
  }} -> tensor<{M}x{N}x{T}>
  return %s, %p : tensor<{M}x{N}x{T}>, tensor<{M}x{N}x{T}>
}}
"""


def softmax_matmul(T, M, K, N, dynamic=False):
    if not dynamic:
        return SOFTMAX_MATMUL.format(T=T, M=M, K=K, N=N, dims="", dyn="", dynrow="")
    dims = ("%c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
            "  %dm = tensor.dim %a, %c0 : tensor<?x?x" + T + ">\n"
            "  %dn = tensor.dim %b, %c1 : tensor<?x?x" + T + ">")
    return SOFTMAX_MATMUL.format(T=T, M="?", K="?", N="?", dims=dims,
                                 dyn="%dm, %dn", dynrow="%dm")


def reference(a, b):
    s = a.astype(np.float64) @ b.astype(np.float64)
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return s, e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("dtype,mlir_type,tol", [
    (np.float32, "f32", 1e-5),
    (np.float64, "f64", 1e-12),
])
def test_softmax_matmul_static(runner, tmp_path, rng, dtype, mlir_type, tol):
    M, K, N = 7, 13, 9
    a = rng.standard_normal((M, K)).astype(dtype)
    b = rng.standard_normal((K, N)).astype(dtype)
    s, p = run(runner, tmp_path, softmax_matmul(mlir_type, M, K, N), [a, b], 2)
    assert s.dtype == dtype and p.dtype == dtype
    ref_s, ref_p = reference(a, b)
    check(s, ref_s, tol, rng.msg)
    check(p, ref_p, tol, rng.msg)


def test_softmax_matmul_dynamic(runner, tmp_path, rng):
    M, K, N = (int(x) for x in rng.integers(1, 20, size=3))
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    s, p = run(runner, tmp_path, softmax_matmul("f32", M, K, N, dynamic=True),
               [a, b], 2)
    ref_s, ref_p = reference(a, b)
    check(s, ref_s, 1e-5, rng.msg)
    check(p, ref_p, 1e-5, rng.msg)


BF16_MATMUL = """
#id = affine_map<(i, j) -> (i, j)>
func.func @main(%a: tensor<5x8xbf16>, %b: tensor<8x6xf32>)
    -> (tensor<5x6xf32>, tensor<5x8xbf16>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<5x8xf32>
  %a32 = linalg.generic {indexing_maps = [#id, #id],
      iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<5x8xbf16>) outs(%e : tensor<5x8xf32>) {
  ^bb0(%x: bf16, %o: f32):
    %r = arith.extf %x : bf16 to f32
    linalg.yield %r : f32
  } -> tensor<5x8xf32>
  %eo = tensor.empty() : tensor<5x6xf32>
  %z = linalg.fill ins(%zero : f32) outs(%eo : tensor<5x6xf32>) -> tensor<5x6xf32>
  %m = linalg.matmul ins(%a32, %b : tensor<5x8xf32>, tensor<8x6xf32>)
                     outs(%z : tensor<5x6xf32>) -> tensor<5x6xf32>
  %eb = tensor.empty() : tensor<5x8xbf16>
  %twice = linalg.generic {indexing_maps = [#id, #id],
      iterator_types = ["parallel", "parallel"]}
      ins(%a32 : tensor<5x8xf32>) outs(%eb : tensor<5x8xbf16>) {
  ^bb0(%x: f32, %o: bf16):
    %d = arith.addf %x, %x : f32
    %r = arith.truncf %d : f32 to bf16
    linalg.yield %r : bf16
  } -> tensor<5x8xbf16>
  return %m, %twice : tensor<5x6xf32>, tensor<5x8xbf16>
}
"""


def test_bf16_input(runner, tmp_path, rng):
    a = rng.standard_normal((5, 8)).astype(ml_dtypes.bfloat16)
    b = rng.standard_normal((8, 6)).astype(np.float32)
    m, twice = run(runner, tmp_path, BF16_MATMUL, [a, b], 2)
    assert m.dtype == np.float32
    # np.save/np.load keep ml_dtypes.bfloat16 as the 2-byte void dtype '<V2'.
    assert twice.dtype.itemsize == 2 and twice.dtype.kind == "V", twice.dtype
    twice = twice.view(ml_dtypes.bfloat16)
    check(m, a.astype(np.float64) @ b.astype(np.float64), 1e-5, rng.msg)
    # Doubling is exact in bf16.
    np.testing.assert_array_equal(twice.astype(np.float64),
                                  2 * a.astype(np.float64), err_msg=rng.msg)


def test_nan_never_passes():
    ref = np.ones((2, 2))
    bad = ref.copy()
    bad[0, 0] = np.nan
    with pytest.raises(AssertionError):
        check(bad, ref, 1e-5, "")


def test_large_matmul_f32(runner, tmp_path, rng):
    M, K, N = 48, 200, 40
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    s, p = run(runner, tmp_path, softmax_matmul("f32", M, K, N), [a, b], 2)
    ref_s, ref_p = reference(a, b)
    check(s, ref_s, 1e-5, rng.msg)
    check(p, ref_p, 1e-5, rng.msg)


SEEDED = """
func.func @main(%a: tensor<6x5xf64>, %b: tensor<5x?xf64>, %i: tensor<4xi32>)
    -> (tensor<6x5xf64>, tensor<5x?xf64>, tensor<4xi32>, tensor<6x?xf64>) {
  %zero = arith.constant 0.0 : f64
  %c1 = arith.constant 1 : index
  %n = tensor.dim %b, %c1 : tensor<5x?xf64>
  %e = tensor.empty(%n) : tensor<6x?xf64>
  %z = linalg.fill ins(%zero : f64) outs(%e : tensor<6x?xf64>) -> tensor<6x?xf64>
  %m = linalg.matmul ins(%a, %b : tensor<6x5xf64>, tensor<5x?xf64>)
                     outs(%z : tensor<6x?xf64>) -> tensor<6x?xf64>
  return %a, %b, %i, %m : tensor<6x5xf64>, tensor<5x?xf64>, tensor<4xi32>, tensor<6x?xf64>
}
"""


def test_seeded_inputs(runner, tmp_path, rng):
    """--seed draws standard normal floats and integers in [lo, hi); the
    function returns its inputs so the product can be checked."""
    seed = int(rng.integers(0, 2**31, size=1)[0])
    a, b, i, m = run(runner, tmp_path, SEEDED, [], 4,
                     extra=[f"--seed={seed}", "--dynamic-size=3",
                            "--int-range=-4,5"])
    assert a.shape == (6, 5) and b.shape == (5, 3) and m.shape == (6, 3)
    assert i.dtype == np.int32 and np.all((i >= -4) & (i < 5)), i
    assert np.all(np.isfinite(a)) and np.std(a) > 0.1, (a, rng.msg)
    check(m, a @ b, 1e-12, rng.msg)
