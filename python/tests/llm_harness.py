"""Shared by the llm op suites: numpy definitions of the llm ops, written from
their documentation (and transformers' LLaMA), and MLIR modules that apply
one op to constant inputs and print its results' f32 bit patterns."""

import re

import numpy as np

from ternary_harness import dense, run_text

f32 = np.float32


# --- numpy definitions -------------------------------------------------------

def rms_norm(x, weight, eps):
    inverse = (f32(1) / np.sqrt((x * x).sum(axis=1, dtype=f32) / f32(x.shape[1]) + f32(eps)))
    return (weight[None, :] * (x * inverse[:, None])).astype(f32)


def inverse_frequencies(head_dim, theta, factor=1.0):
    j = np.arange(0, head_dim // 2, dtype=f32)
    return (f32(1) / np.power(f32(theta), f32(2) * j / f32(head_dim)) / f32(factor)).astype(f32)


def rope(x, start, head_dim, theta, style, factor=1.0):
    m, width = x.shape
    freq = inverse_frequencies(head_dim, theta, factor)
    positions = (start + np.arange(m)).astype(f32)
    angles = positions[:, None] * freq[None, :]
    cos, sin = np.cos(angles).astype(f32), np.sin(angles).astype(f32)
    out = np.empty_like(x)
    half = head_dim // 2
    for h in range(width // head_dim):
        head = x[:, h * head_dim:(h + 1) * head_dim]
        if style == "rotate_half":
            a, b = head[:, :half], head[:, half:]
            rotated = np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=1)
        else:
            a, b = head[:, 0::2], head[:, 1::2]
            rotated = np.empty_like(head)
            rotated[:, 0::2] = a * cos - b * sin
            rotated[:, 1::2] = b * cos + a * sin
        out[:, h * head_dim:(h + 1) * head_dim] = rotated
    return out


def attention(q, k, v, key_cache, value_cache, start, scale=None):
    """Returns the output and the updated caches (in the caches' dtype): keys
    kv_heads x head_dim x positions, values kv_heads x positions x head_dim."""
    m = q.shape[0]
    kv_heads, _, head_dim = value_cache.shape
    heads = q.shape[1] // head_dim
    group = heads // kv_heads
    keys, values = key_cache.copy(), value_cache.copy()
    keys[:, :, start:start + m] = k.reshape(m, kv_heads, head_dim).transpose(1, 2, 0).astype(keys.dtype)
    values[:, start:start + m] = v.reshape(m, kv_heads, head_dim).transpose(1, 0, 2).astype(values.dtype)
    scale = 1 / np.sqrt(head_dim) if scale is None else scale
    out = np.zeros((m, heads * head_dim), dtype=np.float64)
    for i in range(m):
        visible = start + i + 1
        for h in range(heads):
            g = h // group
            query = q[i, h * head_dim:(h + 1) * head_dim].astype(np.float64)
            scores = query @ keys[g, :, :visible].astype(np.float64) * scale
            p = np.exp(scores - scores.max())
            p /= p.sum()
            out[i, h * head_dim:(h + 1) * head_dim] = p @ values[g, :visible].astype(np.float64)
    return out.astype(f32), keys, values


def gated_activation(function, gate, up):
    if function == "silu":
        return (gate / (f32(1) + np.exp(-gate)) * up).astype(f32)
    return (np.maximum(gate, 0) ** 2 * up).astype(f32)


def lm_head(x, weight, rows=None):
    tail = x if rows is None else x[x.shape[0] - rows:]
    return (tail.astype(np.float64) @ weight.astype(np.float64).T).astype(f32)


# --- MLIR -------------------------------------------------------------------

MLIR_TYPES = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
              np.dtype(np.int32): "i32", np.dtype(np.int8): "i8"}


def tensor_type(shape, element):
    return "tensor<" + "".join(f"{d}x" for d in shape) + element + ">"


def constant(name, array):
    """An arith.constant holding `array` (f16 values are written as their f32
    equivalents, which they are exactly)."""
    element = MLIR_TYPES[array.dtype]
    values = array.astype(f32) if array.dtype == np.float16 else array
    return (f"  %{name} = arith.constant dense<{dense(values) if values.ndim else values}> : "
            f"{tensor_type(array.shape, element)}\n")


def printed(name, shape, element):
    """Lines printing the f32 bit patterns of tensor `%name`."""
    ty = tensor_type(shape, element)
    i32_ty = tensor_type(shape, "i32")
    rank = len(shape)
    to_bits = ("%b = arith.bitcast %in : f32 to i32" if element == "f32" else
               f"%w = arith.extf %in : {element} to f32\n    %b = arith.bitcast %w : f32 to i32")
    ident = ", ".join(f"d{i}" for i in range(rank))
    iterators = ", ".join(['"parallel"'] * rank)
    return f"""
  %{name}_e = tensor.empty() : {i32_ty}
  %{name}_bits = linalg.generic {{indexing_maps = [affine_map<({ident}) -> ({ident})>,
                                             affine_map<({ident}) -> ({ident})>],
                                iterator_types = [{iterators}]}}
      ins(%{name} : {ty}) outs(%{name}_e : {i32_ty}) {{
  ^bb0(%in: {element}, %out: i32):
    {to_bits}
    linalg.yield %b : i32
  }} -> {i32_ty}
  %{name}_u = tensor.cast %{name}_bits : {i32_ty} to tensor<*xi32>
  call @printMemrefI32(%{name}_u) : (tensor<*xi32>) -> ()
"""


def module(inputs, body, outputs):
    """@main: constants for `inputs` (name -> array), the `body` lines, then
    each output (name, shape, element) printed."""
    lines = ["func.func private @printMemrefI32(tensor<*xi32>)", "func.func @main() {"]
    for name, array in inputs.items():
        lines.append(constant(name, array))
    lines.append(body)
    for name, shape, element in outputs:
        lines.append(printed(name, shape, element))
    lines.append("  return\n}")
    return "\n".join(lines)


def run(tools, text, pipeline, threads=None):
    """The printed outputs of `text`, each as a flat f32 array."""
    stdout = run_text(tools, text, pipeline, threads)
    results = []
    for chunk in stdout.split("data =")[1:]:
        data = chunk.split("Unranked", 1)[0]
        bits = np.array([int(v) for v in re.findall(r"-?\d+", data)], dtype=np.int64)
        results.append(bits.astype(np.uint32).view(f32))
    return results


def relative_error(got, want):
    scale = max(float(np.max(np.abs(want))), 1e-30)
    return float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) / scale
