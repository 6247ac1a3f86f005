"""End to end on a generated model: writes a small random TriLM checkpoint in
the Hugging Face format, compiles it with trilm-compile, runs it through
libtrilm_runtime, and compares the logits with transformers.

    python examples/tiny_trilm.py BUILD_DIR WORK_DIR"""

import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python" / "tests"))

import numpy as np  # noqa: E402

from model_harness import (Runtime, reference_logits, relative_error,  # noqa: E402
                           write_checkpoint)


def main():
    build, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = write_checkpoint(work / "tiny-trilm", hidden=192, intermediate=384,
                                  layers=4, heads=6, kv_heads=3, vocab=1000,
                                  model_parallel=3, max_positions=128)
    print(f"checkpoint: {checkpoint} (LlamaForCausalLM, 4 layers, GQA, 3 shard scales)")
    tokens = np.random.default_rng(0).integers(0, 1000, size=32)
    reference = reference_logits(checkpoint, tokens.tolist())
    runtime = Runtime(build)
    for packing, activations in [("tq2", "fp32"), ("tq1", "fp32"), ("tq2", "int8")]:
        library = work / f"tiny-trilm-{packing}-{activations}.so"
        subprocess.run([str(build / "bin" / "trilm-compile"), str(checkpoint), "--emit=lib",
                        "--cpu=native", f"--packing={packing}",
                        f"--activations={activations}", "-o", str(library)], check=True)
        model = runtime.open(library)
        context = model.context(threads=2)
        start = time.perf_counter()
        prompt = context.eval(tokens[:16])
        prefill = time.perf_counter() - start
        start = time.perf_counter()
        decoded = [context.eval([token])[0] for token in tokens[16:]]
        decode = (time.perf_counter() - start) / len(decoded)
        got = np.concatenate([prompt, np.stack(decoded)])
        agreement = np.mean(got.argmax(-1) == reference.argmax(-1))
        print(f"  {packing:7} {activations}: max |logit error| / max |logit| = "
              f"{relative_error(got, reference).max():.1e}, top-1 agreement "
              f"{agreement:.0%}, prefill 16 tokens {prefill * 1e3:.1f} ms, "
              f"decode {decode * 1e3:.2f} ms/token")
        context.close()
        model.close()


if __name__ == "__main__":
    main()
