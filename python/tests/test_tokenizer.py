"""trilm's tokenizer against Hugging Face `tokenizers` on varied text, with
tokenizers trained by `tokenizers` itself (tokenizer_harness.py). trilm-run
--tokenize and --detokenize give trilm's side."""

import json
import subprocess

import pytest
from tokenizers import Tokenizer

from tokenizer_harness import train

TEST_TEXTS = [
    "",
    "Hello world!",
    " leading space and trailing space ",
    "The quick brown fox jumps over the lazy dog. It's 2024!",
    "Numbers: 0 7 42 123 4567 89012 3.14159 1,000,000 and 1e-10",
    "Ünïcödé façade naïve café: e\u0301 vs \u00e9 (combining and precomposed)",
    "Ελληνικά, Русский, العربية, עברית",
    "日本語のテキストと中文文本，以及한국어 텍스트。",
    "हिन्दी पाठ और தமிழ் உரை",
    "Emoji 😀🎉👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️",
    "    four spaces\ttab\t\ttwo tabs\r\nCRLF\n\n\nthree newlines   \n  ",
    "odd\u00a0spaces\u2003em\u3000ideographic\u200bzero-width",
    "def f(x):\n    return {'a': [x ** 2, x // 3]}  # comment\n",
    "I'm sure they're you've we'll she'd it's HE'S I'M",
    "a" * 5000,
    "supercalifragilisticexpialidocious" * 40,
    "<|endoftext|>",
    "before<|endoftext|>after and <|endoftext|> spaced <|endoftext|><|endoftext|>",
    "<|begin_of_text|>text<|end_of_text|>",
    "mixed 123abc ABC123 !!!??? ... --- *** ###",
]


@pytest.fixture(scope="module", params=["gpt2", "llama3", "gpt2-string-merges"])
def trained(request, tmp_path_factory):
    style = request.param
    tokenizer = train("gpt2" if style.startswith("gpt2") else style)
    path = tmp_path_factory.mktemp("tokenizer") / "tokenizer.json"
    data = json.loads(tokenizer.to_str())
    if style == "gpt2-string-merges":
        # Files written by tokenizers before 0.20 hold merges as "a b".
        data["model"]["merges"] = [" ".join(pair) for pair in data["model"]["merges"]]
        tokenizer = Tokenizer.from_str(json.dumps(data))
    path.write_text(json.dumps(data))
    return tokenizer, path


def run(tools, tokenizer_path, text, *flags):
    result = subprocess.run([tools["run"], "--tokenizer", str(tokenizer_path), "-f", "-",
                             *flags], input=text.encode(), capture_output=True)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.mark.parametrize("index", range(len(TEST_TEXTS)))
def test_encode_matches(tools, trained, index):
    tokenizer, path = trained
    text = TEST_TEXTS[index]
    for special in (True, False):
        expected = tokenizer.encode(text, add_special_tokens=special).ids
        flags = ["--tokenize"] + ([] if special else ["--no-bos"])
        assert json.loads(run(tools, path, text, *flags)) == expected, (text, special)


def test_decode_matches(tools, trained):
    tokenizer, path = trained
    for text in TEST_TEXTS:
        ids = tokenizer.encode(text).ids
        assert run(tools, path, json.dumps(ids), "--detokenize") == \
            tokenizer.decode(ids, skip_special_tokens=False)
    # Every token at once: pieces of UTF-8 sequences join across tokens.
    vocab = tokenizer.get_vocab_size()
    decoded = run(tools, path, " ".join(str(i) for i in range(vocab)), "--detokenize")
    assert decoded == tokenizer.decode(list(range(vocab)), skip_special_tokens=False)
