"""trilm for Python: compile ternary language models and run them.

    import trilm
    model = trilm.compile("path/to/TriLM_99M_Unpacked")   # cached by content
    with model.context(n_ctx=512) as ctx:
        logits = ctx.eval(model.tokenizer.encode("The sky is"))
    for piece in model.generate("The sky is", max_tokens=32, seed=1):
        print(piece, end="")

Compiling and evaluating release the GIL. Every error is a `trilm.Error`
(`CompileError`, `ModelError`, `ContextError`, `TokenizerError`) carrying the
one-line message of trilm's compiler or runtime.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pathlib
import shutil
import sys
import warnings
from typing import Callable, Iterator, Optional, Sequence, Union

import numpy as np

from . import _core
from .errors import CompileError, ContextError, Error, ModelError, TokenizerError

__all__ = [
    "compile", "Model", "ModelConfig", "Context", "Tokenizer", "Error",
    "CompileError", "ModelError", "ContextError", "TokenizerError",
    "cache_dir",
]

__version__ = "0.1.0"

PathLike = Union[str, "os.PathLike[str]"]

# Files of a checkpoint directory that determine the compiled model.
_CHECKPOINT_SUFFIXES = (".json", ".safetensors")


def cache_dir() -> pathlib.Path:
    """Where compiled models are cached: $TRILM_CACHE_DIR, else
    $XDG_CACHE_HOME/trilm, else ~/.cache/trilm."""
    if os.environ.get("TRILM_CACHE_DIR"):
        return pathlib.Path(os.environ["TRILM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "trilm"


def _content_hash(source: pathlib.Path, options: Sequence[str]) -> str:
    """SHA-256 of trilm's version, the options and the checkpoint's files."""
    digest = hashlib.sha256()
    digest.update(("trilm %s\0" % __version__).encode())
    digest.update("\0".join(options).encode())
    files = [source] if source.is_file() else sorted(
        p for p in source.iterdir()
        if p.is_file() and p.suffix in _CHECKPOINT_SUFFIXES)
    for path in files:
        digest.update(b"\0" + path.name.encode() + b"\0")
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 24), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _progress_bar(stream) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write("\rtrilm: compiling [%s%s] %d/%d tensors"
                     % ("#" * filled, "." * (width - filled), done, total))
        if done >= total:
            stream.write("\n")
        stream.flush()
    return show


def compile(source: PathLike, *, packing: str = "2-bit",
            activations: str = "int8", target: str = "native",
            weights: str = "external", kv_cache: str = "f32",
            gguf_scales: str = "blocks",
            output: Optional[PathLike] = None,
            progress: Optional[Union[bool, Callable[[int, int], None]]] = None,
            ) -> "Model":
    """Compiles a Hugging Face checkpoint directory (config.json and
    safetensors), a GGUF file (llama or bitnet, TQ2_0/TQ1_0 block weights)
    or a LLaMA decoder exported to ONNX into a shared library and opens it.

    packing: "2-bit" (TQ2) or "1.6-bit" (TQ1); activations: "int8" (W1.58A8)
    or "fp32"; target: "native" (this CPU), "generic" or an LLVM triple or
    architecture, or "cuda:sm_80" (NVIDIA GPUs; several chips as
    "cuda:sm_80,sm_90"; fp32 activations); weights: "external" (a file beside the library, memory-mapped)
    or "embedded"; kv_cache: "f32" or "f16" (half the cache memory);
    gguf_scales (GGUF files): "blocks" (each TQ block's scale, exact) or
    "shards" (one per model-parallel shard, when the blocks agree). Without
    `output`, the model is compiled into the cache
    (cache_dir()) under the hash of the checkpoint's contents and the
    options, and a second call with the same inputs only opens it. progress:
    True shows a bar on stderr, a callable receives (done, total); by default
    a bar is shown when stderr is a terminal.
    """
    source = pathlib.Path(source)
    if not source.is_dir() and not (source.suffix in (".gguf", ".onnx")
                                    and source.is_file()):
        raise CompileError("%s is not a checkpoint directory, a .gguf file or an "
                           ".onnx LLaMA export" % source)
    options = [packing, activations, target, weights, kv_cache, gguf_scales]
    if progress is None:
        progress = sys.stderr.isatty()
    callback = _progress_bar(sys.stderr) if progress is True else (
        progress if callable(progress) else None)
    def run(library: pathlib.Path) -> None:
        result = _core.compile_checkpoint(str(source), str(library), packing,
                                          activations, target, weights, kv_cache,
                                          gguf_scales, callback)
        for message in result["warnings"]:
            warnings.warn("trilm: " + message, stacklevel=3)

    if output is not None:
        run(pathlib.Path(output))
        return Model.open(output)
    entry = cache_dir() / _content_hash(source, options)
    if not (entry / "model.so").exists():
        # Compiled in a directory of its own, renamed into place when
        # complete, so that the cache never holds a partial model.
        entry.parent.mkdir(parents=True, exist_ok=True)
        staging = entry.with_name("%s.partial-%d" % (entry.name, os.getpid()))
        staging.mkdir(exist_ok=True)
        run(staging / "model.so")
        try:
            staging.rename(entry)
        except OSError:  # another process cached it first
            shutil.rmtree(staging, ignore_errors=True)
    return Model.open(entry / "model.so")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The model's shape, as its compiled library records it."""
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    max_positions: int
    int8_activations: bool
    bos_token_id: Optional[int]
    eos_token_id: Optional[int]


class Tokenizer:
    """A Hugging Face tokenizer.json (byte-level BPE), in C++."""

    def __init__(self, impl: "_core.Tokenizer") -> None:
        self._impl = impl

    @staticmethod
    def from_file(path: PathLike) -> "Tokenizer":
        return Tokenizer(_core.Tokenizer.from_file(str(path)))

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        return self._impl.encode(text, add_special_tokens)

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        return self._impl.decode(list(ids), skip_special_tokens)

    @property
    def vocab_size(self) -> int:
        return self._impl.vocab_size


class Context:
    """A KV cache and a position: tokens evaluated one after another."""

    def __init__(self, model: "Model", n_ctx: int, threads: int) -> None:
        self._impl = _core.Context(model._impl, n_ctx, threads)
        self.n_ctx = n_ctx or model.config.max_positions

    def eval(self, tokens: Sequence[int]) -> np.ndarray:
        """Appends `tokens`; returns their logits, float32 [len(tokens), vocab]."""
        return self._impl.eval(_token_list(tokens))

    def eval_last(self, tokens: Sequence[int]) -> np.ndarray:
        """Appends `tokens`; returns the last one's logits, float32 [vocab]."""
        return self._impl.eval_last(_token_list(tokens))

    def reset(self) -> None:
        """Forgets every token (position 0)."""
        self._impl.reset()

    @property
    def position(self) -> int:
        """How many tokens the context holds."""
        return self._impl.position

    def close(self) -> None:
        self._impl.close()

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Model:
    """A model compiled by trilm (a shared library and its weights)."""

    def __init__(self, path: PathLike, weights: Optional[PathLike] = None) -> None:
        self.path = pathlib.Path(path)
        self._impl = _core.Model(str(self.path),
                                 None if weights is None else str(weights))
        info = self._impl.info()
        for key in ("bos_token_id", "eos_token_id"):
            if info[key] < 0:
                info[key] = None
        self.config = ModelConfig(**info)
        self._tokenizer: Optional[Tokenizer] = None

    @staticmethod
    def open(path: PathLike, weights: Optional[PathLike] = None) -> "Model":
        """Opens a library compiled with trilm.compile or trilm-compile
        --emit=lib (its weights file beside it unless `weights` names one)."""
        return Model(path, weights)

    @property
    def tokenizer(self) -> Tokenizer:
        """MODEL.tokenizer.json beside MODEL.so (trilm-compile copies the
        checkpoint's there), else tokenizer.json in its directory."""
        if self._tokenizer is None:
            stem = str(self.path)[:-3] if str(self.path).endswith(".so") else str(self.path)
            for candidate in (pathlib.Path(stem + ".tokenizer.json"),
                              self.path.with_name("tokenizer.json")):
                if candidate.exists():
                    self._tokenizer = Tokenizer.from_file(candidate)
                    break
            else:
                raise TokenizerError("no tokenizer for %s: expected %s.tokenizer.json "
                                     "or tokenizer.json beside it"
                                     % (self.path, self.path.name))
        return self._tokenizer

    def context(self, n_ctx: int = 0, threads: int = 0) -> Context:
        """A new context of n_ctx positions (0: the model's maximum) on
        `threads` threads (0: the runtime's default)."""
        return Context(self, n_ctx, threads)

    def generate(self, prompt: Union[str, Sequence[int]], max_tokens: int = 128,
                 temperature: float = 0.8, top_k: int = 40, top_p: float = 0.95,
                 min_p: float = 0.05, repeat_penalty: float = 1.0,
                 repeat_last_n: int = 64, seed: int = 0,
                 stop: Sequence[str] = (), n_ctx: int = 0,
                 threads: int = 0) -> Iterator[str]:
        """Generates text after `prompt` (text, or token ids) as trilm-run
        does: the same sampler, stopping at the end-of-text token, at a stop
        string (which is not yielded) or after max_tokens. Yields text pieces
        as they are decoded."""
        tokenizer = self.tokenizer
        tokens = (tokenizer.encode(prompt) if isinstance(prompt, str)
                  else _token_list(prompt))
        context = self.context(n_ctx, threads)
        eos = self.config.eos_token_id
        generator = _core.Generator(
            context._impl, tokenizer._impl, tokens, max_tokens, temperature,
            top_k, top_p, min_p, repeat_penalty, repeat_last_n, seed,
            list(stop), -1 if eos is None else eos, context.n_ctx,
            self.config.vocab_size)
        try:
            while True:
                piece = generator.next()
                if piece is None:
                    return
                if piece:
                    yield piece
        finally:
            context.close()

    def close(self) -> None:
        self._impl.close()

    def __enter__(self) -> "Model":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _token_list(tokens: Sequence[int]) -> list[int]:
    if isinstance(tokens, np.ndarray):
        return tokens.astype(np.int32, copy=False).ravel().tolist()
    return [int(t) for t in tokens]
