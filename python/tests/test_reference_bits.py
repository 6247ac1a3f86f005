"""The reference lowering of ternary.matmul (float and int8 activations) and
ternary.quantize, executed, compared bit for bit with a numpy emulation of the
semantics documented in the dialect: exact int32 partial sums per K group (int8)
or sequential f32 sums (float), then the group-wise scaled sum in f32."""

import re
import subprocess

import numpy as np
import pytest

f32 = np.float32


def dense(array):
    if array.ndim == 1:
        return "[" + ", ".join(repr(float(v)) if array.dtype.kind == "f" else str(int(v))
                               for v in array) + "]"
    return "[" + ", ".join(dense(row) for row in array) + "]"


def bounds(splits, size):
    return [0, *splits, size]


def group_of(position, splits):
    return sum(position >= s for s in splits)


def quantize(x):
    absmax = np.abs(x).max(axis=1)
    scale = (np.maximum(absmax, f32(1e-5)) / f32(127)).astype(f32)
    q = np.clip(np.round(x / scale[:, None]), -127, 127).astype(np.int8)  # half to even
    return q, scale


def reference(x, trits, scales, n_splits, k_splits, int8):
    m, k = x.shape
    n = trits.shape[0]
    row_group = np.array([group_of(i, n_splits) for i in range(n)])
    result = np.zeros((m, n), dtype=f32)
    if int8:
        q, act = quantize(x)
    kb = bounds(k_splits, k)
    for g in range(len(kb) - 1):
        if int8:
            acc = (q[:, kb[g]:kb[g + 1]].astype(np.int64)
                   @ trits[:, kb[g]:kb[g + 1]].astype(np.int64).T)
            assert np.abs(acc).max() < 2**31
            partial = acc.astype(f32)
        else:
            partial = np.zeros((m, n), dtype=f32)
            for c in range(kb[g], kb[g + 1]):  # the reference sums k in order
                partial = (partial + x[:, c:c + 1] * trits[:, c].astype(f32)[None, :]).astype(f32)
        scale = scales[row_group, g].astype(f32)[None, :]
        result = (result + (scale * partial).astype(f32)).astype(f32)
    if int8:
        result = (act[:, None] * result).astype(f32)
    return result


def bitcast_to_i32(value, result, shape):
    """MLIR lines reinterpreting the f32 tensor `value` as i32 into `result`."""
    ty = "x".join(map(str, shape))
    ident = ", ".join(f"d{i}" for i in range(len(shape)))
    return f"""
  %{result}_init = tensor.empty() : tensor<{ty}xi32>
  %{result} = linalg.generic {{indexing_maps = [affine_map<({ident}) -> ({ident})>,
                                             affine_map<({ident}) -> ({ident})>],
                              iterator_types = [{", ".join(['"parallel"'] * len(shape))}]}}
      ins(%{value} : tensor<{ty}xf32>) outs(%{result}_init : tensor<{ty}xi32>) {{
  ^bb0(%in: f32, %out: i32):
    %b = arith.bitcast %in : f32 to i32
    linalg.yield %b : i32
  }} -> tensor<{ty}xi32>"""


def round_to_bf16(x):
    """Rounds f32 values to the nearest bf16 (ties to even), kept as f32."""
    bits = x.astype(f32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(f32)


def module(x, trits, scales, n_splits, k_splits, packing, int8, element="f32"):
    m, k = x.shape
    n = trits.shape[0]
    gn, gk = scales.shape
    groups = []
    if n_splits:
        groups.append(f"n = {list(n_splits)}")
    if k_splits:
        groups.append(f"k = {list(k_splits)}")
    groups_attr = f"#ternary.scale_groups<{', '.join(groups) or 'tensor'}>"
    packed = f"!ternary.packed<{n}x{k}, {packing}>"
    if int8:
        activations = f"""
  %q, %qs = ternary.quantize %x : tensor<{m}x{k}xf32> -> tensor<{m}x{k}xi8>, tensor<{m}xf32>
  %y = ternary.matmul %q act_scales(%qs : tensor<{m}xf32>), %w groups {groups_attr}
         scales(%s : tensor<{gn}x{gk}xf32>) : tensor<{m}x{k}xi8>, {packed} -> tensor<{m}x{n}xf32>"""
    else:
        # The activations go in with a dynamic M, as a prompt would.
        activations = f"""
  %xd = tensor.cast %x : tensor<{m}x{k}x{element}> to tensor<?x{k}x{element}>
  %yd = ternary.matmul %xd, %w groups {groups_attr}
         scales(%s : tensor<{gn}x{gk}xf32>) : tensor<?x{k}x{element}>, {packed} -> tensor<?x{n}xf32>
  %y = tensor.cast %yd : tensor<?x{n}xf32> to tensor<{m}x{n}xf32>"""
    return f"""
func.func private @printMemrefI32(tensor<*xi32>)
func.func @main() {{
  %x = arith.constant dense<{dense(x)}> : tensor<{m}x{k}x{element}>
  %t = arith.constant dense<{dense(trits)}> : tensor<{n}x{k}xi8>
  %s = arith.constant dense<{dense(scales)}> : tensor<{gn}x{gk}xf32>
  %w = ternary.pack %t : tensor<{n}x{k}xi8> -> {packed}{activations}{bitcast_to_i32("y", "bits", (m, n))}
  %u = tensor.cast %bits : tensor<{m}x{n}xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}}
"""


def execute(tools, text, fold_pack):
    passes = ["--canonicalize"] if fold_pack else []
    lowered = subprocess.run([tools["opt"], "-", *passes, "--trilm-reference-pipeline"],
                             input=text, capture_output=True, text=True, check=True)
    executed = subprocess.run([tools["runner"], "-e", "main", "-entry-point-result=void",
                               f"-shared-libs={tools['libs']}"],
                              input=lowered.stdout, capture_output=True, text=True, check=True)
    body = executed.stdout.split("data =", 1)[1]
    return np.array([int(v) for v in re.findall(r"-?\d+", body)], dtype=np.int64)


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


@pytest.mark.parametrize("element", ["f16", "bf16"])
def test_half_precision_activations(tools, element):
    rng = np.random.default_rng(11)
    m, n, k = 2, 5, 300
    x = (rng.standard_normal((m, k)) * 3).astype(f32)
    x = x.astype(np.float16).astype(f32) if element == "f16" else round_to_bf16(x)
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
    lowered = subprocess.run([tools["opt"], "-", "--trilm-reference-pipeline"],
                             input=text, capture_output=True, text=True, check=True)
    out = subprocess.run([tools["runner"], "-e", "main", "-entry-point-result=void",
                          f"-shared-libs={tools['libs']}"],
                         input=lowered.stdout, capture_output=True, text=True, check=True).stdout
    first, second = out.split("data =")[1:]
    q = np.array([int(v) for v in re.findall(r"-?\d+", first.split("Unranked")[0])])
    s = np.array([int(v) for v in re.findall(r"-?\d+", second)])
    want_q, want_s = quantize(x)
    np.testing.assert_array_equal(q, want_q.ravel())
    np.testing.assert_array_equal(s, want_s.view(np.int32))
    assert np.all(q[50:100] == 0)
    assert q[100 + 7] == 2 and q[100 + 8] == -4
