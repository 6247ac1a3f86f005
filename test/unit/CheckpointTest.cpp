//===- CheckpointTest.cpp - Tests for the checkpoint importer -------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// Every test writes its own checkpoint into a fresh temporary directory with
// the small safetensors writer below. Element encodings come from the
// compiler (_Float16) or are spelled out as bits, never from the importer.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/HuggingFace/Checkpoint.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "ErrorMatchers.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

using namespace trilm::import;
using trilm::testing::errorText;

namespace {

//===----------------------------------------------------------------------===//
// Encoders and a safetensors writer
//===----------------------------------------------------------------------===//

uint16_t f16Bits(float value) {
  _Float16 half = static_cast<_Float16>(value);
  uint16_t bits;
  std::memcpy(&bits, &half, sizeof(bits));
  return bits;
}

float f16Value(uint16_t bits) {
  _Float16 half;
  std::memcpy(&half, &bits, sizeof(bits));
  return static_cast<float>(half);
}

/// Round to nearest even; finite inputs only.
uint16_t bf16Bits(float value) {
  uint32_t bits = llvm::bit_cast<uint32_t>(value);
  return static_cast<uint16_t>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

float bf16Value(uint16_t bits) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

void appendLE(std::vector<uint8_t> &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

/// A tensor to write: its header fields and little-endian element bytes.
struct TensorSpec {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

TensorSpec f16BitsTensor(std::string name, std::vector<int64_t> shape,
                         llvm::ArrayRef<uint16_t> bits) {
  TensorSpec spec{std::move(name), "F16", std::move(shape), {}};
  for (uint16_t element : bits)
    appendLE(spec.data, element, 2);
  return spec;
}

TensorSpec bf16BitsTensor(std::string name, std::vector<int64_t> shape,
                          llvm::ArrayRef<uint16_t> bits) {
  TensorSpec spec{std::move(name), "BF16", std::move(shape), {}};
  for (uint16_t element : bits)
    appendLE(spec.data, element, 2);
  return spec;
}

TensorSpec f32Tensor(std::string name, std::vector<int64_t> shape,
                     llvm::ArrayRef<float> values) {
  TensorSpec spec{std::move(name), "F32", std::move(shape), {}};
  for (float value : values)
    appendLE(spec.data, llvm::bit_cast<uint32_t>(value), 4);
  return spec;
}

TensorSpec f16Tensor(std::string name, std::vector<int64_t> shape,
                     llvm::ArrayRef<float> values) {
  std::vector<uint16_t> bits;
  for (float value : values)
    bits.push_back(f16Bits(value));
  return f16BitsTensor(std::move(name), std::move(shape), bits);
}

/// A safetensors file from raw header text and data bytes.
std::string safetensorsBytes(llvm::StringRef header,
                             llvm::ArrayRef<uint8_t> data = {}) {
  std::vector<uint8_t> bytes;
  appendLE(bytes, header.size(), 8);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return std::string(bytes.begin(), bytes.end());
}

/// A well-formed safetensors file holding `tensors` back to back, with a
/// __metadata__ entry as PyTorch writes it. `headerPadding` spaces after the
/// JSON move the data section (and so its alignment).
std::string safetensorsBytes(llvm::ArrayRef<TensorSpec> tensors,
                             int headerPadding = 0) {
  llvm::json::Object header;
  header["__metadata__"] = llvm::json::Object{{"format", "pt"}};
  std::vector<uint8_t> data;
  for (const TensorSpec &tensor : tensors) {
    int64_t begin = data.size();
    data.insert(data.end(), tensor.data.begin(), tensor.data.end());
    llvm::json::Array shape;
    for (int64_t extent : tensor.shape)
      shape.push_back(extent);
    header[tensor.name] = llvm::json::Object{
        {"dtype", tensor.dtype},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{begin, int64_t(data.size())}}};
  }
  std::string text =
      llvm::formatv("{0}", llvm::json::Value(std::move(header))).str();
  text.append(headerPadding, ' ');
  return safetensorsBytes(text, data);
}

/// A small valid TriLM config.json: hidden 64, 4 heads of 16, ffn 96.
llvm::json::Object baseConfig() {
  return llvm::json::Object{
      {"architectures", llvm::json::Array{"LlamaForCausalLM"}},
      {"model_type", "llama"},
      {"vocab_size", 32},
      {"hidden_size", 64},
      {"intermediate_size", 96},
      {"num_hidden_layers", 2},
      {"num_attention_heads", 4},
      {"max_position_embeddings", 128},
      {"rms_norm_eps", 1e-5},
      {"rope_theta", 10000.0},
      {"tie_word_embeddings", false},
      {"bos_token_id", 0},
      {"eos_token_id", 0},
      {"hidden_act", "silu"},
      {"pretraining_model_parallel", 1},
      {"torch_dtype", "float16"},
      {"rotary_pct", 1.0},
  };
}

std::string configText(llvm::function_ref<void(llvm::json::Object &)> edit =
                           [](llvm::json::Object &) {}) {
  llvm::json::Object config = baseConfig();
  edit(config);
  return llvm::formatv("{0:2}", llvm::json::Value(std::move(config))).str();
}


//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

TEST(LlamaConfigTest, ReadsEveryField) {
  llvm::Expected<LlamaConfig> config =
      parseLlamaConfig(configText([](llvm::json::Object &c) {
                         c["num_key_value_heads"] = 2;
                         c["head_dim"] = 32;
                         c["rope_theta"] = 500000;
                         c["tie_word_embeddings"] = true;
                         c["bos_token_id"] = 1;
                         c["eos_token_id"] = llvm::json::Array{2, 3};
                         c["pretraining_model_parallel"] = 2;
                       }),
                       "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->vocabSize, 32);
  EXPECT_EQ(config->hiddenSize, 64);
  EXPECT_EQ(config->intermediateSize, 96);
  EXPECT_EQ(config->numLayers, 2);
  EXPECT_EQ(config->numHeads, 4);
  EXPECT_EQ(config->numKVHeads, 2);
  EXPECT_EQ(config->headDim, 32);
  EXPECT_EQ(config->maxPositions, 128);
  EXPECT_EQ(config->modelParallel, 2);
  EXPECT_EQ(config->ropeTheta, 500000.0);
  EXPECT_EQ(config->rmsNormEps, 1e-5);
  EXPECT_TRUE(config->tieWordEmbeddings);
  EXPECT_EQ(config->bosTokenId, 1);
  EXPECT_EQ(config->eosTokenId, 2);
}

TEST(LlamaConfigTest, Defaults) {
  llvm::Expected<LlamaConfig> config = parseLlamaConfig(
      configText([](llvm::json::Object &c) {
        for (llvm::StringRef key :
             {"max_position_embeddings", "rms_norm_eps", "rope_theta",
              "tie_word_embeddings", "bos_token_id", "hidden_act",
              "pretraining_model_parallel", "architectures"})
          c.erase(key);
        // Unset optional fields are often written as null.
        c["eos_token_id"] = nullptr;
        c["num_key_value_heads"] = nullptr;
        c["rope_scaling"] = nullptr;
      }),
      "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  EXPECT_EQ(config->numKVHeads, 4);
  EXPECT_EQ(config->headDim, 16);
  EXPECT_EQ(config->maxPositions, 2048);
  EXPECT_EQ(config->modelParallel, 1);
  EXPECT_EQ(config->ropeTheta, 10000.0);
  EXPECT_EQ(config->rmsNormEps, 1e-6);
  EXPECT_FALSE(config->tieWordEmbeddings);
  EXPECT_EQ(config->bosTokenId, -1);
  EXPECT_EQ(config->eosTokenId, -1);
}

TEST(LlamaConfigTest, RejectsOtherArchitectures) {
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["architectures"] =
                                      llvm::json::Array{"BitNetForCausalLM"};
                                  c["model_type"] = "bitnet";
                                }),
                                "config.json"),
               "config.json: a BitNetForCausalLM config needs a "
               "quantization_config with quant_method \"bitnet\"");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c.erase("architectures");
                                  c["model_type"] = "gpt_neox";
                                }),
                                "config.json"),
               "config.json: model_type is \"gpt_neox\"; trilm compiles "
               "LlamaForCausalLM (TriLM) and BitNetForCausalLM");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c.erase("architectures");
                                  c.erase("model_type");
                                }),
                                "config.json"),
               "trilm compiles LlamaForCausalLM (TriLM) and BitNetForCausalLM");
  // A non-empty "architectures" wins over model_type: early BitNet
  // checkpoints call themselves "llama" but compute differently.
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["architectures"] =
                                      llvm::json::Array{"BitnetForCausalLM"};
                                }),
                                "config.json"),
               "config.json: architecture is BitnetForCausalLM; trilm "
               "compiles LlamaForCausalLM (TriLM) and BitNetForCausalLM");
  EXPECT_TRUE(bool(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                      c["architectures"] = llvm::json::Array{};
                                    }),
                                    "config.json")));
}

TEST(LlamaConfigTest, BitNet) {
  auto bitnet = [](llvm::json::Object quantization) {
    return [quantization](llvm::json::Object &c) {
      c["architectures"] = llvm::json::Array{"BitNetForCausalLM"};
      c["hidden_act"] = "relu2";
      c["quantization_config"] = llvm::json::Object(quantization);
      c.erase("pretraining_model_parallel");
    };
  };
  std::pair<llvm::json::Object, BitNetWeights> cases[] = {
      {llvm::json::Object{{"quant_method", "bitnet"}},
       BitNetWeights::PackedDividing},
      {llvm::json::Object{{"quant_method", "bitnet"},
                          {"linear_class", "autobitlinear"}},
       BitNetWeights::PackedMultiplying},
      {llvm::json::Object{{"quant_method", "bitnet"},
                          {"linear_class", "autobitlinear"},
                          {"quantization_mode", "online"}},
       BitNetWeights::Latent},
  };
  for (auto &[quantization, weights] : cases) {
    llvm::Expected<LlamaConfig> config =
        parseLlamaConfig(configText(bitnet(quantization)), "config.json");
    ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
    EXPECT_EQ(config->architecture, Architecture::BitNet);
    EXPECT_EQ(config->activation, Activation::ReLU2);
    EXPECT_EQ(config->bitnetWeights, weights);
  }
  llvm::json::Object valid{{"quant_method", "bitnet"}};
  EXPECT_ERROR(
      parseLlamaConfig(configText([&](llvm::json::Object &c) {
                         bitnet(valid)(c);
                         c["quantization_config"] = llvm::json::Object{
                             {"quant_method", "bitnet"},
                             {"linear_class", "linear"}};
                       }),
                       "config.json"),
      "quantization_config.linear_class must be \"bitlinear\" or "
      "\"autobitlinear\"");
  EXPECT_ERROR(parseLlamaConfig(configText([&](llvm::json::Object &c) {
                                  bitnet(valid)(c);
                                  c["hidden_act"] = "silu";
                                }),
                                "config.json"),
               "hidden_act is \"silu\"; trilm supports \"relu2\" for this "
               "architecture");
  EXPECT_ERROR(parseLlamaConfig(configText([&](llvm::json::Object &c) {
                                  bitnet(valid)(c);
                                  c["pretraining_model_parallel"] = 2;
                                }),
                                "config.json"),
               "pretraining_model_parallel is a TriLM field; BitNet has one "
               "scale per matrix");
  EXPECT_ERROR(parseLlamaConfig(configText([&](llvm::json::Object &c) {
                                  bitnet(valid)(c);
                                  c["head_dim"] = 8;
                                }),
                                "config.json"),
               "differs from hidden_size");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["hidden_act"] = "relu2";
                                }),
                                "config.json"),
               "hidden_act is \"relu2\"; trilm supports \"silu\" for this "
               "architecture");
}

TEST(LlamaConfigTest, MissingAndMistypedFields) {
  for (llvm::StringRef key : {"vocab_size", "hidden_size", "intermediate_size",
                              "num_hidden_layers", "num_attention_heads"}) {
    EXPECT_ERROR(parseLlamaConfig(
                     configText([&](llvm::json::Object &c) { c.erase(key); }),
                     "config.json"),
                 ("config.json: missing field '" + key + "'").str());
  }
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["hidden_size"] = "64";
                                }),
                                "config.json"),
               "config.json: field 'hidden_size' is \"64\", not an integer");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["rope_theta"] = "big";
                                }),
                                "config.json"),
               "field 'rope_theta' is \"big\", not a number");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["tie_word_embeddings"] = 1;
                                }),
                                "config.json"),
               "field 'tie_word_embeddings' is 1, not true or false");
}

TEST(LlamaConfigTest, RejectsNonPositiveValues) {
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["num_hidden_layers"] = 0;
                                }),
                                "config.json"),
               "config.json: num_hidden_layers (0) must be positive");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["head_dim"] = -16;
                                }),
                                "config.json"),
               "config.json: head_dim (-16) must be positive");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["rms_norm_eps"] = 0;
                                }),
                                "config.json"),
               "config.json: rms_norm_eps (0) must be positive");
}

TEST(LlamaConfigTest, RejectsValuesBeyondLimits) {
  // Sizes are derived from these before the tensors are read; absurd values
  // must stop here rather than overflow or exhaust memory later.
  for (auto [key, value, limit] :
       {std::tuple<const char *, int64_t, const char *>{
            "num_hidden_layers", int64_t(1) << 62, "4096"},
        {"num_hidden_layers", 1000000000, "4096"},
        {"intermediate_size", std::numeric_limits<int64_t>::max(), "262144"},
        {"intermediate_size", int64_t(1) << 40, "262144"},
        {"head_dim", int64_t(1) << 40, "1024"},
        {"vocab_size", int64_t(1) << 40, "16777216"},
        {"max_position_embeddings", int64_t(1) << 62, "16777216"}}) {
    std::string expected = std::string("config.json: ") + key + " (" +
                           std::to_string(value) + ") exceeds " + limit +
                           ", the largest trilm compiles";
    const char *field = key;
    int64_t fieldValue = value;
    EXPECT_ERROR(parseLlamaConfig(configText([&](llvm::json::Object &c) {
                                    c[field] = fieldValue;
                                  }),
                                  "config.json"),
                 expected);
  }
}

TEST(LlamaConfigTest, BoundsDerivedHeadDim) {
  // Found by the llama-config fuzz target: one head of the whole width.
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["hidden_size"] = 1536;
                                  c["num_attention_heads"] = 1;
                                }),
                                "config.json"),
               "config.json: head_dim (1536, hidden_size / "
               "num_attention_heads) exceeds 1024");
}

TEST(LlamaConfigTest, RejectsOddHeadDim) {
  for (int64_t headDim : {1, 15})
    EXPECT_ERROR(parseLlamaConfig(configText([&](llvm::json::Object &c) {
                                    c["head_dim"] = headDim;
                                  }),
                                  "config.json"),
                 "config.json: head_dim (" + std::to_string(headDim) +
                     ") must be even: rotate-half RoPE rotates pairs");
  // Derived from hidden_size / num_attention_heads: 64 / 64 = 1.
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["num_attention_heads"] = 64;
                                }),
                                "config.json"),
               "config.json: head_dim (1) must be even");
}

TEST(LlamaConfigTest, RejectsDeeplyNestedJSON) {
  std::string deep = std::string(50000, '[') + std::string(50000, ']');
  EXPECT_ERROR(parseLlamaConfig(deep, "config.json"),
               "config.json: invalid JSON at line 1: nested deeper than 64 "
               "levels");
  // Brackets inside strings do not nest.
  std::string quoted = configText([](llvm::json::Object &c) {
    c["comment"] = std::string(1000, '[') + "\\\"{";
  });
  EXPECT_TRUE(static_cast<bool>(parseLlamaConfig(quoted, "config.json")));
}

TEST(LlamaConfigTest, RejectsInconsistentAttentionShapes) {
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["num_attention_heads"] = 7;
                                }),
                                "config.json"),
               "config.json: num_attention_heads (7) does not divide "
               "hidden_size (64)");
  // An explicit head_dim lifts that constraint.
  EXPECT_TRUE(bool(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                      c["num_attention_heads"] = 7;
                                      c["head_dim"] = 8;
                                    }),
                                    "config.json")));
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["num_key_value_heads"] = 3;
                                }),
                                "config.json"),
               "config.json: num_key_value_heads (3) does not divide "
               "num_attention_heads (4)");
}

TEST(LlamaConfigTest, RejectsUnsupportedFeatures) {
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["rope_scaling"] = llvm::json::Object{
                                      {"type", "linear"}, {"factor", 2.0}};
                                }),
                                "config.json"),
               "config.json: rope_scaling is not supported");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["hidden_act"] = "gelu";
                                }),
                                "config.json"),
               "config.json: hidden_act is \"gelu\"; trilm supports \"silu\" "
               "for this architecture");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["attention_bias"] = true;
                                }),
                                "config.json"),
               "config.json: attention_bias is true");
  EXPECT_ERROR(parseLlamaConfig(configText([](llvm::json::Object &c) {
                                  c["eos_token_id"] = 32;
                                }),
                                "config.json"),
               "config.json: eos_token_id (32) is outside the vocabulary");
}

TEST(LlamaConfigTest, ChecksModelParallelShards) {
  auto withShards = [](int64_t shards, int64_t kvHeads = 4) {
    return parseLlamaConfig(configText([&](llvm::json::Object &c) {
                              c["pretraining_model_parallel"] = shards;
                              c["num_key_value_heads"] = kvHeads;
                            }),
                            "config.json");
  };
  EXPECT_ERROR(withShards(0), "config.json: pretraining_model_parallel (0) "
                              "must be between 1 and hidden_size (64)");
  EXPECT_ERROR(withShards(65), "config.json: pretraining_model_parallel (65) "
                               "must be between 1 and hidden_size (64)");
  EXPECT_ERROR(withShards(5), "config.json: pretraining_model_parallel (5) "
                              "does not divide intermediate_size (96)");
  EXPECT_ERROR(withShards(3), "config.json: pretraining_model_parallel (3) "
                              "does not divide num_attention_heads * head_dim "
                              "(64)");
  // 1 KV head of 16: k_proj and v_proj have 16 rows.
  EXPECT_ERROR(withShards(32, 1),
               "config.json: pretraining_model_parallel (32) does not divide "
               "num_key_value_heads * head_dim (16)");
  EXPECT_TRUE(bool(withShards(16, 1)));
}

TEST(LlamaConfigTest, RejectsInvalidJSON) {
  EXPECT_ERROR(
      parseLlamaConfig("{\n  \"vocab_size\": 32,\n  oops\n}", "config.json"),
      "config.json: invalid JSON at line 3: ");
  EXPECT_ERROR(parseLlamaConfig("[1, 2]", "config.json"),
               "config.json: not a JSON object");
}

//===----------------------------------------------------------------------===//
// Checkpoint directories
//===----------------------------------------------------------------------===//

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::error_code error =
        llvm::sys::fs::createUniqueDirectory("trilm-checkpoint-test", dir);
    ASSERT_FALSE(error) << error.message();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> result(dir);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }

  void writeFile(llvm::StringRef name, llvm::StringRef contents) {
    std::error_code error;
    llvm::raw_fd_ostream out(path(name), error);
    ASSERT_FALSE(error) << error.message();
    out << contents;
  }

  void writeConfig() { writeFile("config.json", configText()); }

  /// Writes config.json and a model.safetensors with `contents`, and opens
  /// the directory.
  llvm::Expected<std::unique_ptr<Checkpoint>>
  openWithWeights(llvm::StringRef contents) {
    writeConfig();
    writeFile("model.safetensors", contents);
    return Checkpoint::open(dir);
  }

  /// A one-entry header with the given entry JSON, for malformed entries.
  llvm::Expected<std::unique_ptr<Checkpoint>>
  openWithEntry(llvm::StringRef entry, llvm::ArrayRef<uint8_t> data) {
    return openWithWeights(
        safetensorsBytes(("{\"w\": " + entry + "}").str(), data));
  }

  llvm::SmallString<128> dir;
};

TEST_F(CheckpointTest, ReadsSingleFileExactly) {
  // f16: 1, -2, smallest and largest subnormal, -0, largest normal, inf,
  // -inf, NaN, 1/3 rounded.
  std::vector<uint16_t> halfBits = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x8000,
                                    0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x3555};
  // bf16: 1, -5, smallest subnormal, -0, inf, 0.0078125.
  std::vector<uint16_t> bfloatBits = {0x3f80, 0xc0a0, 0x0001,
                                      0x8000, 0x7f80, 0x3c00};
  std::vector<float> floats = {0.1f, -1e-40f, 3.0e38f, -0.0f};
  writeConfig();
  writeFile("model.safetensors",
            safetensorsBytes({f16BitsTensor("half", {2, 5}, halfBits),
                              bf16BitsTensor("bfloat", {6}, bfloatBits),
                              f32Tensor("float", {2, 1, 2}, floats)},
                             /*headerPadding=*/3));
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_EQ((*checkpoint)->getConfig().hiddenSize, 64);
  EXPECT_TRUE((*checkpoint)->hasTensor("half"));
  EXPECT_FALSE((*checkpoint)->hasTensor("__metadata__"));

  llvm::Expected<TensorView> half = (*checkpoint)->getTensor("half", {2, 5});
  ASSERT_TRUE(bool(half)) << llvm::toString(half.takeError());
  EXPECT_EQ(half->dtype, DType::F16);
  ASSERT_EQ(half->numElements(), 10);
  EXPECT_EQ(half->at(0), 1.0f);
  EXPECT_EQ(half->at(1), -2.0f);
  EXPECT_EQ(half->at(2), std::ldexp(1.0f, -24));
  EXPECT_EQ(half->at(3), std::ldexp(1023.0f, -24));
  EXPECT_EQ(half->at(4), 0.0f);
  EXPECT_TRUE(std::signbit(half->at(4)));
  EXPECT_EQ(half->at(5), 65504.0f);
  EXPECT_EQ(half->at(6), std::numeric_limits<float>::infinity());
  EXPECT_EQ(half->at(7), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half->at(8)));
  EXPECT_EQ(half->at(9), 0.333251953125f);

  llvm::Expected<TensorView> bfloat = (*checkpoint)->getTensor("bfloat");
  ASSERT_TRUE(bool(bfloat)) << llvm::toString(bfloat.takeError());
  EXPECT_EQ(bfloat->dtype, DType::BF16);
  std::vector<float> bfloatValues(6);
  bfloat->read(0, bfloatValues);
  EXPECT_EQ(bfloatValues[0], 1.0f);
  EXPECT_EQ(bfloatValues[1], -5.0f);
  EXPECT_EQ(bfloatValues[2], std::ldexp(1.0f, -133));
  EXPECT_EQ(bfloatValues[3], 0.0f);
  EXPECT_TRUE(std::signbit(bfloatValues[3]));
  EXPECT_EQ(bfloatValues[4], std::numeric_limits<float>::infinity());
  EXPECT_EQ(bfloatValues[5], 0.0078125f);

  llvm::Expected<TensorView> single =
      (*checkpoint)->getTensor("float", {2, 1, 2});
  ASSERT_TRUE(bool(single)) << llvm::toString(single.takeError());
  std::vector<float> floatValues(3);
  single->read(1, floatValues);
  EXPECT_EQ(single->at(0), 0.1f);
  EXPECT_EQ(floatValues[0], -1e-40f);
  EXPECT_EQ(floatValues[1], 3.0e38f);
  EXPECT_EQ(floatValues[2], 0.0f);
  EXPECT_TRUE(std::signbit(floatValues[2]));
}

TEST_F(CheckpointTest, ConvertsEveryHalfExactly) {
  std::vector<uint16_t> allBits(1 << 16);
  for (size_t i = 0; i < allBits.size(); ++i)
    allBits[i] = static_cast<uint16_t>(i);
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint = openWithWeights(
      safetensorsBytes({f16BitsTensor("all", {1 << 16}, allBits)}));
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  llvm::Expected<TensorView> all = (*checkpoint)->getTensor("all");
  ASSERT_TRUE(bool(all)) << llvm::toString(all.takeError());
  std::vector<float> values(1 << 16);
  all->read(0, values);
  for (uint32_t bits = 0; bits < (1u << 16); ++bits) {
    float expected = f16Value(static_cast<uint16_t>(bits));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(values[bits])) << bits;
      continue;
    }
    ASSERT_EQ(llvm::bit_cast<uint32_t>(values[bits]),
              llvm::bit_cast<uint32_t>(expected))
        << "f16 bits " << bits;
    ASSERT_EQ(llvm::bit_cast<uint32_t>(all->at(bits)),
              llvm::bit_cast<uint32_t>(expected));
  }
}

TEST_F(CheckpointTest, ReadsShardedCheckpoint) {
  writeConfig();
  writeFile("model-00001-of-00002.safetensors",
            safetensorsBytes({f32Tensor("a", {2}, {1.5f, -2.5f}),
                              f16Tensor("b", {1}, {0.25f})}));
  writeFile("model-00002-of-00002.safetensors",
            safetensorsBytes({bf16BitsTensor("c", {2}, {0x4040, 0xbf80}),
                              f32Tensor("unlisted", {1}, {7.0f})}));
  writeFile("model.safetensors.index.json",
            R"({"metadata": {"total_size": 18},
                "weight_map": {"a": "model-00001-of-00002.safetensors",
                               "b": "model-00001-of-00002.safetensors",
                               "c": "model-00002-of-00002.safetensors"}})");
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint =
      Checkpoint::open(dir);
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  llvm::Expected<TensorView> a = (*checkpoint)->getTensor("a", {2});
  llvm::Expected<TensorView> b = (*checkpoint)->getTensor("b", {1});
  llvm::Expected<TensorView> c = (*checkpoint)->getTensor("c", {2});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->at(0), 1.5f);
  EXPECT_EQ(a->at(1), -2.5f);
  EXPECT_EQ(b->at(0), 0.25f);
  EXPECT_EQ(c->at(0), 3.0f);
  EXPECT_EQ(c->at(1), -1.0f);
  // Only what weight_map lists is part of the model.
  EXPECT_FALSE((*checkpoint)->hasTensor("unlisted"));
}

TEST_F(CheckpointTest, TensorLookupErrors) {
  std::vector<float> zeros(64 * 32, 0.0f);
  llvm::Expected<std::unique_ptr<Checkpoint>> checkpoint =
      openWithWeights(safetensorsBytes(
          {f16Tensor("model.layers.0.mlp.up_proj.weight", {64, 32}, zeros)}));
  ASSERT_TRUE(bool(checkpoint)) << llvm::toString(checkpoint.takeError());
  EXPECT_ERROR((*checkpoint)->getTensor("lm_head.weight"),
               "checkpoint " + dir.str().str() +
                   " has no tensor 'lm_head.weight'");
  EXPECT_ERROR((*checkpoint)->getTensor("lm_head.weight", {32, 64}),
               "has no tensor 'lm_head.weight'");
  EXPECT_ERROR(
      (*checkpoint)->getTensor("model.layers.0.mlp.up_proj.weight", {96, 32}),
      path("model.safetensors") +
          ": tensor 'model.layers.0.mlp.up_proj.weight' has shape [64, 32], "
          "config.json implies [96, 32]");
  EXPECT_ERROR(
      (*checkpoint)->getTensor("model.layers.0.mlp.up_proj.weight", {2048}),
      "has shape [64, 32], config.json implies [2048]");
}

TEST_F(CheckpointTest, DirectoryErrors) {
  EXPECT_ERROR(Checkpoint::open(path("absent")),
               "checkpoint directory " + path("absent") + " does not exist");
  writeFile("file", "x");
  EXPECT_ERROR(Checkpoint::open(path("file")), "is not a directory");
  EXPECT_ERROR(Checkpoint::open(dir), "checkpoint directory " +
                                          dir.str().str() +
                                          " has no config.json");
  writeFile("config.json", "{");
  EXPECT_ERROR(Checkpoint::open(dir),
               path("config.json") + ": invalid JSON at line 1: ");
  writeConfig();
  EXPECT_ERROR(Checkpoint::open(dir),
               "no model.safetensors or model.safetensors.index.json in " +
                   dir.str().str());
}

TEST_F(CheckpointTest, OpensOnlyRegularFiles) {
  // A FIFO would block the reader forever, /dev/zero would grow it without
  // end; both are refused before they are opened.
  ASSERT_EQ(mkfifo(path("config.json").c_str(), 0600), 0);
  EXPECT_ERROR(Checkpoint::open(dir),
               path("config.json") + ": not a regular file");
  ASSERT_EQ(::unlink(path("config.json").c_str()), 0);
  writeConfig();
  ASSERT_FALSE(llvm::sys::fs::create_link("/dev/zero",
                                          path("model.safetensors")));
  EXPECT_ERROR(Checkpoint::open(dir),
               path("model.safetensors") + ": not a regular file");
}

TEST_F(CheckpointTest, RejectsDeeplyNestedHeaders) {
  std::string deep = std::string(100000, '{');
  EXPECT_ERROR(openWithWeights(safetensorsBytes(deep)),
               path("model.safetensors") +
                   ": header: invalid JSON at line 1: nested deeper than 64 "
                   "levels");
  writeFile("model.safetensors.index.json", "{\"weight_map\": " + deep);
  EXPECT_ERROR(Checkpoint::open(dir),
               path("model.safetensors.index.json") +
                   ": invalid JSON at line 1: nested deeper than 64 levels");
}

TEST_F(CheckpointTest, IndexErrors) {
  writeConfig();
  std::string indexPath = path("model.safetensors.index.json");
  writeFile("model.safetensors.index.json", "{\"weight_map\": ");
  EXPECT_ERROR(Checkpoint::open(dir), indexPath + ": invalid JSON at line 1");
  writeFile("model.safetensors.index.json", "{\"metadata\": {}}");
  EXPECT_ERROR(Checkpoint::open(dir), indexPath + ": no 'weight_map' object");
  writeFile("model.safetensors.index.json", R"({"weight_map": {"a": 3}})");
  EXPECT_ERROR(Checkpoint::open(dir),
               "weight_map entry for tensor 'a' is not a file name");

  writeFile("model-00001-of-00002.safetensors",
            safetensorsBytes({f32Tensor("a", {1}, {1.0f})}));
  writeFile("model.safetensors.index.json",
            R"({"weight_map": {"a": "model-00001-of-00002.safetensors",
                               "b": "model-00002-of-00002.safetensors"}})");
  EXPECT_ERROR(Checkpoint::open(dir),
               indexPath + ": weight_map puts tensor 'b' in "
                           "model-00002-of-00002.safetensors, which does not "
                           "exist");
  writeFile("model.safetensors.index.json",
            R"({"weight_map": {"a": "model-00001-of-00002.safetensors",
                               "b": "model-00001-of-00002.safetensors"}})");
  EXPECT_ERROR(Checkpoint::open(dir),
               indexPath + ": weight_map puts tensor 'b' in "
                           "model-00001-of-00002.safetensors, which does not "
                           "contain it");
  // A broken shard is reported with its own name.
  writeFile("model-00001-of-00002.safetensors", "short");
  EXPECT_ERROR(Checkpoint::open(dir),
               path("model-00001-of-00002.safetensors") + ": file is 5 bytes");
  // Shards are read from the checkpoint directory only.
  for (const char *outside :
       {"../outside/x.safetensors", "../../etc/passwd", "/etc/passwd",
        "sub/../../x.safetensors"}) {
    writeFile("model.safetensors.index.json",
              (llvm::Twine(R"({"weight_map": {"a": ")") + outside + "\"}}")
                  .str());
    EXPECT_ERROR(Checkpoint::open(dir),
                 indexPath + ": weight_map puts tensor 'a' in " + outside +
                     ", outside the checkpoint directory");
  }
}

TEST_F(CheckpointTest, SafeTensorsFramingErrors) {
  std::string file = path("model.safetensors");
  EXPECT_ERROR(openWithWeights("short"),
               file + ": file is 5 bytes, too short for the 8-byte "
                      "safetensors header length");
  std::string lying = safetensorsBytes("{}");
  lying[0] = 100;
  EXPECT_ERROR(openWithWeights(lying),
               file + ": header length 100 runs past the end of the file (10 "
                      "bytes); truncated file?");
  EXPECT_ERROR(openWithWeights(safetensorsBytes("{\"w\": ")),
               file + ": header: invalid JSON at line 1: ");
  EXPECT_ERROR(openWithWeights(safetensorsBytes("[]")),
               file + ": header is not a JSON object");
}

TEST_F(CheckpointTest, SafeTensorsEntryErrors) {
  std::string file = path("model.safetensors");
  std::vector<uint8_t> eightBytes(8, 0);
  EXPECT_ERROR(openWithEntry("[]", eightBytes),
               file + ": tensor 'w' is not a JSON object");
  EXPECT_ERROR(
      openWithEntry(R"({"shape": [2], "data_offsets": [0, 8]})", eightBytes),
      file + ": tensor 'w' has no 'dtype'");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F32", "data_offsets": [0, 8]})", eightBytes),
      file + ": tensor 'w' has no 'shape'");
  EXPECT_ERROR(openWithEntry(R"({"dtype": "F32", "shape": [2]})", eightBytes),
               file + ": tensor 'w' has no 'data_offsets'");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": 1, "shape": [2], "data_offsets": [0, 8]})",
                    eightBytes),
      "tensor 'w' has a 'dtype' that is not a string");
  EXPECT_ERROR(
      openWithEntry(
          R"({"dtype": "F32", "shape": [1.5], "data_offsets": [0, 8]})",
          eightBytes),
      "tensor 'w' has a 'shape' that is not a list of integers");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F32", "shape": 2, "data_offsets": [0, 8]})",
                    eightBytes),
      "tensor 'w' has a 'shape' that is not a list of integers");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F32", "shape": [2], "data_offsets": [8]})",
                    eightBytes),
      "tensor 'w' has 'data_offsets' that are not a pair of non-negative "
      "integers");
  EXPECT_ERROR(openWithEntry(
                   R"({"dtype": "F32", "shape": [2], "data_offsets": [-1, 8]})",
                   eightBytes),
               "tensor 'w' has 'data_offsets' that are not a pair of "
               "non-negative integers");
}

TEST_F(CheckpointTest, SafeTensorsContentErrors) {
  std::string file = path("model.safetensors");
  std::vector<uint8_t> eightBytes(8, 0);
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F64", "shape": [1], "data_offsets": [0, 8]})",
                    eightBytes),
      file + ": tensor 'w' has dtype F64; trilm reads F16, BF16, F32 and "
             "(packed BitNet weights) U8");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "I8", "shape": [8], "data_offsets": [0, 8]})",
                    eightBytes),
      "tensor 'w' has dtype I8; trilm reads F16, BF16, F32 and (packed "
      "BitNet weights) U8");
  EXPECT_ERROR(openWithEntry(R"({"dtype": "F16", "shape": [2, -1],
                                 "data_offsets": [0, 8]})",
                             eightBytes),
               file + ": tensor 'w' has a negative dimension in shape [2, -1]");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F32", "shape": [1], "data_offsets": [8, 4]})",
                    eightBytes),
      file + ": tensor 'w' has data_offsets [8, 4] that end before "
             "they begin");
  EXPECT_ERROR(openWithEntry(
                   R"({"dtype": "F32", "shape": [4], "data_offsets": [0, 16]})",
                   eightBytes),
               file + ": tensor 'w' has data_offsets [0, 16] beyond the end of "
                      "the data section (8 bytes); truncated file?");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]})",
                    eightBytes),
      file + ": tensor 'w' has 8 bytes, but shape [3] of F32 needs "
             "12");
  EXPECT_ERROR(
      openWithEntry(R"({"dtype": "F16", "shape": [4611686018427387904, 4],
                                 "data_offsets": [0, 8]})",
                    eightBytes),
      "needs more than 2^63");
  EXPECT_ERROR(
      openWithWeights(safetensorsBytes(
          R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F16", "shape": [2], "data_offsets": [6, 10]}})",
          std::vector<uint8_t>(10, 0))),
      file + ": tensors 'a' and 'b' overlap in the data section");
}

//===----------------------------------------------------------------------===//
// Ternary extraction
//===----------------------------------------------------------------------===//

/// A tensor held in memory, for extractTernary.
struct MemoryTensor {
  std::vector<uint8_t> storage;
  TensorView view;

  MemoryTensor(std::string name, DType dtype, int64_t rows, int64_t cols,
               llvm::ArrayRef<float> values) {
    for (float value : values) {
      switch (dtype) {
      case DType::F16:
        appendLE(storage, f16Bits(value), 2);
        break;
      case DType::BF16:
        appendLE(storage, bf16Bits(value), 2);
        break;
      case DType::F32:
        appendLE(storage, llvm::bit_cast<uint32_t>(value), 4);
        break;
      case DType::U8:
        storage.push_back(static_cast<uint8_t>(value));
        break;
      }
    }
    view.name = std::move(name);
    view.dtype = dtype;
    view.shape = {rows, cols};
    view.bytes = storage;
  }
  MemoryTensor(const MemoryTensor &) = delete;
};

std::vector<int8_t> randomTrits(int64_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<int> distribution(-1, 1);
  std::vector<int8_t> trits(count);
  for (int8_t &trit : trits)
    trit = static_cast<int8_t>(distribution(generator));
  return trits;
}

/// trit * scale of the element's shard, in f32 (exact: trits are +-1, 0).
std::vector<float> scaledTrits(llvm::ArrayRef<int8_t> trits, int64_t rows,
                               int64_t cols, llvm::ArrayRef<float> scales,
                               ShardAxis axis) {
  int64_t shards = scales.size();
  std::vector<float> values(trits.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t shard =
          axis == ShardAxis::Rows ? r / (rows / shards) : c / (cols / shards);
      values[r * cols + c] = trits[r * cols + c] * scales[shard];
    }
  return values;
}

struct ExactCase {
  DType dtype;
  ShardAxis axis;
  std::vector<float> scales;
};

TEST(ExtractTernaryTest, RecoversExactTernaryMatrices) {
  // Scales that no 16-bit format holds exactly, so the F16 and BF16 cases
  // recover the rounded scale.
  std::vector<ExactCase> cases = {
      {DType::F32, ShardAxis::Rows, {0.0371f}},
      {DType::F32, ShardAxis::Cols, {0.0371f}},
      {DType::F16, ShardAxis::Rows, {0.0213f, 0.0402f, 0.0611f}},
      {DType::F16, ShardAxis::Cols, {0.0213f, 0.0402f, 0.0611f}},
      {DType::BF16, ShardAxis::Rows, {0.0213f, 0.0402f, 0.0611f}},
      {DType::BF16, ShardAxis::Cols, {1.7e-3f, 3.3e-2f, 0.7f}},
      {DType::F32, ShardAxis::Cols, {0.0213f, 0.0402f, 0.0611f}},
  };
  const int64_t rows = 12, cols = 18;
  unsigned seed = 0;
  for (const ExactCase &testCase : cases) {
    SCOPED_TRACE("dtype " + getDTypeName(testCase.dtype).str() + ", " +
                 std::to_string(testCase.scales.size()) + " shards along " +
                 (testCase.axis == ShardAxis::Rows ? "rows" : "cols"));
    std::vector<int8_t> trits = randomTrits(rows * cols, ++seed);
    MemoryTensor tensor(
        "w", testCase.dtype, rows, cols,
        scaledTrits(trits, rows, cols, testCase.scales, testCase.axis));
    llvm::Expected<TernaryMatrix> matrix = extractTernary(
        tensor.view, testCase.scales.size(), testCase.axis, Ternarize::None);
    ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
    EXPECT_EQ(matrix->rows, rows);
    EXPECT_EQ(matrix->cols, cols);
    EXPECT_EQ(matrix->axis, testCase.axis);
    EXPECT_EQ(matrix->trits, trits);
    ASSERT_EQ(matrix->scales.size(), testCase.scales.size());
    for (auto [recovered, scale] : llvm::zip(matrix->scales, testCase.scales)) {
      float stored = testCase.dtype == DType::F16 ? f16Value(f16Bits(scale))
                     : testCase.dtype == DType::BF16
                         ? bf16Value(bf16Bits(scale))
                         : scale;
      EXPECT_EQ(recovered, stored);
    }
  }
}

TEST(ExtractTernaryTest, AcceptsScalesRoundedDifferently) {
  // One f16 unit in the last place apart (relative 2^-10): the same scale
  // rounded in two ways. The scale is their mean.
  float low = f16Value(0x2800), high = f16Value(0x2801);
  MemoryTensor tensor("w", DType::F16, 2, 2, {low, -high, 0.0f, high});
  llvm::Expected<TernaryMatrix> matrix =
      extractTernary(tensor.view, 1, ShardAxis::Rows, Ternarize::None);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->trits, (std::vector<int8_t>{1, -1, 0, 1}));
  EXPECT_FLOAT_EQ(matrix->scales[0], (low + 2 * high) / 3);

  // Three units apart is no longer rounding.
  MemoryTensor spread("w", DType::F16, 1, 2, {low, f16Value(0x2803)});
  EXPECT_ERROR(extractTernary(spread.view, 1, ShardAxis::Rows, Ternarize::None),
               "tensor 'w' is not ternary: 2 distinct magnitudes (0.0312, "
               "0.0313)");
}

TEST(ExtractTernaryTest, ZeroShardHasZeroScale) {
  MemoryTensor tensor("w", DType::F32, 2, 4,
                      {0.5f, 0.0f, 0.0f, 0.0f, -0.5f, 0.0f, 0.0f, -0.0f});
  llvm::Expected<TernaryMatrix> matrix =
      extractTernary(tensor.view, 2, ShardAxis::Cols, Ternarize::None);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->scales, (std::vector<float>{0.5f, 0.0f}));
  EXPECT_EQ(matrix->trits, (std::vector<int8_t>{1, 0, 0, 0, -1, 0, 0, 0}));
}

TEST(ExtractTernaryTest, ReportsNonTernaryShard) {
  // Shards 0 and 1 are ternary; shard 2 (columns 512 to 767) has three
  // magnitudes.
  const int64_t rows = 2, cols = 768;
  std::vector<float> values(rows * cols, 0.0f);
  for (int64_t c = 0; c < 512; ++c)
    values[c] = c % 2 ? 0.01f : -0.01f;
  values[cols + 600] = 0.0213f;
  values[cols + 601] = -0.0402f;
  values[cols + 700] = 0.0611f;
  values[cols + 701] = 0.0611f;
  MemoryTensor tensor("model.layers.3.mlp.down_proj.weight", DType::F16, rows,
                      cols, values);
  EXPECT_EQ(errorText(extractTernary(tensor.view, 3, ShardAxis::Cols,
                                     Ternarize::None)),
            "tensor 'model.layers.3.mlp.down_proj.weight': shard 2 of 3 "
            "(columns 512 to 767) is not ternary: 3 distinct magnitudes "
            "(0.0213, 0.0402, 0.0611); use --ternarize=absmean to ternarise it "
            "(lossy)");

  // Along rows, with many distinct values: the smallest and largest two.
  std::vector<float> ramp(8 * 4, 0.25f);
  for (int64_t i = 16; i < 32; ++i)
    ramp[i] = 0.01f * (i - 15);
  MemoryTensor rows8("w", DType::F32, 8, 4, ramp);
  EXPECT_EQ(errorText(extractTernary(rows8.view, 2, ShardAxis::Rows,
                                     Ternarize::None)),
            "tensor 'w': shard 1 of 2 (rows 4 to 7) is not ternary: 16 "
            "distinct magnitudes (0.01, 0.02, ..., 0.15, 0.16); use "
            "--ternarize=absmean to ternarise it (lossy)");
}

TEST(ExtractTernaryTest, AbsMeanTernarisation) {
  // Shard 0 (columns 0-1): |w| sums to 2, mean 0.5; 0.25 / 0.5 = 0.5 rounds
  // away from zero to 1, 1.5 / 0.5 = 3 clamps to 1.
  // Shard 1 (columns 2-3): |w| sums to 0.75, mean 0.1875; -2 clamps to -1,
  // 1/3 rounds to 0, 2/3 to 1.
  MemoryTensor tensor("w", DType::F32, 2, 4,
                      {0.25f, -0.25f, -0.375f, 0.0625f, //
                       0.0f, 1.5f, 0.125f, -0.1875f});
  llvm::Expected<TernaryMatrix> matrix =
      extractTernary(tensor.view, 2, ShardAxis::Cols, Ternarize::AbsMean);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->scales, (std::vector<float>{0.5f, 0.1875f}));
  EXPECT_EQ(matrix->trits, (std::vector<int8_t>{1, -1, -1, 0, //
                                                0, 1, 1, -1}));

  // Along rows, with an all-zero shard.
  MemoryTensor zeroShard("w", DType::F32, 2, 2, {0.0f, 0.0f, 0.3f, -0.1f});
  matrix =
      extractTernary(zeroShard.view, 2, ShardAxis::Rows, Ternarize::AbsMean);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->scales, (std::vector<float>{0.0f, 0.2f}));
  EXPECT_EQ(matrix->trits, (std::vector<int8_t>{0, 0, 1, -1}));
}

TEST(ExtractTernaryTest, ShapeErrors) {
  MemoryTensor tensor("w", DType::F32, 10, 4, std::vector<float>(40, 0.0f));
  EXPECT_ERROR(extractTernary(tensor.view, 3, ShardAxis::Rows, Ternarize::None),
               "tensor 'w': 10 rows do not split into 3 equal shards");
  EXPECT_ERROR(
      extractTernary(tensor.view, 3, ShardAxis::Cols, Ternarize::AbsMean),
      "tensor 'w': 4 columns do not split into 3 equal shards");
  EXPECT_ERROR(extractTernary(tensor.view, 0, ShardAxis::Rows, Ternarize::None),
               "tensor 'w': shard count 0 is not positive");
  TensorView vector = tensor.view;
  vector.shape = {40};
  EXPECT_ERROR(extractTernary(vector, 1, ShardAxis::Rows, Ternarize::None),
               "tensor 'w' has shape [40]; a ternary matrix is 2-D");
}

TEST(ExtractTernaryTest, RejectsNonFiniteElements) {
  std::vector<float> values(2 * 4, 0.5f);
  values[6] = std::numeric_limits<float>::quiet_NaN();
  MemoryTensor nan("w", DType::F16, 2, 4, values);
  EXPECT_ERROR(extractTernary(nan.view, 1, ShardAxis::Rows, Ternarize::None),
               "tensor 'w': element [1, 2] is NaN");
  EXPECT_ERROR(extractTernary(nan.view, 1, ShardAxis::Rows, Ternarize::AbsMean),
               "tensor 'w': element [1, 2] is NaN");
  values[6] = -std::numeric_limits<float>::infinity();
  MemoryTensor inf("w", DType::BF16, 2, 4, values);
  EXPECT_ERROR(extractTernary(inf.view, 2, ShardAxis::Cols, Ternarize::None),
               "tensor 'w': element [1, 2] is infinite");
}

} // namespace

//===----------------------------------------------------------------------===//
// unpackBitNetWeight
//===----------------------------------------------------------------------===//

TEST(UnpackBitNetWeightTest, UnpacksTransformersLayout) {
  // 8 x 2 trits: byte (r, c) holds rows r, r + 2, r + 4, r + 6 of column c
  // in bits 0-1, 2-3, 4-5, 6-7, each stored plus one.
  std::vector<int8_t> trits = randomTrits(16, 7);
  std::vector<float> bytes(4, 0.0f);
  for (int64_t row = 0; row < 8; ++row)
    for (int64_t col = 0; col < 2; ++col) {
      int64_t index = (row % 2) * 2 + col;
      bytes[index] += static_cast<float>((trits[row * 2 + col] + 1)
                                         << (2 * (row / 2)));
    }
  MemoryTensor packed("w", DType::U8, 2, 2, bytes);
  MemoryTensor scale("w_scale", DType::BF16, 1, 1, {4.0f});
  scale.view.shape = {1};
  llvm::Expected<TernaryMatrix> matrix =
      unpackBitNetWeight(packed.view, scale.view, 8, 2, /*divide=*/false);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->trits, trits);
  EXPECT_EQ(matrix->scales, (std::vector<float>{4.0f}));
  // linear_class "bitlinear" divides by the scale.
  matrix = unpackBitNetWeight(packed.view, scale.view, 8, 2, /*divide=*/true);
  ASSERT_TRUE(bool(matrix)) << llvm::toString(matrix.takeError());
  EXPECT_EQ(matrix->scales, (std::vector<float>{0.25f}));
}

TEST(UnpackBitNetWeightTest, Errors) {
  MemoryTensor packed("w", DType::U8, 2, 2, {0, 0xc0, 0, 0});
  MemoryTensor scale("w_scale", DType::F32, 1, 1, {1.0f});
  EXPECT_ERROR(unpackBitNetWeight(packed.view, scale.view, 8, 2, false),
               "tensor 'w': element [6, 1] has the code 3, which is no trit");
  EXPECT_ERROR(unpackBitNetWeight(packed.view, scale.view, 8, 3, false),
               "tensor 'w' is not 8 x 3 trits packed four per U8 along the "
               "rows");
  MemoryTensor zero("w_scale", DType::F32, 1, 1, {0.0f});
  MemoryTensor fine("w", DType::U8, 2, 2, {0, 0, 0, 0});
  EXPECT_ERROR(unpackBitNetWeight(fine.view, zero.view, 8, 2, true),
               "tensor 'w_scale' (0) is not a finite, non-zero scale");
  EXPECT_ERROR(extractTernary(packed.view, 1, ShardAxis::Rows, Ternarize::None),
               "tensor 'w' is U8; trilm reads unpacked weights as F16, BF16 or "
               "F32");
}
