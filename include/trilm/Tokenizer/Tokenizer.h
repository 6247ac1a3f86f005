//===- Tokenizer.h - Byte-level BPE tokenizers from tokenizer.json -*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Reads the tokenizer.json that Hugging Face `tokenizers` writes for
// byte-level BPE models (GPT-2, GPT-NeoX and TriLM, LLaMA-3, BitNet b1.58)
// and encodes and decodes text as `tokenizers` does:
//
//   text -> added tokens split out -> normalizer (NFC) -> pre-tokenizers
//   (regex splits, ByteLevel) -> BPE merges by rank -> post-processor
//   (template special tokens)
//
// Plain C++ on LLVMSupport, PCRE2 (the split regexes, with Unicode
// properties) and ICU (normalization); no MLIR, so that the runner links it
// without the compiler. Anything in a tokenizer.json that it does not
// implement is an error naming the component, never a silent difference.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TOKENIZER_TOKENIZER_H
#define TRILM_TOKENIZER_TOKENIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace trilm::tokenizer {

class Tokenizer {
public:
  /// Reads `path`; errors name the file and the offending component.
  static llvm::Expected<std::unique_ptr<Tokenizer>>
  fromFile(llvm::StringRef path);
  /// Parses tokenizer.json text; `name` prefixes errors.
  static llvm::Expected<std::unique_ptr<Tokenizer>>
  fromJSON(llvm::StringRef json, llvm::StringRef name);
  ~Tokenizer();

  /// The ids of `text`, which must be valid UTF-8; with
  /// `addSpecialTokens`, the post-processor's tokens (a BOS) are added as
  /// `tokenizers`' encode(text) does.
  llvm::Expected<std::vector<int32_t>> encode(llvm::StringRef text,
                                              bool addSpecialTokens) const;

  /// The text of `ids` as `tokenizers`' decode: invalid UTF-8 that the bytes
  /// form becomes U+FFFD; special tokens are dropped with `skipSpecial`, and
  /// ids past the vocabulary (a model's padding) decode to nothing. A
  /// negative id is an error.
  llvm::Expected<std::string> decode(llvm::ArrayRef<int32_t> ids,
                                     bool skipSpecial) const;

  /// One more than the largest id, as a model's vocab_size must cover.
  int64_t getVocabSize() const;
  /// The id of `token` (an added token's content, or a vocabulary entry).
  std::optional<int32_t> getTokenId(llvm::StringRef token) const;
  bool isSpecial(int32_t id) const;

  /// Decodes ids one at a time for streaming: each call returns the text
  /// that has become complete, holding back a UTF-8 sequence split across
  /// tokens until its last byte arrives.
  class StreamDecoder {
  public:
    StreamDecoder(const Tokenizer &tokenizer, bool skipSpecial)
        : tokenizer(tokenizer), skipSpecial(skipSpecial) {}
    llvm::Expected<std::string> next(int32_t id);
    /// What is held back, as U+FFFD, at the end of the stream.
    std::string finish();

  private:
    const Tokenizer &tokenizer;
    bool skipSpecial;
    std::string pending;
  };

  struct Impl;

private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// Replaces each maximal invalid UTF-8 subsequence of `bytes` by U+FFFD, as
/// Rust's String::from_utf8_lossy (and so `tokenizers`) does.
std::string toValidUTF8(llvm::StringRef bytes);

} // namespace trilm::tokenizer

#endif // TRILM_TOKENIZER_TOKENIZER_H
