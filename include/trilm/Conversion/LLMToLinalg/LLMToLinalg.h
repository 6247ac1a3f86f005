//===- LLMToLinalg.h - Reference lowering of llm ops ------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_LLMTOLINALG_LLMTOLINALG_H
#define TRILM_CONVERSION_LLMTOLINALG_LLMTOLINALG_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "trilm/Dialect/LLM/IR/LLM.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTLLMTOLINALG
#include "trilm/Conversion/Passes.h.inc"

/// Adds the patterns that lower every llm op but `llm.weight` (which
/// bufferizes to a view of the weights buffer) to linalg, tensor, arith,
/// math and scf, in the most direct way: the semantic oracle.
void populateLLMToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// The per-row sums of squares of an M x H tensor, in f32 (RMSNorm's first
/// pass).
mlir::Value buildSumOfSquares(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input);

/// RMSNorm of one element `x` (f32) of a row of `width` elements whose sum
/// of squares is `sumOfSquares`, with its weight `gamma` (any float):
/// gamma * (x * (1 / sqrt(sum / width + epsilon))).
mlir::Value buildNormalized(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x, mlir::Value sumOfSquares,
                            mlir::Value gamma, int64_t width, float epsilon);

/// The f32 inverse frequencies of a rotary embedding, theta^(-2j / head_dim)
/// for j < head_dim / 2, divided by the factor of a linear scaling, computed
/// in f32 as transformers does.
llvm::SmallVector<float> ropeInverseFrequencies(int64_t headDim, float theta,
                                                float linearScaling);

/// `cache` with the rows of `rows` (M x kv_heads * head_dim, any float type)
/// converted to its element type and written at positions `start` to
/// `start + M - 1`: how llm.attention appends to its caches. The cache is
/// kv_heads x C x head_dim, or kv_heads x head_dim x C with
/// `positionsLast` (the key cache).
mlir::Value buildCacheAppend(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value rows, mlir::Value cache,
                             mlir::Value start, bool positionsLast);

/// The gated activation `function(gate) * up` of f32 scalars or vectors.
mlir::Value buildGatedActivation(mlir::OpBuilder &b, mlir::Location loc,
                                 llm::ActivationFunction function,
                                 mlir::Value gate, mlir::Value up);

} // namespace trilm

#endif // TRILM_CONVERSION_LLMTOLINALG_LLMTOLINALG_H
