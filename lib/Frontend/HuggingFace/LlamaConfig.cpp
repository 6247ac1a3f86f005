//===- LlamaConfig.cpp - config.json of LlamaForCausalLM ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// Reads the Hugging Face config.json fields that decide the shapes and the
// arithmetic of a LLaMA TriLM, and rejects what trilm would otherwise
// compile silently wrong (RoPE scaling, another activation, biases, shard
// counts that do not split the matrices).
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include "trilm/Support/JSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace trilm::import;
using namespace trilm::import::detail;

using llvm::json::Object;
using llvm::json::Value;

namespace {

/// Reads typed fields of one config.json object; every error is one line
/// prefixed with the file name.
class ConfigReader {
public:
  ConfigReader(const Object &config, llvm::StringRef fileName)
      : config(config), fileName(fileName) {}

  llvm::Error error(const llvm::Twine &message) const {
    return failure(fileName + ": " + message);
  }

  /// The field `key`, or null when it is absent or JSON null (configs write
  /// null for unset optional fields).
  const Value *find(llvm::StringRef key) const {
    const Value *value = config.get(key);
    if (!value || value->kind() == Value::Null)
      return nullptr;
    return value;
  }

  /// Reads integer `key` into `result`; when it is absent, an error if
  /// `required`, else `result` keeps its default.
  llvm::Error readInteger(llvm::StringRef key, bool required,
                          int64_t &result) const {
    const Value *value = find(key);
    if (!value)
      return required ? error("missing field '" + key + "'")
                      : llvm::Error::success();
    std::optional<int64_t> integer = value->getAsInteger();
    if (!integer)
      return wrongType(key, *value, "an integer");
    result = *integer;
    return llvm::Error::success();
  }

  /// Reads optional number `key` into `result`.
  llvm::Error readNumber(llvm::StringRef key, double &result) const {
    const Value *value = find(key);
    if (!value)
      return llvm::Error::success();
    std::optional<double> number = value->getAsNumber();
    if (!number)
      return wrongType(key, *value, "a number");
    result = *number;
    return llvm::Error::success();
  }

  /// Reads optional boolean `key` into `result`.
  llvm::Error readBool(llvm::StringRef key, bool &result) const {
    const Value *value = find(key);
    if (!value)
      return llvm::Error::success();
    std::optional<bool> boolean = value->getAsBoolean();
    if (!boolean)
      return wrongType(key, *value, "true or false");
    result = *boolean;
    return llvm::Error::success();
  }

  /// Reads optional token id `key`; a list (several end tokens) gives its
  /// first element.
  llvm::Error readTokenId(llvm::StringRef key, int64_t &result) const {
    const Value *value = find(key);
    if (!value)
      return llvm::Error::success();
    if (const llvm::json::Array *list = value->getAsArray()) {
      if (list->empty())
        return llvm::Error::success();
      value = &list->front();
    }
    std::optional<int64_t> integer = value->getAsInteger();
    if (!integer)
      return wrongType(key, *value, "a token id");
    result = *integer;
    return llvm::Error::success();
  }

  llvm::Error wrongType(llvm::StringRef key, const Value &value,
                        llvm::StringRef expected) const {
    return error(
        llvm::formatv("field '{0}' is {1}, not {2}", key, value, expected)
            .str());
  }

private:
  const Object &config;
  llvm::StringRef fileName;
};

} // namespace

/// "1e-05", "10000": as short as the value allows.
static std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// Accepts LlamaForCausalLM. A non-empty "architectures" decides; model_type
/// "llama" is only trusted without it, because BitNet checkpoints with a
/// different forward pass have been published as model_type "llama".
static llvm::Expected<Architecture>
readArchitecture(const ConfigReader &reader) {
  std::string found;
  const Value *architecturesValue = reader.find("architectures");
  const llvm::json::Array *architectures =
      architecturesValue ? architecturesValue->getAsArray() : nullptr;
  if (architecturesValue && !architectures)
    return reader.wrongType("architectures", *architecturesValue, "a list");
  if (architectures && !architectures->empty()) {
    llvm::SmallVector<std::string> names;
    for (const Value &architecture : *architectures) {
      std::optional<llvm::StringRef> name = architecture.getAsString();
      if (name && *name == "LlamaForCausalLM")
        return Architecture::Llama;
      if (name && *name == "BitNetForCausalLM")
        return Architecture::BitNet;
      names.push_back(name ? name->str()
                           : llvm::formatv("{0}", architecture).str());
    }
    found = (names.size() == 1 ? "architecture is " : "architectures are ") +
            llvm::join(names, ", ");
  } else if (const Value *modelType = reader.find("model_type")) {
    std::optional<llvm::StringRef> name = modelType->getAsString();
    if (name && *name == "llama")
      return Architecture::Llama;
    if (name && *name == "bitnet")
      return Architecture::BitNet;
    found = llvm::formatv("model_type is {0}", *modelType).str();
  } else {
    found = "neither 'architectures' nor 'model_type' names the model";
  }
  return reader.error(found + "; trilm compiles LlamaForCausalLM (TriLM) and "
                              "BitNetForCausalLM");
}

/// How a BitNet checkpoint stores its weights, from its quantization_config
/// (transformers' BitNetQuantConfig: linear_class "bitlinear" by default,
/// quantization_mode "offline").
static llvm::Expected<BitNetWeights>
readBitNetWeights(const ConfigReader &reader) {
  const Value *value = reader.find("quantization_config");
  const Object *quantization = value ? value->getAsObject() : nullptr;
  auto field = [&](llvm::StringRef key,
                   llvm::StringRef absent) -> std::optional<llvm::StringRef> {
    const Value *found = quantization->get(key);
    if (!found || found->kind() == Value::Null)
      return absent;
    return found->getAsString();
  };
  if (!quantization || field("quant_method", "") != "bitnet")
    return reader.error("a BitNetForCausalLM config needs a quantization_config "
                        "with quant_method \"bitnet\"");
  std::optional<llvm::StringRef> linear = field("linear_class", "bitlinear");
  std::optional<llvm::StringRef> mode = field("quantization_mode", "offline");
  if (mode == "online")
    return BitNetWeights::Latent;
  if (mode != "offline")
    return reader.error("quantization_config.quantization_mode must be "
                        "\"offline\" or \"online\"");
  if (linear == "bitlinear")
    return BitNetWeights::PackedDividing;
  if (linear == "autobitlinear")
    return BitNetWeights::PackedMultiplying;
  return reader.error("quantization_config.linear_class must be "
                      "\"bitlinear\" or \"autobitlinear\"");
}

/// Rejects features whose presence changes the arithmetic that trilm
/// compiles.
static llvm::Error checkUnsupported(const ConfigReader &reader,
                                    Architecture architecture) {
  if (reader.find("rope_scaling"))
    return reader.error("rope_scaling is not supported");
  llvm::StringRef expected =
      architecture == Architecture::BitNet ? "relu2" : "silu";
  if (const Value *activation = reader.find("hidden_act")) {
    std::optional<llvm::StringRef> name = activation->getAsString();
    if (!name || *name != expected)
      return reader.error(llvm::formatv("hidden_act is {0}; trilm supports "
                                        "\"{1}\" for this architecture",
                                        *activation, expected)
                              .str());
  }
  for (llvm::StringRef bias : {"attention_bias", "mlp_bias"}) {
    bool enabled = false;
    if (llvm::Error error = reader.readBool(bias, enabled))
      return error;
    if (enabled)
      return reader.error(bias + " is true; trilm compiles LLaMA without "
                                 "biases");
  }
  return llvm::Error::success();
}

/// The largest head_dim, given or derived.
constexpr int64_t kMaxHeadDim = 1024;

llvm::Expected<LlamaConfig>
trilm::import::parseLlamaConfig(llvm::StringRef json,
                                llvm::StringRef fileName) {
  llvm::Expected<Value> parsed = trilm::parseJSON(json);
  if (!parsed)
    return failure(fileName + ": " + llvm::toString(parsed.takeError()));
  const Object *object = parsed->getAsObject();
  if (!object)
    return failure(fileName + ": not a JSON object");
  ConfigReader reader(*object, fileName);

  llvm::Expected<Architecture> architecture = readArchitecture(reader);
  if (!architecture)
    return architecture.takeError();
  LlamaConfig config;
  config.architecture = *architecture;
  if (config.architecture == Architecture::BitNet) {
    config.activation = Activation::ReLU2;
    llvm::Expected<BitNetWeights> weights = readBitNetWeights(reader);
    if (!weights)
      return weights.takeError();
    config.bitnetWeights = *weights;
  }
  config.maxPositions = 2048;
  // num_key_value_heads and head_dim default to other fields, below.
  bool hasKVHeads = reader.find("num_key_value_heads");
  bool hasHeadDim = reader.find("head_dim");
  // The limits are far above published models and low enough that every
  // size derived from them (weights, layouts, KV caches per position) fits
  // in 64 bits, so that nothing is sized from an absurd config before the
  // tensors confirm it.
  struct IntegerField {
    llvm::StringRef key;
    int64_t &value;
    bool required;
    int64_t limit;
  };
  IntegerField fields[] = {
      {"vocab_size", config.vocabSize, true, int64_t(1) << 24},
      {"hidden_size", config.hiddenSize, true, int64_t(1) << 16},
      {"intermediate_size", config.intermediateSize, true, int64_t(1) << 18},
      {"num_hidden_layers", config.numLayers, true, 4096},
      {"num_attention_heads", config.numHeads, true, 1024},
      {"num_key_value_heads", config.numKVHeads, false, 1024},
      {"head_dim", config.headDim, false, kMaxHeadDim},
      {"max_position_embeddings", config.maxPositions, false,
       int64_t(1) << 24},
  };
  for (IntegerField &field : fields)
    if (llvm::Error error =
            reader.readInteger(field.key, field.required, field.value))
      return std::move(error);
  for (IntegerField &field : fields) {
    if (!field.required && !reader.find(field.key))
      continue;
    if (field.value <= 0)
      return reader.error(field.key + " (" + llvm::Twine(field.value) +
                          ") must be positive");
    if (field.value > field.limit)
      return reader.error(field.key + " (" + llvm::Twine(field.value) +
                          ") exceeds " + llvm::Twine(field.limit) +
                          ", the largest trilm compiles");
  }
  if (llvm::Error error =
          reader.readInteger("pretraining_model_parallel",
                             /*required=*/false, config.modelParallel))
    return std::move(error);
  if (config.architecture == Architecture::BitNet &&
      reader.find("pretraining_model_parallel"))
    return reader.error("pretraining_model_parallel is a TriLM field; BitNet "
                        "has one scale per matrix");

  if (llvm::Error error = reader.readNumber("rope_theta", config.ropeTheta))
    return std::move(error);
  if (llvm::Error error = reader.readNumber("rms_norm_eps", config.rmsNormEps))
    return std::move(error);
  for (auto [key, value] :
       {std::pair<llvm::StringRef, double>{"rope_theta", config.ropeTheta},
        {"rms_norm_eps", config.rmsNormEps}})
    if (!std::isfinite(value) || value <= 0)
      return reader.error(key + " (" + formatNumber(value) +
                          ") must be positive");
  if (llvm::Error error =
          reader.readBool("tie_word_embeddings", config.tieWordEmbeddings))
    return std::move(error);
  if (llvm::Error error = reader.readTokenId("bos_token_id", config.bosTokenId))
    return std::move(error);
  if (llvm::Error error = reader.readTokenId("eos_token_id", config.eosTokenId))
    return std::move(error);
  for (auto [key, id] :
       {std::pair<llvm::StringRef, int64_t>{"bos_token_id", config.bosTokenId},
        {"eos_token_id", config.eosTokenId}})
    if (reader.find(key) && id != -1 && (id < 0 || id >= config.vocabSize))
      return reader.error(key + " (" + llvm::Twine(id) +
                          ") is outside the vocabulary (vocab_size " +
                          llvm::Twine(config.vocabSize) + ")");

  if (llvm::Error error = checkUnsupported(reader, config.architecture))
    return std::move(error);

  // Attention shapes.
  if (!hasHeadDim) {
    if (config.hiddenSize % config.numHeads != 0)
      return reader.error("num_attention_heads (" +
                          llvm::Twine(config.numHeads) +
                          ") does not divide hidden_size (" +
                          llvm::Twine(config.hiddenSize) + ")");
    config.headDim = config.hiddenSize / config.numHeads;
    if (config.headDim > kMaxHeadDim)
      return reader.error("head_dim (" + llvm::Twine(config.headDim) +
                          ", hidden_size / num_attention_heads) exceeds " +
                          llvm::Twine(kMaxHeadDim) +
                          ", the largest trilm compiles");
  }
  if (config.headDim % 2 != 0)
    return reader.error("head_dim (" + llvm::Twine(config.headDim) +
                        ") must be even: rotate-half RoPE rotates pairs of "
                        "elements");
  if (!hasKVHeads)
    config.numKVHeads = config.numHeads;
  if (config.numHeads % config.numKVHeads != 0)
    return reader.error("num_key_value_heads (" +
                        llvm::Twine(config.numKVHeads) +
                        ") does not divide num_attention_heads (" +
                        llvm::Twine(config.numHeads) + ")");
  // Within the limits above, so no overflow.
  int64_t queryExtent = config.numHeads * config.headDim;
  int64_t keyValueExtent = config.numKVHeads * config.headDim;
  // BitNet normalises the attention output with a hidden_size norm.
  if (config.architecture == Architecture::BitNet &&
      queryExtent != config.hiddenSize)
    return reader.error("num_attention_heads * head_dim (" +
                        llvm::Twine(queryExtent) +
                        ") differs from hidden_size (" +
                        llvm::Twine(config.hiddenSize) +
                        "), the width of BitNet's attn_sub_norm");

  // TriLM scales: one per model-parallel shard, so every sharded extent must
  // split evenly (column-parallel rows of q, k, v, gate, up; row-parallel
  // columns of o, down).
  int64_t shards = config.modelParallel;
  if (shards < 1 || shards > config.hiddenSize)
    return reader.error("pretraining_model_parallel (" + llvm::Twine(shards) +
                        ") must be between 1 and hidden_size (" +
                        llvm::Twine(config.hiddenSize) + ")");
  struct ShardedExtent {
    const char *name;
    int64_t extent;
    const char *matrices;
  };
  ShardedExtent extents[] = {
      {"intermediate_size", config.intermediateSize,
       "rows of gate_proj and up_proj, columns of down_proj"},
      {"num_attention_heads * head_dim", queryExtent,
       "rows of q_proj, columns of o_proj"},
      {"num_key_value_heads * head_dim", keyValueExtent,
       "rows of k_proj and v_proj"},
  };
  for (const ShardedExtent &sharded : extents)
    if (sharded.extent % shards != 0)
      return reader.error("pretraining_model_parallel (" + llvm::Twine(shards) +
                          ") does not divide " + sharded.name + " (" +
                          llvm::Twine(sharded.extent) + "), the " +
                          sharded.matrices);
  return config;
}
