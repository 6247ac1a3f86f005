//===- Weights.h - The weights buffer of a compiled model -------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// All the large weights of a model live in one byte buffer, embedded in the
// module as a global or in an external file, laid out as
//
//   header | embedding | lm_head | final norm | layer 0 | layer 1 | ...
//
// with every layer laid out alike (a fixed stride), so that the generated code
// runs one loop over layers that views its weights at `layer * stride`.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_FRONTEND_HUGGINGFACE_WEIGHTS_H
#define TRILM_LIB_FRONTEND_HUGGINGFACE_WEIGHTS_H

#include "mlir/IR/BuiltinTypes.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Frontend/HuggingFace/LlamaImport.h"

namespace trilm::frontend {

/// A tensor in the buffer: its byte offset (within a layer, for block
/// weights) and type.
struct WeightSlot {
  int64_t offset = 0;
  mlir::RankedTensorType type;

  int64_t getByteSize() const {
    return type.getNumElements() * type.getElementTypeBitWidth() / 8;
  }
};

/// A packed ternary matrix and its scales.
struct TernarySlot {
  ternary::PackedType type;
  ternary::ScaleGroupsAttr groups;
  WeightSlot packed; // the storage bytes
  WeightSlot scales; // f32, [row groups, column groups]
};

struct BlockSlots {
  TernarySlot qkv, output, gateUp, down;
  WeightSlot inputNorm, postAttentionNorm; // f32
  /// BitNet's norms of o_proj's and down_proj's inputs (f32); no type
  /// otherwise.
  WeightSlot attentionSubNorm, mlpSubNorm;
};

struct WeightsLayout {
  WeightSlot embedding, lmHead; // the checkpoint's element type
  WeightSlot finalNorm;         // f32
  BlockSlots block;
  int64_t firstLayer = 0;
  int64_t layerStride = 0;
  int64_t totalBytes = 0;
};

/// The layout for `checkpoint` (from config.json and the tensors' headers;
/// no weight is read).
llvm::Expected<WeightsLayout> planWeights(mlir::MLIRContext &context,
                                          const import::Checkpoint &checkpoint,
                                          const ModelOptions &options);

/// Reads, checks, ternarises and packs every weight, calling `write` with
/// (offset, bytes) in increasing offset order.
llvm::Error
importWeights(const import::Checkpoint &checkpoint, const WeightsLayout &layout,
              const ModelOptions &options,
              llvm::function_ref<void(int64_t, llvm::ArrayRef<char>)> write);

} // namespace trilm::frontend

#endif // TRILM_LIB_FRONTEND_HUGGINGFACE_WEIGHTS_H
