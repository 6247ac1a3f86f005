"""Whole models: tiny random TriLM checkpoints in the Hugging Face format,
compiled by trilm-compile and run through libtrilm_runtime, against
transformers' LlamaForCausalLM in fp32 on the CPU.

fp32 activations: at every position the largest logit difference is within
1e-4 of the position's largest |logit|, for a whole prompt at once and for
token-by-token decoding."""

import numpy as np
import pytest

from model_harness import (Runtime, compile_model, reference_logits,
                           relative_error, write_checkpoint)

MODELS = {
    # MHA, one scale per matrix.
    "mha-mp1": dict(kv_heads=4, model_parallel=1),
    # GQA, three scales per matrix (along N for q/k/v/gate/up, K for o/down).
    "gqa-mp3": dict(kv_heads=2, model_parallel=3),
}
TOKENS = [0, 17, 299, 5, 123, 42, 42, 7, 256, 1, 64, 200]


@pytest.fixture(scope="module")
def runtime(tools):
    return Runtime(tools["build"])


@pytest.fixture(scope="module", params=sorted(MODELS))
def model_case(request, tools, tmp_path_factory):
    directory = write_checkpoint(tmp_path_factory.mktemp(request.param),
                                 **MODELS[request.param])
    reference = reference_logits(directory, TOKENS)
    return directory, reference


@pytest.mark.parametrize("packing", ["2-bit", "1.6-bit"])
def test_fp32_logits_match_transformers(tools, runtime, model_case, packing, tmp_path):
    directory, reference = model_case
    library = compile_model(tools, directory, tmp_path / "model.so",
                            f"--packing={packing}")
    model = runtime.open(library)
    assert model.info.vocab_size == 300
    context = model.context(length=32, threads=2)

    prompt = context.eval(TOKENS)
    assert np.all(relative_error(prompt, reference) < 1e-4), relative_error(prompt, reference)

    context.reset()
    decoded = np.stack([context.eval([token])[0] for token in TOKENS])
    assert context.position == len(TOKENS)
    assert np.all(relative_error(decoded, reference) < 1e-4), relative_error(decoded, reference)

    # A prompt split in two continues from the cache.
    context.reset()
    split = np.concatenate([context.eval(TOKENS[:5]), context.eval(TOKENS[5:])])
    assert np.all(relative_error(split, reference) < 1e-4)
    context.close()
    model.close()


def perplexity(logits, tokens):
    """exp of the mean negative log-likelihood of each next token."""
    shifted = logits[:-1] - logits[:-1].max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return float(np.exp(-np.mean(log_probs[np.arange(len(tokens) - 1), tokens[1:]])))


@pytest.mark.parametrize("packing", ["2-bit", "1.6-bit"])
def test_int8_activations_agree_with_transformers(tools, runtime, packing, tmp_path):
    # int8 activations are an approximation of the fp32 model: the top token
    # must agree at 95% of positions and the perplexity within 2%.
    directory = write_checkpoint(tmp_path / "ckpt", kv_heads=2, model_parallel=3,
                                 seed=1)
    tokens = np.random.default_rng(5).integers(0, 300, size=48)
    reference = reference_logits(directory, tokens.tolist())
    library = compile_model(tools, directory, tmp_path / "model.so",
                            f"--packing={packing}", "--activations=int8")
    model = runtime.open(library)
    assert model.info.int8_activations == 1
    context = model.context(threads=2)
    got = context.eval(tokens)
    agreement = np.mean(got.argmax(axis=-1) == reference.argmax(axis=-1))
    assert agreement >= 0.95, agreement
    want, have = perplexity(reference, tokens), perplexity(got, tokens)
    assert abs(have - want) / want < 0.02, (have, want)
    context.close()
    model.close()


@pytest.mark.parametrize("packing", ["2-bit", "1.6-bit"])
def test_external_weights(tools, runtime, model_case, packing, tmp_path):
    # The weights in a file next to the library, memory-mapped by the runtime.
    directory, reference = model_case
    library = compile_model(tools, directory, tmp_path / "model.so",
                            f"--packing={packing}", "--weights=external")
    assert (tmp_path / "model.weights").exists()
    model = runtime.open(library)
    context = model.context(threads=2)
    prompt = context.eval(TOKENS[:7])
    decoded = np.stack([context.eval([token])[0] for token in TOKENS[7:]])
    got = np.concatenate([prompt, decoded])
    assert np.all(relative_error(got, reference) < 1e-4), relative_error(got, reference)
    context.close()
    model.close()

    # Elsewhere, named explicitly.
    moved = tmp_path / "elsewhere.bin"
    (tmp_path / "model.weights").rename(moved)
    model = runtime.open(library, weights=moved)
    context = model.context()
    assert np.all(relative_error(context.eval(TOKENS), reference) < 1e-4)
    context.close()
    model.close()
