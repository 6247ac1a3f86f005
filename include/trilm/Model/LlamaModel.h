//===- LlamaModel.h - A TriLM checkpoint as one MLIR module -----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_MODEL_LLAMAMODEL_H
#define TRILM_MODEL_LLAMAMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Import/Checkpoint.h"
#include "trilm-c/ModelABI.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace trilm::model {

struct ModelOptions {
  ternary::PackingScheme packing = ternary::PackingScheme::tq2;
  /// Quantise the activations of every ternary matmul to int8 (per token,
  /// absmax) instead of keeping them f32.
  bool int8Activations = false;
  import::Ternarize ternarize = import::Ternarize::None;
  /// Called after each imported tensor with (done, total).
  std::function<void(int64_t, int64_t)> progress;
};

/// Imports `checkpoint` into a module with two entry points over the same
/// weights, both appending tokens at position `start` of a KV cache:
///
///   func @trilm_prefill(%tokens: memref<?xi32>, %start: index,
///                       %k_cache, %v_cache: memref<L x C x KV x f32>,
///                       %logits: memref<? x V x f32>, %weights: memref<?xi8>)
///   func @trilm_decode  (the same with one token: the GEMV kernels)
///
/// where L is the number of layers, C the context length (dynamic), KV the
/// key/value width (kv heads x head dim) and V the vocabulary. They write the
/// new tokens' keys and values into the caches and every token's logits, and
/// the module exports `trilm_model_config` (see trilm-c/ModelABI.h).
/// `%weights` is the external weights file once externalizeWeights has moved
/// the weights there, and unused before.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildLlamaModule(mlir::MLIRContext &context,
                 const import::Checkpoint &checkpoint,
                 const ModelOptions &options);

/// Moves the weights of a model module (its resource constants) into an
/// external file written to `os` (see trilm-c/ModelABI.h for the format):
/// each constant becomes a view of the entry points' `%weights` argument.
/// Returns the file's size, which is also recorded in `trilm_model_config`.
llvm::Expected<int64_t> externalizeWeights(mlir::ModuleOp module,
                                           llvm::raw_ostream &os);

} // namespace trilm::model

#endif // TRILM_MODEL_LLAMAMODEL_H
