//===- Checkpoint.h - Hugging Face TriLM checkpoints ------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Reads a checkpoint directory as Hugging Face publishes TriLMs: config.json
// (LlamaForCausalLM) and model.safetensors, or shards listed by
// model.safetensors.index.json. Files are memory-mapped; tensors are read
// one at a time, so the whole fp16 model is never in memory at once.
//
// Every failure is an llvm::Error with one line that names the file (and the
// tensor, shard or field) and says what is wrong.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_FRONTEND_HUGGINGFACE_CHECKPOINT_H
#define TRILM_FRONTEND_HUGGINGFACE_CHECKPOINT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace trilm::import {

/// The model families the LLaMA importer builds.
enum class Architecture {
  /// LlamaForCausalLM (TriLM): SwiGLU, one scale per model-parallel shard.
  Llama,
  /// BitNetForCausalLM (BitNet b1.58): a LLaMA with RMSNorms before o_proj
  /// and down_proj ("sub-norms"), a ReLU²-gated MLP and one scale per
  /// ternary matrix.
  BitNet,
};

/// The gating function of the MLP: f(gate) * up.
enum class Activation {
  /// x * sigmoid(x) (SwiGLU: LLaMA, TriLM, llama.cpp's BitNet graph).
  SiLU,
  /// max(x, 0)^2 (BitNetForCausalLM).
  ReLU2,
};

/// How a BitNet checkpoint stores its ternary weights (its
/// quantization_config).
enum class BitNetWeights {
  /// linear_class "bitlinear": uint8, four trits per byte along the rows,
  /// W = trits / weight_scale.
  PackedDividing,
  /// linear_class "autobitlinear", quantization_mode "offline": the same
  /// packing, W = trits * weight_scale.
  PackedMultiplying,
  /// quantization_mode "online": float master weights that the model
  /// ternarises per tensor (absmean) in its forward pass.
  Latent,
};

/// The fields of a LlamaForCausalLM (or BitNetForCausalLM) config.json that
/// the compiler uses.
struct LlamaConfig {
  Architecture architecture = Architecture::Llama;
  Activation activation = Activation::SiLU;
  /// BitNet only.
  BitNetWeights bitnetWeights = BitNetWeights::PackedMultiplying;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  /// num_key_value_heads; equal to numHeads when absent (MHA).
  int64_t numKVHeads = 0;
  /// head_dim when present, else hiddenSize / numHeads.
  int64_t headDim = 0;
  int64_t maxPositions = 0;
  /// pretraining_model_parallel: scales per ternary matrix (1 when absent).
  int64_t modelParallel = 1;
  double ropeTheta = 10000.0;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;
  int64_t bosTokenId = -1;
  int64_t eosTokenId = -1;
};

/// Parses and validates config.json text; `fileName` prefixes errors.
/// Rejects other architectures (a non-empty "architectures" must list
/// LlamaForCausalLM or BitNetForCausalLM; model_type "llama" or "bitnet"
/// counts only without one), rope_scaling, a hidden_act other than silu
/// (relu2 for BitNet), attention or MLP biases, a BitNet
/// quantization_config other than bitnet's, and a pretraining_model_parallel
/// that does not divide every sharded extent.
llvm::Expected<LlamaConfig> parseLlamaConfig(llvm::StringRef json,
                                             llvm::StringRef fileName);

/// Element types of safetensors tensors that the importer accepts.
enum class DType { F16, BF16, F32, U8 };

/// The safetensors name of `dtype` ("F16", "BF16", "F32", "U8").
llvm::StringRef getDTypeName(DType dtype);
/// Bytes per element of `dtype`.
int64_t getDTypeSize(DType dtype);

/// One tensor inside a memory-mapped safetensors file.
struct TensorView {
  std::string name;
  DType dtype;
  llvm::SmallVector<int64_t, 2> shape;
  /// The tensor's bytes (little endian), inside the mapped file.
  llvm::ArrayRef<uint8_t> bytes;

  int64_t numElements() const;
  /// Element `index` (row-major) converted to f32 (U8 elements too: their
  /// value).
  float at(int64_t index) const;
  /// Elements [begin, begin + out.size()) converted to f32.
  void read(int64_t begin, llvm::MutableArrayRef<float> out) const;
};

/// Along which dimension a ternary matrix's scales change: column-parallel
/// layers (q, k, v, gate, up) are sharded along output rows, row-parallel
/// ones (o, down) along the input columns.
enum class ShardAxis { Rows, Cols };

/// What to do with a block weight that is not ternary.
enum class Ternarize {
  /// Reject it with an error naming the tensor, the shard and why.
  None,
  /// Post-training ternarisation (lossy): per shard, scale = mean |w| over
  /// every element of the shard (zeros included), and
  /// trit = clamp(round(w / scale), -1, 1), rounding halves away from zero
  /// (w / scale = +-0.5 gives +-1). A shard of zeros gets scale 0, trits 0.
  AbsMean,
};

/// A ternary matrix recovered from a checkpoint tensor: W = trit * scale of
/// the element's shard.
struct TernaryMatrix {
  int64_t rows = 0;
  int64_t cols = 0;
  /// rows x cols trits in {-1, 0, 1}, row-major.
  std::vector<int8_t> trits;
  /// One scale per shard, shard s covering rows (or columns)
  /// [s * extent / shards, (s + 1) * extent / shards); or, for block scales,
  /// rows x ceil(cols / block) of them, row-major.
  std::vector<float> scales;
  ShardAxis axis = ShardAxis::Rows;
};

/// Recovers trits and one scale per shard from `tensor` (2-D). Each shard's
/// non-zero magnitudes must agree to within the rounding of the tensor's
/// element type (relative to the shard's largest magnitude: 2^-10 for F16,
/// 2^-7 for BF16, 1e-6 for F32); the scale is their mean, and a shard of
/// zeros gets scale 0. With Ternarize::None any other tensor is an error
/// that names the tensor and shard and says why (how many distinct
/// magnitudes, a sample of them). The extent along `axis` must be divisible
/// by `shards`; a NaN or infinite element is an error in either mode.
llvm::Expected<TernaryMatrix> extractTernary(const TensorView &tensor,
                                             int64_t shards, ShardAxis axis,
                                             Ternarize mode);

/// Trits and the one scale of a BitNet weight packed as transformers packs
/// them: `packed` is U8 [rows / 4, cols], trit (i * rows / 4 + r, c) in bits
/// 2i..2i+1 of byte (r, c), stored plus one; `scale` holds one float, the
/// weight_scale, which W = trits / weight_scale (`divide`) or trits *
/// weight_scale uses. A code 3, a non-finite or zero scale, or a wrong shape
/// is an error naming the tensor.
llvm::Expected<TernaryMatrix> unpackBitNetWeight(const TensorView &packed,
                                                 const TensorView &scale,
                                                 int64_t rows, int64_t cols,
                                                 bool divide);

/// A model's configuration and weights, as a frontend reads them: the
/// tensors are named as in Hugging Face checkpoints (model.layers.N.mlp.
/// down_proj.weight), whatever the file calls them, so that one importer
/// builds the model IR from any source.
class Checkpoint {
public:
  /// A Hugging Face checkpoint directory: config.json plus one or more
  /// safetensors files.
  static llvm::Expected<std::unique_ptr<Checkpoint>> open(llvm::StringRef dir);
  virtual ~Checkpoint();

  const LlamaConfig &getConfig() const { return config; }
  /// The floating-point tensor `name` (F16, BF16 or F32); an error names the
  /// tensor when it is missing or of another type.
  virtual llvm::Expected<TensorView> getTensor(llvm::StringRef name) const = 0;
  /// The tensor `name` with the given shape; an error says which dimension
  /// disagrees (with the configuration) when it differs.
  virtual llvm::Expected<TensorView>
  getTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape) const = 0;
  virtual bool hasTensor(llvm::StringRef name) const = 0;
  /// Checks that the tensor `name`, of any element type, exists with the
  /// given shape, reading none of its elements.
  virtual llvm::Error checkShape(llvm::StringRef name,
                                 llvm::ArrayRef<int64_t> shape) const;

  /// Checks that the ternary weight `name` (rows x cols) exists in the form
  /// getTernary reads, reading none of its elements.
  virtual llvm::Error checkTernary(llvm::StringRef name, int64_t rows,
                                   int64_t cols) const;

  /// How the scales of the block weights are grouped: 0 for one scale per
  /// model-parallel shard (getConfig().modelParallel along each layer's
  /// ShardAxis), or B for one scale per row and B-column block.
  virtual int64_t getScaleBlock() const { return 0; }
  /// The ternary block weight `name` (rows x cols), its scales grouped as
  /// getScaleBlock says; the pages it was read from are released.
  virtual llvm::Expected<TernaryMatrix>
  getTernary(llvm::StringRef name, int64_t rows, int64_t cols, ShardAxis axis,
             Ternarize mode) const;

protected:
  Checkpoint() = default;
  LlamaConfig config;
};

/// Hands the pages of `bytes`, a tensor of a memory-mapped file that has
/// been read, back to the kernel, so that importing a model never keeps the
/// whole file resident.
void releasePages(llvm::ArrayRef<uint8_t> bytes);

} // namespace trilm::import

#endif // TRILM_FRONTEND_HUGGINGFACE_CHECKPOINT_H
