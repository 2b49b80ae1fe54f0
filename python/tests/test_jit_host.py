"""celeris.jit on the CPU: functions of MLIR modules as callables on NumPy
arrays (and CPU torch tensors or DLPack arrays), through the _celeris_host
extension.

Results are compared with the float64 references of celeris_ref on fresh
random inputs (||out - ref|| / ||ref|| <= 1e-5 in f32, 1e-2 in bf16; NaN
never passes); every user error is a CelerisError that says what is wrong.
"""

import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import celeris
from celeris import CelerisError
from celeris.host import HostFunction
from celeris_ref.attention import attention as reference_attention
from celeris_ref.recurrence import recurrence as reference_recurrence

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BF16 = np.dtype(ml_dtypes.bfloat16)


def check(out, ref, tol, msg):
    out = np.asarray(out).astype(np.float64)
    assert out.shape == ref.shape, msg
    assert np.all(np.isfinite(out)), f"non-finite output; {msg}"
    err = np.linalg.norm(out - ref) / np.linalg.norm(ref)
    assert err <= tol, f"relative error {err:.3e} > {tol:.0e}; {msg}"


GQA = """
func.func @gqa(%q: tensor<2x8x?x32xbf16>, %k: tensor<2x2x?x32xbf16>, %v: tensor<2x2x?x32xbf16>)
    -> (tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>) {
  %o, %lse = celeris.attention %q, %k, %v mask <causal>
      : tensor<2x8x?x32xbf16>, tensor<2x2x?x32xbf16>, tensor<2x2x?x32xbf16>
      -> tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>
  return %o, %lse : tensor<2x8x?x32xbf16>, tensor<2x8x?xf32>
}
"""

TWO = """
func.func @add(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = arith.addf %a, %b : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
func.func @echo(%a: tensor<i64>, %b: tensor<4xi1>) -> (tensor<i64>, tensor<4xi1>, tensor<4xi1>) {
  return %a, %b, %b : tensor<i64>, tensor<4xi1>, tensor<4xi1>
}
"""


@pytest.mark.parametrize("tiled", [True, False], ids=["tiled", "reference"])
def test_gqa_attention_matches_reference(rs, tiled):
    g = rs.rng
    S = int(g.integers(17, 80))
    q = g.standard_normal((2, 8, S, 32)).astype(BF16)
    k = g.standard_normal((2, 2, S, 32)).astype(BF16)
    v = g.standard_normal((2, 2, S, 32)).astype(BF16)
    fn = celeris.jit(GQA, target="cpu", tiled=tiled)
    out, lse = fn(q, k, v)
    assert out.dtype == BF16 and out.shape == (2, 8, S, 32)
    assert lse.dtype == np.float32 and lse.shape == (2, 8, S)
    ref_out, ref_lse = reference_attention(q, k, v, mask="causal", return_lse=True)
    check(out, ref_out, 1e-2, f"out, S={S}, {rs.msg}")
    check(lse, ref_lse, 1e-5, f"lse, S={S}, {rs.msg}")


def test_recurrence_example_file_matches_reference(rs):
    """examples/recurrence.mlir's RetNet layer, by path and entry name."""
    g = rs.rng
    fn = celeris.jit(os.path.join(ROOT, "examples", "recurrence.mlir"), "retnet",
                     target="cpu")
    assert fn.arguments == [((2, 4, 256, 64), "bf16")] * 3 + [((4,), "f32")]
    q, k, v = (g.standard_normal((2, 4, 256, 64)).astype(BF16) for _ in range(3))
    k = (k.astype(np.float64) / 8).astype(BF16)
    logit = (g.standard_normal(4) + 3).astype(np.float32)
    inputs = [x.copy() for x in (q, k, v, logit)]
    out = fn(q, k, v, logit)
    # The function computes in place on its decay logits; never on the
    # caller's arrays.
    for before, after in zip(inputs, (q, k, v, logit)):
        np.testing.assert_array_equal(before.view(np.uint16 if before.itemsize == 2
                                                  else np.uint32),
                                      after.view(np.uint16 if after.itemsize == 2
                                                 else np.uint32))
    log_gamma = -np.log1p(np.exp(-logit.astype(np.float64)))
    ref, _ = reference_recurrence(q, k, v, decay_kind="head", decay=log_gamma)
    check(out, ref, 1e-2, rs.msg)


def test_results_are_owned_and_deterministic(rs):
    fn = celeris.jit(TWO, "add", target="cpu")
    a = rs.rng.standard_normal((2, 3)).astype(np.float32)
    b = rs.rng.standard_normal((2, 3)).astype(np.float32)
    first = fn(a, b)
    np.testing.assert_array_equal(first, a + b)
    first[...] = np.nan  # the caller's array: writing it changes nothing else
    second = fn(a, b)
    np.testing.assert_array_equal(second, a + b)
    assert second.flags.writeable and second.flags.c_contiguous
    np.testing.assert_array_equal(fn(a, b).view(np.uint32), second.view(np.uint32))


def test_scalars_booleans_and_copies_of_arguments():
    fn = celeris.jit(TWO, "echo", target="cpu")
    a = np.array(7, dtype=np.int64)
    b = np.array([True, False, False, True])
    x, y, z = fn(a, b)
    assert x.shape == () and x.dtype == np.int64 and int(x) == 7
    assert y.dtype == np.bool_ and list(y) == [True, False, False, True]
    y[0] = False  # results that were arguments come back as copies
    assert b[0] and z[0]


def test_non_contiguous_and_dlpack_inputs(rs):
    fn = celeris.jit(TWO, "add", target="cpu")
    wide = rs.rng.standard_normal((3, 6)).astype(np.float32)
    a = wide[:2, ::2]  # strided: copied to a dense buffer
    b = np.asfortranarray(rs.rng.standard_normal((2, 3)).astype(np.float32))

    class OnlyDLPack:
        def __init__(self, array):
            self._array = array

        def __dlpack__(self, **kwargs):
            return self._array.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self._array.__dlpack_device__()

    np.testing.assert_array_equal(fn(OnlyDLPack(a.copy()), b), a + b)
    np.testing.assert_array_equal(fn(a, b), a + b)


def test_torch_cpu_tensors_in_torch_tensors_out(rs):
    torch = pytest.importorskip("torch")
    fn = celeris.jit(GQA, target="cpu")
    q = torch.randn(2, 8, 20, 32, dtype=torch.bfloat16)
    k = torch.randn(2, 2, 20, 32, dtype=torch.bfloat16)
    v = torch.randn(2, 2, 20, 32, dtype=torch.bfloat16)
    out, lse = fn(q, k, v)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.bfloat16
    ref = reference_attention(q.float().numpy(), k.float().numpy(), v.float().numpy(),
                              mask="causal")
    check(out.float().numpy(), ref, 1e-2, "torch inputs")


def test_jit_memoizes_and_describes():
    first = celeris.jit(TWO, "add", target="cpu")
    assert celeris.jit(TWO, "add", target="cpu") is first
    assert celeris.jit(TWO, "add", target="cpu", tiled=False) is not first
    assert repr(first) == ("<celeris host function add(tensor<2x3xf32>, tensor<2x3xf32>)"
                           " -> (tensor<2x3xf32>)>")
    assert first.results == [((2, 3), "f32")]
    assert first.compile_ms > 0


def test_call_errors():
    fn = celeris.jit(TWO, "add", target="cpu")
    a = np.zeros((2, 3), np.float32)
    with pytest.raises(CelerisError, match=r"'add' takes 2 argument\(s\), got 1"):
        fn(a)
    with pytest.raises(CelerisError, match=r"argument 1 of 'add' has dtype float64, "
                                           r"expected float32 for tensor<2x3xf32>"):
        fn(a, a.astype(np.float64))
    with pytest.raises(CelerisError, match=r"argument 0 of 'add' has shape \(6,\) \(rank 1\), "
                                           r"expected rank 2"):
        fn(a.reshape(6), a)
    with pytest.raises(CelerisError, match=r"argument 1 of 'add' has shape \(2, 4\), "
                                           r"expected 3 in dimension 1"):
        fn(a, np.zeros((2, 4), np.float32))
    with pytest.raises(CelerisError, match=r"argument 0 must be a NumPy array, a CPU torch "
                                           r"tensor or a DLPack array, got list"):
        fn([[0.0] * 3] * 2, a)
    gqa = celeris.jit(GQA, target="cpu")
    q = np.zeros((2, 8, 5, 32), BF16)
    kv = np.zeros((2, 2, 5, 32), BF16)
    with pytest.raises(CelerisError, match=r"argument 2 of 'gqa' has dtype float16, "
                                           r"expected bfloat16"):
        gqa(q, kv, kv.astype(np.float16))


def test_compile_errors_are_located(tmp_path):
    with pytest.raises(CelerisError, match=r"(?s)cannot parse '<source>'.*<source>:2:\d+: "
                                           r"error: "):
        celeris.jit("func.func @f() {\n  %x = arith.bogus\n}", target="cpu")
    with pytest.raises(CelerisError, match=r"cannot choose the entry function: '<source>' "
                                           r"has 2 public functions and none is 'main'; "
                                           r"name one of add, echo"):
        celeris.jit(TWO, target="cpu")
    with pytest.raises(CelerisError, match=r"entry function 'nope' not found in '<source>'"):
        celeris.jit(TWO, "nope", target="cpu")
    path = tmp_path / "scalar.mlir"
    path.write_text("func.func @main(%a: f32) -> f32 {\n  return %a : f32\n}\n")
    with pytest.raises(CelerisError, match=r"argument 0 has unsupported type f32 \(host "
                                           r"functions take and return ranked tensors"):
        celeris.jit(path, target="cpu")
    with pytest.raises(CelerisError, match=r"cannot read '.*absent.mlir'"):
        celeris.jit(str(tmp_path / "absent.mlir"), target="cpu")
    with pytest.raises(CelerisError, match=r"target must be 'cpu' or 'cuda', got 'tpu'"):
        celeris.jit(TWO, "add", target="tpu")
    with pytest.raises(CelerisError, match=r"invalid pre-pipeline: .*no-such-pass"):
        celeris.jit(TWO, "add", target="cpu", pre_pipeline="no-such-pass")
    verifier = GQA.replace("tensor<2x2x?x32xbf16>, tensor<2x2x?x32xbf16>\n",
                           "tensor<2x2x?x32xbf16>, tensor<2x2x?x32xf16>\n", 1)
    with pytest.raises(CelerisError, match=r"(?s)cannot parse.*<source>:\d+:\d+: error: "):
        celeris.jit(verifier, target="cpu")


def test_missing_extension_is_a_clear_error(tmp_path):
    """A process whose build directory has no extension says where it looked."""
    code = ("import celeris\n"
            "try:\n"
            "    celeris.jit('func.func @f() {\\n return\\n}', target='cpu')\n"
            "except celeris.CelerisError as e:\n"
            "    print(e)\n")
    env = dict(os.environ, CELERIS_BUILD_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=os.path.join(ROOT, "python"))
    assert proc.returncode == 0, proc.stderr
    assert f"the Celeris host extension is not in {tmp_path}" in proc.stdout


def test_host_function_directly(rs):
    fn = HostFunction(TWO, "add", source_name="two.mlir", tiled=False, opt_level=0)
    a = rs.rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_array_equal(fn(a, a), a + a)


def test_python_page_example_runs():
    """The CPU part of docs/python.md's first example, as written there."""
    with open(os.path.join(ROOT, "docs", "python.md")) as f:
        page = f.read()
    example = page.split("```python\n", 1)[1].split("```", 1)[0]
    example = example.split("# With CPU torch tensors", 1)[0]
    scope = {}
    cwd = os.getcwd()
    os.chdir(ROOT)  # the example names examples/recurrence.mlir
    try:
        exec(compile(example, "docs/python.md", "exec"), scope)
    finally:
        os.chdir(cwd)
    assert scope["out"].shape == (2, 8, 128, 64) and scope["out"].dtype == BF16
    assert scope["o"].shape == (2, 4, 256, 64)
    assert np.all(np.isfinite(scope["o"].astype(np.float32)))


CACHED_RUN = """
import sys, numpy as np, celeris
fn = celeris.jit(sys.argv[1], "add", target="cpu")
a = np.arange(6, dtype=np.float32).reshape(2, 3)
print(fn.from_cache, fn.compile_ms == 0, fn(a, a).tolist())
"""


def test_cpu_object_code_is_cached_for_the_next_process(tmp_path):
    """A second process loads the object code instead of compiling."""
    env = dict(os.environ, CELERIS_CACHE_DIR=str(tmp_path / "cache"))
    if "CELERIS_BUILD_DIR" in env:  # the child runs elsewhere
        env["CELERIS_BUILD_DIR"] = os.path.abspath(env["CELERIS_BUILD_DIR"])
    runs = [subprocess.run([sys.executable, "-c", CACHED_RUN, TWO], capture_output=True,
                           text=True, env=env, cwd=os.path.join(ROOT, "python"))
            for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    expected = str([[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]])
    assert runs[0].stdout.strip() == f"False False {expected}"
    assert runs[1].stdout.strip() == f"True True {expected}"


def _entries(cache_dir):
    return sorted(p for p in os.listdir(cache_dir) if not p.startswith("."))


def test_damaged_cache_entries_are_compiled_again(tmp_path, rs):
    a = rs.rng.standard_normal((2, 3)).astype(np.float32)
    first = HostFunction(TWO, "add", cache_dir=tmp_path)
    assert not first.from_cache
    (entry,) = _entries(tmp_path)
    with open(tmp_path / entry / "host.o", "ab") as f:
        f.write(b"\0")  # no longer the recorded object code
    again = HostFunction(TWO, "add", cache_dir=tmp_path)
    assert not again.from_cache and again.compile_ms > 0
    np.testing.assert_array_equal(again(a, a), a + a)
    repaired = HostFunction(TWO, "add", cache_dir=tmp_path)
    assert repaired.from_cache
    np.testing.assert_array_equal(repaired(a, a), a + a)
    os.remove(tmp_path / entry / "signature.json")
    assert not HostFunction(TWO, "add", cache_dir=tmp_path).from_cache


def test_cache_keys_and_opting_out(tmp_path):
    HostFunction(TWO, "add", cache_dir=tmp_path)
    HostFunction(TWO, "add", tiled=False, cache_dir=tmp_path)
    HostFunction(TWO, "echo", cache_dir=tmp_path)
    assert len(_entries(tmp_path)) == 3  # entry and options are in the key
    loaded = HostFunction(TWO, "echo", cache_dir=tmp_path)
    assert loaded.from_cache and loaded.name == "echo"
    assert loaded.arguments == [((), "i64"), ((4,), "i1")]
    assert loaded.results == [((), "i64"), ((4,), "i1"), ((4,), "i1")]
    off = tmp_path / "off"
    HostFunction(TWO, "add", cache=False, cache_dir=off)
    assert not off.exists()
