#!/usr/bin/env python3
"""Whole-model speed against the memory roof, for programs compiled with
trilm-compile --emit=exe (a benchmark, not a test: figures for
docs/benchmarks.md).

    bench_model.py --build build --checkpoint CKPT \\
        --program after=PROGRAM:tq2:f16 [--program before=OLD:tq2:f32] ...

For every program, interleaved over --repeats rounds (the machine is shared:
compare ratios within one run), it measures
- decoding from an empty context (1 prompt token, then --generate tokens) and
  after --prompt tokens of context, in tokens/s;
- prefilling --prompt tokens, in seconds;
and it prints, per case, the bytes a token reads (packed ternary weights,
the f16/bf16/f32 output projection and embedding row, the KV cache at that
depth) and the speed as a share of the roof: the read bandwidth that
`trilm-bench bandwidth` measures in the same run (2 streams, a working set of
512 MiB, larger than the caches) over those bytes.

With --matmul-share it also times the model's ternary matmuls alone at
M = --prompt (`trilm-bench matmul`, the same kernels) right after each
prefill, and reports the median share of the prefill time outside them."""

import argparse
import json
import pathlib
import re
import statistics
import subprocess

PACKED_BYTES_PER_BLOCK = {"tq2": 64, "tq1": 52}
CACHE_BYTES = {"f32": 4, "f16": 2}
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4}


def model_shape(checkpoint):
    config = json.loads((pathlib.Path(checkpoint) / "config.json").read_text())
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    kv_heads = config.get("num_key_value_heads", heads)
    head_dim = hidden // heads
    return dict(hidden=hidden, ffn=config["intermediate_size"],
                layers=config["num_hidden_layers"], vocab=config["vocab_size"],
                kv_width=kv_heads * head_dim,
                dtype_bytes=DTYPE_BYTES[config.get("torch_dtype", "float16")])


def matmul_shapes(shape):
    """(N, K) of the fused matmuls of one layer: qkv, o, gate/up, down."""
    h, f, kv = shape["hidden"], shape["ffn"], shape["kv_width"]
    return [(h + 2 * kv, h), (h, h), (2 * f, h), (h, f)]


def bytes_per_token(shape, packing, cache, depth):
    ternary = 0
    for n, k in matmul_shapes(shape):
        ternary += n * -(-k // 256) * PACKED_BYTES_PER_BLOCK[packing]
    ternary *= shape["layers"]
    head = shape["vocab"] * shape["hidden"] * shape["dtype_bytes"]
    embedding_row = shape["hidden"] * shape["dtype_bytes"]
    kv = 2 * shape["layers"] * depth * shape["kv_width"] * CACHE_BYTES[cache]
    return ternary + head + embedding_row + kv


def run_program(path, threads, generate, prompt):
    result = subprocess.run([path, "--threads", str(threads), "--generate", str(generate),
                             "--timing", "1", *map(str, prompt)],
                            capture_output=True, text=True, check=True)
    prompt_seconds = float(re.search(r"prompt: \d+ tokens in ([0-9.]+) s", result.stderr)[1])
    decode_rate = float(re.search(r"decode: \d+ tokens in [0-9.]+ s \(([0-9.]+) tokens/s\)",
                                  result.stderr)[1])
    return prompt_seconds, decode_rate


def read_roof(build, repeats):
    output = subprocess.run([str(pathlib.Path(build) / "bin" / "trilm-bench"), "bandwidth",
                             f"--repeats={repeats}"], capture_output=True, text=True,
                            check=True).stdout
    row = re.search(r"\| 512 MiB \| 2 \| ([0-9.]+) \| ([0-9.]+) \|", output)
    return float(row[2]) * 1e9


def matmul_seconds(build, shape, packing, mode, m, threads):
    shapes = ",".join(f"{n}x{k}" for n, k in matmul_shapes(shape))
    output = subprocess.run(
        [str(pathlib.Path(build) / "bin" / "trilm-bench"), "matmul", f"--shapes={shapes}",
         f"-m={m}", f"--mode={mode}", f"--packing={packing}", f"--num-threads={threads}",
         "--repeats=3", "--interleave=4"], capture_output=True, text=True, check=True).stdout
    times = [float(row.split("|")[8]) for row in output.splitlines()
             if row.startswith("| custom")]
    return sum(times) / 1000 * shape["layers"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--program", action="append", required=True,
                        help="NAME=PATH:PACKING:CACHE (packing tq2|tq1, cache f32|f16)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt", type=int, default=256)
    parser.add_argument("--generate", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--matmul-share", action="store_true")
    parser.add_argument("--mode", default="int8", help="activations, for --matmul-share")
    args = parser.parse_args()

    shape = model_shape(args.checkpoint)
    programs = []
    for spec in args.program:
        name, rest = spec.split("=", 1)
        path, packing, cache = rest.rsplit(":", 2)
        programs.append((name, path, packing, cache))
    prompt = [1 + i % 1000 for i in range(args.prompt)]
    results = {name: {"empty": [], "deep": [], "prefill": [], "outside": []}
               for name, *_ in programs}
    roofs = []
    for _ in range(args.repeats):
        roofs.append(read_roof(args.build, 3))
        for name, path, packing, _ in programs:
            _, rate = run_program(path, args.threads, args.generate, [1])
            results[name]["empty"].append(rate)
            seconds, rate = run_program(path, args.threads, args.generate, prompt)
            results[name]["deep"].append(rate)
            results[name]["prefill"].append(seconds)
            if args.matmul_share:
                # Right after the prefill, so that both see the same machine.
                inside = matmul_seconds(args.build, shape, packing, args.mode,
                                        args.prompt, args.threads)
                results[name]["outside"].append((seconds - inside) / seconds)
    roof = max(roofs)
    print(f"read roof (trilm-bench bandwidth, 512 MiB, 2 streams, best of {args.repeats} x 3): "
          f"{roof / 1e9:.1f} GB/s")
    print()
    print("| program | context | tokens/s (median) | bytes per token | GB/s | % of roof |")
    print("|---|---|---|---|---|---|")
    for name, _, packing, cache in programs:
        for label, depth in [("empty", 0), ("deep", args.prompt)]:
            rate = statistics.median(results[name][label])
            # A decoded token reads the cache of the positions before it.
            mean_depth = depth + args.generate / 2
            size = bytes_per_token(shape, packing, cache, mean_depth)
            print(f"| {name} | {depth} + {args.generate} | {rate:.1f} | {size / 1e6:.0f} MB | "
                  f"{rate * size / 1e9:.1f} | {100 * rate * size / roof:.0f}% |")
    print()
    print(f"| program | prefill of {args.prompt} tokens (median s) | outside ternary matmuls |")
    print("|---|---|---|")
    for name, *_ in programs:
        seconds = statistics.median(results[name]["prefill"])
        outside = "-"
        if args.matmul_share:
            shares = results[name]["outside"]
            outside = (f"{100 * statistics.median(shares):.0f}% (each round: "
                       + ", ".join(f"{100 * share:.0f}%" for share in shares) + ")")
        print(f"| {name} | {seconds:.3f} | {outside} |")


if __name__ == "__main__":
    main()
