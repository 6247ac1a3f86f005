"""GGUF files (llama, TQ1_0/TQ2_0 block weights) compiled by trilm-compile.

The files are written from tiny checkpoints by the `gguf` package from PyPI
(its GGUFWriter and TQ quantisers, through scripts/checkpoint_to_gguf.py).
The reference is transformers' LlamaForCausalLM in fp32 on the weights the
`gguf` package dequantises from the same file, q and k rows put back in
rotate-half order: llama.cpp's weights, independent of trilm's reader."""

import importlib.util
import pathlib
import subprocess

import numpy as np
import pytest
import torch
import transformers
from tokenizers import Tokenizer as HFTokenizer

from model_harness import (Runtime, compile_model, import_package, relative_error,
                           write_checkpoint)

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENIZER = ROOT / "models" / "tiny-trilm" / "tokenizer.json"
TOKENS = [0, 17, 299, 5, 1023, 42, 42, 7, 2047, 1, 64, 200]

gguf = pytest.importorskip("gguf")
_spec = importlib.util.spec_from_file_location(
    "checkpoint_to_gguf", ROOT / "scripts" / "checkpoint_to_gguf.py")
writer_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(writer_script)

# K extents are multiples of 256 (TQ blocks), and so is every shard of o and
# down (row-parallel): a TQ block then never spans two shards, so the file
# holds the checkpoint exactly and shard scales can be recovered from it.
SHAPE = dict(hidden=512, intermediate=1024, heads=4, kv_heads=2, vocab=2048,
             layers=2, model_parallel=2)


def write_gguf(checkpoint, out, block_type, **options):
    """The checkpoint as a GGUF file; `edit(writer)` changes the metadata,
    `tensors(list)` the tensors."""
    edit = options.pop("edit", None)
    change_tensors = options.pop("tensors", None)
    writer, config = writer_script.open_writer(checkpoint, out, tokenizer=TOKENIZER,
                                               block_type=block_type,
                                               **{k: v for k, v in options.items()
                                                  if k in ("arch", "add_bos")})
    if edit:
        edit(writer)
    tensors = list(writer_script.checkpoint_tensors(
        checkpoint, config, block_type=block_type,
        embedding_type=options.get("embedding_type", "f16")))
    if change_tensors:
        tensors = change_tensors(tensors)
    for name, data, raw_dtype in tensors:
        writer.add_tensor(name, data, raw_dtype=raw_dtype)
    writer_script.finish(writer)
    return out


def unpermute(weight, heads):
    """llama.cpp's interleaved q/k rows back to rotate-half order."""
    rows = weight.shape[0]
    return (weight.reshape(heads, rows // heads // 2, 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def dequantised_reference(checkpoint, path, tokens):
    """transformers on the weights the gguf package reads from `path`."""
    config = transformers.AutoConfig.from_pretrained(checkpoint)
    reader = gguf.GGUFReader(str(path))
    names = {v: k for k, v in
             {"model.embed_tokens.weight": "token_embd.weight",
              "model.norm.weight": "output_norm.weight",
              "lm_head.weight": "output.weight"}.items()}
    layer_names = {v: k for k, v in writer_script.LAYER_TENSORS.items()}
    state = {}
    for tensor in reader.tensors:
        shape = tuple(int(d) for d in reversed(tensor.shape))
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        values = np.asarray(values, dtype=np.float32).reshape(shape)
        if tensor.name in names:
            name = names[tensor.name]
        else:
            _, layer, module, _ = tensor.name.split(".")
            name = "model.layers.%s.%s.weight" % (layer, layer_names[module])
            if module == "attn_q":
                values = unpermute(values, config.num_attention_heads)
            elif module == "attn_k":
                values = unpermute(values, config.num_key_value_heads)
        state[name] = torch.from_numpy(values.copy())
    config.tie_word_embeddings = "lm_head.weight" not in state
    model = transformers.LlamaForCausalLM(config).to(torch.float32).eval()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(name == "lm_head.weight" for name in missing), missing
    if config.tie_word_embeddings:
        model.tie_weights()
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0].numpy()


def trilm_compile(tools, source, output, *flags, check=True):
    result = subprocess.run([tools["compile"], str(source), "--emit=lib", "-o",
                             str(output), *map(str, flags)],
                            capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def logits(runtime, library, tokens=TOKENS):
    model = runtime.open(library)
    context = model.context(length=32, threads=2)
    result = context.eval(tokens)
    context.close()
    model.close()
    return result


@pytest.fixture(scope="module")
def runtime(tools):
    return Runtime(tools["build"])


@pytest.fixture(scope="module")
def trilm_checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("trilm"), **SHAPE)


@pytest.fixture(scope="module")
def dense_checkpoint(tmp_path_factory):
    """Gaussian block weights: their TQ quantisation has a different scale
    in every block, and is tied (no output.weight)."""
    return write_checkpoint(tmp_path_factory.mktemp("dense"), ternary=False,
                            tied=True, **SHAPE)


@pytest.fixture(scope="module", params=["tq2_0", "tq1_0"])
def trilm_gguf(request, trilm_checkpoint, tmp_path_factory):
    path = tmp_path_factory.mktemp("gguf") / f"model-{request.param}.gguf"
    write_gguf(trilm_checkpoint, path, request.param)
    return path, dequantised_reference(trilm_checkpoint, path, TOKENS)


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_logits_match_dequantised_weights(tools, runtime, trilm_gguf, packing, tmp_path):
    path, reference = trilm_gguf
    trilm_compile(tools, path, tmp_path / "model.so", f"--packing={packing}", "--quiet")
    error = relative_error(logits(runtime, tmp_path / "model.so"), reference)
    assert np.all(error < 1e-4), error


def test_block_scales_of_dense_weights(tools, runtime, dense_checkpoint, tmp_path):
    """Every 256-block its own scale, Q8_0 embeddings, a tied output."""
    path = write_gguf(dense_checkpoint, tmp_path / "dense.gguf", "tq2_0",
                      embedding_type="q8_0")
    reader = gguf.GGUFReader(str(path))
    down = next(t for t in reader.tensors if t.name == "blk.0.ffn_down.weight")
    scales = np.asarray(down.data).reshape(-1, 66)[:, 64:].copy().view(np.float16)
    assert len(np.unique(scales)) > 100
    reference = dequantised_reference(dense_checkpoint, path, TOKENS)
    trilm_compile(tools, path, tmp_path / "dense.so", "--quiet")
    error = relative_error(logits(runtime, tmp_path / "dense.so"), reference)
    assert np.all(error < 1e-4), error

    result = trilm_compile(tools, path, tmp_path / "shards.so", "--gguf-scales=shards",
                           check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no shard count from 1 to 8 gives the non-zero 256-blocks of each shard " \
        "of tensor 'blk.0.attn_q.weight' one scale" in result.stderr


@pytest.mark.parametrize("activations", ["fp32", "int8"])
def test_recovered_shard_scales_equal_the_checkpoint(tools, runtime, trilm_checkpoint,
                                                     activations, tmp_path):
    """--gguf-scales=shards finds the checkpoint's two shards: the same
    model as the Hugging Face checkpoint, without the block scales."""
    path = write_gguf(trilm_checkpoint, tmp_path / "model.gguf", "tq2_0")
    flag = f"--activations={activations}"
    compile_model(tools, trilm_checkpoint, tmp_path / "hf.so", flag)
    shards = trilm_compile(tools, path, tmp_path / "shards.so", flag, "--gguf-scales=shards")
    blocks = trilm_compile(tools, path, tmp_path / "blocks.so", flag)
    # One f32 scale per 256 weights is 0.125 bits per weight more.
    assert "at 2.00 bits per weight" in shards.stderr
    assert "at 2.12 bits per weight" in blocks.stderr
    want = logits(runtime, tmp_path / "hf.so")
    for library in ("shards.so", "blocks.so"):
        error = relative_error(logits(runtime, tmp_path / library), want)
        assert np.all(error < 1e-5), (library, error)


def test_tokenizer_and_generation_from_the_file_alone(tools, trilm_checkpoint, tmp_path):
    path = write_gguf(trilm_checkpoint, tmp_path / "model.gguf", "tq2_0")
    result = trilm_compile(tools, path, tmp_path / "model.so")
    assert f"tokenizer: {tmp_path / 'model.tokenizer.json'}" in result.stderr
    trilm = import_package(tools["build"])
    ours = trilm.Tokenizer.from_file(str(tmp_path / "model.tokenizer.json"))
    theirs = HFTokenizer.from_file(str(TOKENIZER))
    text = ("The quick brown fox, 1234 times: it's here!\n\tIndented  spaces "
            "and unicode caf\u00e9 <|endoftext|> end")
    assert list(ours.encode(text)) == theirs.encode(text).ids

    compile_model(tools, trilm_checkpoint, tmp_path / "hf.so")
    (tmp_path / "hf.tokenizer.json").write_text(TOKENIZER.read_text())
    outputs = [subprocess.run([tools["run"], str(tmp_path / name), "--quiet", "-p",
                               "Once upon a time", "-n", "12", "--temp", "0",
                               "--ignore-eos"], capture_output=True, text=True)
               for name in ("model.so", "hf.so")]
    assert outputs[0].returncode == 0, outputs[0].stderr
    assert outputs[0].stdout == outputs[1].stdout


def test_bos_from_the_file(tools, trilm_checkpoint, tmp_path):
    """tokenizer.ggml.add_bos_token: the tokenizer prepends BOS."""
    path = write_gguf(trilm_checkpoint, tmp_path / "model.gguf", "tq2_0", add_bos=True)
    trilm_compile(tools, path, tmp_path / "model.so")
    trilm = import_package(tools["build"])
    ours = trilm.Tokenizer.from_file(str(tmp_path / "model.tokenizer.json"))
    theirs = HFTokenizer.from_file(str(TOKENIZER))
    assert list(ours.encode("hello world")) == [0] + theirs.encode("hello world").ids


def drop(name):
    return lambda tensors: [t for t in tensors if t[0] != name]


def corrupt_first_block(tensors):
    """A TQ2_0 code 3 (no trit) in blk.1.ffn_up.weight."""
    result = []
    for name, data, raw_dtype in tensors:
        if name == "blk.1.ffn_up.weight":
            data = data.copy()
            data[0, 0] = 0xFF
        result.append((name, data, raw_dtype))
    return result


def add_bias(tensors):
    return tensors + [("blk.0.attn_q.bias", np.zeros(512, np.float32), None)]


ERRORS = {
    "architecture": (dict(arch="gptneox"),
                     "architecture 'gptneox' is not supported (trilm compiles GGUF "
                     "files of architecture 'llama' or 'bitnet')"),
    "rope-scaling": (dict(edit=lambda w: w.add_string("llama.rope.scaling.type", "linear")),
                     "llama.rope.scaling.type (linear) is not supported: trilm "
                     "compiles unscaled RoPE"),
    "partial-rope": (dict(edit=lambda w: w.add_rope_dimension_count(64)),
                     "llama.rope.dimension_count (64) differs from the head "
                     "dimension (128): partial RoPE is not supported"),
    "missing-key": (dict(edit=lambda w: w.kv_data[0].pop("llama.block_count")),
                    "has no llama.block_count"),
    "heads": (dict(edit=lambda w: w.add_head_count(3)),
              "llama.attention.head_count (3) does not divide "
              "llama.embedding_length (512)"),
    "shape": (dict(edit=lambda w: w.add_feed_forward_length(768)),
              "tensor 'blk.0.ffn_gate.weight' has shape [1024, 512] (rows first), "
              "the metadata implies [768, 512]"),
    "missing-tensor": (dict(tensors=drop("blk.1.ffn_up.weight")),
                       "has no tensor 'blk.1.ffn_up.weight'"),
    "extra-tensor": (dict(tensors=add_bias),
                     "tensor 'blk.0.attn_q.bias' is not part of a LLaMA model as "
                     "trilm compiles it"),
    "f16-blocks": (dict(block_type="f16"),
                   "tensor 'blk.0.attn_q.weight' is F16; trilm compiles GGUF "
                   "decoder-block weights stored as TQ1_0 or TQ2_0"),
    "bad-code": (dict(tensors=corrupt_first_block),
                 "tensor 'blk.1.ffn_up.weight', row 0, block 0:"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_unsupported_files_get_one_error_line(tools, trilm_checkpoint, tmp_path, case):
    options, message = ERRORS[case]
    options = dict(options)
    block_type = options.pop("block_type", "tq2_0")
    path = write_gguf(trilm_checkpoint, tmp_path / f"{case}.gguf", block_type, **options)
    result = trilm_compile(tools, path, tmp_path / "model.so", check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "model.so").exists()


def test_unknown_pre_tokenizer_is_a_warning(tools, trilm_checkpoint, tmp_path):
    """The model compiles; the tokenizer, which would split text differently,
    is left out with a warning."""
    path = write_gguf(trilm_checkpoint, tmp_path / "model.gguf", "tq2_0",
                      edit=lambda w: w.add_tokenizer_pre("qwen2"))
    result = trilm_compile(tools, path, tmp_path / "model.so", "--quiet")
    assert result.stderr == ("trilm-compile: warning: no tokenizer written: "
                             "tokenizer.ggml.pre 'qwen2' is not supported; trilm "
                             "knows the pre-tokenizers 'gpt-2' and 'llama-bpe'\n")
    assert (tmp_path / "model.so").exists()
    assert not (tmp_path / "model.tokenizer.json").exists()


def test_python_package_compiles_gguf(tools, runtime, trilm_checkpoint, tmp_path,
                                      monkeypatch):
    """trilm.compile takes a .gguf file and gguf_scales; the cache tells the
    scale options apart; an unknown pre-tokenizer is a Python warning."""
    trilm = import_package(tools["build"])
    monkeypatch.setenv("TRILM_CACHE_DIR", str(tmp_path / "cache"))
    path = write_gguf(trilm_checkpoint, tmp_path / "model.gguf", "tq2_0",
                      edit=lambda w: w.add_tokenizer_pre("qwen2"))
    options = dict(activations="fp32", target="generic", progress=False)
    with pytest.warns(UserWarning, match="tokenizer.ggml.pre 'qwen2' is not supported"):
        blocks = trilm.compile(path, **options)
    with pytest.warns(UserWarning):
        shards = trilm.compile(path, gguf_scales="shards", **options)
    assert len(list((tmp_path / "cache").iterdir())) == 2
    reference = dequantised_reference(trilm_checkpoint, path, TOKENS)
    for model in (blocks, shards):
        got = model.context(32, 2).eval(TOKENS)
        assert np.all(relative_error(got, reference) < 1e-4)
    with pytest.raises(trilm.CompileError, match='gguf_scales must be "blocks" or "shards"'):
        trilm.compile(path, gguf_scales="rows", **options)


# llama.cpp's "bitnet" architecture.

BITNET_TOKENS = [0, 17, 299, 5, 123, 42, 42, 7]

def write_bitnet_gguf(path, config, weights, block_type):
    """A BitNet model as llama.cpp's converter lays it out: sub-norms, no
    q/k permutation, linear RoPE scaling by 1, TQ block weights; the q
    projection of layer 0 is stored halved with a "scale" tensor of 2."""
    from test_bitnet import LINEAR
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    writer = gguf.GGUFWriter(str(path), "bitnet")
    writer.add_context_length(64)
    writer.add_embedding_length(hidden)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(config["rope_theta"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
    writer.add_rope_scaling_factor(1.0)
    kind = writer_script.TYPES[block_type]
    names = {**writer_script.LAYER_TENSORS, "self_attn.attn_sub_norm": "attn_sub_norm",
             "mlp.ffn_sub_norm": "ffn_sub_norm"}
    for name, value in weights.items():
        value = value.astype(np.float32)
        if not name.startswith("model.layers."):
            writer.add_tensor(writer_script.gguf_name(name), value)
            continue
        _, _, layer, rest = name.split(".", 3)
        module = rest.rsplit(".", 1)[0]
        target = "blk.%s.%s.weight" % (layer, names[module])
        if module not in LINEAR:
            writer.add_tensor(target, value)
            continue
        if (layer, module) == ("0", "self_attn.q_proj"):
            value = value / 2
            writer.add_tensor(target[:-len("weight")] + "scale", np.array([2.0], np.float32))
        writer.add_tensor(target, gguf.quants.quantize(value, kind), raw_dtype=kind)
    writer_script.finish(writer)
    return path


def dequantised_bitnet(path):
    """Weights under Hugging Face names, as the gguf package reads them
    (times their "scale" tensors)."""
    reader = gguf.GGUFReader(str(path))
    tensors = {t.name: np.asarray(gguf.quants.dequantize(t.data, t.tensor_type),
                                  dtype=np.float64).reshape(tuple(int(d) for d in
                                                                  reversed(t.shape)))
               for t in reader.tensors}
    names = {v: k for k, v in writer_script.LAYER_TENSORS.items()}
    names.update({"attn_sub_norm": "self_attn.attn_sub_norm", "ffn_sub_norm": "mlp.ffn_sub_norm"})
    weights = {"model.embed_tokens.weight": tensors["token_embd.weight"],
               "model.norm.weight": tensors["output_norm.weight"]}
    for name, value in tensors.items():
        parts = name.split(".")
        if parts[0] != "blk" or parts[3] != "weight":
            continue
        scale = tensors.get(".".join(parts[:3] + ["scale"]))
        weights["model.layers.%s.%s.weight" % (parts[1], names[parts[2]])] = (
            value * scale[0] if scale is not None else value)
    return weights


@pytest.mark.parametrize("block_type", ["tq2_0", "tq1_0"])
def test_bitnet_gguf_matches_llama_cpp_graph(tools, runtime, tmp_path, block_type):
    """llama.cpp's BitNet graph: sub-norms, SiLU gating, fp activations."""
    from test_bitnet import bitnet_reference, write_bitnet_checkpoint
    config, weights = write_bitnet_checkpoint(tmp_path / "ckpt", hidden=256,
                                              intermediate=512, vocab=300)
    path = write_bitnet_gguf(tmp_path / "bitnet.gguf", config, weights, block_type)
    reference = bitnet_reference(config, dequantised_bitnet(path), BITNET_TOKENS, False,
                                 activation="silu")
    trilm_compile(tools, path, tmp_path / "bitnet.so", "--quiet")
    error = relative_error(logits(runtime, tmp_path / "bitnet.so", BITNET_TOKENS), reference)
    assert np.all(error < 1e-4), error
    # One d per matrix: the shard scales are per matrix.
    trilm_compile(tools, path, tmp_path / "shards.so", "--quiet", "--gguf-scales=shards")
    error = relative_error(logits(runtime, tmp_path / "shards.so", BITNET_TOKENS), reference)
    assert np.all(error < 1e-4), error
