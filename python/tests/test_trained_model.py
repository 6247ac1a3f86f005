"""The trained tiny TriLM that the repository ships (models/tiny-trilm,
scripts/train_tiny_trilm.py): perplexity on held-out text equals
transformers' with fp32 activations, and int8 activations stay within 2% of
it for both packings."""

import pathlib
import subprocess

import pytest
from tokenizers import Tokenizer

from model_harness import compile_model
from test_run import reference_perplexity

MODEL = pathlib.Path(__file__).resolve().parents[2] / "models" / "tiny-trilm"
WINDOW = 128


@pytest.fixture(scope="module")
def heldout(tmp_path_factory):
    """The first 16 KB of the held-out text, cut at a line."""
    text = (MODEL / "heldout.txt").read_text()[:16384]
    path = tmp_path_factory.mktemp("heldout") / "heldout.txt"
    path.write_text(text[:text.rindex("\n")])
    return path


def trilm_perplexity(tools, library, text_path):
    result = subprocess.run([tools["run"], str(library), "--tokenizer",
                             str(MODEL / "tokenizer.json"), "--perplexity", str(text_path),
                             "--ctx", str(WINDOW), "--quiet"],
                            capture_output=True, text=True, check=True)
    return float(result.stdout.split()[1])


@pytest.fixture(scope="module")
def fp32_perplexity(tools, heldout, tmp_path_factory):
    library = compile_model(tools, MODEL, tmp_path_factory.mktemp("fp32") / "model.so",
                            "--activations=fp32")
    return trilm_perplexity(tools, library, heldout)


def test_fp32_perplexity_matches_transformers(fp32_perplexity, heldout):
    tokens = Tokenizer.from_file(str(MODEL / "tokenizer.json")).encode(
        heldout.read_text(), add_special_tokens=False).ids
    want, _ = reference_perplexity(MODEL, tokens, WINDOW, WINDOW)
    assert abs(fp32_perplexity - want) / want < 1e-4, (fp32_perplexity, want)
    # It has learnt something: far below the 2048 of a uniform guess.
    assert fp32_perplexity < 250


def test_compiling_records_the_tokenizer(tools, tmp_path):
    # trilm-compile copies the checkpoint's tokenizer.json beside the
    # library, where trilm-run finds it.
    library = compile_model(tools, MODEL, tmp_path / "model.so")
    assert (tmp_path / "model.tokenizer.json").read_bytes() == \
        (MODEL / "tokenizer.json").read_bytes()
    result = subprocess.run([tools["run"], str(library), "--tokenize", "-p", "Return the"],
                            capture_output=True, text=True, check=True)
    expected = Tokenizer.from_file(str(MODEL / "tokenizer.json")).encode("Return the").ids
    assert result.stdout.strip() == str(expected)


@pytest.mark.parametrize("packing", ["tq2", "tq1"])
def test_int8_activations_stay_close(tools, heldout, fp32_perplexity, packing, tmp_path):
    library = compile_model(tools, MODEL, tmp_path / "model.so", "--activations=int8",
                            f"--packing={packing}")
    int8 = trilm_perplexity(tools, library, heldout)
    assert abs(int8 - fp32_perplexity) / fp32_perplexity < 0.02, (int8, fp32_perplexity)
