#!/usr/bin/env python3
"""Writes a checkpoint made by make_trilm_checkpoint.py as an f16 GGUF file
for llama.cpp (the peer benchmark, scripts/peer-bench.sh), with the `gguf`
package that llama.cpp's source tree carries (gguf-py, on PYTHONPATH).

llama.cpp's own converter identifies BPE tokenizers by hashing their output
on a fixed text and refuses those it does not know, such as the small one
this repository trains; this writer does what the converter does for a
LLaMA checkpoint otherwise: llama.cpp's tensor names, q and k rows permuted
for its RoPE, and the tokenizer's tokens and merges (padded to the model's
vocabulary). llama-quantize then makes the TQ2_0 and TQ1_0 files.

    peer_gguf.py CHECKPOINT_DIR TOKENIZER_JSON OUT.gguf
"""

import json
import pathlib
import sys

import gguf
import numpy as np
from safetensors.numpy import load_file


def permute(weight, heads):
    """HF's rotate-half q/k rows to llama.cpp's interleaved pairs."""
    rows = weight.shape[0]
    return (weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def main():
    checkpoint, tokenizer_path, out = map(pathlib.Path, sys.argv[1:4])
    config = json.loads((checkpoint / "config.json").read_text())
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    hidden = config["hidden_size"]
    vocab = config["vocab_size"]

    writer = gguf.GGUFWriter(str(out), "llama")
    writer.add_context_length(config.get("max_position_embeddings", 2048))
    writer.add_embedding_length(hidden)
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_rope_freq_base(config.get("rope_theta", 10000.0))
    writer.add_layer_norm_rms_eps(config.get("rms_norm_eps", 1e-6))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    tokenizer = json.loads(tokenizer_path.read_text())
    by_id = {i: t for t, i in tokenizer["model"]["vocab"].items()}
    for added in tokenizer.get("added_tokens", []):
        by_id[added["id"]] = added["content"]
    tokens, types = [], []
    for i in range(vocab):
        if i in by_id:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.NORMAL)
        else:
            tokens.append("[PAD%d]" % i)
            types.append(gguf.TokenType.USER_DEFINED)
    merges = [m if isinstance(m, str) else " ".join(m)
              for m in tokenizer["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(config.get("bos_token_id", 0))
    writer.add_eos_token_id(config.get("eos_token_id", 0))

    names = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
             "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
             "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
             "mlp.down_proj": "ffn_down", "input_layernorm": "attn_norm",
             "post_attention_layernorm": "ffn_norm"}
    for path in sorted(checkpoint.glob("*.safetensors")):
        for name, value in load_file(str(path)).items():
            value = value.astype(np.float32 if value.ndim == 1 else np.float16)
            if name == "model.embed_tokens.weight":
                target = "token_embd.weight"
            elif name == "model.norm.weight":
                target = "output_norm.weight"
            elif name == "lm_head.weight":
                target = "output.weight"
            else:
                _, _, layer, rest = name.split(".", 3)
                module = rest.rsplit(".", 1)[0]
                target = "blk.%s.%s.weight" % (layer, names[module])
                if module == "self_attn.q_proj":
                    value = permute(value, heads)
                elif module == "self_attn.k_proj":
                    value = permute(value, kv_heads)
            writer.add_tensor(target, value)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
