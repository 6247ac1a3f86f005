"""Bad checkpoints and bad runtime calls: one clear error line and a
non-zero exit (or an error status), never a crash."""

import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from model_harness import CRuntime, Runtime, RuntimeError_, compile_model, write_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("good"), layers=1)


@pytest.fixture
def broken(checkpoint, tmp_path):
    """A copy of the good checkpoint to damage."""
    copy = tmp_path / "broken"
    shutil.copytree(checkpoint, copy)
    return copy


def compile_error(tools, directory, *extra):
    result = subprocess.run([tools["compile"], str(directory), "--emit=obj",
                             "-o", "/dev/null", "--quiet", *extra],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Stack dump" not in result.stderr
    return lines[0]


def read_safetensors(path):
    data = pathlib.Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def write_safetensors(path, header, payload):
    text = json.dumps(header).encode()
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + payload)


def edit_tensor(directory, name, change):
    """Rewrites tensor `name` (as float16 values) with change(values)."""
    path = directory / "model.safetensors"
    header, payload = read_safetensors(path)
    entry = header[name]
    begin, end = entry["data_offsets"]
    values = np.frombuffer(payload[begin:end], dtype=np.float16).reshape(entry["shape"]).copy()
    change(values)
    payload = payload[:begin] + values.tobytes() + payload[end:]
    write_safetensors(path, header, payload)


def test_non_ternary_weight(tools, broken):
    def perturb(values):
        values[3, 5] = np.float16(0.123)
    edit_tensor(broken, "model.layers.0.mlp.down_proj.weight", perturb)
    message = compile_error(tools, broken)
    assert "tensor 'model.layers.0.mlp.down_proj.weight'" in message
    assert "is not ternary" in message and "--ternarize=absmean" in message
    # Asked for explicitly, post-training ternarisation compiles it.
    subprocess.run([tools["compile"], str(broken), "--emit=obj", "-o", "/dev/null",
                    "--quiet", "--ternarize=absmean"], check=True)


def test_scales_that_vary_within_a_shard(tools, broken):
    # Two scales along N in a column-parallel layer of an MP = 1 model.
    def rescale(values):
        values[: values.shape[0] // 2] *= np.float16(2)
    edit_tensor(broken, "model.layers.0.self_attn.q_proj.weight", rescale)
    assert "2 distinct magnitudes" in compile_error(tools, broken)


def test_missing_tensor(tools, broken):
    path = broken / "model.safetensors"
    header, payload = read_safetensors(path)
    del header["model.norm.weight"]
    write_safetensors(path, header, payload)
    assert "has no tensor 'model.norm.weight'" in compile_error(tools, broken)


def test_shape_disagrees_with_config(tools, broken):
    config = json.loads((broken / "config.json").read_text())
    config["intermediate_size"] = 384
    (broken / "config.json").write_text(json.dumps(config))
    assert "config.json implies" in compile_error(tools, broken)


def edit_config(directory, **fields):
    config = json.loads((directory / "config.json").read_text())
    config.update(fields)
    (directory / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("emit", ["imported", "mlir", "obj"])
def test_absurd_layer_count(tools, broken, emit):
    # Sizes derived from config.json overflowed before the tensors were read.
    edit_config(broken, num_hidden_layers=2**62)
    message = compile_error(tools, broken, f"--emit={emit}")
    assert "num_hidden_layers (4611686018427387904) exceeds 4096" in message


def test_layer_count_beyond_the_tensors(tools, broken):
    # Within the limits but more layers than the file has: refused by the
    # tensor check, before the weights buffer is sized.
    edit_config(broken, num_hidden_layers=4096)
    message = compile_error(tools, broken, "--emit=imported")
    assert "has no tensor 'model.layers.1.self_attn.q_proj.weight'" in message


def test_odd_head_dim(tools, broken):
    edit_config(broken, head_dim=1)
    assert "head_dim (1) must be even" in compile_error(tools, broken)


def test_tied_embeddings_with_a_different_lm_head(tools, broken):
    # transformers would load lm_head.weight into the shared tensor; trilm
    # refuses the ambiguity instead of using the embedding silently.
    edit_config(broken, tie_word_embeddings=True)
    assert ("sets tie_word_embeddings, but the checkpoint's lm_head.weight "
            "differs from model.embed_tokens.weight") in compile_error(tools, broken)
    # An lm_head.weight equal to the embedding is what tied checkpoints hold.
    path = broken / "model.safetensors"
    header, payload = read_safetensors(path)
    begin, end = header["model.embed_tokens.weight"]["data_offsets"]
    head_begin, head_end = header["lm_head.weight"]["data_offsets"]
    payload = payload[:head_begin] + payload[begin:end] + payload[head_end:]
    write_safetensors(path, header, payload)
    subprocess.run([tools["compile"], str(broken), "--emit=obj", "-o", "/dev/null",
                    "--quiet"], check=True)


def test_shard_outside_the_checkpoint(tools, broken, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(broken / "model.safetensors", outside / "x.safetensors")
    (broken / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"model.norm.weight": "../outside/x.safetensors"}}))
    assert "outside the checkpoint directory" in compile_error(tools, broken)


def test_fifo_in_the_checkpoint(tools, broken):
    (broken / "model.safetensors").unlink()
    os.mkfifo(broken / "model.safetensors")
    assert "model.safetensors: not a regular file" in compile_error(tools, broken)


def test_truncated_file(tools, broken):
    path = broken / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    assert "truncated file?" in compile_error(tools, broken)


def test_corrupt_header(tools, broken):
    path = broken / "model.safetensors"
    data = bytearray(path.read_bytes())
    data[8:12] = b"#@!x"
    path.write_bytes(bytes(data))
    assert "invalid JSON" in compile_error(tools, broken)


def test_not_a_llama(tools, broken):
    config = json.loads((broken / "config.json").read_text())
    config["architectures"] = ["GPTNeoXForCausalLM"]
    (broken / "config.json").write_text(json.dumps(config))
    assert "trilm compiles LlamaForCausalLM" in compile_error(tools, broken)


def test_missing_shard(tools, broken):
    (broken / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors"}}))
    assert "does not exist" in compile_error(tools, broken)


def test_external_weights_errors(tools, checkpoint, tmp_path):
    runtime = Runtime(tools["build"])
    library = compile_model(tools, checkpoint, tmp_path / "model.so", "--weights=external")
    weights = tmp_path / "model.weights"
    data = weights.read_bytes()
    weights.unlink()
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library)
    assert error.value.status == 1 and "cannot open the weights file" in error.value.message
    weights.write_bytes(data[:-64])
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library)
    assert error.value.status == 2 and "the model expects" in error.value.message
    weights.write_bytes(b"NOTTRILM" + data[8:])
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library)
    assert error.value.status == 2 and "not a trilm weights file" in error.value.message

    assert "Cannot find option named 'disk'" in compile_error(tools, checkpoint, "--weights=disk")
    mlir = tmp_path / "empty.mlir"
    mlir.write_text("module {}\n")
    assert "applies to checkpoints (directories and .gguf files)" in compile_error(tools, mlir, "--weights=external")


def test_program_errors(tools, checkpoint, tmp_path):
    program = tmp_path / "model"
    subprocess.run([tools["compile"], str(checkpoint), "--emit=exe", "--quiet",
                    "-o", str(program)], check=True)
    result = subprocess.run([str(program), "--timing", "1", "--generate", "2", "1", "2"],
                            capture_output=True, text=True, check=True)
    assert "prompt: 2 tokens in" in result.stderr and "decode: 2 tokens in" in result.stderr
    result = subprocess.run([str(program), "1", "300"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "token 300 (at index 1) is outside the vocabulary" in result.stderr
    result = subprocess.run([str(program), "--threads", "x", "1"], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "usage:" in result.stderr
    result = subprocess.run([str(program), "1", "two"], capture_output=True, text=True)
    assert result.returncode == 2 and "'two' is not a token id" in result.stderr

    mlir = tmp_path / "empty.mlir"
    mlir.write_text("module {}\n")
    result = subprocess.run([tools["compile"], str(mlir), "--emit=exe", "-o",
                             str(tmp_path / "p")], capture_output=True, text=True)
    assert result.returncode == 1
    assert "--emit=exe applies to checkpoints (directories and .gguf files)" in result.stderr


def test_object_for_a_non_elf_target(tools, checkpoint, tmp_path):
    message = compile_error(tools, checkpoint, "--target=x86_64-apple-darwin")
    assert "data objects are written for x86-64 and AArch64 ELF" in message


def test_output_and_linker_errors(tools, checkpoint, tmp_path):
    def error(*args):
        result = subprocess.run([tools["compile"], str(checkpoint), "--quiet", *args],
                                capture_output=True, text=True)
        assert result.returncode == 1 and "Stack dump" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]

    assert "need an output file (-o)" in error("--emit=lib")
    assert "--weights=external needs an output file (-o)" in error(
        "--emit=mlir", "--weights=external")
    assert "to an object needs an output file (-o)" in error("--emit=obj")
    assert "failed" in error("--emit=lib", "--linker=/bin/false", "-o",
                             str(tmp_path / "model.so"))


def test_unknown_options(tools, checkpoint):
    # Options that choose among fixed values name the value they do not know.
    for option, value in [("packing", "2-bit"), ("activations", "fp8"), ("ternarize", "rms"),
                          ("kv-cache", "int4"), ("weights", "cloud"), ("emit", "wasm")]:
        message = compile_error(tools, checkpoint, f"--{option}={value}")
        assert f"for the --{option} option: Cannot find option named '{value}'" in message


def test_runtime_errors(tools, checkpoint, tmp_path):
    runtime = Runtime(tools["build"])
    with pytest.raises(RuntimeError_) as error:
        runtime.open(tmp_path / "missing.so")
    assert error.value.status == 1 and "cannot load" in error.value.message
    with pytest.raises(RuntimeError_) as error:
        runtime.open(pathlib.Path(tools["build"]) / "lib" / "libtrilm_runtime.so")
    assert error.value.status == 2 and "not a model compiled by trilm-compile" in error.value.message

    model = runtime.open(compile_model(tools, checkpoint, tmp_path / "model.so"))
    with pytest.raises(RuntimeError_) as error:
        model.context(length=65)
    assert error.value.status == 3 and "outside 1 to 64" in error.value.message
    with pytest.raises(RuntimeError_) as error:
        model.context(threads=-1)
    assert error.value.status == 3 and "thread count -1 is negative" in error.value.message
    context = model.context(length=4)
    with pytest.raises(RuntimeError_) as error:
        context.eval([1, 300])
    assert error.value.status == 3 and "token 300 (at index 1)" in error.value.message
    with pytest.raises(RuntimeError_) as error:
        context.eval([])
    assert error.value.status == 3
    context.eval([1, 2, 3])
    with pytest.raises(RuntimeError_) as error:
        context.eval([1, 2])
    assert error.value.status == 4 and "the context holds 3 of 4" in error.value.message
    assert context.position == 3
    context.close()
    model.close()


FAKE_MODEL = r"""
#include "trilm-c/ModelABI.h"
#include <stdint.h>
/* A library that passes for a model up to its ABI version or device kind. */
#ifndef ABI
#define ABI TRILM_MODEL_ABI_VERSION
#endif
const int64_t trilm_model_config[TRILM_CONFIG_NUM_FIELDS] = {
    [TRILM_CONFIG_ABI_VERSION] = ABI,
    [TRILM_CONFIG_VOCAB_SIZE] = 8, [TRILM_CONFIG_HIDDEN_SIZE] = 8,
    [TRILM_CONFIG_NUM_LAYERS] = 1, [TRILM_CONFIG_NUM_HEADS] = 1,
    [TRILM_CONFIG_NUM_KV_HEADS] = 1, [TRILM_CONFIG_HEAD_DIM] = 8,
    [TRILM_CONFIG_MAX_POSITIONS] = 8, [TRILM_CONFIG_KV_CACHE_ELEMENT_BYTES] = 4,
    [TRILM_CONFIG_WEIGHTS_BYTES] = 64, [TRILM_CONFIG_DEVICE] = DEVICE};
const unsigned char trilm_weights[64] = {0};
const char trilm_model_cpu_features[] = "";
void _mlir_ciface_trilm_prefill(void) {}
void _mlir_ciface_trilm_decode(void) {}
"""


@pytest.mark.parametrize("defines, message", [
    (["-DDEVICE=7"], "computes on device kind 7, which this runtime does not know"),
    (["-DDEVICE=1"], "is compiled for CUDA but lacks the GPU runtime (trilm_cuda_init)"),
    # A model from an older trilm-compile (the message reads the version
    # before the library is closed).
    (["-DDEVICE=0", "-DABI=4"], "has model ABI version 4; this runtime reads version 5")])
def test_unknown_or_incomplete_device_or_older_abi(tools, tmp_path, defines, message):
    source = tmp_path / "fake.c"
    source.write_text(FAKE_MODEL)
    library = tmp_path / "fake.so"
    subprocess.run(["clang-22", "-shared", "-fPIC", *defines,
                    "-I", str(pathlib.Path(__file__).resolve().parents[2] / "include"),
                    str(source), "-o", str(library)], check=True)
    with pytest.raises(RuntimeError_) as error:
        Runtime(tools["build"]).open(library)
    assert error.value.status == 2 and message in error.value.message


def test_weights_of_another_model(tools, checkpoint, tmp_path):
    # Size and magic matched before; the digest recorded in the model and in
    # its weights file tells a same-shaped model's weights, or noise, apart.
    runtime = Runtime(tools["build"])
    other = write_checkpoint(tmp_path / "other", layers=1, seed=7)
    library = compile_model(tools, checkpoint, tmp_path / "model.so", "--weights=external")
    compile_model(tools, other, tmp_path / "other.so", "--weights=external")
    own = (tmp_path / "model.weights").read_bytes()
    foreign = (tmp_path / "other.weights").read_bytes()
    assert len(own) == len(foreign)
    (tmp_path / "model.weights").write_bytes(foreign)
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library)
    assert error.value.status == 2 and "belongs to another model" in error.value.message
    noise = np.random.default_rng(0).integers(0, 256, len(own) - 8, dtype=np.uint8)
    (tmp_path / "model.weights").write_bytes(own[:8] + noise.tobytes())
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library)
    assert error.value.status == 2 and "belongs to another model" in error.value.message
    (tmp_path / "model.weights").write_bytes(own)
    runtime.open(library).close()


def test_library_checks(tools, checkpoint, tmp_path, monkeypatch):
    runtime = Runtime(tools["build"])
    library = compile_model(tools, checkpoint, tmp_path / "model.so")
    data = library.read_bytes()
    # Truncated: dlopen would map it and fault on first touch (SIGBUS).
    truncated = tmp_path / "truncated.so"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError_) as error:
        runtime.open(truncated)
    assert error.value.status == 2 and "is truncated" in error.value.message
    not_elf = tmp_path / "text.so"
    not_elf.write_text("hello\n")
    with pytest.raises(RuntimeError_) as error:
        runtime.open(not_elf)
    assert error.value.status == 2 and "not a 64-bit ELF shared library" in error.value.message
    # A name without a slash is a file in the working directory.
    monkeypatch.chdir(tmp_path)
    runtime.open("model.so").close()
    # A weights file named for a model that embeds its weights.
    with pytest.raises(RuntimeError_) as error:
        runtime.open(library, weights=tmp_path / "x.weights")
    assert error.value.status == 3 and "embeds its weights" in error.value.message


def test_api_arguments(tools, checkpoint, tmp_path):
    runtime = Runtime(tools["build"])
    model = runtime.open(compile_model(tools, checkpoint, tmp_path / "model.so"))
    with pytest.raises(RuntimeError_) as error:
        model.context(threads=100000)
    assert error.value.status == 3 and "thread count 100000 exceeds 1024" in error.value.message
    # NULL handles, as C callers may pass them.
    lib = CRuntime(tools["build"]).lib
    assert lib.trilm_model_get_info(None).vocab_size == 0
    assert lib.trilm_model_bytes_per_token(None, 0) == 0
    lib.trilm_context_reset(None)
    assert lib.trilm_context_position(None) == -1
    model.close()


THREAD_PROBE = """
import os, sys
sys.path.insert(0, {harness!r})
from model_harness import Runtime
model = Runtime({build!r}).open({library!r})
context = model.context(threads={threads})
before = len(os.listdir("/proc/self/task"))
context.eval([1, 2, 3])
print(len(os.listdir("/proc/self/task")) - before)
"""


def test_thread_count_reaches_the_model(tools, checkpoint, tmp_path):
    # The runtime is not linked with libomp; the model brings it in. The
    # thread count must reach the model's OpenMP, seen as worker threads.
    Runtime(tools["build"])  # the probes load the runtime library as it does
    library = compile_model(tools, checkpoint, tmp_path / "model.so")
    workers = {}
    for threads in (1, 4):
        probe = THREAD_PROBE.format(harness=str(pathlib.Path(__file__).parent),
                                    build=str(tools["build"]), library=str(library),
                                    threads=threads)
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True,
                                text=True, check=True)
        workers[threads] = int(result.stdout.strip())
    assert workers == {1: 0, 4: 3}


def test_program_arguments(tools, checkpoint, tmp_path):
    program = tmp_path / "model"
    subprocess.run([tools["compile"], str(checkpoint), "--emit=exe", "--quiet",
                    "-o", str(program)], check=True)

    def run(*args):
        result = subprocess.run([str(program), *args], capture_output=True, text=True)
        assert result.returncode != 0 and "Segmentation" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return result.returncode, lines[0]

    for generate in (2**61, 2**63 - 1):
        status, message = run("--generate", str(generate), "1")
        assert status == 1 and "outside 1 to 64" in message
    assert run("--generate", str(2**64), "1")[0] == 2
    for threads in (2**31, 2**32):
        status, message = run("--threads", str(threads), "1")
        assert status == 2 and f"--threads {threads} exceeds 1024" in message
    status, message = run("--threads", str(2**31 - 1), "1")
    assert status == 1 and "thread count 2147483647 exceeds 1024" in message
    status, message = run("--weights", str(tmp_path / "x.weights"), "1")
    assert status == 1 and "embeds its weights" in message
