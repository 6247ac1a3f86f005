"""End to end: float matmuls whose weights are ternary, raised by trilm-opt to
packed ternary matmuls, lowered with the reference pipeline, executed with
mlir-runner and compared with numpy (an independent float64 reference)."""

import re
import subprocess

import numpy as np
import pytest


def ternary_weights(rng, n, k, axis, shards):
    """n x k weights, each 0 or +/- the scale of its shard along `axis`."""
    trits = rng.integers(-1, 2, size=(n, k))
    scales = rng.choice([0.5, 0.25, 0.125, 1.5, 3.0], size=shards, replace=False)
    length = n if axis == "n" else k
    shard = np.minimum(np.arange(length) * shards // length, shards - 1)
    per_position = scales[shard]
    factor = per_position[:, None] if axis == "n" else per_position[None, :]
    return (trits * factor).astype(np.float32)


def dense(array):
    if array.ndim == 1:
        return "[" + ", ".join(f"{v:.9e}" for v in array) + "]"
    return "[" + ", ".join(dense(row) for row in array) + "]"


def matmul_module(x, w):
    m, k = x.shape
    n = w.shape[0]
    return f"""
func.func private @printMemrefF32(tensor<*xf32>)
func.func @main() {{
  %x = arith.constant dense<{dense(x)}> : tensor<{m}x{k}xf32>
  %w = arith.constant dense<{dense(w)}> : tensor<{n}x{k}xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<{m}x{n}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul
         indexing_maps = [affine_map<(a, b, c) -> (a, c)>, affine_map<(a, b, c) -> (b, c)>,
                          affine_map<(a, b, c) -> (a, b)>]
         ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{n}x{k}xf32>)
         outs(%init : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %u = tensor.cast %y : tensor<{m}x{n}xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}}
"""


def run(tools, module, packing):
    raised = subprocess.run(
        [tools["opt"], "-", f"--ternary-raise-matmul=packing={packing} remarks=true"],
        input=module, capture_output=True, text=True, check=True)
    lowered = subprocess.run(
        [tools["opt"], "-", "--trilm-reference-pipeline"],
        input=raised.stdout, capture_output=True, text=True, check=True)
    executed = subprocess.run(
        [tools["runner"], "-e", "main", "-entry-point-result=void",
         f"-shared-libs={tools['libs']}"],
        input=lowered.stdout, capture_output=True, text=True, check=True)
    body = executed.stdout.split("data =", 1)[1]
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", body)]
    return raised.stdout, raised.stderr, np.array(numbers)


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("axis,shards", [("n", 1), ("n", 3), ("k", 2), ("k", 3)])
@pytest.mark.parametrize("m,n,k", [(1, 7, 300), (3, 16, 520)])
def test_ternary_matmul_matches_numpy(tools, packing, axis, shards, m, n, k):
    rng = np.random.default_rng(m * 1000 + n * 10 + k + shards)
    w = ternary_weights(rng, n, k, axis, shards)
    x = rng.standard_normal((m, k)).astype(np.float32)
    raised, remarks, y = run(tools, matmul_module(x, w), packing)

    assert "ternary.matmul" in raised and "linalg.matmul" not in raised, remarks
    assert f"!ternary.packed<{n}x{k}, {packing}>" in raised
    expected = x.astype(np.float64) @ w.astype(np.float64).T
    # printMemrefF32 prints 6 significant digits.
    np.testing.assert_allclose(y, expected.ravel(), rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())


def test_non_ternary_weights_stay_float(tools):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 40)).astype(np.float32)
    x = rng.standard_normal((2, 40)).astype(np.float32)
    raised, remarks, y = run(tools, matmul_module(x, w), "tq2")

    assert "ternary.matmul" not in raised and "linalg.matmul" in raised
    assert "not raised to ternary.matmul: the weights are not ternary" in remarks
    expected = x.astype(np.float64) @ w.astype(np.float64).T
    np.testing.assert_allclose(y, expected.ravel(), rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())
