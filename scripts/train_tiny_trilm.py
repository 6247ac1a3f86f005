#!/usr/bin/env python3
"""Trains a tiny TriLM on 2 CPU cores in a few minutes, so that trilm-run's
demo and perplexity tests use a model that has learnt something.

  .venv/bin/python scripts/train_tiny_trilm.py models/tiny-trilm [--steps 300]

- Text: the docstrings of the Python 3.11 standard library that Debian ships
  (package libpython3.11-stdlib, /usr/lib/python3.11), under the Python
  Software Foundation License 2.0, which permits derived works. Modules are
  split by a hash of their name: about 5% are held out (heldout.txt) for
  perplexity.
- Tokenizer: byte-level BPE (GPT-NeoX style, as TriLM's), 2048 tokens,
  trained here with Hugging Face `tokenizers`.
- Model: LLaMA (RMSNorm, SwiGLU, RoPE, MHA), hidden 128, 4 layers of 4 heads,
  two model-parallel shards (pretraining_model_parallel = 2), trained with
  quantisation-aware training as in the Spectra recipe: every linear layer
  of the blocks runs with ternary weights, trit = clamp(round(w / s), -1, 1)
  with s the absolute mean of w over its shard (rows of q, k, v, gate and
  up; columns of o and down), and a straight-through estimator for the
  gradient. The checkpoint stores those ternary weights (fp16 trits times
  fp16 shard scales), as TriLM checkpoints do.
"""

import argparse
import ast
import hashlib
import json
import math
import pathlib
import time

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

STDLIB = pathlib.Path("/usr/lib/python3.11")
COLUMN_PARALLEL = ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj")
SHARDS = 2


def docstrings():
    """(module name, text) for every module of the standard library."""
    for path in sorted(STDLIB.rglob("*.py")):
        if any(part in ("test", "tests", "idle_test", "site-packages", "dist-packages")
               for part in path.parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        texts = []
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef)):
                text = ast.get_docstring(node)
                if text and len(text) >= 40:
                    texts.append(text.strip())
        if texts:
            yield str(path.relative_to(STDLIB)), "\n\n".join(texts)


def ternarize(weight, rows):
    """Absmean ternarisation per shard with a straight-through gradient."""
    shards = weight.chunk(SHARDS, dim=0 if rows else 1)
    quantized = []
    for shard in shards:
        scale = shard.abs().mean().clamp(min=1e-5)
        quantized.append((shard / scale).round().clamp(-1, 1) * scale)
    quantized = torch.cat(quantized, dim=0 if rows else 1)
    return weight + (quantized - weight).detach()


class TernaryLinear(torch.nn.Linear):
    def __init__(self, linear, rows):
        super().__init__(linear.in_features, linear.out_features, bias=False)
        self.weight = linear.weight
        self.rows = rows

    def forward(self, x):
        return torch.nn.functional.linear(x, ternarize(self.weight, self.rows))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output", type=pathlib.Path)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sequence", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    args.output.mkdir(parents=True, exist_ok=True)

    train_texts, heldout_texts = [], []
    for name, text in docstrings():
        held_out = int(hashlib.sha256(name.encode()).hexdigest(), 16) % 20 == 0
        (heldout_texts if held_out else train_texts).append(text)
    (args.output / "heldout.txt").write_text("\n\n".join(heldout_texts))

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(train_texts, trainers.BpeTrainer(
        vocab_size=2048, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer.save(str(args.output / "tokenizer.json"))
    eos = tokenizer.token_to_id("<|endoftext|>")
    ids = []
    for text in train_texts:
        ids += tokenizer.encode(text).ids + [eos]
    data = torch.tensor(ids, dtype=torch.long)

    config = transformers.LlamaConfig(
        vocab_size=2048, hidden_size=128, intermediate_size=384, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=256,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False,
        bos_token_id=eos, eos_token_id=eos, torch_dtype="float16",
        pretraining_model_parallel=SHARDS)
    model = transformers.LlamaForCausalLM(config)
    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, child in list(parent.named_children()):
                if isinstance(child, torch.nn.Linear):
                    setattr(parent, name, TernaryLinear(child, name in COLUMN_PARALLEL))

    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 50) *
        0.5 * (1 + math.cos(math.pi * step / args.steps)))
    start = time.time()
    model.train()
    for step in range(args.steps):
        offsets = torch.randint(0, len(data) - args.sequence - 1, (args.batch,))
        batch = torch.stack([data[o:o + args.sequence + 1] for o in offsets])
        loss = model(batch[:, :-1], labels=batch[:, :-1]).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.3f} ({time.time() - start:.0f} s)",
                  flush=True)

    # Store the ternary weights themselves: fp16 trits times fp16 scales.
    with torch.no_grad():
        for layer in model.model.layers:
            for parent in (layer.self_attn, layer.mlp):
                for name, child in list(parent.named_children()):
                    if isinstance(child, TernaryLinear):
                        rows = child.rows
                        shards = child.weight.chunk(SHARDS, dim=0 if rows else 1)
                        parts = []
                        for shard in shards:
                            scale = shard.abs().mean().clamp(min=1e-5).half().float()
                            parts.append((shard / scale).round().clamp(-1, 1) * scale)
                        linear = torch.nn.Linear(child.in_features, child.out_features,
                                                 bias=False)
                        linear.weight.copy_(torch.cat(parts, dim=0 if rows else 1))
                        setattr(parent, name, linear)
    model.half().save_pretrained(args.output, safe_serialization=True)
    metadata = {"source": "docstrings of /usr/lib/python3.11 (Debian libpython3.11-stdlib)",
                "licence": "Python Software Foundation License 2.0",
                "train_tokens": len(ids), "steps": args.steps, "batch": args.batch,
                "sequence": args.sequence, "final_loss": round(loss.item(), 4),
                "training_seconds": round(time.time() - start)}
    (args.output / "training.json").write_text(json.dumps(metadata, indent=2) + "\n")
    print(json.dumps(metadata))


if __name__ == "__main__":
    main()
