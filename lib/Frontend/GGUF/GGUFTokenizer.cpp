//===- GGUFTokenizer.cpp - A GGUF file's tokenizer as tokenizer.json ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// llama.cpp keeps a BPE tokenizer as token strings, token types and merges,
// and names its pre-tokenizer (tokenizer.ggml.pre) instead of storing it.
// The pre-tokenizers below are the ones whose Hugging Face form is known
// exactly; others are an error rather than a tokenizer that splits text
// differently.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/GGUF/GGUFCheckpoint.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace trilm::gguf;
using JSONArray = llvm::json::Array;
using JSONObject = llvm::json::Object;

namespace {

/// llama.cpp's token types (llama_token_type).
enum TokenType : int64_t { Control = 3, UserDefined = 4 };

/// The LLaMA-3 ("llama-bpe") split pattern.
constexpr llvm::StringLiteral kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

JSONObject byteLevel(bool useRegex) {
  return JSONObject{{"type", "ByteLevel"},
                    {"add_prefix_space", false},
                    {"trim_offsets", true},
                    {"use_regex", useRegex}};
}

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The strings of array `key`, or an error.
llvm::Expected<std::vector<llvm::StringRef>> strings(const File &file,
                                                     llvm::StringRef key) {
  const Value *value = file.lookup(key);
  const std::vector<Value> *array = value ? value->getArray() : nullptr;
  if (!array)
    return failure("the tokenizer has no " + key + " list");
  std::vector<llvm::StringRef> result;
  for (const Value &element : *array) {
    std::optional<llvm::StringRef> text = element.getString();
    if (!text)
      return failure(key + " holds a value that is not a string");
    result.push_back(*text);
  }
  return result;
}

} // namespace

llvm::Expected<std::string> trilm::gguf::exportTokenizerJSON(const File &file) {
  const Value *modelValue = file.lookup("tokenizer.ggml.model");
  std::optional<llvm::StringRef> model =
      modelValue ? modelValue->getString() : std::nullopt;
  if (!model)
    return failure("the file has no tokenizer (tokenizer.ggml.model)");
  if (*model != "gpt2")
    return failure("tokenizer.ggml.model '" + *model +
                   "' is not supported; trilm reads byte-level BPE ('gpt2')");
  std::string pre = "(none)";
  if (const Value *preValue = file.lookup("tokenizer.ggml.pre"))
    pre = preValue->getString().value_or("(not a string)").str();
  enum class Pre { GPT2, Llama3, Unknown };
  Pre kind = llvm::StringSwitch<Pre>(pre)
                 .Case("gpt-2", Pre::GPT2)
                 .Case("llama-bpe", Pre::Llama3)
                 .Default(Pre::Unknown);
  if (kind == Pre::Unknown)
    return failure("tokenizer.ggml.pre '" + pre +
                   "' is not supported; trilm knows the pre-tokenizers "
                   "'gpt-2' and 'llama-bpe'");

  auto tokens = strings(file, "tokenizer.ggml.tokens");
  if (!tokens)
    return tokens.takeError();
  auto merges = strings(file, "tokenizer.ggml.merges");
  if (!merges)
    return merges.takeError();
  const Value *typesValue = file.lookup("tokenizer.ggml.token_type");
  const std::vector<Value> *types =
      typesValue ? typesValue->getArray() : nullptr;
  if (types && types->size() != tokens->size())
    return failure("tokenizer.ggml.token_type has " +
                   llvm::Twine(types->size()) + " entries for " +
                   llvm::Twine(tokens->size()) + " tokens");

  JSONObject vocab;
  JSONArray added;
  for (auto [id, token] : llvm::enumerate(*tokens)) {
    if (!vocab.try_emplace(token, int64_t(id)).second)
      return failure("tokenizer.ggml.tokens lists '" + token + "' twice");
    int64_t type = types ? (*types)[id].getInteger().value_or(0) : 0;
    if (type == Control || type == UserDefined)
      added.push_back(JSONObject{{"id", int64_t(id)},
                                 {"content", token},
                                 {"single_word", false},
                                 {"lstrip", false},
                                 {"rstrip", false},
                                 {"normalized", false},
                                 {"special", type == Control}});
  }
  JSONArray mergeList;
  for (llvm::StringRef merge : *merges)
    mergeList.push_back(merge);

  llvm::json::Value preTokenizer =
      kind == Pre::GPT2
          ? llvm::json::Value(byteLevel(/*useRegex=*/true))
          : JSONObject{
                {"type", "Sequence"},
                {"pretokenizers",
                 JSONArray{JSONObject{{"type", "Split"},
                                      {"pattern",
                                       JSONObject{{"Regex", kLlama3Pattern}}},
                                      {"behavior", "Isolated"},
                                      {"invert", false}},
                           byteLevel(/*useRegex=*/false)}}};
  // llama.cpp prepends BOS when the file asks for it, as the Hugging Face
  // LLaMA-3 tokenizer's template does.
  llvm::json::Value postProcessor = nullptr;
  const Value *addBos = file.lookup("tokenizer.ggml.add_bos_token");
  const Value *bos = file.lookup("tokenizer.ggml.bos_token_id");
  if (addBos && std::get_if<bool>(&addBos->data) &&
      std::get<bool>(addBos->data) && bos && bos->getInteger() &&
      *bos->getInteger() < int64_t(tokens->size())) {
    llvm::StringRef bosToken = (*tokens)[*bos->getInteger()];
    postProcessor = JSONObject{
        {"type", "TemplateProcessing"},
        {"single",
         JSONArray{JSONObject{{"SpecialToken",
                               JSONObject{{"id", bosToken}, {"type_id", 0}}}},
                   JSONObject{
                       {"Sequence", JSONObject{{"id", "A"}, {"type_id", 0}}}}}},
        {"special_tokens",
         JSONObject{{bosToken, JSONObject{{"id", bosToken},
                                          {"ids", JSONArray{llvm::json::Value(
                                                      *bos->getInteger())}},
                                          {"tokens", JSONArray{bosToken}}}}}}};
  }

  JSONObject root{
      {"version", "1.0"},
      {"added_tokens", std::move(added)},
      {"normalizer", nullptr},
      {"pre_tokenizer", std::move(preTokenizer)},
      {"post_processor", std::move(postProcessor)},
      {"decoder", JSONObject{{"type", "ByteLevel"},
                             {"add_prefix_space", true},
                             {"trim_offsets", true},
                             {"use_regex", true}}},
      {"model", JSONObject{{"type", "BPE"},
                           {"dropout", nullptr},
                           {"unk_token", nullptr},
                           {"fuse_unk", false},
                           {"byte_fallback", false},
                           {"ignore_merges", kind == Pre::Llama3},
                           {"vocab", std::move(vocab)},
                           {"merges", std::move(mergeList)}}},
  };
  std::string json;
  llvm::raw_string_ostream(json) << llvm::json::Value(std::move(root));
  return json;
}
