"""trilm-run: text in, text out. Greedy generation against transformers
(tokenized and decoded by `tokenizers`), reproducible sampling, stop strings,
and one clear error for each kind of bad input."""

import json
import shutil
import subprocess

import numpy as np
import pytest
import torch
import transformers

from model_harness import compile_model, write_checkpoint
from tokenizer_harness import train

# The model's vocabulary: as in real checkpoints, padded past the trained
# tokenizer's (which stops short of its target of 1200 on this text).
VOCAB = 1280


@pytest.fixture(scope="module")
def model(tools, tmp_path_factory):
    """A tiny TriLM compiled with fp32 activations, its tokenizer beside it."""
    directory = tmp_path_factory.mktemp("run")
    checkpoint = write_checkpoint(directory / "checkpoint", vocab=VOCAB, layers=1,
                                  max_positions=64)
    tokenizer = train("gpt2")
    tokenizer.save(str(directory / "tokenizer.json"))
    library = compile_model(tools, checkpoint, directory / "model.so",
                            "--activations=fp32")
    return checkpoint, library, tokenizer


def run(tools, *args, check=True, stdin=None):
    result = subprocess.run([tools["run"], *map(str, args)], capture_output=True,
                            input=stdin)
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def generate(tools, library, *args):
    return run(tools, library, "--quiet", *args).stdout.decode()


def test_greedy_generation_matches_transformers(tools, model):
    checkpoint, library, tokenizer = model
    prompt = "The quick brown fox"
    text = generate(tools, library, "-p", prompt, "-n", 8, "--temp", 0, "--ignore-eos")
    # The reference: the same tokens, argmax by transformers, decoded by
    # tokenizers (special tokens dropped, as trilm-run prints).
    reference = transformers.LlamaForCausalLM.from_pretrained(
        checkpoint, torch_dtype=torch.float32).eval()
    tokens = tokenizer.encode(prompt).ids
    generated = []
    with torch.no_grad():
        for _ in range(8):
            logits = reference(torch.tensor([tokens + generated])).logits[0, -1]
            generated.append(int(logits.argmax()))
    assert text == tokenizer.decode(generated, skip_special_tokens=True) + "\n"


def test_sampling_is_reproducible(tools, model):
    _, library, _ = model
    args = ["-p", "Hello", "-n", 24, "--temp", 1.0, "--ignore-eos"]
    first = generate(tools, library, *args, "--seed", 7)
    assert generate(tools, library, *args, "--seed", 7) == first
    assert generate(tools, library, *args, "--seed", 8) != first
    # Every sampler stage can be switched on together.
    generate(tools, library, *args, "--top-k", 5, "--top-p", 0.5, "--min-p", 0.1,
             "--repeat-penalty", 1.3, "--seed", 3)


def test_stop_string_and_limits(tools, model):
    _, library, _ = model
    args = ["-p", "Once upon a time", "--temp", 0, "--ignore-eos"]
    text = generate(tools, library, *args, "-n", 24)[:-1]
    stop = text[len(text) // 2:len(text) // 2 + 3]
    stopped = generate(tools, library, *args, "-n", 24, "--stop", stop)[:-1]
    assert stopped == text[:text.index(stop)]
    # -n bounds the tokens; the context bounds them too, with a warning.
    assert len(generate(tools, library, *args, "-n", 3)) <= len(text)
    result = run(tools, library, *args, "-n", 100, "--ctx", 20)
    assert b"the context of 20 positions is full" in result.stderr


def test_prompt_from_a_file_and_stdin(tools, model, tmp_path):
    _, library, _ = model
    args = ["-n", 4, "--temp", 0, "--ignore-eos", "--quiet"]
    (tmp_path / "prompt.txt").write_text("Hello world")
    from_file = run(tools, library, "-f", tmp_path / "prompt.txt", *args).stdout
    from_stdin = run(tools, library, *args, stdin=b"Hello world").stdout
    assert from_file == from_stdin == run(tools, library, "-p", "Hello world", *args).stdout
    timings = run(tools, library, "-p", "Hello", "-n", 2).stderr.decode()
    assert "prompt: " in timings and "tokens/s" in timings


def error(tools, *args, stdin=None):
    result = run(tools, *args, check=False, stdin=stdin)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_errors(tools, model, tmp_path):
    checkpoint, library, tokenizer = model
    assert "cannot load" in error(tools, tmp_path / "missing.so", "-p", "x",
                                  "--tokenizer", library.parent / "tokenizer.json")
    assert "model.tokenizer.json or tokenizer.json beside" in error(
        tools, tmp_path / "model.so", "-p", "x")
    assert "the prompt has" in error(tools, library, "-p", "word " * 40, "--ctx", 8)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9")
    assert "not valid UTF-8 (at byte 3)" in error(tools, library, "-f", bad)
    assert "--top-p must be in (0, 1]" in error(tools, library, "-p", "x", "--top-p", 0)
    assert "--temp must be 0 or more" in error(tools, library, "-p", "x", "--temp", -1)
    # A tokenizer larger than the model's vocabulary belongs to another model.
    small = write_checkpoint(tmp_path / "small", vocab=300, layers=1)
    other = compile_model(tools, small, tmp_path / "small.so")
    message = error(tools, other, "-p", "x", "--tokenizer", library.parent / "tokenizer.json")
    assert (f"the tokenizer has {tokenizer.get_vocab_size()} tokens but the model's "
            "vocabulary is 300") in message
    # A model compiled for another CPU.
    arm = compile_model(tools, small, tmp_path / "arm.so", "--target=aarch64", "--openmp=false")
    shutil.copy(library.parent / "tokenizer.json", tmp_path / "tokenizer.json")
    assert "compiled for another architecture" in error(tools, arm, "-p", "x")
    # A model compiled for a CPU feature this machine lacks: refused before
    # any of its code runs (it would die of an illegal instruction).
    flags = open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
    absent = [(llvm, linux) for llvm, linux in
              [("avxvnniint8", "avx_vnni_int8"), ("avx512fp16", "avx512_fp16"),
               ("avx512vnni", "avx512_vnni"), ("avx512f", "avx512f")] if linux not in flags]
    if absent:
        needy = compile_model(tools, small, tmp_path / "needy.so", f"--features=+{absent[0][0]}")
        assert f"compiled for CPU features this machine lacks: {absent[0][0]}" in error(
            tools, needy, "-p", "x")
    # A malformed tokenizer.json.
    broken = tmp_path / "broken.json"
    broken.write_text('{"model": {"type": "Unigram"}}')
    assert "model type Unigram is not supported" in error(
        tools, library, "-p", "x", "--tokenizer", broken)


def reference_perplexity(checkpoint, tokens, window, stride):
    """transformers in fp32 over the same windows, each token scored once."""
    reference = transformers.LlamaForCausalLM.from_pretrained(
        checkpoint, torch_dtype=torch.float32).eval()
    losses, scored_up_to, begin = [], 1, 0
    with torch.no_grad():
        while scored_up_to < len(tokens):
            end = min(begin + window, len(tokens))
            logits = reference(torch.tensor([tokens[begin:end]])).logits[0].double()
            log_probs = torch.log_softmax(logits, -1)
            for t in range(max(scored_up_to, begin + 1), end):
                losses.append(-float(log_probs[t - 1 - begin, tokens[t]]))
            scored_up_to = end
            begin += stride
    return float(np.exp(np.mean(losses))), len(losses)


@pytest.mark.parametrize("stride", [None, 12])
def test_perplexity_matches_transformers(tools, model, tmp_path, stride):
    checkpoint, library, tokenizer = model
    text = ("The quick brown fox jumps over the lazy dog. It's 2024, and we'll see "
            "12,345.67 items. Ελληνικά κείμενα και Русский текст. ") * 2
    (tmp_path / "text.txt").write_text(text)
    tokens = tokenizer.encode(text, add_special_tokens=False).ids
    args = ["--perplexity", tmp_path / "text.txt", "--ctx", 32, "--quiet"]
    if stride:
        args += ["--ppl-stride", stride]
    output = generate(tools, library, *args)
    value, scored = reference_perplexity(checkpoint, tokens, 32, stride or 32)
    assert output.startswith("perplexity: ") and f"({scored} tokens scored" in output
    got = float(output.split()[1])
    assert abs(got - value) / value < 1e-4, (got, value)


def test_bench(tools, model):
    _, library, _ = model
    lines = generate(tools, library, "--bench", "--bench-prompt", 16, "--bench-decode", 4,
                     "--bench-repeats", 2, "--bench-json").splitlines()
    results = [json.loads(line) for line in lines]
    assert [r["test"] for r in results] == ["pp16", "tg4"]
    for r in results:
        assert len(r["samples"]) == 2 and r["tokens_per_second_median"] > 0
        assert r["tokens_per_second_min"] <= r["tokens_per_second_median"] <= \
            r["tokens_per_second_max"]
    # Decoding reads every weight once per token, and the cache: here one
    # layer of packed 2-bit weights (rows x 64 bytes for K <= 256: q/k/v 288
    # rows, o 96, gate/up 384, down 96) with their f32 scales and two f32
    # norms, each slot 64-byte aligned (56,320 bytes), the final norm (384)
    # and the f16 lm_head (1280 x 96 x 2); keys and values of positions
    # 0..18 (the middle of the decoded tokens), 2 x 4 heads x 24 x 4 bytes
    # each.
    layer = 288 * 64 + 64 + 96 * 64 + 64 + 384 * 64 + 64 + 96 * 64 + 64 + 384 + 384
    weights = layer + 384 + VOCAB * 96 * 2
    decode = results[1]
    assert decode["bytes_per_token"] == weights + 19 * 2 * 4 * 24 * 4
    assert decode["read_gigabytes_per_second"] == pytest.approx(
        decode["tokens_per_second_median"] * decode["bytes_per_token"] / 1e9)
    assert decode["read_roof_gigabytes_per_second"] > 0
    assert "bytes_per_token" not in results[0]
    table = generate(tools, library, "--bench", "--bench-prompt", 8, "--bench-decode", 2,
                     "--bench-repeats", 1)
    assert "| pp8 " in table and "| tg2 " in table
    assert "MB / token" in table and "read roof at 0.3 MB" in table


def test_perplexity_and_bench_errors(tools, model, tmp_path):
    _, library, _ = model
    (tmp_path / "text.txt").write_text("Hello world, hello world.")
    assert "--ppl-stride must be between 1 and --ctx (16)" in error(
        tools, library, "--perplexity", tmp_path / "text.txt", "--ctx", 16, "--ppl-stride", 17)
    assert "cannot read" in error(tools, library, "--perplexity", tmp_path / "missing.txt")
    assert "exceed the model's 64 positions" in error(
        tools, library, "--bench", "--bench-prompt", 100)
