"""`cmake --install` into a fresh prefix: the installed trilm-compile builds a
program and a shared library from a checkpoint without the source or build
tree (the runtime's sources and headers come from the prefix), and both run
with logits within 1e-4 of transformers."""

import os
import pathlib
import subprocess

import numpy as np

from model_harness import CRuntime, reference_logits, relative_error, write_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[2]
TOKENS = [3, 141, 59, 26, 299, 0, 17]


def test_installed_compiler_builds_programs_and_libraries(tools, tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", tools["build"], "--prefix", str(prefix)],
                   check=True, capture_output=True, text=True)
    compiler = prefix / "bin" / "trilm-compile"
    for installed in [compiler, prefix / "lib" / "libtrilm_runtime.so",
                      prefix / "include" / "trilm-c" / "Runtime.h",
                      prefix / "share" / "trilm" / "runtime" / "Runtime.c"]:
        assert installed.exists(), installed
    # Nothing installed points back into the checkout.
    assert str(ROOT).encode() not in compiler.read_bytes()

    directory = write_checkpoint(tmp_path / "ckpt", kv_heads=2, model_parallel=3, layers=1)
    want = reference_logits(directory, TOKENS)
    work = tmp_path / "work"
    work.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("TRILM_")}

    program = work / "model"
    subprocess.run([str(compiler), str(directory), "--emit=exe", "--quiet", "-o", str(program)],
                   check=True, cwd=work, env=environment)
    logits_file = work / "logits.bin"
    subprocess.run([str(program), "--logits", str(logits_file), *map(str, TOKENS)],
                   check=True, cwd=work, env=environment)
    got = np.fromfile(logits_file, dtype=np.float32).reshape(len(TOKENS), -1)
    assert np.all(relative_error(got, want) < 1e-4), relative_error(got, want)

    library = work / "model.so"
    subprocess.run([str(compiler), str(directory), "--emit=lib", "--weights=external",
                    "--quiet", "-o", str(library)], check=True, cwd=work, env=environment)
    model = CRuntime(prefix).open(library)
    context = model.context(threads=2)
    got = context.eval(TOKENS)
    assert np.all(relative_error(got, want) < 1e-4), relative_error(got, want)
    context.close()
    model.close()
    # The installed runner finds the installed runtime library.
    bench = subprocess.run([str(prefix / "bin" / "trilm-run"), str(library), "--bench",
                            "--bench-prompt", "4", "--bench-decode", "1", "--bench-repeats", "1"],
                           check=True, cwd=work, env=environment, capture_output=True, text=True)
    assert "| pp4 " in bench.stdout

    # A model for CUDA links the installed GPU runtime archive; without it,
    # one line says where it was looked for.
    if os.access("/usr/local/cuda/bin/ptxas", os.X_OK):
        subprocess.run([str(compiler), str(directory), "--target=cuda:sm_80", "--emit=lib",
                        "--quiet", "-o", str(work / "gpu.so")], check=True, cwd=work,
                       env=environment)
        (prefix / "lib" / "libtrilm_cuda_runtime.a").unlink()
        result = subprocess.run([str(compiler), str(directory), "--target=cuda:sm_80",
                                 "--emit=lib", "--quiet", "-o", str(work / "gpu2.so")],
                                cwd=work, env=environment, capture_output=True, text=True)
        assert result.returncode != 0
        assert result.stderr.count("\n") == 1, result.stderr
        assert "the GPU runtime is not installed (looked for " in result.stderr
