#!/usr/bin/env python3
"""Writes a random TriLM checkpoint with the shapes of a Spectra model, in the
Hugging Face format (config.json, sharded fp16 safetensors with an index), for
benchmarks: every block linear weight is ternary with one scale per
model-parallel shard. Needs only numpy; streams tensors to disk.

    make_trilm_checkpoint.py 3.9B OUT_DIR"""

import json
import pathlib
import struct
import sys

import numpy as np

# hidden, ffn, heads, kv heads, layers, model-parallel shards, vocabulary
# (docs: ../shared TriLM table); "tiny" and "small" are for tests.
SHAPES = {
    "tiny": (64, 96, 4, 2, 2, 2, 300),
    # TriLM-like widths, few layers and a small vocabulary: models small
    # enough to travel to a GPU machine for its checks.
    "small": (512, 1536, 8, 4, 4, 2, 2048),
    "99M": (512, 1280, 8, 8, 16, 1, 50304),
    "1.1B": (1792, 5120, 28, 28, 24, 2, 50304),
    "3.9B": (3072, 9216, 24, 24, 30, 6, 50304),
}
SHARD_BYTES = 2 << 30


def tensors(hidden, ffn, heads, kv_heads, layers, shards, vocab, rng):
    """(name, shape, generator of fp16 values) in checkpoint order."""
    def dense(shape, scale):
        return lambda: (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float16)

    def ternary(shape, along_rows):
        def make():
            trits = rng.integers(-1, 2, size=shape, dtype=np.int8)
            scales = rng.uniform(0.01, 0.05, size=shards).astype(np.float16)
            extent = shape[0] if along_rows else shape[1]
            per = np.repeat(scales, extent // shards)
            return trits.astype(np.float16) * (per[:, None] if along_rows else per[None, :])
        return make

    def ones(shape):
        return lambda: np.ones(shape, dtype=np.float16)

    kv_width = hidden // heads * kv_heads
    yield "model.embed_tokens.weight", (vocab, hidden), dense((vocab, hidden), 0.02)
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "self_attn.q_proj.weight", (hidden, hidden), ternary((hidden, hidden), True)
        for name in ("k_proj", "v_proj"):
            yield p + f"self_attn.{name}.weight", (kv_width, hidden), ternary((kv_width, hidden), True)
        yield p + "self_attn.o_proj.weight", (hidden, hidden), ternary((hidden, hidden), False)
        yield p + "mlp.gate_proj.weight", (ffn, hidden), ternary((ffn, hidden), True)
        yield p + "mlp.up_proj.weight", (ffn, hidden), ternary((ffn, hidden), True)
        yield p + "mlp.down_proj.weight", (hidden, ffn), ternary((hidden, ffn), False)
        yield p + "input_layernorm.weight", (hidden,), ones((hidden,))
        yield p + "post_attention_layernorm.weight", (hidden,), ones((hidden,))
    yield "model.norm.weight", (hidden,), ones((hidden,))
    yield "lm_head.weight", (vocab, hidden), dense((vocab, hidden), 0.02)


def write_shard(path, entries):
    header, offset = {}, 0
    for name, shape, _ in entries:
        size = int(np.prod(shape)) * 2
        header[name] = {"dtype": "F16", "shape": list(shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for _, _, make in entries:
            out.write(make().tobytes())


def main():
    size, out = sys.argv[1], pathlib.Path(sys.argv[2])
    hidden, ffn, heads, kv_heads, layers, shards, vocab = SHAPES[size]
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    groups, current, current_bytes = [], [], 0
    for entry in tensors(hidden, ffn, heads, kv_heads, layers, shards, vocab, rng):
        size_bytes = int(np.prod(entry[1])) * 2
        if current and current_bytes + size_bytes > SHARD_BYTES:
            groups.append(current)
            current, current_bytes = [], 0
        current.append(entry)
        current_bytes += size_bytes
    groups.append(current)
    weight_map = {}
    for index, group in enumerate(groups, 1):
        name = f"model-{index:05d}-of-{len(groups):05d}.safetensors"
        write_shard(out / name, group)
        weight_map.update({entry[0]: name for entry in group})
    (out / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    (out / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": ffn,
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "max_position_embeddings": 2048,
        "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
        "bos_token_id": 0, "eos_token_id": 0, "torch_dtype": "float16",
        "hidden_act": "silu", "pretraining_model_parallel": shards}, indent=2))


if __name__ == "__main__":
    main()
