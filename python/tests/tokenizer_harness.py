"""Byte-level BPE tokenizers trained with Hugging Face `tokenizers`, in the
two styles that checkpoints ship: GPT-2/GPT-NeoX (the ByteLevel
pre-tokenizer's regex, NFC, as TriLM's tokenizer) and LLaMA-3 (a Split regex
then ByteLevel without one, ignore_merges, a BOS template)."""

from tokenizers import (Regex, Tokenizer, decoders, models, normalizers,
                        pre_tokenizers, processors, trainers)

LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

TRAINING_TEXT = [
    "The quick brown fox jumps over the lazy dog. It's 2024, and we'll see 12,345.67 items.",
    "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]  # code\n",
    "Ünïcödé façade naïve café résumé Straße Ærøskøbing",
    "Ελληνικά κείμενα και Русский текст и العربية نص",
    "日本語のテキストと中文文本，以及한국어 텍스트",
    "हिन्दी पाठ और தமிழ் உரை",
    "Emoji 😀🎉👍🏽 and 👨‍👩‍👧‍👦 families",
    "    indented\tlines\r\nwith\u00a0odd\u3000spaces\n\n\n",
] * 30

def train(style):
    if style == "gpt2":
        tokenizer = Tokenizer(models.BPE())
        tokenizer.normalizer = normalizers.NFC()
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
        specials = ["<|endoftext|>"]
    else:
        tokenizer = Tokenizer(models.BPE(ignore_merges=True))
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        specials = ["<|begin_of_text|>", "<|end_of_text|>"]
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1200, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(TRAINING_TEXT, trainer)
    if style == "llama3":
        tokenizer.post_processor = processors.TemplateProcessing(
            single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])
    return tokenizer


