//===- TernaryToLinalg.h - Reference lowering of ternary ops ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_TERNARYTOLINALG_TERNARYTOLINALG_H
#define TRILM_CONVERSION_TERNARYTOLINALG_TERNARYTOLINALG_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTTERNARYTOLINALG
#include "trilm/Conversion/Passes.h.inc"

/// Adds the patterns that lower ternary ops to linalg/tensor/arith, with
/// `!ternary.packed` values converted to their i8 storage tensors.
void populateTernaryToLinalgConversionPatterns(mlir::TypeConverter &converter,
                                               mlir::RewritePatternSet &patterns);

/// A type converter that maps `!ternary.packed` to its storage tensor and
/// leaves every other type alone.
void populateTernaryToLinalgTypeConversion(mlir::TypeConverter &converter);

/// Converts every ternary op below `root` with `patterns` (a partial
/// conversion: other ops stay), converting packed values to their storage
/// tensors across function signatures, calls and returns. `configure` may
/// declare more ops legal.
llvm::LogicalResult convertTernaryOps(
    mlir::Operation *root, mlir::TypeConverter &converter,
    mlir::RewritePatternSet &&patterns,
    llvm::function_ref<void(mlir::ConversionTarget &)> configure = {});

} // namespace trilm

#endif // TRILM_CONVERSION_TERNARYTOLINALG_TERNARYTOLINALG_H
