#!/usr/bin/env python3
"""Tokenizer speed: trilm's against Hugging Face `tokenizers` on about 1 MB
of varied text (prose, code, numbers, several scripts, emoji), same
tokenizer.json, interleaved runs; prints the medians and their ratio.

  .venv/bin/python scripts/bench_tokenizer.py --build build [--repeats 5]

Both sides are timed end to end on one core: loading tokenizer.json and
encoding the file (trilm-run --tokenize in a process of its own, against
Tokenizer.from_file + encode in this one, which has Python started already).
The ids are checked to be equal first."""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python" / "tests"))
from tokenizer_harness import TRAINING_TEXT, train  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402


def corpus(size):
    lines = []
    n = 0
    i = 0
    while n < size:
        line = f"{TRAINING_TEXT[i % 8]} #{i} value={i * 7919 % 100003}\n"
        lines.append(line)
        n += len(line.encode())
        i += 1
    return "".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bytes", type=int, default=1 << 20)
    args = parser.parse_args()
    run = pathlib.Path(args.build) / "bin" / "trilm-run"
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        text_path = work / "text.txt"
        text = corpus(args.bytes)
        text_path.write_bytes(text.encode())  # no newline translation
        for style in ("gpt2", "llama3"):
            tokenizer_path = work / f"{style}.json"
            train(style).save(str(tokenizer_path))
            command = [str(run), "--tokenizer", str(tokenizer_path), "--tokenize", "--no-bos",
                       "-f", str(text_path)]
            expected = Tokenizer.from_file(str(tokenizer_path)).encode(
                text, add_special_tokens=False).ids
            got = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
            assert got == expected, f"{style}: the ids differ"
            trilm_times, hf_times = [], []
            for _ in range(args.repeats):
                start = time.perf_counter()
                subprocess.run(command, capture_output=True, check=True)
                trilm_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                Tokenizer.from_file(str(tokenizer_path)).encode(text, add_special_tokens=False)
                hf_times.append(time.perf_counter() - start)
            trilm, hf = statistics.median(trilm_times), statistics.median(hf_times)
            print(f"{style}: {len(text.encode()) / 1e6:.2f} MB, {len(expected)} tokens; "
                  f"tokenizers {hf * 1e3:.1f} ms, trilm {trilm * 1e3:.1f} ms (median of "
                  f"{args.repeats}); trilm is {hf / trilm:.2f}x the speed of tokenizers")


if __name__ == "__main__":
    main()
