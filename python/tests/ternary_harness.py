"""Shared by the pytest suites: MLIR text builders for ternary matmuls, a numpy
emulation of the documented semantics of ternary.matmul and ternary.quantize,
and running modules through trilm-opt and mlir-runner."""

import os
import re
import subprocess

import numpy as np

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


def half_precision_activations(rng, m, k, element, spread):
    """Random m x k activations exactly representable in `element` (f16 or
    bf16), kept as f32 for the reference."""
    x = (rng.standard_normal((m, k)) * spread).astype(f32)
    return x.astype(np.float16).astype(f32) if element == "f16" else round_to_bf16(x)


def module(x, trits, scales, n_splits, k_splits, packing, int8, element="f32", layout=None,
           entry="print"):
    """@main prints the result's f32 bit patterns (entry="print"), or
    @compute returns them as an i32 tensor (entry="return", for C callers)."""
    m, k = x.shape
    n = trits.shape[0]
    gn, gk = scales.shape
    groups = []
    if n_splits:
        groups.append(f"n = {list(n_splits)}")
    if k_splits:
        groups.append(f"k = {list(k_splits)}")
    groups_attr = f"#ternary.scale_groups<{', '.join(groups) or 'tensor'}>"
    packed = f"!ternary.packed<{n}x{k}, {packing}{', ' + layout if layout else ''}>"
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
    body = f"""
  %x = arith.constant dense<{dense(x)}> : tensor<{m}x{k}x{element}>
  %t = arith.constant dense<{dense(trits)}> : tensor<{n}x{k}xi8>
  %s = arith.constant dense<{dense(scales)}> : tensor<{gn}x{gk}xf32>
  %w = ternary.pack %t : tensor<{n}x{k}xi8> -> {packed}{activations}{bitcast_to_i32("y", "bits", (m, n))}"""
    if entry == "return":
        return f"""
func.func @compute() -> tensor<{m}x{n}xi32> {{{body}
  return %bits : tensor<{m}x{n}xi32>
}}
"""
    return f"""
func.func private @printMemrefI32(tensor<*xi32>)
func.func @main() {{{body}
  %u = tensor.cast %bits : tensor<{m}x{n}xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}}
"""


def run_text(tools, text, passes, threads=None):
    """Lowers `text` with trilm-opt `passes`, runs @main, returns stdout."""
    lowered = subprocess.run([tools["opt"], "-", *passes], input=text,
                             capture_output=True, text=True, check=True)
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    executed = subprocess.run([tools["runner"], "-e", "main", "-entry-point-result=void",
                               f"-shared-libs={tools['libs']}"],
                              input=lowered.stdout, capture_output=True, text=True,
                              check=True, env=env)
    return executed.stdout


def execute(tools, text, fold_pack, pipeline=("--trilm-reference-pipeline",), threads=None):
    """Runs a module built by `module` and returns the printed i32 bit patterns."""
    passes = (["--canonicalize"] if fold_pack else []) + list(pipeline)
    body = run_text(tools, text, passes, threads).split("data =", 1)[1]
    return np.array([int(v) for v in re.findall(r"-?\d+", body)], dtype=np.int64)


