"""The Python package (python/trilm): compiling, evaluating against
transformers, the tokenizer against Hugging Face tokenizers, generation
against trilm-run, the cache, the errors, the GIL, and the wheel installed in
a fresh venv."""

import os
import pathlib
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from tokenizers import Tokenizer as HFTokenizer

from model_harness import reference_logits, relative_error, write_checkpoint

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRAINED = ROOT / "models" / "tiny-trilm"


@pytest.fixture(scope="module")
def trilm(tools):
    """The package as the build tree holds it (build/python)."""
    if os.environ.get("TRILM_SANITIZED"):
        pytest.skip("the sanitized extension cannot load in a plain interpreter")
    path = str(pathlib.Path(tools["build"]) / "python")
    if path not in sys.path:
        sys.path.insert(0, path)
    import trilm as package
    return package


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRILM_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("checkpoint"), seed=5)


def test_fp32_logits_match_transformers(trilm, checkpoint, tmp_path):
    model = trilm.compile(checkpoint, activations="fp32", output=tmp_path / "model.so")
    tokens = [1, 7, 42, 3, 99, 5, 17]
    with model.context() as ctx:
        logits = ctx.eval(tokens)
        assert ctx.position == len(tokens)
    assert logits.shape == (len(tokens), model.config.vocab_size)
    assert logits.dtype == np.float32
    assert relative_error(logits, reference_logits(checkpoint, tokens)).max() < 1e-4


def test_eval_last_and_reset(trilm, checkpoint, tmp_path):
    model = trilm.compile(checkpoint, output=tmp_path / "model.so")
    ctx = model.context(n_ctx=32, threads=1)
    everything = ctx.eval(np.array([3, 4, 5], dtype=np.int64))
    ctx.reset()
    assert ctx.position == 0
    last = ctx.eval_last([3, 4, 5])
    np.testing.assert_array_equal(last, everything[-1])
    # The array owns nothing the context reuses: a later eval leaves it be.
    kept = last.copy()
    ctx.eval_last([6])
    np.testing.assert_array_equal(last, kept)


def test_a_context_outlives_its_closed_model(trilm, checkpoint, tmp_path):
    model = trilm.compile(checkpoint, output=tmp_path / "model.so")
    ctx = model.context(n_ctx=16)
    model.close()
    assert ctx.eval([1, 2]).shape == (2, 300)
    with pytest.raises(trilm.ModelError, match="the model is closed"):
        model.context()


def test_config_dataclass(trilm, checkpoint, tmp_path):
    model = trilm.compile(checkpoint, packing="1.6-bit", output=tmp_path / "model.so")
    config = model.config
    assert isinstance(config, trilm.ModelConfig)
    assert (config.num_layers, config.hidden_size, config.int8_activations) == (2, 96, True)


def test_compiled_models_are_cached_by_content(trilm, checkpoint, tmp_path):
    first = trilm.compile(checkpoint, progress=False)
    start = time.monotonic()
    again = trilm.compile(checkpoint, progress=False)
    assert again.path == first.path
    assert time.monotonic() - start < 1.0
    other = trilm.compile(checkpoint, activations="fp32", progress=False)
    assert other.path != first.path
    # Another checkpoint with other weights gets its own entry.
    changed = write_checkpoint(tmp_path / "changed", seed=6)
    assert trilm.compile(changed, progress=False).path != first.path
    entries = sorted(p.name for p in trilm.cache_dir().iterdir())
    assert len(entries) == 3 and not any("partial" in e for e in entries)


def test_progress_callback(trilm, checkpoint, tmp_path):
    seen = []
    trilm.compile(checkpoint, output=tmp_path / "model.so",
                  progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_tokenizer_matches_hugging_face(trilm):
    ours = trilm.Tokenizer.from_file(TRAINED / "tokenizer.json")
    theirs = HFTokenizer.from_file(str(TRAINED / "tokenizer.json"))
    for text in ["def hello(x):\n    return x", "  spaces  and\ttabs", "ünïcödé ✓ 123",
                 ""]:
        ids = ours.encode(text)
        assert ids == theirs.encode(text).ids
        assert ours.encode(text, add_special_tokens=False) == \
            theirs.encode(text, add_special_tokens=False).ids
        assert ours.decode(ids) == theirs.decode(ids, skip_special_tokens=False)
    assert ours.vocab_size == theirs.get_vocab_size()


def test_generate_matches_trilm_run(trilm, tools, tmp_path):
    model = trilm.compile(TRAINED, output=tmp_path / "model.so")
    args = dict(max_tokens=40, temperature=0.7, top_k=20, top_p=0.9, min_p=0.02,
                repeat_penalty=1.1, seed=11)
    pieces = list(model.generate("Return the", **args))
    result = subprocess.run(
        [tools["run"], str(tmp_path / "model.so"), "-p", "Return the", "-n", "40",
         "--temp", "0.7", "--top-k", "20", "--top-p", "0.9", "--min-p", "0.02",
         "--repeat-penalty", "1.1", "--seed", "11", "--quiet"],
        capture_output=True, text=True, check=True)
    assert "".join(pieces) + "\n" == result.stdout
    assert len(pieces) > 1  # streamed, not one string at the end


def test_generate_stops_at_a_stop_string(trilm, tmp_path):
    model = trilm.compile(TRAINED, output=tmp_path / "model.so")
    full = "".join(model.generate("Return the", max_tokens=60, seed=2))
    stop = full[len(full) // 2:len(full) // 2 + 3]
    assert len(stop) == 3 and full.index(stop) > 0
    cut = "".join(model.generate("Return the", max_tokens=60, seed=2, stop=[stop]))
    assert cut == full[:full.index(stop)]


def test_errors_are_trilm_errors_with_one_line(trilm, checkpoint, tmp_path):
    def raised(kind, call):
        with pytest.raises(kind) as info:
            call()
        assert isinstance(info.value, trilm.Error)
        message = str(info.value)
        assert message and "\n" not in message
        return message

    assert "config.json" in raised(trilm.CompileError,
                                   lambda: trilm.compile(tmp_path, output=tmp_path / "m.so"))
    assert "packing" in raised(trilm.CompileError, lambda: trilm.compile(
        checkpoint, packing="3-bit", output=tmp_path / "m.so"))
    for option, value in (("activations", "int4"), ("weights", "remote"),
                          ("kv_cache", "f8")):
        assert option in raised(trilm.CompileError, lambda: trilm.compile(
            checkpoint, output=tmp_path / "m.so", **{option: value}))
    assert "not a checkpoint directory" in raised(
        trilm.CompileError, lambda: trilm.compile(tmp_path / "missing"))
    assert "cannot load" in raised(trilm.ModelError,
                                   lambda: trilm.Model.open(tmp_path / "none.so"))
    model = trilm.compile(checkpoint, output=tmp_path / "model.so")
    ctx = model.context(n_ctx=4)
    assert "vocabulary" in raised(trilm.ContextError, lambda: ctx.eval([10 ** 6]))
    assert "context" in raised(trilm.ContextError, lambda: ctx.eval([1, 2, 3, 4, 5]))
    ctx.close()
    assert "closed" in raised(trilm.ContextError, lambda: ctx.eval([1]))
    assert raised(trilm.TokenizerError,
                  lambda: trilm.Tokenizer.from_file(tmp_path / "none.json"))
    assert "no tokenizer" in raised(trilm.TokenizerError, lambda: model.tokenizer)
    assert "empty" in raised(trilm.ContextError, lambda: list(
        trilm.compile(TRAINED, output=tmp_path / "t.so").generate([])))


@pytest.mark.skipif(not os.access(os.path.join(os.environ.get("CUDA_ROOT", "/usr/local/cuda"),
                                             "bin", "ptxas"), os.X_OK),
                    reason="compiling for CUDA needs the toolkit's ptxas")
def test_a_gpu_model_without_a_gpu_is_one_clear_error(trilm, checkpoint, tmp_path,
                                                       monkeypatch):
    # Compiled for CUDA (the kernels need the toolkit's ptxas, not a GPU);
    # opening it without a driver is a ModelError with the device status.
    monkeypatch.setenv("TRILM_CUDA_DRIVER", str(tmp_path / "missing" / "libcuda.so.1"))
    with pytest.raises(trilm.CompileError, match="int8 activations do not run on the GPU"):
        trilm.compile(checkpoint, target="cuda:sm_80", output=tmp_path / "int8.so")
    with pytest.raises(trilm.ModelError) as info:
        trilm.compile(checkpoint, target="cuda:sm_80", activations="fp32",
                      output=tmp_path / "gpu.so")
    assert info.value.status == 6
    message = str(info.value)
    assert "runs on an NVIDIA GPU: no CUDA driver" in message and "\n" not in message


def test_compiling_releases_the_gil(trilm, checkpoint, tmp_path):
    done = threading.Event()

    def work():
        trilm.compile(checkpoint, output=tmp_path / "model.so", progress=False)
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    spins = 0
    while not done.is_set():
        spins += 1
    thread.join()
    # A compile holding the GIL would let this loop run only in the
    # interpreter's switch intervals (5 ms): a few hundred spins.
    assert spins > 100000


def test_threads_sharing_a_context_take_turns(trilm, checkpoint, tmp_path):
    model = trilm.compile(checkpoint, output=tmp_path / "model.so")
    ctx = model.context()  # 64 positions
    results = []

    def work():
        for _ in range(5):
            results.append(ctx.eval([1, 2, 3]).shape)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Every evaluation appended its 3 tokens whole: 4 x 5 x 3 positions.
    assert results == [(3, 300)] * 20
    assert ctx.position == 60


def test_wheel_installs_and_runs_outside_the_source_tree(tools, checkpoint, tmp_path):
    """pip wheel ./python (reusing the build directory, so only the package
    is installed), the wheel in a fresh venv, then a compile and an eval there,
    compared with transformers."""
    if os.environ.get("TRILM_SANITIZED"):
        pytest.skip("the wheel is built from the release build")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT / "python"), "--no-deps",
         "--no-build-isolation", "-q", "-w", str(wheels),
         f"--config-settings=build-dir={tools['build']}",
         # The build directory's own settings, so that reusing it changes nothing.
         "--config-settings=cmake.define.TRILM_BUILD_TESTS=ON"],
        check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("trilm-*.whl")
    venv = tmp_path / "venv"
    # The system site packages hold numpy; the wheel is the only trilm.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True)
    tokens = [2, 9, 4, 77]
    script = f"""
import numpy, trilm, sys
assert "{ROOT}" not in trilm.__file__, trilm.__file__
model = trilm.compile({str(checkpoint)!r}, activations="fp32", output="model.so")
numpy.save("logits.npy", model.context().eval({tokens}))
"""
    if os.access("/usr/local/cuda/bin/ptxas", os.X_OK):
        # The wheel carries the GPU runtime that CUDA models link: the model
        # compiles and links, then opening it without a driver is the
        # device error.
        script += """
import os
os.environ["TRILM_CUDA_DRIVER"] = "/nonexistent/libcuda.so.1"
try:
    trilm.compile({ckpt!r}, target="cuda:sm_80", activations="fp32", output="gpu.so")
    raise SystemExit("a CUDA model opened without a driver")
except trilm.ModelError as error:
    assert error.status == 6 and "no CUDA driver" in str(error), error
assert os.path.exists("gpu.so")
""".format(ckpt=str(checkpoint))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["TRILM_CACHE_DIR"] = str(tmp_path / "cache")
    work = tmp_path / "elsewhere"
    work.mkdir()
    subprocess.run([str(python), "-c", script], check=True, cwd=work, env=env)
    logits = np.load(work / "logits.npy")
    assert relative_error(logits, reference_logits(checkpoint, tokens)).max() < 1e-4
