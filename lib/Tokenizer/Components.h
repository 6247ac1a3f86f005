//===- Components.h - The parts of a tokenizer (private) --------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Internal to lib/Tokenizer: the pre-tokenizers (PCRE2 splits, ByteLevel),
// the byte-to-unicode map and the BPE model that Tokenizer.cpp assembles
// from tokenizer.json.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_TOKENIZER_COMPONENTS_H
#define TRILM_LIB_TOKENIZER_COMPONENTS_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace trilm::tokenizer::detail {

/// A one-line llvm::Error.
inline llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A PCRE2 pattern compiled for UTF-8 text with Unicode properties (\p{L},
/// \s as Unicode white space), JIT-compiled when PCRE2 can.
class Regex {
public:
  static llvm::Expected<std::shared_ptr<Regex>> compile(llvm::StringRef pattern);
  ~Regex();
  /// Calls `match(begin, end)` for each non-overlapping match in `text`, left
  /// to right; an empty match advances by one character.
  void forEachMatch(llvm::StringRef text,
                    llvm::function_ref<void(size_t, size_t)> match) const;

private:
  Regex() = default;
  struct Code;
  std::unique_ptr<Code> code;
};

/// What a Split pre-tokenizer does with the matches of its pattern.
enum class SplitBehavior {
  Removed,
  Isolated,
  MergedWithPrevious,
  MergedWithNext,
  Contiguous,
};

/// Splits `text` by the matches of `regex` (or, with `invert`, by what lies
/// between them), as `tokenizers`' Split; empty pieces are dropped.
std::vector<std::string> splitByRegex(const Regex &regex, llvm::StringRef text,
                                      SplitBehavior behavior, bool invert);

/// One pre-tokenization step, applied to every piece of the previous one.
struct PreTokenizer {
  enum class Kind { Split, ByteLevel };
  Kind kind = Kind::Split;
  // Split, and ByteLevel with use_regex (the GPT-2 pattern).
  std::shared_ptr<Regex> regex;
  SplitBehavior behavior = SplitBehavior::Isolated;
  bool invert = false;
  // ByteLevel.
  bool addPrefixSpace = false;

  void apply(std::vector<std::string> &pieces) const;
};

/// GPT-2's map from each byte to a printable character (UTF-8), and back.
const std::array<std::string, 256> &getByteToChar();
/// The byte of a character of getByteToChar (a code point), if it is one.
std::optional<uint8_t> getCharByte(uint32_t codePoint);

/// The pre-tokenizer pattern that ByteLevel applies when use_regex is set
/// (fixed by `tokenizers`, not written in tokenizer.json).
extern const char *const kGPT2Pattern;

/// A byte-level BPE model: a vocabulary and ranked merges.
class BPE {
public:
  llvm::StringMap<int32_t> vocab;
  /// (left id, right id) -> (rank, merged id).
  llvm::DenseMap<std::pair<int32_t, int32_t>, std::pair<int32_t, int32_t>>
      merges;
  /// A piece found whole in the vocabulary is one token (LLaMA-3).
  bool ignoreMerges = false;
  std::optional<int32_t> unknown;
  /// Consecutive unknown characters give one unknown token (fuse_unk).
  bool fuseUnknown = false;

  /// Appends the ids of one pre-tokenized piece to `out`.
  void encodePiece(llvm::StringRef piece, std::vector<int32_t> &out) const;

private:
  void mergePiece(llvm::StringRef piece, std::vector<int32_t> &out) const;
  /// Pieces repeat (words); their merges are kept, up to a bound.
  mutable std::mutex cacheMutex;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache;
};

} // namespace trilm::tokenizer::detail

#endif // TRILM_LIB_TOKENIZER_COMPONENTS_H
