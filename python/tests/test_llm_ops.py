"""The llm ops, lowered by each pipeline and executed, against numpy
definitions written from the ops' documentation: RMSNorm, rotary embeddings
(rotate-half and interleaved, linear scaling, start positions), causal
attention over a KV cache (MHA, GQA, MQA; odd head_dim; prefill and decode;
f32 and f16 caches whose rows past the context hold garbage), the gated
activations, the output projection of all or the last rows, the embedding
lookup, and a stack of layers reading per-layer weights from a byte buffer.

Results agree within 1e-5 of the largest magnitude (float summation order is
all that may differ)."""

import numpy as np
import pytest

import llm_harness as llm
from llm_harness import f32, tensor_type

PIPELINES = {"reference": ["--trilm-reference-pipeline"],
             "cpu": ["--trilm-cpu-pipeline=cpu=native"]}
TOLERANCE = 1e-5


@pytest.fixture(params=sorted(PIPELINES))
def pipeline(request):
    return PIPELINES[request.param]


def dynamic_rows(name, shape, element="f32"):
    """Lines casting %name to a dynamic row count, as prompts arrive."""
    static = tensor_type(shape, element)
    dynamic = tensor_type(("?",) + tuple(shape[1:]), element)
    return f"  %{name}_d = tensor.cast %{name} : {static} to {dynamic}\n", dynamic


def static_rows(name, result, shape, element="f32"):
    dynamic = tensor_type(("?",) + tuple(shape[1:]), element)
    return f"  %{result} = tensor.cast %{name} : {dynamic} to {tensor_type(shape, element)}\n"


@pytest.mark.parametrize("m,width,eps,weight_dtype", [
    (3, 40, 1e-5, np.float32), (1, 64, 1e-6, np.float16), (7, 17, 1e-5, np.float32)])
def test_rms_norm(tools, pipeline, m, width, eps, weight_dtype):
    rng = np.random.default_rng(m * width)
    x = (rng.standard_normal((m, width)) * 3).astype(f32)
    w = rng.uniform(0.5, 1.5, width).astype(weight_dtype)
    cast, dyn = dynamic_rows("x", x.shape)
    wty = tensor_type(w.shape, llm.MLIR_TYPES[w.dtype])
    body = (cast + f"  %y_d = llm.rms_norm %x_d, %w {{epsilon = {eps:e} : f32}} : "
            f"{dyn}, {wty} -> {dyn}\n" + static_rows("y_d", "y", x.shape))
    (got,) = llm.run(tools, llm.module({"x": x, "w": w}, body, [("y", x.shape, "f32")]),
                     pipeline)
    want = llm.rms_norm(x, w.astype(f32), eps)
    assert llm.relative_error(got.reshape(want.shape), want) < TOLERANCE


@pytest.mark.parametrize("style", ["rotate_half", "interleaved"])
@pytest.mark.parametrize("m,heads,head_dim,start,factor", [
    (1, 2, 8, 0, 1.0), (5, 3, 6, 7, 1.0), (4, 1, 64, 1000, 2.0)])
def test_rope(tools, pipeline, style, m, heads, head_dim, start, factor):
    rng = np.random.default_rng(m + heads + head_dim + start)
    x = rng.standard_normal((m, heads * head_dim)).astype(f32)
    cast, dyn = dynamic_rows("x", x.shape)
    scaling = (f", scaling = #llm.rope_scaling<linear, {factor:e} : f32>"
               if factor != 1.0 else "")
    body = (cast + f"  %start = arith.constant {start} : index\n"
            f"  %y_d = llm.rope {style} %x_d, %start {{head_dim = {head_dim} : i64, "
            f"theta = 1.0e4 : f32{scaling}}} : {dyn}\n" + static_rows("y_d", "y", x.shape))
    (got,) = llm.run(tools, llm.module({"x": x}, body, [("y", x.shape, "f32")]), pipeline)
    want = llm.rope(x, start, head_dim, 1e4, style, factor)
    assert llm.relative_error(got.reshape(want.shape), want) < TOLERANCE


ATTENTION_CASES = [
    # m, heads, kv_heads, head_dim, start, cache dtype
    (1, 4, 4, 16, 0, np.float32),     # MHA, first token
    (5, 4, 4, 16, 0, np.float32),     # MHA prefill
    (3, 6, 2, 12, 4, np.float16),     # GQA, continuing a prompt, f16 cache
    (1, 6, 2, 12, 9, np.float16),     # GQA decode
    (4, 4, 1, 7, 2, np.float32),      # MQA, odd head_dim
    (1, 8, 2, 64, 13, np.float16),    # a full cache but for the last row
]


@pytest.mark.parametrize("m,heads,kv_heads,head_dim,start,cache_dtype", ATTENTION_CASES)
def test_attention(tools, pipeline, m, heads, kv_heads, head_dim, start, cache_dtype):
    rng = np.random.default_rng(m * 100 + heads * 10 + start)
    context = 14
    q = rng.standard_normal((m, heads * head_dim)).astype(f32)
    k = rng.standard_normal((m, kv_heads * head_dim)).astype(f32)
    v = rng.standard_normal((m, kv_heads * head_dim)).astype(f32)
    # Rows before `start` hold earlier tokens; rows after the new ones hold
    # garbage that causality must hide.
    key_cache = (rng.standard_normal((kv_heads, head_dim, context)) * 2).astype(cache_dtype)
    value_cache = (rng.standard_normal((kv_heads, context, head_dim)) * 2).astype(cache_dtype)
    element = llm.MLIR_TYPES[np.dtype(cache_dtype)]
    kty = tensor_type(key_cache.shape, element)
    vty = tensor_type(value_cache.shape, element)
    cast_q, qdyn = dynamic_rows("q", q.shape)
    cast_k, kdyn = dynamic_rows("k", k.shape)
    cast_v, _ = dynamic_rows("v", v.shape)
    body = (cast_q + cast_k + cast_v + f"  %start = arith.constant {start} : index\n"
            f"  %o_d, %kc2, %vc2 = llm.attention %q_d, %k_d, %v_d, %kc, %vc, %start"
            f" : {qdyn}, {kdyn}, {kty}, {vty}\n" + static_rows("o_d", "o", q.shape))
    outputs = [("o", q.shape, "f32"), ("kc2", key_cache.shape, element),
               ("vc2", value_cache.shape, element)]
    got_o, got_k, got_v = llm.run(
        tools, llm.module({"q": q, "k": k, "v": v, "kc": key_cache, "vc": value_cache},
                          body, outputs), pipeline)
    want_o, want_k, want_v = llm.attention(q, k, v, key_cache, value_cache, start)
    assert llm.relative_error(got_o.reshape(want_o.shape), want_o) < TOLERANCE
    assert np.array_equal(got_k.reshape(want_k.shape), want_k.astype(f32))
    assert np.array_equal(got_v.reshape(want_v.shape), want_v.astype(f32))


@pytest.mark.parametrize("function", ["silu", "relu2"])
def test_gated_activation(tools, pipeline, function):
    rng = np.random.default_rng(3)
    gate = (rng.standard_normal((3, 37)) * 4).astype(f32)
    up = rng.standard_normal((3, 37)).astype(f32)
    cast_g, dyn = dynamic_rows("g", gate.shape)
    cast_u, _ = dynamic_rows("u", up.shape)
    body = (cast_g + cast_u + f"  %y_d = llm.gated_activation {function} %g_d, %u_d : {dyn}\n"
            + static_rows("y_d", "y", gate.shape))
    (got,) = llm.run(tools, llm.module({"g": gate, "u": up}, body, [("y", gate.shape, "f32")]),
                     pipeline)
    want = llm.gated_activation(function, gate, up)
    assert llm.relative_error(got.reshape(want.shape), want) < TOLERANCE


@pytest.mark.parametrize("rows", [None, 1, 2])
@pytest.mark.parametrize("weight_dtype", [np.float16, np.float32])
def test_lm_head(tools, pipeline, rows, weight_dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 48)).astype(f32)
    w = (rng.standard_normal((131, 48)) * 0.2).astype(weight_dtype)
    cast, dyn = dynamic_rows("x", x.shape)
    wty = tensor_type(w.shape, llm.MLIR_TYPES[w.dtype])
    out_rows = x.shape[0] if rows is None else rows
    last = "" if rows is None else f" last %rows"
    body = (cast + f"  %rows = arith.constant {rows or 0} : index\n"
            f"  %l_d = llm.lm_head %x_d, %w{last} : {dyn}, {wty} -> tensor<?x131xf32>\n"
            f"  %l = tensor.cast %l_d : tensor<?x131xf32> to tensor<{out_rows}x131xf32>\n")
    (got,) = llm.run(tools, llm.module({"x": x, "w": w}, body, [("l", (out_rows, 131), "f32")]),
                     pipeline)
    want = llm.lm_head(x, w.astype(f32), rows)
    assert llm.relative_error(got.reshape(want.shape), want) < TOLERANCE


def test_embedding(tools, pipeline):
    rng = np.random.default_rng(7)
    table = rng.standard_normal((50, 24)).astype(np.float16)
    tokens = np.array([3, 0, 49, 3, 17], dtype=np.int32)
    body = ("  %t_d = tensor.cast %t : tensor<5xi32> to tensor<?xi32>\n"
            "  %x_d = llm.embedding %table[%t_d] : tensor<50x24xf16>, tensor<?xi32> -> tensor<?x24xf32>\n"
            + static_rows("x_d", "x", (5, 24)))
    (got,) = llm.run(tools, llm.module({"table": table, "t": tokens}, body,
                                       [("x", (5, 24), "f32")]), pipeline)
    assert np.array_equal(got.reshape(5, 24), table[tokens].astype(f32))


def test_layers_read_their_own_weights(tools, pipeline):
    """Three layers of x = x + rms_norm(x, w_layer), their norm weights at
    64 + layer * 128 in a byte buffer."""
    rng = np.random.default_rng(11)
    width, layers, stride, first = 24, 3, 128, 64
    x = rng.standard_normal((2, width)).astype(f32)
    weights = rng.uniform(0.5, 1.5, (layers, width)).astype(f32)
    buffer = np.zeros(first + layers * stride, dtype=np.uint8)
    for layer in range(layers):
        offset = first + layer * stride
        buffer[offset:offset + 4 * width] = np.frombuffer(weights[layer].tobytes(), np.uint8)
    cast, dyn = dynamic_rows("x", x.shape)
    body = (cast + f"""
  %y_d = llm.layers {layers} (%layer) iter_args(%h = %x_d) : {dyn} {{
    %w = llm.weight %buffer[{first} + %layer * {stride}] : tensor<{buffer.size}xi8> -> tensor<{width}xf32>
    %n = llm.rms_norm %h, %w : {dyn}, tensor<{width}xf32> -> {dyn}
    %s = arith.addf %h, %n : {dyn}
    llm.yield %s : {dyn}
  }}
""" + static_rows("y_d", "y", x.shape))
    (got,) = llm.run(tools, llm.module({"x": x, "buffer": buffer.view(np.int8)}, body,
                                       [("y", x.shape, "f32")]), pipeline)
    want = x
    for layer in range(layers):
        want = (want + llm.rms_norm(want, weights[layer], 1e-5)).astype(f32)
    assert llm.relative_error(got.reshape(want.shape), want) < TOLERANCE
