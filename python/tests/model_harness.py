"""Tiny random TriLM checkpoints in the real Hugging Face format, the
transformers reference, and the trilm runtime: through the Python package
(Runtime), or through its C API with ctypes (CRuntime, for an installed
libtrilm_runtime as C programs see it)."""

import ctypes
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402
import transformers  # noqa: E402

COLUMN_PARALLEL = ("q_proj", "k_proj", "v_proj", "gate_proj", "up_proj")
ROW_PARALLEL = ("o_proj", "down_proj")


def write_checkpoint(directory, *, hidden=96, intermediate=192, layers=2,
                     heads=4, kv_heads=4, vocab=300, model_parallel=1,
                     max_positions=64, seed=0, dtype="float16", tied=False,
                     ternary=True):
    """Saves a LlamaForCausalLM whose block linear weights are ternary with
    one fp16 scale per model-parallel shard (rows for column-parallel layers,
    columns for row-parallel ones), as TriLM checkpoints are published; or,
    without `ternary`, Gaussian."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    config = transformers.LlamaConfig(
        vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate,
        num_hidden_layers=layers, num_attention_heads=heads,
        num_key_value_heads=kv_heads, max_position_embeddings=max_positions,
        rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=tied,
        bos_token_id=0, eos_token_id=0, torch_dtype=dtype,
        pretraining_model_parallel=model_parallel)
    model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            shape = tuple(parameter.shape)
            if name.startswith("model.layers.") and len(shape) == 2 and not ternary:
                parameter.copy_(torch.from_numpy(
                    (rng.standard_normal(shape) * 0.05).astype(np.float32)))
            elif name.startswith("model.layers.") and len(shape) == 2:
                parameter.copy_(torch.from_numpy(
                    ternary_weight(rng, shape, model_parallel,
                                   rows=any(p in name for p in COLUMN_PARALLEL))))
            elif len(shape) == 1:
                parameter.copy_(torch.from_numpy(
                    rng.uniform(0.5, 1.5, shape).astype(np.float32)))
            else:
                # Embeddings, and an lm_head that gives logits of a few
                # units: a next-token distribution neither flat nor one-hot.
                spread = 0.2 if name == "lm_head.weight" else 0.5
                parameter.copy_(torch.from_numpy(
                    (rng.standard_normal(shape) * spread).astype(np.float32)))
    model.to(getattr(torch, dtype)).save_pretrained(directory, safe_serialization=True)
    return directory


def ternary_weight(rng, shape, shards, rows):
    trits = rng.integers(-1, 2, size=shape).astype(np.float32)
    # Scales that every checkpoint dtype (fp16, bf16, fp32) holds exactly.
    scales = rng.integers(8, 40, size=shards).astype(np.float32) / 128
    extent = shape[0] if rows else shape[1]
    per_shard = np.repeat(scales, extent // shards)
    return trits * (per_shard[:, None] if rows else per_shard[None, :])


def reference_logits(directory, tokens):
    """transformers in fp32 on the CPU: logits of every position."""
    model = transformers.LlamaForCausalLM.from_pretrained(
        directory, torch_dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        output = model(torch.tensor([tokens], dtype=torch.long))
    return output.logits[0].numpy()


def sample_text(directory, length, seed):
    """Token ids sampled (temperature 1) from the checkpoint's own fp32
    distribution: text the model finds plausible, as real test text is for a
    trained model."""
    model = transformers.LlamaForCausalLM.from_pretrained(directory, torch_dtype=torch.float32)
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    tokens = [seed % model.config.vocab_size]
    with torch.no_grad():
        for _ in range(length - 1):
            logits = model(torch.tensor([tokens])).logits[0, -1]
            tokens.append(int(torch.multinomial(torch.softmax(logits, -1), 1,
                                                generator=generator)))
    return tokens


# trilm-compile flags that trilm.compile takes as keyword arguments.
PACKAGE_OPTIONS = {"--activations": "activations", "--packing": "packing",
                   "--weights": "weights", "--kv-cache": "kv_cache"}


def compile_model(tools, directory, output, *extra):
    """A library compiled by the trilm package, with trilm-compile's defaults
    (fp32 activations, embedded weights, a generic CPU); flags the package
    has no keyword for (targets, features) go through trilm-compile."""
    options = {"activations": "fp32", "weights": "embedded", "target": "generic"}
    for flag in extra:
        name, _, value = flag.partition("=")
        if name not in PACKAGE_OPTIONS:
            return compile_with_trilm_compile(tools, directory, output, *extra)
        options[PACKAGE_OPTIONS[name]] = value
    if os.environ.get("TRILM_SANITIZED"):
        # The sanitized build's compiler is the command line's.
        return compile_with_trilm_compile(tools, directory, output, *extra)
    import_package(tools["build"]).compile(directory, output=output, progress=False,
                                           **options)
    return output


def compile_with_trilm_compile(tools, directory, output, *extra):
    result = subprocess.run(
        [tools["compile"], str(directory), "--emit=lib", "-o", str(output),
         "--quiet", *extra], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return output


class Error(ctypes.Structure):
    _fields_ = [("message", ctypes.c_char * 512)]


class ModelInfo(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int64) for name in (
        "vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads",
        "head_dim", "max_positions", "int8_activations", "bos_token_id",
        "eos_token_id")]


class RuntimeError_(Exception):
    def __init__(self, status, message):
        super().__init__(f"status {status}: {message}")
        self.status = status
        self.message = message


def import_package(build_dir):
    """The trilm package of a build tree (build/python)."""
    if os.environ.get("TRILM_SANITIZED"):
        # An uninstrumented Python cannot load a sanitized extension.
        pytest.skip("the sanitized trilm package is not loadable")
    path = str(pathlib.Path(build_dir) / "python")
    if path not in sys.path:
        sys.path.insert(0, path)
    import trilm
    return trilm


class Runtime:
    """The runtime through the trilm package; errors keep the C API's
    status."""

    def __init__(self, build_dir):
        self.trilm = import_package(build_dir)

    def open(self, path, weights=None):
        try:
            return PackageModel(self.trilm, self.trilm.Model.open(path, weights))
        except self.trilm.Error as error:
            raise RuntimeError_(error.status, str(error)) from None


class PackageModel:
    def __init__(self, trilm, model):
        self.trilm, self.model = trilm, model
        self.info = model.config

    def context(self, length=0, threads=0):
        try:
            return PackageContext(self.trilm, self.model.context(length, threads))
        except self.trilm.Error as error:
            raise RuntimeError_(error.status, str(error)) from None

    def close(self):
        self.model.close()


class PackageContext:
    def __init__(self, trilm, context):
        self.trilm, self.context = trilm, context

    def eval(self, tokens, last_only=False):
        """Logits of every token, or of the last one only (one row)."""
        try:
            if last_only:
                return self.context.eval_last(tokens)[None, :]
            return self.context.eval(tokens)
        except self.trilm.Error as error:
            raise RuntimeError_(error.status, str(error)) from None

    def reset(self):
        self.context.reset()

    @property
    def position(self):
        return self.context.position

    def close(self):
        self.context.close()


class CRuntime:
    """libtrilm_runtime through ctypes."""

    def __init__(self, build_dir):
        if os.environ.get("TRILM_SANITIZED"):
            # An uninstrumented Python cannot load an AddressSanitizer library.
            pytest.skip("the sanitized runtime library is not loadable through ctypes")
        lib = ctypes.CDLL(str(pathlib.Path(build_dir) / "lib" / "libtrilm_runtime.so"))
        p = ctypes.c_void_p
        lib.trilm_model_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(p), ctypes.POINTER(Error)]
        lib.trilm_model_open_with_weights.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                                      ctypes.POINTER(p),
                                                      ctypes.POINTER(Error)]
        lib.trilm_model_free.argtypes = [p]
        lib.trilm_model_get_info.argtypes = [p]
        lib.trilm_model_get_info.restype = ModelInfo
        lib.trilm_context_create.argtypes = [p, ctypes.c_int64, ctypes.c_int32,
                                             ctypes.POINTER(p), ctypes.POINTER(Error)]
        lib.trilm_context_free.argtypes = [p]
        lib.trilm_context_reset.argtypes = [p]
        lib.trilm_model_bytes_per_token.argtypes = [p, ctypes.c_int64]
        lib.trilm_model_bytes_per_token.restype = ctypes.c_int64
        lib.trilm_context_position.argtypes = [p]
        lib.trilm_context_position.restype = ctypes.c_int64
        for name in ("trilm_context_eval", "trilm_context_eval_last"):
            getattr(lib, name).argtypes = [p, ctypes.POINTER(ctypes.c_int32), ctypes.c_int64,
                                           ctypes.POINTER(ctypes.c_float), ctypes.POINTER(Error)]
        self.lib = lib

    def check(self, status, error):
        if status != 0:
            raise RuntimeError_(status, error.message.decode())

    def open(self, path, weights=None):
        handle, error = ctypes.c_void_p(), Error()
        if weights is None:
            status = self.lib.trilm_model_open(str(path).encode(), ctypes.byref(handle),
                                               ctypes.byref(error))
        else:
            status = self.lib.trilm_model_open_with_weights(
                str(path).encode(), str(weights).encode(), ctypes.byref(handle),
                ctypes.byref(error))
        self.check(status, error)
        return CModel(self, handle)


class CModel:
    def __init__(self, runtime, handle):
        self.runtime, self.handle = runtime, handle
        self.info = runtime.lib.trilm_model_get_info(handle)

    def context(self, length=0, threads=0):
        handle, error = ctypes.c_void_p(), Error()
        self.runtime.check(self.runtime.lib.trilm_context_create(
            self.handle, length, threads, ctypes.byref(handle), ctypes.byref(error)), error)
        return CContext(self, handle)

    def close(self):
        self.runtime.lib.trilm_model_free(self.handle)


class CContext:
    def __init__(self, model, handle):
        self.model, self.handle = model, handle

    def eval(self, tokens, last_only=False):
        """Logits of every token, or of the last one only (one row)."""
        lib = self.model.runtime.lib
        tokens = np.ascontiguousarray(tokens, dtype=np.int32)
        rows = 1 if last_only else len(tokens)
        logits = np.zeros((rows, self.model.info.vocab_size), dtype=np.float32)
        error = Error()
        function = lib.trilm_context_eval_last if last_only else lib.trilm_context_eval
        self.model.runtime.check(function(
            self.handle, tokens.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
            len(tokens), logits.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            ctypes.byref(error)), error)
        return logits

    def reset(self):
        self.model.runtime.lib.trilm_context_reset(self.handle)

    @property
    def position(self):
        return self.model.runtime.lib.trilm_context_position(self.handle)

    def close(self):
        self.model.runtime.lib.trilm_context_free(self.handle)


def relative_error(got, want):
    """Largest |difference| at each position, relative to that position's
    largest |logit|."""
    return np.max(np.abs(got - want), axis=-1) / np.max(np.abs(want), axis=-1)


def read_config(directory):
    return json.loads((pathlib.Path(directory) / "config.json").read_text())
