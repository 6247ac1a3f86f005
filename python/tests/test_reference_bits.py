"""The reference lowering of ternary.matmul (float and int8 activations) and
ternary.quantize, executed, compared bit for bit with a numpy emulation of the
semantics documented in the dialect: exact int32 partial sums per K group (int8)
or sequential f32 sums (float), then the group-wise scaled sum in f32."""

import re

import numpy as np
import pytest

from ternary_harness import (bitcast_to_i32, dense, execute, f32, half_precision_activations,
                             module, quantize, reference, run_text)


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("fold_pack", [False, True], ids=["ir-pack", "folded-pack"])
@pytest.mark.parametrize("n_splits,k_splits", [((), ()), ((3,), ()), ((), (97, 300)),
                                               ((2, 5), (256,))])
def test_bit_exact(tools, int8, packing, fold_pack, n_splits, k_splits):
    rng = np.random.default_rng(len(n_splits) * 10 + len(k_splits) + 100 * int8)
    m, n, k = 3, 7, 333
    x = (rng.standard_normal((m, k)) * 3).astype(f32)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = rng.uniform(0.01, 0.1, size=(len(n_splits) + 1, len(k_splits) + 1)).astype(f32)
    got = execute(tools, module(x, trits, scales, n_splits, k_splits, packing, int8), fold_pack)
    want = reference(x, trits, scales, n_splits, k_splits, int8)
    np.testing.assert_array_equal(got.astype(np.int32), want.view(np.int32).ravel())


@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
def test_trit_triples(tools, int8):
    # Weights re-encoded as trit triples at compile time (the folded pack),
    # read back by the reference lowering: four 32-row groups, a partial
    # block, K groups that cut triples and words.
    rng = np.random.default_rng(21 + int8)
    m, n, k = 2, 128, 600
    x = (rng.standard_normal((m, k)) * 3).astype(f32)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = rng.uniform(0.01, 0.1, size=(2, 3)).astype(f32)
    text = module(x, trits, scales, (40,), (100, 301), "tq1", int8,
                  layout="#ternary.trit_triples")
    got = execute(tools, text, fold_pack=True)
    want = reference(x, trits, scales, (40,), (100, 301), int8)
    np.testing.assert_array_equal(got.astype(np.int32), want.view(np.int32).ravel())


@pytest.mark.parametrize("element", ["f16", "bf16"])
def test_half_precision_activations(tools, element):
    rng = np.random.default_rng(11)
    m, n, k = 2, 5, 300
    x = half_precision_activations(rng, m, k, element, spread=3)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = np.array([[0.03, 0.05]], dtype=f32)
    text = module(x, trits, scales, (), (200,), "tq1", False, element)
    got = execute(tools, text, fold_pack=True)
    want = reference(x, trits, scales, (), (200,), False)
    np.testing.assert_array_equal(got.astype(np.int32), want.view(np.int32).ravel())


def test_quantize_matches_emulation(tools):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((4, 50)) * 2).astype(f32)
    x[1] = 0.0  # all-zero row: eps keeps the scale finite
    # Row 2: absmax 127/64 gives scale 1/64 exactly, so 2.5/64 and -4.5/64 are
    # exact half-way cases that round to even (2 and -4).
    x[2] = np.clip(x[2], -1.5, 1.5)
    x[2, 0] = 127 / 64
    x[2, 7] = 2.5 / 64
    x[2, 8] = -4.5 / 64
    text = f"""
func.func private @printMemrefI32(tensor<*xi32>)
func.func @main() {{
  %x = arith.constant dense<{dense(x)}> : tensor<4x50xf32>
  %q, %s = ternary.quantize %x : tensor<4x50xf32> -> tensor<4x50xi8>, tensor<4xf32>
  %zero = arith.constant 0 : i32
  %wide_init = tensor.empty() : tensor<4x50xi32>
  %wide = linalg.generic {{indexing_maps = [affine_map<(a, b) -> (a, b)>, affine_map<(a, b) -> (a, b)>],
                          iterator_types = ["parallel", "parallel"]}}
      ins(%q : tensor<4x50xi8>) outs(%wide_init : tensor<4x50xi32>) {{
  ^bb0(%in: i8, %out: i32):
    %e = arith.extsi %in : i8 to i32
    linalg.yield %e : i32
  }} -> tensor<4x50xi32>
  %u = tensor.cast %wide : tensor<4x50xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
{bitcast_to_i32("s", "bits", (4,))}
  %v = tensor.cast %bits : tensor<4xi32> to tensor<*xi32>
  call @printMemrefI32(%v) : (tensor<*xi32>) -> ()
  return
}}
"""
    out = run_text(tools, text, ["--trilm-reference-pipeline"])
    first, second = out.split("data =")[1:]
    q = np.array([int(v) for v in re.findall(r"-?\d+", first.split("Unranked")[0])])
    s = np.array([int(v) for v in re.findall(r"-?\d+", second)])
    want_q, want_s = quantize(x)
    np.testing.assert_array_equal(q, want_q.ravel())
    np.testing.assert_array_equal(s, want_s.view(np.int32))
    assert np.all(q[50:100] == 0)
    assert q[100 + 7] == 2 and q[100 + 8] == -4
