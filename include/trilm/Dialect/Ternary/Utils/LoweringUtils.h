//===- LoweringUtils.h - Helpers shared by ternary lowerings ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_UTILS_LOWERINGUTILS_H
#define TRILM_DIALECT_TERNARY_UTILS_LOWERINGUTILS_H

#include "mlir/IR/PatternMatch.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Utils/BuilderUtils.h"

namespace trilm::ternary {

/// ternary.quantize's per-row scale from the row's largest magnitude:
/// max(absmax, eps) / 127.
mlir::Value quantizationScale(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value absmax, float eps);

/// ternary.quantize's code of an f32 value (or of each lane of a vector,
/// `scale` of the same shape): clamp(round_half_to_even(value / scale),
/// -127, 127) as i8.
mlir::Value quantizeToI8(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, mlir::Value scale);

/// Replaces `op` by an empty result when its input has statically no rows,
/// and returns whether it did: there is nothing to compute, and the
/// lowerings' slices at offset 0 of a zero-row tensor would not verify.
bool replaceZeroRowMatmul(mlir::RewriterBase &rewriter, MatmulOp op);

} // namespace trilm::ternary

#endif // TRILM_DIALECT_TERNARY_UTILS_LOWERINGUTILS_H
