//===- TernaryToCPU.h - Fused CPU lowering of ternary ops -------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_TERNARYTOCPU_TERNARYTOCPU_H
#define TRILM_CONVERSION_TERNARYTOCPU_TERNARYTOCPU_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTTERNARYTOCPU
#include "trilm/Conversion/Passes.h.inc"

/// Options of the fused CPU lowering of `ternary.matmul`.
struct CPUKernelOptions {
  /// Output rows computed together (register blocking along N).
  int64_t rowsPerTile = 4;
  ternary::Int8DotKind int8Dot = ternary::Int8DotKind::generic;
};

/// Adds the fused CPU lowering of `ternary.matmul` (preferred) on top of the
/// reference lowering of the other ternary ops.
void populateTernaryToCPUConversionPatterns(mlir::TypeConverter &converter,
                                            mlir::RewritePatternSet &patterns,
                                            const CPUKernelOptions &options);

} // namespace trilm

#endif // TRILM_CONVERSION_TERNARYTOCPU_TERNARYTOCPU_H
