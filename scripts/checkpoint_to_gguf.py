#!/usr/bin/env python3
"""Writes a Hugging Face LLaMA checkpoint (as make_trilm_checkpoint.py and the
tests write them) as a GGUF file, with the `gguf` package (from PyPI, or the
gguf-py of llama.cpp's source tree on PYTHONPATH).

llama.cpp's own converter identifies BPE tokenizers by hashing their output
on a fixed text and refuses those it does not know, such as the small one
this repository trains; this writer does what the converter does for a
LLaMA checkpoint otherwise: llama.cpp's tensor names, q and k rows permuted
for its RoPE, and the tokenizer's tokens and merges (padded to the model's
vocabulary). The block weights are f16 (for llama-quantize, as the peer
benchmark does), or TQ2_0/TQ1_0 from the package's own quantisers (the
tests); the embedding and output stay f16 unless asked for Q8_0.

    checkpoint_to_gguf.py CHECKPOINT_DIR OUT.gguf [--tokenizer TOKENIZER_JSON]
        [--type f16|tq2_0|tq1_0] [--embedding-type f16|q8_0] [--add-bos]
"""

import argparse
import json
import pathlib

import gguf
import numpy as np
from safetensors.numpy import load_file

LAYER_TENSORS = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm"}
TYPES = {"f16": None, "tq2_0": gguf.GGMLQuantizationType.TQ2_0,
         "tq1_0": gguf.GGMLQuantizationType.TQ1_0,
         "q8_0": gguf.GGMLQuantizationType.Q8_0}
FILE_TYPES = {"f16": gguf.LlamaFileType.MOSTLY_F16,
              "tq2_0": gguf.LlamaFileType.MOSTLY_TQ2_0,
              "tq1_0": gguf.LlamaFileType.MOSTLY_TQ1_0}


def permute(weight, heads):
    """HF's rotate-half q/k rows to llama.cpp's interleaved pairs."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def gguf_name(name):
    """llama.cpp's name of Hugging Face tensor `name`."""
    fixed = {"model.embed_tokens.weight": "token_embd.weight",
             "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if name in fixed:
        return fixed[name]
    _, _, layer, rest = name.split(".", 3)
    return "blk.%s.%s.weight" % (layer, LAYER_TENSORS[rest.rsplit(".", 1)[0]])


def add_tokenizer(writer, tokenizer_path, vocab, config, add_bos):
    tokenizer = json.loads(tokenizer_path.read_text())
    by_id = {i: t for t, i in tokenizer["model"]["vocab"].items()}
    special = set()
    for added in tokenizer.get("added_tokens", []):
        by_id[added["id"]] = added["content"]
        if added.get("special"):
            special.add(added["id"])
    tokens, types = [], []
    for i in range(vocab):
        if i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL)
        else:
            tokens.append("[PAD%d]" % i)
            types.append(gguf.TokenType.USER_DEFINED)
    merges = [m if isinstance(m, str) else " ".join(m)
              for m in tokenizer["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    # The GPT-2 split pattern, as the repository's byte-level BPE uses.
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(config.get("bos_token_id", 0))
    writer.add_eos_token_id(config.get("eos_token_id", 0))
    writer.add_add_bos_token(add_bos)


def open_writer(checkpoint, out, *, arch="llama", tokenizer=None, block_type="f16",
                add_bos=False):
    """A GGUFWriter with the checkpoint's metadata (and its tokenizer, or
    `tokenizer`, when there is one), and the checkpoint's config."""
    config = json.loads((checkpoint / "config.json").read_text())
    heads = config["num_attention_heads"]
    writer = gguf.GGUFWriter(str(out), arch)
    writer.add_context_length(config.get("max_position_embeddings", 2048))
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(config.get("num_key_value_heads", heads))
    writer.add_rope_dimension_count(config["hidden_size"] // heads)
    writer.add_rope_freq_base(config.get("rope_theta", 10000.0))
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-6))
    writer.add_file_type(FILE_TYPES[block_type])
    tokenizer = tokenizer or checkpoint / "tokenizer.json"
    if tokenizer.exists():
        add_tokenizer(writer, tokenizer, config["vocab_size"], config, add_bos)
    return writer, config


def checkpoint_tensors(checkpoint, config, *, block_type="f16", embedding_type="f16"):
    """(GGUF name, data, GGML type or None for plain arrays) of every tensor."""
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    for path in sorted(checkpoint.glob("*.safetensors")):
        for name, value in load_file(str(path)).items():
            target = gguf_name(name)
            if value.ndim == 1:
                yield target, value.astype(np.float32), None
                continue
            value = value.astype(np.float32)
            if ".self_attn.q_proj." in name:
                value = permute(value, heads)
            elif ".self_attn.k_proj." in name:
                value = permute(value, kv_heads)
            kind = TYPES[block_type if name.startswith("model.layers.") else embedding_type]
            if kind is None:
                yield target, value.astype(np.float16), None
            else:
                yield target, gguf.quants.quantize(value, kind), kind


def finish(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=pathlib.Path)
    parser.add_argument("out", type=pathlib.Path)
    parser.add_argument("--tokenizer", type=pathlib.Path,
                        help="tokenizer.json (default: the checkpoint's)")
    parser.add_argument("--type", choices=["f16", "tq2_0", "tq1_0"], default="f16")
    parser.add_argument("--embedding-type", choices=["f16", "q8_0"], default="f16")
    parser.add_argument("--add-bos", action="store_true")
    args = parser.parse_args()
    writer, config = open_writer(args.checkpoint, args.out, tokenizer=args.tokenizer,
                                 block_type=args.type, add_bos=args.add_bos)
    for name, data, raw_dtype in checkpoint_tensors(args.checkpoint, config,
                                                    block_type=args.type,
                                                    embedding_type=args.embedding_type):
        writer.add_tensor(name, data, raw_dtype=raw_dtype)
    finish(writer)


if __name__ == "__main__":
    main()
