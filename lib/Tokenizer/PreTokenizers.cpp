//===- PreTokenizers.cpp - Regex splits and the byte-level map ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "Components.h"

#include "llvm/Support/ConvertUTF.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

using namespace trilm::tokenizer::detail;

//===----------------------------------------------------------------------===//
// Regex
//===----------------------------------------------------------------------===//

struct Regex::Code {
  pcre2_code *code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

Regex::~Regex() = default;

llvm::Expected<std::shared_ptr<Regex>>
Regex::compile(llvm::StringRef pattern) {
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
      PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(errorCode, message, sizeof(message));
    return failure("pattern \"" + pattern + "\" does not compile at offset " +
                   llvm::Twine(errorOffset) + ": " +
                   reinterpret_cast<const char *>(message));
  }
  // Without JIT support the interpreter gives the same matches.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  std::shared_ptr<Regex> regex(new Regex());
  regex->code = std::make_unique<Code>();
  regex->code->code = code;
  return regex;
}

void Regex::forEachMatch(llvm::StringRef text,
                         llvm::function_ref<void(size_t, size_t)> match) const {
  pcre2_match_data *data =
      pcre2_match_data_create_from_pattern(code->code, nullptr);
  size_t offset = 0;
  while (offset <= text.size()) {
    // The text was checked as UTF-8 up front, so PCRE2 need not check it
    // again at every offset.
    int result = pcre2_match(code->code,
                             reinterpret_cast<PCRE2_SPTR>(text.data()),
                             text.size(), offset, PCRE2_NO_UTF_CHECK, data,
                             nullptr);
    if (result < 0)
      break;
    PCRE2_SIZE *vector = pcre2_get_ovector_pointer(data);
    size_t begin = vector[0], end = vector[1];
    if (end > begin) {
      match(begin, end);
      offset = end;
      continue;
    }
    // An empty match: step over one character.
    if (begin >= text.size())
      break;
    offset = begin + llvm::getNumBytesForUTF8(text[begin]);
  }
  pcre2_match_data_free(data);
}

std::vector<std::string>
trilm::tokenizer::detail::splitByRegex(const Regex &regex, llvm::StringRef text,
                                       SplitBehavior behavior, bool invert) {
  // The text as alternating spans, each a match of the pattern or not.
  struct Span {
    size_t begin, end;
    bool isMatch;
  };
  std::vector<Span> spans;
  size_t previous = 0;
  regex.forEachMatch(text, [&](size_t begin, size_t end) {
    if (begin > previous)
      spans.push_back({previous, begin, false});
    spans.push_back({begin, end, true});
    previous = end;
  });
  if (previous < text.size())
    spans.push_back({previous, text.size(), false});
  if (invert)
    for (Span &span : spans)
      span.isMatch = !span.isMatch;

  std::vector<std::string> pieces;
  bool mergeIntoNext = false, previousWasMatch = false;
  for (const Span &span : spans) {
    llvm::StringRef piece = text.slice(span.begin, span.end);
    bool appendToLast = mergeIntoNext;
    mergeIntoNext = false;
    bool contiguous = previousWasMatch;
    previousWasMatch = span.isMatch;
    if (span.isMatch) {
      switch (behavior) {
      case SplitBehavior::Removed:
        continue;
      case SplitBehavior::Isolated:
        break;
      case SplitBehavior::MergedWithPrevious:
        appendToLast = true;
        break;
      case SplitBehavior::MergedWithNext:
        mergeIntoNext = true;
        break;
      case SplitBehavior::Contiguous:
        appendToLast = appendToLast || contiguous;
        break;
      }
    }
    if (appendToLast && !pieces.empty())
      pieces.back() += piece.str();
    else
      pieces.push_back(piece.str());
  }
  return pieces;
}

//===----------------------------------------------------------------------===//
// ByteLevel
//===----------------------------------------------------------------------===//

const char *const trilm::tokenizer::detail::kGPT2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

/// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves;
/// the others, in order, for U+0100 onwards.
static std::array<uint32_t, 256> computeByteCodePoints() {
  std::array<uint32_t, 256> codePoints{};
  auto printable = [](unsigned byte) {
    return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
           (byte >= 0xAE && byte <= 0xFF);
  };
  uint32_t next = 256;
  for (unsigned byte = 0; byte < 256; ++byte)
    codePoints[byte] = printable(byte) ? byte : next++;
  return codePoints;
}

static const std::array<uint32_t, 256> &getByteCodePoints() {
  static const std::array<uint32_t, 256> codePoints = computeByteCodePoints();
  return codePoints;
}

const std::array<std::string, 256> &trilm::tokenizer::detail::getByteToChar() {
  static const std::array<std::string, 256> chars = [] {
    std::array<std::string, 256> result;
    for (unsigned byte = 0; byte < 256; ++byte) {
      char utf8[4];
      char *end = utf8;
      llvm::ConvertCodePointToUTF8(getByteCodePoints()[byte], end);
      result[byte].assign(utf8, end);
    }
    return result;
  }();
  return chars;
}

std::optional<uint8_t>
trilm::tokenizer::detail::getCharByte(uint32_t codePoint) {
  static const llvm::DenseMap<uint32_t, uint8_t> bytes = [] {
    llvm::DenseMap<uint32_t, uint8_t> result;
    for (unsigned byte = 0; byte < 256; ++byte)
      result[getByteCodePoints()[byte]] = static_cast<uint8_t>(byte);
    return result;
  }();
  auto it = bytes.find(codePoint);
  if (it == bytes.end())
    return std::nullopt;
  return it->second;
}

void PreTokenizer::apply(std::vector<std::string> &pieces) const {
  std::vector<std::string> result;
  result.reserve(pieces.size());
  for (std::string &piece : pieces) {
    if (kind == Kind::Split) {
      for (std::string &part : splitByRegex(*regex, piece, behavior, invert))
        result.push_back(std::move(part));
      continue;
    }
    if (addPrefixSpace && !llvm::StringRef(piece).starts_with(" "))
      piece.insert(piece.begin(), ' ');
    std::vector<std::string> parts;
    if (regex)
      parts = splitByRegex(*regex, piece, SplitBehavior::Isolated, false);
    else
      parts.push_back(std::move(piece));
    const std::array<std::string, 256> &byteToChar = getByteToChar();
    for (const std::string &part : parts) {
      std::string mapped;
      mapped.reserve(part.size() * 2);
      for (unsigned char byte : part)
        mapped += byteToChar[byte];
      result.push_back(std::move(mapped));
    }
  }
  pieces = std::move(result);
}
