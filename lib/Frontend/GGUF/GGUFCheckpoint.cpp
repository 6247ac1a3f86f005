//===- GGUFCheckpoint.cpp - A LLaMA model in a GGUF file ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// The configuration comes from the "llama.*" metadata, with the checks the
// Hugging Face config gets; the tensors are mapped to Hugging Face names
// up front, so that a tensor trilm would not read (a bias, RoPE frequencies)
// is an error instead of being ignored. TQ1_0/TQ2_0 blocks are decoded to
// trits and their fp16 `d`, which become block or shard scales.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/GGUF/GGUFCheckpoint.h"

#include "trilm/Packing/Packing.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>

using namespace trilm;
using namespace trilm::gguf;
using import::DType;
using import::LlamaConfig;
using import::ShardAxis;
using import::TensorView;
using import::Ternarize;
using import::TernaryMatrix;

namespace {

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(
                        shape, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

/// The fewest and most shards Shards recovery tries.
constexpr int64_t kMaxRecoveredShards = 8;
/// The elements of one TQ block, and of the scale blocks it gives.
constexpr int64_t kScaleBlock = 256;

/// The extents a ternary weight's shape is made of.
enum class Extent { Hidden, Intermediate, Queries, KeysValues };

/// A decoder block tensor's names in both conventions.
struct LayerTensor {
  llvm::StringLiteral huggingFace, gguf;
};

/// A ternary weight of a decoder block: its names, shape and shard axis.
struct TernaryTensor {
  LayerTensor names;
  Extent rows, cols;
  ShardAxis axis;
};

constexpr TernaryTensor kTernaryTensors[] = {
    {{"self_attn.q_proj.weight", "attn_q.weight"},
     Extent::Queries,
     Extent::Hidden,
     ShardAxis::Rows},
    {{"self_attn.k_proj.weight", "attn_k.weight"},
     Extent::KeysValues,
     Extent::Hidden,
     ShardAxis::Rows},
    {{"self_attn.v_proj.weight", "attn_v.weight"},
     Extent::KeysValues,
     Extent::Hidden,
     ShardAxis::Rows},
    {{"self_attn.o_proj.weight", "attn_output.weight"},
     Extent::Hidden,
     Extent::Queries,
     ShardAxis::Cols},
    {{"mlp.gate_proj.weight", "ffn_gate.weight"},
     Extent::Intermediate,
     Extent::Hidden,
     ShardAxis::Rows},
    {{"mlp.up_proj.weight", "ffn_up.weight"},
     Extent::Intermediate,
     Extent::Hidden,
     ShardAxis::Rows},
    {{"mlp.down_proj.weight", "ffn_down.weight"},
     Extent::Hidden,
     Extent::Intermediate,
     ShardAxis::Cols},
};

constexpr LayerTensor kNorms[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
};

/// The norms of BitNet's attention output and gated activation.
constexpr LayerTensor kBitNetSubNorms[] = {
    {"self_attn.attn_sub_norm.weight", "attn_sub_norm.weight"},
    {"mlp.ffn_sub_norm.weight", "ffn_sub_norm.weight"},
};

int64_t getExtent(Extent extent, const LlamaConfig &config) {
  switch (extent) {
  case Extent::Hidden:
    return config.hiddenSize;
  case Extent::Intermediate:
    return config.intermediateSize;
  case Extent::Queries:
    return config.numHeads * config.headDim;
  case Extent::KeysValues:
    return config.numKVHeads * config.headDim;
  }
  llvm_unreachable("unknown extent");
}

/// Every block tensor's names.
auto layerTensors() {
  return llvm::concat<const LayerTensor>(
      llvm::map_range(kTernaryTensors,
                      [](const TernaryTensor &tensor) -> const LayerTensor & {
                        return tensor.names;
                      }),
      kNorms, kBitNetSubNorms);
}

constexpr std::pair<llvm::StringLiteral, llvm::StringLiteral> kModelTensors[] =
    {{"model.embed_tokens.weight", "token_embd.weight"},
     {"lm_head.weight", "output.weight"},
     {"model.norm.weight", "output_norm.weight"}};

/// The GGUF name of Hugging Face tensor `name`, or "" for none.
std::string toGGUFName(llvm::StringRef name) {
  for (auto [huggingFace, gguf] : kModelTensors)
    if (name == huggingFace)
      return gguf.str();
  unsigned layer;
  if (!name.consume_front("model.layers.") || name.consumeInteger(10, layer) ||
      !name.consume_front("."))
    return "";
  for (const LayerTensor &tensor : layerTensors())
    if (name == tensor.huggingFace)
      return llvm::formatv("blk.{0}.{1}", layer, tensor.gguf).str();
  return "";
}

/// For q and k, the number of heads whose rows llama.cpp's converter
/// interleaved (0 for other tensors, and for BitNet, which it leaves alone).
int64_t permutedHeads(llvm::StringRef name, const LlamaConfig &config) {
  if (config.architecture != import::Architecture::Llama)
    return 0;
  if (name.ends_with("self_attn.q_proj.weight"))
    return config.numHeads;
  if (name.ends_with("self_attn.k_proj.weight"))
    return config.numKVHeads;
  return 0;
}

/// The Hugging Face row of GGUF row `row` of a q or k matrix with `heads`
/// heads: llama.cpp stores each head's rotate-half pairs (i, i + D/2)
/// as adjacent rows (2i, 2i + 1).
int64_t unpermutedRow(int64_t row, int64_t rows, int64_t heads) {
  if (heads == 0)
    return row;
  int64_t headDim = rows / heads;
  int64_t head = row / headDim, within = row % headDim;
  return head * headDim + (within % 2) * (headDim / 2) + within / 2;
}

bool isTernaryType(TensorType type) {
  return type == TensorType::TQ1_0 || type == TensorType::TQ2_0;
}

/// The little-endian fp16 bits at `bytes`.
uint16_t readHalf(const uint8_t *bytes) {
  return uint16_t(bytes[0]) | uint16_t(bytes[1]) << 8;
}

uint16_t blockScaleBits(const uint8_t *block, int64_t blockBytes) {
  // Both TQ layouts end with the block's fp16 d.
  return readHalf(block + blockBytes - 2);
}

class GGUFCheckpoint final : public import::Checkpoint {
public:
  static llvm::Expected<std::unique_ptr<import::Checkpoint>>
  open(llvm::StringRef path, ScaleRecovery scales);

  llvm::Expected<TensorView> getTensor(llvm::StringRef name) const override;
  llvm::Expected<TensorView>
  getTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape) const override;
  bool hasTensor(llvm::StringRef name) const override {
    return find(name) != nullptr;
  }
  llvm::Error checkShape(llvm::StringRef name,
                         llvm::ArrayRef<int64_t> shape) const override;
  int64_t getScaleBlock() const override {
    return scales == ScaleRecovery::Blocks ? kScaleBlock : 0;
  }
  llvm::Expected<TernaryMatrix> getTernary(llvm::StringRef name, int64_t rows,
                                           int64_t cols, ShardAxis axis,
                                           Ternarize mode) const override;

private:
  llvm::Error error(const llvm::Twine &message) const {
    return failure(path + ": " + message);
  }
  const Tensor *find(llvm::StringRef name) const {
    std::string ggufName = toGGUFName(name);
    return ggufName.empty() ? nullptr : file->findTensor(ggufName);
  }
  llvm::Expected<const Tensor *> lookup(llvm::StringRef name) const;
  llvm::Error readConfig();
  /// Every tensor of the file is one the model reads.
  llvm::Error checkTensorNames() const;
  /// The block scales' fp16 bits of ternary weight `name` (rows x cols),
  /// row-major, rows in Hugging Face order.
  llvm::Expected<std::vector<uint16_t>>
  readBlockScales(llvm::StringRef name, int64_t rows, int64_t cols) const;
  /// Shard scales from block scales; std::nullopt when a shard's non-zero
  /// blocks disagree.
  static std::optional<std::vector<float>>
  toShardScales(llvm::ArrayRef<uint16_t> blockScales, int64_t rows,
                int64_t cols, ShardAxis axis, int64_t shards);
  llvm::Error recoverShards();
  /// The factor of ternary weight `name`: its BitNet ".scale" tensor, or 1.
  llvm::Expected<float> weightFactor(llvm::StringRef name) const;

  std::string path;
  std::unique_ptr<File> file;
  ScaleRecovery scales = ScaleRecovery::Blocks;
  /// Q8_0 tensors dequantised to f32 on first use.
  mutable llvm::StringMap<std::vector<float>> dequantised;
};

} // namespace

llvm::Expected<const Tensor *>
GGUFCheckpoint::lookup(llvm::StringRef name) const {
  if (const Tensor *tensor = find(name))
    return tensor;
  std::string ggufName = toGGUFName(name);
  return error("has no tensor '" + (ggufName.empty() ? name.str() : ggufName) +
               "'");
}

llvm::Error GGUFCheckpoint::readConfig() {
  const Value *architecture = file->lookup("general.architecture");
  std::optional<llvm::StringRef> name =
      architecture ? architecture->getString() : std::nullopt;
  if (!name)
    return error("has no general.architecture");
  if (*name != "llama" && *name != "bitnet")
    return error("architecture '" + *name +
                 "' is not supported (trilm compiles GGUF files of "
                 "architecture 'llama' or 'bitnet')");
  // llama.cpp's BitNet graph: LLaMA with sub-norms before attn_output and
  // ffn_down, SiLU gating, rotate-half RoPE on unpermuted q and k.
  if (*name == "bitnet")
    config.architecture = import::Architecture::BitNet;
  std::string prefix = name->str() + ".";
  auto key = [&](llvm::StringRef suffix) { return prefix + suffix.str(); };

  auto integer = [&](llvm::StringRef key, bool required, int64_t limit,
                     int64_t &result) -> llvm::Error {
    const Value *value = file->lookup(key);
    if (!value)
      return required ? error("has no " + key) : llvm::Error::success();
    std::optional<int64_t> number = value->getInteger();
    if (!number)
      return error(
          key + " is not an integer" +
          (value->getArray() ? " (per-layer values are not supported)" : ""));
    if (*number <= 0 || *number > limit)
      return error(key + " (" + llvm::Twine(*number) +
                   ") must be between 1 and " + llvm::Twine(limit));
    result = *number;
    return llvm::Error::success();
  };
  auto number = [&](llvm::StringRef key, bool required,
                    double &result) -> llvm::Error {
    const Value *value = file->lookup(key);
    if (!value)
      return required ? error("has no " + key) : llvm::Error::success();
    std::optional<double> given = value->getFloat();
    if (!given || !std::isfinite(*given) || *given <= 0)
      return error(key + " must be a positive number");
    result = *given;
    return llvm::Error::success();
  };

  config.maxPositions = 2048;
  config.numKVHeads = 0;
  int64_t ropeDims = 0, keyLength = 0, valueLength = 0;
  // The limits of the Hugging Face config reader: every size derived from
  // them fits in 64 bits.
  struct IntegerKey {
    std::string key;
    int64_t &value;
    bool required;
    int64_t limit;
  } keys[] = {
      {key("embedding_length"), config.hiddenSize, true, int64_t(1) << 16},
      {key("feed_forward_length"), config.intermediateSize, true,
       int64_t(1) << 18},
      {key("block_count"), config.numLayers, true, 4096},
      {key("attention.head_count"), config.numHeads, true, 1024},
      {key("attention.head_count_kv"), config.numKVHeads, false, 1024},
      {key("context_length"), config.maxPositions, false, int64_t(1) << 24},
      {key("rope.dimension_count"), ropeDims, false, 1024},
      {key("attention.key_length"), keyLength, false, 1024},
      {key("attention.value_length"), valueLength, false, 1024},
  };
  for (IntegerKey &key : keys)
    if (llvm::Error error =
            integer(key.key, key.required, key.limit, key.value))
      return error;
  if (llvm::Error error =
          number(key("rope.freq_base"), false, config.ropeTheta))
    return error;
  if (llvm::Error error = number(key("attention.layer_norm_rms_epsilon"), true,
                                 config.rmsNormEps))
    return error;

  if (const Value *scaling = file->lookup(key("rope.scaling.type"))) {
    std::optional<llvm::StringRef> type = scaling->getString();
    // llama.cpp's BitNet converter writes linear scaling by 1: none.
    const Value *factor = file->lookup(key("rope.scaling.factor"));
    bool identity = type == "linear" && factor &&
                    factor->getFloat().value_or(0) == 1.0;
    if (!type || (*type != "none" && !identity))
      return error(key("rope.scaling.type") + " (" +
                   (type ? *type : llvm::StringRef("not a string")) +
                   ") is not supported: trilm compiles unscaled RoPE");
  }
  if (const Value *experts = file->lookup(key("expert_count")))
    if (experts->getInteger().value_or(1) != 0)
      return error(key("expert_count") + " is set: mixture-of-experts models are "
                   "not supported");

  if (config.numKVHeads == 0)
    config.numKVHeads = config.numHeads;
  if (keyLength != 0) {
    config.headDim = keyLength;
  } else {
    if (config.hiddenSize % config.numHeads != 0)
      return error(key("attention.head_count") + " (" +
                   llvm::Twine(config.numHeads) +
                   ") does not divide " + key("embedding_length") + " (" +
                   llvm::Twine(config.hiddenSize) + ")");
    config.headDim = config.hiddenSize / config.numHeads;
  }
  if (valueLength != 0 && valueLength != config.headDim)
    return error(key("attention.value_length") + " (" + llvm::Twine(valueLength) +
                 ") differs from the key length (" +
                 llvm::Twine(config.headDim) + ")");
  if (config.headDim % 2 != 0 || config.headDim > 1024)
    return error("the head dimension (" + llvm::Twine(config.headDim) +
                 ") must be even and at most 1024");
  if (ropeDims != 0 && ropeDims != config.headDim)
    return error(key("rope.dimension_count") + " (" + llvm::Twine(ropeDims) +
                 ") differs from the head dimension (" +
                 llvm::Twine(config.headDim) +
                 "): partial RoPE is not supported");
  if (config.numHeads % config.numKVHeads != 0)
    return error(key("attention.head_count_kv") + " (" +
                 llvm::Twine(config.numKVHeads) +
                 ") does not divide " + key("attention.head_count") + " (" +
                 llvm::Twine(config.numHeads) + ")");

  // The vocabulary is the embedding's: llama.cpp writes no vocab_size for
  // LLaMA.
  const Tensor *embedding = file->findTensor("token_embd.weight");
  if (!embedding)
    return error("has no tensor 'token_embd.weight'");
  if (embedding->dims.size() != 2 || embedding->dims[1] > (int64_t(1) << 24))
    return error("tensor 'token_embd.weight' has dimensions " +
                 formatShape(embedding->dims) +
                 "; an embedding is [hidden, vocabulary] with at most 2^24 "
                 "tokens");
  config.vocabSize = embedding->dims[1];
  config.tieWordEmbeddings = !file->findTensor("output.weight");

  for (auto [key, id] : {std::pair<llvm::StringRef, int64_t *>{
                             "tokenizer.ggml.bos_token_id", &config.bosTokenId},
                         {"tokenizer.ggml.eos_token_id", &config.eosTokenId}}) {
    const Value *value = file->lookup(key);
    if (!value)
      continue;
    std::optional<int64_t> given = value->getInteger();
    if (!given || *given >= config.vocabSize)
      return error(key + " is not a token of the " +
                   llvm::Twine(config.vocabSize) + "-token vocabulary");
    *id = *given;
  }
  return llvm::Error::success();
}

llvm::Error GGUFCheckpoint::checkTensorNames() const {
  llvm::StringMap<bool> expected;
  for (auto [huggingFace, gguf] : kModelTensors)
    expected[gguf] = true;
  bool bitnet = config.architecture == import::Architecture::BitNet;
  auto expect = [&](int64_t layer, llvm::StringRef name) {
    expected[llvm::formatv("blk.{0}.{1}", layer, name).str()] = true;
  };
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    for (const TernaryTensor &tensor : kTernaryTensors) {
      expect(layer, tensor.names.gguf);
      // BitNet's optional per-matrix scale, "blk.N.attn_q.scale".
      if (bitnet)
        expect(layer, tensor.names.gguf.drop_back(6).str() + "scale");
    }
    for (const LayerTensor &tensor : kNorms)
      expect(layer, tensor.gguf);
    if (bitnet)
      for (const LayerTensor &tensor : kBitNetSubNorms)
        expect(layer, tensor.gguf);
  }
  for (const Tensor &tensor : file->getTensors())
    if (!expected.contains(tensor.name))
      return error("tensor '" + tensor.name +
                   "' is not part of a LLaMA model as trilm compiles it (no "
                   "biases, RoPE frequency factors or extra layers)");
  return llvm::Error::success();
}

llvm::Expected<TensorView>
GGUFCheckpoint::getTensor(llvm::StringRef name) const {
  llvm::Expected<const Tensor *> found = lookup(name);
  if (!found)
    return found.takeError();
  const Tensor &tensor = **found;
  TensorView view;
  view.name = tensor.name;
  view.shape.assign(tensor.dims.rbegin(), tensor.dims.rend());
  view.bytes = tensor.data;
  switch (tensor.type) {
  case TensorType::F32:
    view.dtype = DType::F32;
    return view;
  case TensorType::F16:
    view.dtype = DType::F16;
    return view;
  case TensorType::BF16:
    view.dtype = DType::BF16;
    return view;
  case TensorType::Q8_0: {
    // Exact in f32: an fp16 d (first in each block) times an int8.
    auto [entry, isNew] = dequantised.try_emplace(tensor.name);
    std::vector<float> &values = entry->second;
    if (isNew) {
      values.resize(tensor.getNumElements());
      BlockLayout layout = getBlockLayout(tensor.type);
      for (int64_t block = 0; block * layout.elements < int64_t(values.size());
           ++block) {
        const uint8_t *bytes = tensor.data.data() + block * layout.bytes;
        float d = packing::halfBitsToFloat(readHalf(bytes));
        for (int64_t i = 0; i < layout.elements; ++i)
          values[block * layout.elements + i] =
              d * static_cast<int8_t>(bytes[2 + i]);
      }
    }
    view.dtype = DType::F32;
    view.bytes = llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(values.data()),
        values.size() * sizeof(float));
    return view;
  }
  case TensorType::TQ1_0:
  case TensorType::TQ2_0:
    break;
  }
  return error("tensor '" + tensor.name + "' is " + getTypeName(tensor.type) +
               "; trilm reads ternary types only as decoder-block weights");
}

llvm::Error GGUFCheckpoint::checkShape(llvm::StringRef name,
                                       llvm::ArrayRef<int64_t> shape) const {
  llvm::Expected<const Tensor *> found = lookup(name);
  if (!found)
    return found.takeError();
  llvm::SmallVector<int64_t> rowMajor((*found)->dims.rbegin(),
                                      (*found)->dims.rend());
  if (llvm::ArrayRef<int64_t>(rowMajor) != shape)
    return error("tensor '" + (*found)->name + "' has shape " +
                 formatShape(rowMajor) +
                 " (rows first), the metadata implies " + formatShape(shape));
  return llvm::Error::success();
}

llvm::Expected<TensorView>
GGUFCheckpoint::getTensor(llvm::StringRef name,
                          llvm::ArrayRef<int64_t> shape) const {
  if (llvm::Error error = checkShape(name, shape))
    return std::move(error);
  return getTensor(name);
}

llvm::Expected<std::vector<uint16_t>>
GGUFCheckpoint::readBlockScales(llvm::StringRef name, int64_t rows,
                                int64_t cols) const {
  if (llvm::Error error = checkShape(name, {rows, cols}))
    return std::move(error);
  const Tensor &tensor = **lookup(name);
  if (!isTernaryType(tensor.type))
    return error("tensor '" + tensor.name + "' is " + getTypeName(tensor.type) +
                 "; trilm compiles GGUF decoder-block weights stored as TQ1_0 "
                 "or TQ2_0 (quantise the file with llama-quantize, or compile "
                 "the Hugging Face checkpoint)");
  BlockLayout layout = getBlockLayout(tensor.type);
  int64_t blocksPerRow = cols / layout.elements;
  int64_t heads = permutedHeads(name, config);
  std::vector<uint16_t> result(rows * blocksPerRow);
  for (int64_t row = 0; row < rows; ++row) {
    int64_t target = unpermutedRow(row, rows, heads);
    for (int64_t block = 0; block < blocksPerRow; ++block)
      result[target * blocksPerRow + block] = blockScaleBits(
          tensor.data.data() + (row * blocksPerRow + block) * layout.bytes,
          layout.bytes);
  }
  return result;
}

std::optional<std::vector<float>>
GGUFCheckpoint::toShardScales(llvm::ArrayRef<uint16_t> blockScales,
                              int64_t rows, int64_t cols, ShardAxis axis,
                              int64_t shards) {
  int64_t blocksPerRow = cols / kScaleBlock;
  bool byRows = axis == ShardAxis::Rows;
  int64_t extent = byRows ? rows : blocksPerRow;
  if (extent % shards != 0)
    return std::nullopt;
  // 0 stands for "no non-zero block yet": a zero block fits any scale.
  std::vector<uint16_t> bits(shards, 0);
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t block = 0; block < blocksPerRow; ++block) {
      uint16_t d = blockScales[row * blocksPerRow + block];
      if ((d & 0x7fff) == 0)
        continue;
      int64_t shard = (byRows ? row : block) / (extent / shards);
      if (bits[shard] == 0)
        bits[shard] = d;
      else if (bits[shard] != d)
        return std::nullopt;
    }
  std::vector<float> result;
  for (uint16_t d : bits) {
    result.push_back(packing::halfBitsToFloat(d));
    if (!std::isfinite(result.back()))
      return std::nullopt;
  }
  return result;
}

llvm::Expected<float>
GGUFCheckpoint::weightFactor(llvm::StringRef name) const {
  std::string scaleName = toGGUFName(name);
  scaleName.replace(scaleName.size() - 6, 6, "scale");
  const Tensor *scale = file->findTensor(scaleName);
  if (!scale)
    return 1.0f;
  if (scale->type != TensorType::F32 || scale->getNumElements() != 1)
    return error("tensor '" + scaleName + "' is not one F32 value");
  float factor;
  std::memcpy(&factor, scale->data.data(), sizeof(float));
  if (!std::isfinite(factor))
    return error("tensor '" + scaleName + "' is not finite");
  return factor;
}

llvm::Error GGUFCheckpoint::recoverShards() {
  llvm::SmallVector<int64_t> candidates =
      llvm::to_vector(llvm::seq<int64_t>(1, kMaxRecoveredShards + 1));
  for (int64_t layer = 0; layer < config.numLayers; ++layer)
    for (const TernaryTensor &tensor : kTernaryTensors) {
      std::string name =
          llvm::formatv("model.layers.{0}.{1}", layer, tensor.names.huggingFace)
              .str();
      int64_t rows = getExtent(tensor.rows, config);
      int64_t cols = getExtent(tensor.cols, config);
      auto blockScales = readBlockScales(name, rows, cols);
      if (!blockScales)
        return blockScales.takeError();
      llvm::erase_if(candidates, [&](int64_t shards) {
        return !toShardScales(*blockScales, rows, cols, tensor.axis, shards);
      });
      if (candidates.empty())
        return error(
            "no shard count from 1 to " + llvm::Twine(kMaxRecoveredShards) +
            " gives the non-zero 256-blocks of each shard of tensor 'blk." +
            llvm::Twine(layer) + "." + tensor.names.gguf +
            "' one scale; compile it with block scales (--gguf-scales=blocks)");
    }
  config.modelParallel = candidates.front();
  return llvm::Error::success();
}

llvm::Expected<TernaryMatrix>
GGUFCheckpoint::getTernary(llvm::StringRef name, int64_t rows, int64_t cols,
                           ShardAxis axis, Ternarize) const {
  // TQ weights are ternary already: there is nothing to ternarise.
  auto blockScales = readBlockScales(name, rows, cols);
  if (!blockScales)
    return blockScales.takeError();
  const Tensor &tensor = **lookup(name);
  BlockLayout layout = getBlockLayout(tensor.type);
  int64_t blocksPerRow = cols / layout.elements;
  int64_t heads = permutedHeads(name, config);

  TernaryMatrix matrix;
  matrix.rows = rows;
  matrix.cols = cols;
  matrix.axis = axis;
  matrix.trits.resize(rows * cols);
  for (int64_t row = 0; row < rows; ++row) {
    int8_t *trits =
        matrix.trits.data() + unpermutedRow(row, rows, heads) * cols;
    for (int64_t block = 0; block < blocksPerRow; ++block) {
      const uint8_t *bytes =
          tensor.data.data() + (row * blocksPerRow + block) * layout.bytes;
      packing::Status status =
          tensor.type == TensorType::TQ2_0
              ? packing::decodeTQ2_0Block(bytes, trits + block * kScaleBlock,
                                          nullptr)
              : packing::decodeTQ1_0Block(bytes, trits + block * kScaleBlock,
                                          nullptr);
      if (!status.ok())
        return error("tensor '" + tensor.name + "', row " + llvm::Twine(row) +
                     ", block " + llvm::Twine(block) + ": " + status.message);
    }
  }
  import::releasePages(tensor.data);

  auto factor = weightFactor(name);
  if (!factor)
    return factor.takeError();
  if (scales == ScaleRecovery::Shards) {
    // recoverShards chose a shard count that fits every matrix.
    matrix.scales =
        *toShardScales(*blockScales, rows, cols, axis, config.modelParallel);
    for (float &scale : matrix.scales)
      scale *= *factor;
    return matrix;
  }
  matrix.scales.reserve(blockScales->size());
  for (auto [index, bits] : llvm::enumerate(*blockScales)) {
    float scale = packing::halfBitsToFloat(bits);
    if (!std::isfinite(scale))
      return error("tensor '" + tensor.name +
                   "' has a non-finite scale in "
                   "block " +
                   llvm::Twine(index % blocksPerRow) + " of row " +
                   llvm::Twine(index / blocksPerRow));
    matrix.scales.push_back(scale * *factor);
  }
  return matrix;
}

llvm::Expected<std::unique_ptr<import::Checkpoint>>
GGUFCheckpoint::open(llvm::StringRef path, ScaleRecovery scales) {
  llvm::Expected<std::unique_ptr<File>> file = File::open(path);
  if (!file)
    return file.takeError();
  std::unique_ptr<GGUFCheckpoint> checkpoint(new GGUFCheckpoint());
  checkpoint->path = path.str();
  checkpoint->file = std::move(*file);
  checkpoint->scales = scales;
  if (llvm::Error error = checkpoint->readConfig())
    return std::move(error);
  if (llvm::Error error = checkpoint->checkTensorNames())
    return std::move(error);
  if (scales == ScaleRecovery::Shards)
    if (llvm::Error error = checkpoint->recoverShards())
      return std::move(error);
  return std::unique_ptr<import::Checkpoint>(std::move(checkpoint));
}

llvm::Expected<std::unique_ptr<import::Checkpoint>>
trilm::gguf::openCheckpoint(llvm::StringRef path, ScaleRecovery scales) {
  return GGUFCheckpoint::open(path, scales);
}
