"""BitNet b1.58 (BitNetForCausalLM) checkpoints compiled by trilm-compile.

transformers 4.47 (the newest release for the Debian torch these tests use)
has no BitNetForCausalLM, so the reference is an independent NumPy
implementation of the published architecture (transformers' modeling_bitnet
and integrations/bitnet, BitNet b1.58 2B4T): LLaMA attention and RoPE with
GQA, an RMSNorm of the attention output before o_proj (attn_sub_norm) and of
the gated activation before down_proj (ffn_sub_norm), a ReLU²-gated MLP, one
scale per weight matrix, and (W1.58A8) every linear layer's input quantised
per token to int8 by absmax. The checkpoints are written as transformers
stores them: four trits per uint8 along the rows with a weight_scale, or
bf16 master weights ternarised per tensor by absmean."""

import json
import pathlib
import subprocess

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

from model_harness import Runtime, compile_model, import_package, relative_error

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINEAR = ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
          "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")
TOKENS = [0, 17, 299, 5, 123, 42, 42, 7, 256, 1, 64, 200]
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?"
                  r"[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def pack(trits):
    """transformers' layout: rows [i N/4, (i+1) N/4) in bits 2i..2i+1."""
    rows = trits.shape[0] // 4
    packed = np.zeros((rows, trits.shape[1]), np.uint8)
    for i in range(4):
        packed |= ((trits[i * rows:(i + 1) * rows] + 1).astype(np.uint8) << (2 * i))
    return packed


def write_bitnet_checkpoint(directory, *, hidden=128, intermediate=256, layers=2, heads=4,
                            kv_heads=2, vocab=300, linear_class="autobitlinear",
                            mode="offline", tied=True, seed=0):
    """A random BitNetForCausalLM in the Hugging Face format; returns the
    weights (float64, ternary weights as the model applies them)."""
    rng = np.random.default_rng(seed)
    config = {
        "architectures": ["BitNetForCausalLM"], "model_type": "bitnet",
        "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": intermediate,
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": kv_heads, "hidden_act": "relu2",
        "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
        "tie_word_embeddings": tied, "bos_token_id": 0, "eos_token_id": 0,
        "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "bitnet", "linear_class": linear_class,
                                "quantization_mode": mode}}
    head_dim = hidden // heads
    shapes = {"self_attn.q_proj": (hidden, hidden),
              "self_attn.k_proj": (kv_heads * head_dim, hidden),
              "self_attn.v_proj": (kv_heads * head_dim, hidden),
              "self_attn.o_proj": (hidden, hidden),
              "mlp.gate_proj": (intermediate, hidden), "mlp.up_proj": (intermediate, hidden),
              "mlp.down_proj": (hidden, intermediate)}
    tensors, weights = {}, {}

    def bf16(values):
        tensor = torch.from_numpy(values.astype(np.float32)).to(torch.bfloat16)
        return tensor, tensor.to(torch.float64).numpy()

    def add_dense(name, shape, spread):
        tensors[name], weights[name] = bf16(rng.standard_normal(shape) * spread)

    add_dense("model.embed_tokens.weight", (vocab, hidden), 0.5)
    if not tied:
        add_dense("lm_head.weight", (vocab, hidden), 0.2)
    tensors["model.norm.weight"], weights["model.norm.weight"] = bf16(
        rng.uniform(0.5, 1.5, hidden))
    for layer in range(layers):
        prefix = f"model.layers.{layer}."
        for norm, size in (("input_layernorm", hidden), ("post_attention_layernorm", hidden),
                           ("self_attn.attn_sub_norm", hidden),
                           ("mlp.ffn_sub_norm", intermediate)):
            name = prefix + norm + ".weight"
            tensors[name], weights[name] = bf16(rng.uniform(0.5, 1.5, size))
        for linear in LINEAR:
            name = prefix + linear + ".weight"
            shape = shapes[linear]
            if mode == "online":
                tensors[name], latent = bf16(rng.standard_normal(shape) * 0.05)
                scale = 1.0 / max(np.abs(latent).mean(), 1e-5)
                weights[name] = np.clip(np.round(latent * scale), -1, 1) / scale
                continue
            trits = rng.integers(-1, 2, size=shape)
            # Powers of two: exact in bf16 and as their reciprocals.
            stored = float(2.0 ** rng.integers(-6, 3))
            tensors[name] = torch.from_numpy(pack(trits))
            tensors[name + "_scale"] = torch.tensor([stored], dtype=torch.bfloat16)
            scale = 1.0 / stored if linear_class == "bitlinear" else stored
            weights[name] = trits * scale
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config))
    save_file(tensors, str(directory / "model.safetensors"))
    return config, weights


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def rope(x, positions, theta):
    """Rotate-half RoPE of [tokens, heads, head_dim]."""
    half = x.shape[-1] // 2
    inverse = theta ** (-np.arange(half) * 2.0 / x.shape[-1])
    angles = positions[:, None] * inverse[None, :]
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    first, second = x[..., :half], x[..., half:]
    return np.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)


def bitnet_reference(config, weights, tokens, int8, activation="relu2"):
    """Logits of every position, in float64; `activation` "silu" for
    llama.cpp's BitNet graph."""
    def linear(x, name):
        w = weights[name]
        if not int8:
            return x @ w.T
        scale = 127.0 / np.maximum(np.abs(x).max(axis=-1, keepdims=True), 1e-5)
        quantised = np.clip(np.round(x * scale), -128, 127)
        return (quantised @ w.T) / scale

    eps, theta = config["rms_norm_eps"], config["rope_theta"]
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = config["hidden_size"] // heads
    count = len(tokens)
    positions = np.arange(count, dtype=np.float64)
    x = weights["model.embed_tokens.weight"][tokens]
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, weights[p + "input_layernorm.weight"], eps)
        q = rope(linear(h, p + "self_attn.q_proj.weight").reshape(count, heads, head_dim),
                 positions, theta)
        k = rope(linear(h, p + "self_attn.k_proj.weight").reshape(count, kv_heads, head_dim),
                 positions, theta)
        v = linear(h, p + "self_attn.v_proj.weight").reshape(count, kv_heads, head_dim)
        group = heads // kv_heads
        attended = np.empty((count, heads, head_dim))
        mask = np.triu(np.full((count, count), -np.inf), 1)
        for head in range(heads):
            scores = q[:, head] @ k[:, head // group].T / np.sqrt(head_dim) + mask
            probabilities = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            attended[:, head] = probabilities @ v[:, head // group]
        attended = rms_norm(attended.reshape(count, -1),
                            weights[p + "self_attn.attn_sub_norm.weight"], eps)
        x = x + linear(attended, p + "self_attn.o_proj.weight")
        h = rms_norm(x, weights[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, p + "mlp.gate_proj.weight")
        gate = (np.maximum(gate, 0) ** 2 if activation == "relu2"
                else gate / (1 + np.exp(-gate)))
        gated = gate * linear(h, p + "mlp.up_proj.weight")
        gated = rms_norm(gated, weights[p + "mlp.ffn_sub_norm.weight"], eps)
        x = x + linear(gated, p + "mlp.down_proj.weight")
    x = rms_norm(x, weights["model.norm.weight"], eps)
    head = weights["model.embed_tokens.weight" if config["tie_word_embeddings"]
                   else "lm_head.weight"]
    return x @ head.T


@pytest.fixture(scope="module")
def runtime(tools):
    return Runtime(tools["build"])


def run(runtime, library, tokens=TOKENS):
    model = runtime.open(library)
    context = model.context(length=32, threads=2)
    logits = context.eval(tokens)
    context.reset()
    decoded = np.stack([context.eval([token])[0] for token in tokens])
    context.close()
    model.close()
    return logits, decoded


CHECKPOINTS = {
    # bitnet-b1.58-2B-4T's form: autobitlinear, offline, tied, bf16.
    "autobitlinear": dict(linear_class="autobitlinear"),
    # transformers' default linear class divides by weight_scale.
    "bitlinear": dict(linear_class="bitlinear", tied=False),
    # bf16 master weights, ternarised per tensor by absmean.
    "online": dict(mode="online"),
}


@pytest.mark.parametrize("activations", ["fp32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
@pytest.mark.parametrize("form", sorted(CHECKPOINTS))
def test_logits_match_the_reference(tools, runtime, tmp_path, form, packing, activations):
    if form != "autobitlinear" and (packing, activations) != ("tq2", "fp32"):
        pytest.skip("the other weight forms differ only in how weights are read")
    config, weights = write_bitnet_checkpoint(tmp_path / "ckpt", **CHECKPOINTS[form])
    int8 = activations == "int8"
    reference = bitnet_reference(config, weights, TOKENS, int8)
    library = compile_model(tools, tmp_path / "ckpt", tmp_path / "model.so",
                            f"--packing={packing}", f"--activations={activations}")
    prompt, decoded = run(runtime, library)
    # int8: trilm quantises x / (absmax / 127), BitNet x * (127 / absmax); a
    # value at a rounding boundary can land one step apart.
    tolerance = 2e-3 if int8 else 1e-4
    for got in (prompt, decoded):
        error = relative_error(got, reference)
        assert np.all(error < tolerance), error
    if int8:
        assert np.mean(prompt.argmax(-1) == reference.argmax(-1)) == 1.0
        # The int8 model differs from the fp32 one by more than the tolerance:
        # the comparison above tells the two apart.
        fp32 = bitnet_reference(config, weights, TOKENS, False)
        assert np.max(relative_error(fp32, reference)) > 2 * tolerance


def compile_error(tools, directory, output):
    return subprocess.run([tools["compile"], str(directory), "--emit=lib", "-o", str(output)],
                          capture_output=True, text=True)


def test_summary_counts_sub_norms(tools, tmp_path):
    write_bitnet_checkpoint(tmp_path / "ckpt")
    result = compile_error(tools, tmp_path / "ckpt", tmp_path / "m.so")
    assert result.returncode == 0, result.stderr
    # 300 x 128 tied embedding, 2 layers of 7 ternary matrices (q, o: 128 x
    # 128; k, v: 64 x 128; gate, up, down: 256 x 128), 4 norms per layer
    # (128, 128, 128, 256) and the final 128.
    ternary = 2 * (2 * 128 * 128 + 2 * 64 * 128 + 3 * 256 * 128)
    total = ternary + 300 * 128 + 2 * (3 * 128 + 256) + 128
    assert f"{total:,} parameters ({ternary:,} ternary" in result.stderr


def break_packed(directory):
    tensors = load_file(str(directory / "model.safetensors"))
    tensors["model.layers.1.mlp.up_proj.weight"][3, 5] = 0xFF
    save_file(tensors, str(directory / "model.safetensors"))


def drop_scale(directory):
    tensors = load_file(str(directory / "model.safetensors"))
    del tensors["model.layers.0.self_attn.k_proj.weight_scale"]
    save_file(tensors, str(directory / "model.safetensors"))


def as_llama(directory):
    config = json.loads((directory / "config.json").read_text())
    config["architectures"] = ["LlamaForCausalLM"]
    config["hidden_act"] = "silu"
    del config["quantization_config"]
    (directory / "config.json").write_text(json.dumps(config))


ERRORS = {
    "bad-code": (break_packed, "tensor 'model.layers.1.mlp.up_proj.weight': element "
                               "[3, 5] has the code 3, which is no trit"),
    "missing-scale": (drop_scale, "has no tensor "
                                  "'model.layers.0.self_attn.k_proj.weight_scale'"),
    "packed-llama": (as_llama, "tensor 'model.layers.0.self_attn.q_proj.weight' has "
                               "shape [32, 128], config.json implies [128, 128]"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors(tools, tmp_path, case):
    edit, message = ERRORS[case]
    write_bitnet_checkpoint(tmp_path / "ckpt")
    edit(tmp_path / "ckpt")
    result = compile_error(tools, tmp_path / "ckpt", tmp_path / "m.so")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr


def test_llama3_tokenizer(tools, tmp_path):
    """A LLaMA-3-style tokenizer.json (BitNet 2B4T's: a Split pre-tokenizer
    with the LLaMA-3 pattern, byte-level BPE with ignore_merges, BOS by
    template), trained here: trilm's tokenizer equals Hugging Face's."""
    tokenizer = Tokenizer(models.BPE(ignore_merges=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    tokenizer.decoder = decoders.ByteLevel()
    text = (ROOT / "models" / "tiny-trilm" / "heldout.txt").read_text()
    trainer = trainers.BpeTrainer(vocab_size=700, show_progress=False,
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(text.splitlines(), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])
    path = tmp_path / "tokenizer.json"
    tokenizer.save(str(path))

    ours = import_package(tools["build"]).Tokenizer.from_file(str(path))
    samples = [text[:2000], "I'M here, aren't you? 1234567 + 89 = ?\n\n\tdone  ",
               "caf\u00e9 \u00fcber \u4e2d\u6587 <|end_of_text|> tail", "   leading spaces"]
    for sample in samples:
        assert list(ours.encode(sample)) == tokenizer.encode(sample).ids, sample
        ids = tokenizer.encode(sample).ids
        assert ours.decode(ids) == tokenizer.decode(ids, skip_special_tokens=False)
