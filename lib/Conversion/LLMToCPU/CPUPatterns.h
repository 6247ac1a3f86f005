//===- CPUPatterns.h - Pieces of the CPU lowering of llm ops ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_CONVERSION_LLMTOCPU_CPUPATTERNS_H
#define TRILM_LIB_CONVERSION_LLMTOCPU_CPUPATTERNS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace trilm::cpu {

/// `init` ([M, width]) computed in parallel tiles (an scf.forall: threads)
/// of `tile` columns, the last one possibly narrower: `body(first, count,
/// slice)` returns the [M, count] slice of columns from `first`, given its
/// initial value.
mlir::Value buildColumnTiles(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value init, int64_t width,
    int64_t tile,
    llvm::function_ref<mlir::Value(mlir::Value, mlir::Value, mlir::Value)>
        body);

void populateAttentionPatterns(mlir::RewritePatternSet &patterns);
void populateLMHeadPatterns(mlir::RewritePatternSet &patterns);
/// RMSNorm feeding ternary.quantize as one pass (before ops are lowered).
void populateRowWiseFusionPatterns(mlir::RewritePatternSet &patterns);
/// RMSNorm, ternary.quantize, rotate-half RoPE, the gated activation and
/// residual adds as vector loops over rows.
void populateRowWisePatterns(mlir::RewritePatternSet &patterns);

} // namespace trilm::cpu

#endif // TRILM_LIB_CONVERSION_LLMTOCPU_CPUPATTERNS_H
