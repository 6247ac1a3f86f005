"""The CPU kernels cross-compiled for AArch64 (NEON sdot and the portable
kernel) by trilm-compile, linked with the cross gcc and executed under
qemu-aarch64, against the semantics of ternary.matmul: int8 bit-exact, float
within 1e-5 of the largest magnitude."""

import pathlib
import subprocess

import numpy as np
import pytest

from ternary_harness import f32, module, reference

HARNESS = pathlib.Path(__file__).parent / "harness" / "call_compute.c"


def run_on_aarch64(tools, tmp_path, text, features):
    source = tmp_path / "kernel.mlir"
    source.write_text(text)
    obj = tmp_path / "kernel.o"
    subprocess.run([tools["compile"], str(source), "--target=aarch64",
                    f"--features={features}", "--openmp=false", "--c-interface",
                    "-o", str(obj)], check=True, capture_output=True, text=True)
    program = tmp_path / "kernel"
    subprocess.run(["aarch64-linux-gnu-gcc", "-O2", str(HARNESS), str(obj), "-o",
                    str(program)], check=True, capture_output=True, text=True)
    out = subprocess.run(["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu", str(program)],
                         check=True, capture_output=True, text=True).stdout
    return np.array([int(v) for v in out.split()], dtype=np.int64)


# K groups off block boundaries take the gathering preparation; aligned ones
# the padding and permuting one. The program links nothing but the kernel and
# libc, so any call into an MLIR runtime library would fail to link.
@pytest.mark.parametrize("n_splits,k_splits", [((7,), (256, 333)), ((7,), (512,))],
                         ids=["unaligned", "aligned"])
@pytest.mark.parametrize("features", ["+neon,+dotprod", "+neon"], ids=["sdot", "portable"])
@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_aarch64_kernel(tools, tmp_path, features, int8, packing, n_splits, k_splits):
    rng = np.random.default_rng(42 + int8)
    m, n, k = 3, 19, 600
    x = (rng.standard_normal((m, k)) * 2).astype(f32)
    trits = rng.integers(-1, 2, size=(n, k)).astype(np.int8)
    scales = rng.uniform(0.01, 0.1,
                         size=(len(n_splits) + 1, len(k_splits) + 1)).astype(f32)
    text = module(x, trits, scales, n_splits, k_splits, packing, int8, entry="return")
    got = run_on_aarch64(tools, tmp_path, text, features)
    want = reference(x, trits, scales, n_splits, k_splits, int8)
    if int8:
        np.testing.assert_array_equal(got.astype(np.int32), want.view(np.int32).ravel())
    else:
        np.testing.assert_allclose(got.astype(np.int32).view(f32), want.ravel(), rtol=0,
                                   atol=1e-5 * np.abs(want).max())


ROOT = pathlib.Path(__file__).resolve().parents[2]
QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]


def compile_for_aarch64(tools, directory, output, *extra):
    subprocess.run([tools["compile"], str(directory), "--target=aarch64",
                    "--features=+neon,+dotprod", "--openmp=false", "--quiet",
                    "-o", str(output), *extra], check=True, capture_output=True, text=True)


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_aarch64_model_program(tools, tmp_path, packing):
    # A whole tiny TriLM compiled for AArch64 (NEON dotprod) into a program
    # (--emit=exe: the model, the C runtime and a main), run under qemu: a
    # prompt in two batches, then greedy decoding; logits within 1e-4 of
    # transformers at every position.
    from model_harness import reference_logits, relative_error, write_checkpoint

    directory = write_checkpoint(tmp_path / "ckpt", kv_heads=2, model_parallel=3, layers=1)
    prompt = [3, 141, 59, 26, 299, 0]
    program = tmp_path / "model"
    compile_for_aarch64(tools, directory, program, "--emit=exe", f"--packing={packing}")
    logits_file = tmp_path / "logits.bin"
    generated = subprocess.run(
        [*QEMU, str(program), "--prompt-batch", "4", "--generate", "3",
         "--logits", str(logits_file), *map(str, prompt)],
        check=True, capture_output=True, text=True).stdout.split()
    tokens = prompt + [int(t) for t in generated]
    got = np.fromfile(logits_file, dtype=np.float32).reshape(len(tokens), -1)
    want = reference_logits(directory, tokens)
    assert np.all(relative_error(got, want) < 1e-4), relative_error(got, want)
    assert [int(t) for t in generated] == list(want.argmax(-1)[len(prompt) - 1:-1])


def test_aarch64_shared_library_with_external_weights(tools, tmp_path):
    # --emit=lib for AArch64, loaded by a runner built from the runtime's
    # sources alone, with the weights memory-mapped from their own file.
    from model_harness import reference_logits, relative_error, write_checkpoint

    directory = write_checkpoint(tmp_path / "ckpt", kv_heads=4, model_parallel=1, layers=1)
    library = tmp_path / "model.so"
    compile_for_aarch64(tools, directory, library, "--emit=lib", "--weights=external")
    assert (tmp_path / "model.weights").exists()
    runner = tmp_path / "runner"
    subprocess.run(["aarch64-linux-gnu-gcc", "-O2", f"-I{ROOT / 'include'}",
                    str(ROOT / "lib" / "Runtime" / "ModelMain.c"),
                    str(ROOT / "lib" / "Runtime" / "Runtime.c"), "-ldl", "-o", str(runner)],
                   check=True, capture_output=True, text=True)
    tokens = [7, 8, 9, 10, 250]
    logits_file = tmp_path / "logits.bin"
    subprocess.run([*QEMU, str(runner), "--model", str(library), "--prompt-batch", "1",
                    "--logits", str(logits_file), *map(str, tokens)],
                   check=True, capture_output=True, text=True)
    got = np.fromfile(logits_file, dtype=np.float32).reshape(len(tokens), -1)
    want = reference_logits(directory, tokens)
    assert np.all(relative_error(got, want) < 1e-4), relative_error(got, want)
