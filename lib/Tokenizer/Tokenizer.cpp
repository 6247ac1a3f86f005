//===- Tokenizer.cpp - Byte-level BPE tokenizers from tokenizer.json ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Tokenizer/Tokenizer.h"

#include "Components.h"

#include "trilm/Support/Files.h"
#include "trilm/Support/JSON.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

using namespace trilm::tokenizer;
using namespace trilm::tokenizer::detail;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

/// A token matched in raw text before normalization and pre-tokenization.
struct AddedToken {
  std::string content;
  int32_t id;
  bool special;
  bool leftStrip;
  bool rightStrip;
};

enum class Normalization { NFC, NFD, NFKC, NFKD };

/// One element of a TemplateProcessing "single" template.
struct TemplatePiece {
  /// Empty: the encoded sequence itself.
  std::vector<int32_t> specialIds;
};

} // namespace

struct Tokenizer::Impl {
  std::string name;
  std::vector<AddedToken> addedTokens;
  /// The added tokens by first byte, longest first.
  std::array<std::vector<const AddedToken *>, 256> addedByFirstByte;
  std::vector<Normalization> normalizers;
  std::vector<PreTokenizer> preTokenizers;
  BPE model;
  /// With a TemplateProcessing post-processor: its single template.
  std::optional<std::vector<TemplatePiece>> singleTemplate;
  /// Every id's token string: vocabulary entries and added tokens.
  std::vector<std::string> idToToken;
  std::vector<bool> specialIds;

  llvm::Error error(const llvm::Twine &message) const {
    return failure(name + ": " + message);
  }
  std::string normalize(llvm::StringRef text) const;
  void encodeSegment(llvm::StringRef segment, std::vector<int32_t> &ids) const;
  void appendTokenBytes(int32_t id, std::string &bytes) const;
};

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

namespace {

/// Reads the parts of tokenizer.json into an Impl; every error names the
/// component.
class Loader {
public:
  explicit Loader(Tokenizer::Impl &impl) : impl(impl) {}

  llvm::Error load(const Object &root);

private:
  llvm::Error loadModel(const Value *model);
  llvm::Error loadAddedTokens(const Value *tokens);
  llvm::Error loadNormalizer(const Value *normalizer);
  llvm::Error loadPreTokenizer(const Value *preTokenizer);
  llvm::Error loadPostProcessor(const Value *postProcessor);
  llvm::Error loadDecoder(const Value *decoder);

  /// `value` as an object with a string "type", or an error naming `what`.
  llvm::Expected<std::pair<const Object *, llvm::StringRef>>
  typed(const Value &value, llvm::StringRef what) {
    const Object *object = value.getAsObject();
    std::optional<llvm::StringRef> type =
        object ? object->getString("type") : std::nullopt;
    if (!type)
      return impl.error(what + " has no \"type\"");
    return std::make_pair(object, *type);
  }

  static bool flag(const Object &object, llvm::StringRef key, bool fallback) {
    return object.getBoolean(key).value_or(fallback);
  }

  Tokenizer::Impl &impl;
};

} // namespace

llvm::Error Loader::load(const Object &root) {
  if (llvm::Error error = loadModel(root.get("model")))
    return error;
  if (llvm::Error error = loadAddedTokens(root.get("added_tokens")))
    return error;
  if (llvm::Error error = loadNormalizer(root.get("normalizer")))
    return error;
  if (llvm::Error error = loadPreTokenizer(root.get("pre_tokenizer")))
    return error;
  if (llvm::Error error = loadPostProcessor(root.get("post_processor")))
    return error;
  return loadDecoder(root.get("decoder"));
}

llvm::Error Loader::loadModel(const Value *modelValue) {
  if (!modelValue)
    return impl.error("no \"model\"");
  auto typedModel = typed(*modelValue, "the model");
  if (!typedModel)
    return typedModel.takeError();
  auto [model, type] = *typedModel;
  if (type != "BPE")
    return impl.error("model type " + type +
                      " is not supported; trilm reads BPE tokenizers");
  for (llvm::StringRef key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const Value *value = model->get(key);
        value && value->kind() != Value::Null &&
        value->getAsString().value_or("") != "")
      return impl.error(("BPE " + key + " is not supported").str());
  if (flag(*model, "byte_fallback", false))
    return impl.error("BPE byte_fallback is not supported (it is for "
                      "SentencePiece-style models, not byte-level BPE)");
  if (const Value *dropout = model->get("dropout");
      dropout && dropout->kind() != Value::Null &&
      dropout->getAsNumber().value_or(0) != 0)
    return impl.error("BPE dropout is a training setting; set it to null");
  impl.model.ignoreMerges = flag(*model, "ignore_merges", false);
  impl.model.fuseUnknown = flag(*model, "fuse_unk", false);

  const Object *vocab = model->getObject("vocab");
  if (!vocab)
    return impl.error("the BPE model has no \"vocab\" object");
  for (const auto &[token, idValue] : *vocab) {
    std::optional<int64_t> id = idValue.getAsInteger();
    if (!id || *id < 0 || *id > INT32_MAX)
      return impl.error("vocab entry \"" + token.str() +
                        "\" has an id that is not a non-negative 32-bit "
                        "integer");
    impl.model.vocab[token] = static_cast<int32_t>(*id);
    if (static_cast<size_t>(*id) >= impl.idToToken.size()) {
      if (*id >= (int64_t(1) << 24))
        return impl.error("vocab id " + llvm::Twine(*id) +
                          " exceeds 2^24, the largest vocabulary trilm reads");
      impl.idToToken.resize(*id + 1);
    }
    impl.idToToken[*id] = token.str();
  }

  const Array *merges = model->getArray("merges");
  if (!merges)
    return impl.error("the BPE model has no \"merges\" list");
  for (auto [rank, merge] : llvm::enumerate(*merges)) {
    // "left right" (older files) or ["left", "right"].
    std::string left, right;
    if (std::optional<llvm::StringRef> text = merge.getAsString()) {
      auto [first, second] = text->split(' ');
      if (second.empty() || second.contains(' '))
        return impl.error("merge " + llvm::Twine(rank) + " (\"" + *text +
                          "\") is not two tokens separated by a space");
      left = first.str();
      right = second.str();
    } else if (const Array *pair = merge.getAsArray();
               pair && pair->size() == 2 && (*pair)[0].getAsString() &&
               (*pair)[1].getAsString()) {
      left = (*pair)[0].getAsString()->str();
      right = (*pair)[1].getAsString()->str();
    } else {
      return impl.error("merge " + llvm::Twine(rank) +
                        " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto leftId = impl.model.vocab.find(left);
    auto rightId = impl.model.vocab.find(right);
    auto merged = impl.model.vocab.find(left + right);
    if (leftId == impl.model.vocab.end() || rightId == impl.model.vocab.end() ||
        merged == impl.model.vocab.end())
      return impl.error("merge " + llvm::Twine(rank) + " (\"" + left +
                        "\" + \"" + right +
                        "\") names a token that is not in the vocabulary");
    // The first occurrence of a pair holds its rank.
    impl.model.merges.try_emplace({leftId->second, rightId->second},
                                  static_cast<int32_t>(rank), merged->second);
  }

  if (const Value *unknown = model->get("unk_token");
      unknown && unknown->kind() != Value::Null) {
    std::optional<llvm::StringRef> token = unknown->getAsString();
    auto found = token ? impl.model.vocab.find(*token) : impl.model.vocab.end();
    if (found == impl.model.vocab.end())
      return impl.error("unk_token is not in the vocabulary");
    impl.model.unknown = found->second;
  }
  return llvm::Error::success();
}

llvm::Error Loader::loadAddedTokens(const Value *tokens) {
  if (!tokens || tokens->kind() == Value::Null)
    return llvm::Error::success();
  const Array *list = tokens->getAsArray();
  if (!list)
    return impl.error("\"added_tokens\" is not a list");
  for (const Value &entry : *list) {
    const Object *token = entry.getAsObject();
    std::optional<int64_t> id = token ? token->getInteger("id") : std::nullopt;
    std::optional<llvm::StringRef> content =
        token ? token->getString("content") : std::nullopt;
    if (!id || !content || *id < 0 || *id >= (int64_t(1) << 24) ||
        content->empty())
      return impl.error("an added token lacks an id below 2^24 or a "
                        "non-empty content");
    if (flag(*token, "single_word", false))
      return impl.error("added token \"" + *content +
                        "\": single_word is not supported");
    AddedToken added{content->str(), static_cast<int32_t>(*id),
                     flag(*token, "special", false),
                     flag(*token, "lstrip", false),
                     flag(*token, "rstrip", false)};
    if (static_cast<size_t>(added.id) >= impl.idToToken.size())
      impl.idToToken.resize(added.id + 1);
    impl.idToToken[added.id] = added.content;
    if (static_cast<size_t>(added.id) >= impl.specialIds.size())
      impl.specialIds.resize(added.id + 1);
    impl.specialIds[added.id] = added.special;
    impl.addedTokens.push_back(std::move(added));
  }
  return llvm::Error::success();
}

llvm::Error Loader::loadNormalizer(const Value *normalizer) {
  if (!normalizer || normalizer->kind() == Value::Null)
    return llvm::Error::success();
  auto typedNormalizer = typed(*normalizer, "a normalizer");
  if (!typedNormalizer)
    return typedNormalizer.takeError();
  auto [object, type] = *typedNormalizer;
  if (type == "Sequence") {
    const Array *list = object->getArray("normalizers");
    if (!list)
      return impl.error("a Sequence normalizer has no \"normalizers\" list");
    for (const Value &inner : *list)
      if (llvm::Error error = loadNormalizer(&inner))
        return error;
    return llvm::Error::success();
  }
  std::optional<Normalization> form =
      llvm::StringSwitch<std::optional<Normalization>>(type)
          .Case("NFC", Normalization::NFC)
          .Case("NFD", Normalization::NFD)
          .Case("NFKC", Normalization::NFKC)
          .Case("NFKD", Normalization::NFKD)
          .Default(std::nullopt);
  if (!form)
    return impl.error("normalizer " + type +
                      " is not supported (NFC, NFD, NFKC, NFKD and Sequence "
                      "are)");
  impl.normalizers.push_back(*form);
  return llvm::Error::success();
}

llvm::Error Loader::loadPreTokenizer(const Value *preTokenizer) {
  if (!preTokenizer || preTokenizer->kind() == Value::Null)
    return llvm::Error::success();
  auto typedPre = typed(*preTokenizer, "a pre-tokenizer");
  if (!typedPre)
    return typedPre.takeError();
  auto [object, type] = *typedPre;
  if (type == "Sequence") {
    const Array *list = object->getArray("pretokenizers");
    if (!list)
      return impl.error(
          "a Sequence pre-tokenizer has no \"pretokenizers\" list");
    for (const Value &inner : *list)
      if (llvm::Error error = loadPreTokenizer(&inner))
        return error;
    return llvm::Error::success();
  }
  PreTokenizer step;
  if (type == "ByteLevel") {
    step.kind = PreTokenizer::Kind::ByteLevel;
    step.addPrefixSpace = flag(*object, "add_prefix_space", true);
    if (flag(*object, "use_regex", true)) {
      auto regex = Regex::compile(kGPT2Pattern);
      if (!regex)
        return regex.takeError();
      step.regex = *regex;
    }
  } else if (type == "Split") {
    const Object *pattern = object->getObject("pattern");
    std::optional<llvm::StringRef> regexText =
        pattern ? pattern->getString("Regex") : std::nullopt;
    std::optional<llvm::StringRef> literal =
        pattern ? pattern->getString("String") : std::nullopt;
    if (!regexText && !literal)
      return impl.error("a Split pre-tokenizer has no \"pattern\" with a "
                        "\"Regex\" or a \"String\"");
    // A literal string is a regex that matches it exactly.
    std::string source = regexText ? regexText->str()
                                   : "\\Q" + literal->str() + "\\E";
    auto regex = Regex::compile(source);
    if (!regex)
      return impl.error("Split " + llvm::toString(regex.takeError()));
    step.regex = *regex;
    llvm::StringRef behavior = object->getString("behavior").value_or("");
    std::optional<SplitBehavior> parsed =
        llvm::StringSwitch<std::optional<SplitBehavior>>(behavior)
            .Case("Removed", SplitBehavior::Removed)
            .Case("Isolated", SplitBehavior::Isolated)
            .Case("MergedWithPrevious", SplitBehavior::MergedWithPrevious)
            .Case("MergedWithNext", SplitBehavior::MergedWithNext)
            .Case("Contiguous", SplitBehavior::Contiguous)
            .Default(std::nullopt);
    if (!parsed)
      return impl.error("Split behavior \"" + behavior + "\" is not known");
    step.behavior = *parsed;
    step.invert = flag(*object, "invert", false);
  } else {
    return impl.error("pre-tokenizer " + type +
                      " is not supported (ByteLevel, Split and Sequence are)");
  }
  impl.preTokenizers.push_back(std::move(step));
  return llvm::Error::success();
}

llvm::Error Loader::loadPostProcessor(const Value *postProcessor) {
  if (!postProcessor || postProcessor->kind() == Value::Null)
    return llvm::Error::success();
  auto typedPost = typed(*postProcessor, "the post-processor");
  if (!typedPost)
    return typedPost.takeError();
  auto [object, type] = *typedPost;
  if (type == "Sequence") {
    const Array *list = object->getArray("processors");
    if (!list)
      return impl.error("a Sequence post-processor has no \"processors\"");
    for (const Value &inner : *list)
      if (llvm::Error error = loadPostProcessor(&inner))
        return error;
    return llvm::Error::success();
  }
  // ByteLevel only adjusts offsets, which trilm does not report.
  if (type == "ByteLevel")
    return llvm::Error::success();
  if (type != "TemplateProcessing")
    return impl.error("post-processor " + type +
                      " is not supported (ByteLevel, TemplateProcessing and "
                      "Sequence are)");
  if (impl.singleTemplate)
    return impl.error("two TemplateProcessing post-processors");
  const Array *single = object->getArray("single");
  const Object *specials = object->getObject("special_tokens");
  if (!single)
    return impl.error("TemplateProcessing has no \"single\" template");
  std::vector<TemplatePiece> pieces;
  for (const Value &element : *single) {
    const Object *piece = element.getAsObject();
    if (piece && piece->getObject("Sequence")) {
      pieces.push_back({});
      continue;
    }
    const Object *special = piece ? piece->getObject("SpecialToken") : nullptr;
    std::optional<llvm::StringRef> name =
        special ? special->getString("id") : std::nullopt;
    const Object *entry =
        name && specials ? specials->getObject(*name) : nullptr;
    const Array *ids = entry ? entry->getArray("ids") : nullptr;
    if (!ids)
      return impl.error("TemplateProcessing names a special token that its "
                        "\"special_tokens\" do not define");
    TemplatePiece result;
    for (const Value &id : *ids) {
      std::optional<int64_t> value = id.getAsInteger();
      if (!value || *value < 0 || *value >= (int64_t(1) << 24))
        return impl.error("TemplateProcessing special token \"" + *name +
                          "\" has an invalid id");
      result.specialIds.push_back(static_cast<int32_t>(*value));
    }
    pieces.push_back(std::move(result));
  }
  impl.singleTemplate = std::move(pieces);
  return llvm::Error::success();
}

llvm::Error Loader::loadDecoder(const Value *decoder) {
  if (!decoder || decoder->kind() == Value::Null)
    return impl.error("no decoder; trilm decodes byte-level BPE (ByteLevel)");
  auto typedDecoder = typed(*decoder, "the decoder");
  if (!typedDecoder)
    return typedDecoder.takeError();
  auto [object, type] = *typedDecoder;
  if (type == "Sequence") {
    const Array *list = object->getArray("decoders");
    if (!list || list->size() != 1)
      return impl.error("a Sequence decoder is supported only around one "
                        "ByteLevel decoder");
    return loadDecoder(&list->front());
  }
  if (type != "ByteLevel")
    return impl.error("decoder " + type +
                      " is not supported; trilm decodes byte-level BPE "
                      "(ByteLevel)");
  return llvm::Error::success();
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

llvm::Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromJSON(llvm::StringRef json, llvm::StringRef name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name.str();
  llvm::Expected<Value> parsed = trilm::parseJSON(json);
  if (!parsed)
    return impl->error(llvm::toString(parsed.takeError()));
  const Object *root = parsed->getAsObject();
  if (!root)
    return impl->error("not a JSON object");
  if (llvm::Error error = Loader(*impl).load(*root))
    return std::move(error);
  impl->specialIds.resize(impl->idToToken.size());
  // Longest first, so that the first match at a position is the longest.
  llvm::stable_sort(impl->addedTokens,
                    [](const AddedToken &a, const AddedToken &b) {
                      return a.content.size() > b.content.size();
                    });
  for (const AddedToken &token : impl->addedTokens)
    impl->addedByFirstByte[static_cast<unsigned char>(token.content[0])]
        .push_back(&token);
  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(impl)));
}

llvm::Expected<std::unique_ptr<Tokenizer>>
Tokenizer::fromFile(llvm::StringRef path) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      trilm::mapRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  return fromJSON((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

std::string Tokenizer::Impl::normalize(llvm::StringRef text) const {
  if (normalizers.empty())
    return text.str();
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString unicode = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  for (Normalization form : normalizers) {
    const icu::Normalizer2 *normalizer = nullptr;
    switch (form) {
    case Normalization::NFC:
      normalizer = icu::Normalizer2::getNFCInstance(status);
      break;
    case Normalization::NFD:
      normalizer = icu::Normalizer2::getNFDInstance(status);
      break;
    case Normalization::NFKC:
      normalizer = icu::Normalizer2::getNFKCInstance(status);
      break;
    case Normalization::NFKD:
      normalizer = icu::Normalizer2::getNFKDInstance(status);
      break;
    }
    if (U_FAILURE(status))
      break;
    unicode = normalizer->normalize(unicode, status);
  }
  // ICU's data ships with the library; a failure leaves the text as it was.
  if (U_FAILURE(status))
    return text.str();
  std::string result;
  unicode.toUTF8String(result);
  return result;
}

void Tokenizer::Impl::encodeSegment(llvm::StringRef segment,
                                    std::vector<int32_t> &ids) const {
  std::vector<std::string> pieces = {normalize(segment)};
  for (const PreTokenizer &step : preTokenizers)
    step.apply(pieces);
  for (const std::string &piece : pieces)
    model.encodePiece(piece, ids);
}

static bool isWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

llvm::Expected<std::vector<int32_t>>
Tokenizer::encode(llvm::StringRef text, bool addSpecialTokens) const {
  const llvm::UTF8 *bytes = reinterpret_cast<const llvm::UTF8 *>(text.data());
  const llvm::UTF8 *invalid = bytes;
  if (!llvm::isLegalUTF8String(&invalid, bytes + text.size()))
    return failure("the text is not valid UTF-8 (at byte " +
                   llvm::Twine(invalid - bytes) + ")");
  std::vector<int32_t> ids;
  // Added tokens are cut out of the raw text first, leftmost, longest first;
  // lstrip/rstrip take the white space around them.
  size_t segmentBegin = 0, position = 0;
  while (position < text.size()) {
    const AddedToken *found = nullptr;
    for (const AddedToken *token :
         impl->addedByFirstByte[static_cast<unsigned char>(text[position])])
      if (text.substr(position).starts_with(token->content)) {
        found = token;
        break;
      }
    if (!found) {
      ++position;
      continue;
    }
    size_t begin = position, end = position + found->content.size();
    if (found->leftStrip)
      while (begin > segmentBegin && isWhitespace(text[begin - 1]))
        --begin;
    if (found->rightStrip)
      while (end < text.size() && isWhitespace(text[end]))
        ++end;
    if (begin > segmentBegin)
      impl->encodeSegment(text.slice(segmentBegin, begin), ids);
    ids.push_back(found->id);
    segmentBegin = position = end;
  }
  if (segmentBegin < text.size())
    impl->encodeSegment(text.substr(segmentBegin), ids);

  if (!addSpecialTokens || !impl->singleTemplate)
    return ids;
  std::vector<int32_t> result;
  for (const TemplatePiece &piece : *impl->singleTemplate) {
    if (piece.specialIds.empty())
      result.insert(result.end(), ids.begin(), ids.end());
    else
      result.insert(result.end(), piece.specialIds.begin(),
                    piece.specialIds.end());
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

/// The ByteLevel decoder: a token whose characters all stand for bytes gives
/// those bytes; any other token (an added token's text) its own UTF-8.
void Tokenizer::Impl::appendTokenBytes(int32_t id, std::string &bytes) const {
  const std::string &token = idToToken[id];
  std::string decoded;
  const char *cursor = token.data(), *end = token.data() + token.size();
  while (cursor < end) {
    llvm::UTF32 codePoint;
    const llvm::UTF8 *source = reinterpret_cast<const llvm::UTF8 *>(cursor);
    if (llvm::convertUTF8Sequence(&source,
                                  reinterpret_cast<const llvm::UTF8 *>(end),
                                  &codePoint,
                                  llvm::strictConversion) != llvm::conversionOK)
      break;
    std::optional<uint8_t> byte = getCharByte(codePoint);
    if (!byte)
      break;
    decoded.push_back(static_cast<char>(*byte));
    cursor = reinterpret_cast<const char *>(source);
  }
  bytes += cursor == end ? decoded : token;
}

namespace {
/// The UTF-8 sequence that starts at `bytes[0]`: how many of its bytes are
/// present and well formed (at least 1), and whether they complete it
/// (Unicode's table 3-7).
struct Sequence {
  size_t length;
  bool complete;
};
} // namespace

static Sequence scanSequence(llvm::StringRef bytes) {
  unsigned char lead = bytes[0];
  if (lead < 0x80)
    return {1, true};
  size_t needed;
  unsigned char low = 0x80, high = 0xBF; // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 3;
    if (lead == 0xE0)
      low = 0xA0;
    else if (lead == 0xED)
      high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 4;
    if (lead == 0xF0)
      low = 0x90;
    else if (lead == 0xF4)
      high = 0x8F;
  } else {
    return {1, false};
  }
  size_t length = 1;
  for (; length < needed && length < bytes.size(); ++length) {
    unsigned char c = bytes[length];
    if (c < low || c > high)
      return {length, false};
    low = 0x80;
    high = 0xBF;
  }
  return {length, length == needed};
}

std::string trilm::tokenizer::toValidUTF8(llvm::StringRef bytes) {
  std::string result;
  result.reserve(bytes.size());
  while (!bytes.empty()) {
    Sequence sequence = scanSequence(bytes);
    // A maximal ill-formed part is one replacement character.
    if (sequence.complete)
      result.append(bytes.data(), sequence.length);
    else
      result += "\xEF\xBF\xBD";
    bytes = bytes.drop_front(sequence.length);
  }
  return result;
}

llvm::Expected<std::string> Tokenizer::decode(llvm::ArrayRef<int32_t> ids,
                                              bool skipSpecial) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0)
      return failure("token id " + llvm::Twine(id) + " is negative");
    // Models pad their vocabulary past the tokenizer's; `tokenizers` decodes
    // such ids to nothing.
    if (id >= getVocabSize() || impl->idToToken[id].empty() ||
        (skipSpecial && impl->specialIds[id]))
      continue;
    impl->appendTokenBytes(id, bytes);
  }
  return toValidUTF8(bytes);
}

int64_t Tokenizer::getVocabSize() const {
  return static_cast<int64_t>(impl->idToToken.size());
}

std::optional<int32_t> Tokenizer::getTokenId(llvm::StringRef token) const {
  for (const AddedToken &added : impl->addedTokens)
    if (added.content == token)
      return added.id;
  auto found = impl->model.vocab.find(token);
  if (found == impl->model.vocab.end())
    return std::nullopt;
  return found->second;
}

bool Tokenizer::isSpecial(int32_t id) const {
  return id >= 0 && id < getVocabSize() && impl->specialIds[id];
}

/// The length of the longest prefix of `bytes` that does not end inside a
/// UTF-8 sequence that later bytes may still complete.
static size_t completePrefix(llvm::StringRef bytes) {
  size_t begin = 0;
  while (begin < bytes.size()) {
    Sequence sequence = scanSequence(bytes.drop_front(begin));
    if (!sequence.complete && begin + sequence.length == bytes.size() &&
        sequence.length < 4 && (static_cast<unsigned char>(bytes[begin]) >= 0xC2))
      return begin;
    begin += sequence.length;
  }
  return begin;
}

llvm::Expected<std::string> Tokenizer::StreamDecoder::next(int32_t id) {
  if (id < 0)
    return failure("token id " + llvm::Twine(id) + " is negative");
  if (id >= tokenizer.getVocabSize() || tokenizer.impl->idToToken[id].empty() ||
      (skipSpecial && tokenizer.impl->specialIds[id]))
    return std::string();
  tokenizer.impl->appendTokenBytes(id, pending);
  size_t complete = completePrefix(pending);
  std::string text = toValidUTF8(llvm::StringRef(pending).take_front(complete));
  pending.erase(0, complete);
  return text;
}

std::string Tokenizer::StreamDecoder::finish() {
  std::string text = toValidUTF8(pending);
  pending.clear();
  return text;
}
