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
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTTERNARYTOCPU
#define GEN_PASS_DECL_TERNARYSELECTKERNELSCPU
#define GEN_PASS_DECL_TERNARYTILEMATMULCPU
#include "trilm/Conversion/Passes.h.inc"

/// Vector registers (of 64 bytes) a tile's accumulators may take: half of an
/// AVX-512 register file, leaving room for decoded codes and activations.
inline constexpr int64_t kAccumulatorRegisterBudget = 16;

/// 64-byte registers the accumulators of one activation row of a tile with
/// `rows` weight rows take.
int64_t accumulatorRegistersPerActivationRow(ternary::PackingScheme scheme,
                                             bool int8,
                                             ternary_cpu::Int8DotKind dot,
                                             int64_t rows);

/// Adds the lowering of `ternary_cpu.prepare_activations`,
/// `ternary_cpu.tile_matmul` and `ternary_cpu.panel_matmul` to fused vector
/// code, on top of the reference
/// lowering of the other ternary ops.
void populateTernaryToCPUConversionPatterns(mlir::TypeConverter &converter,
                                            mlir::RewritePatternSet &patterns);

} // namespace trilm

#endif // TRILM_CONVERSION_TERNARYTOCPU_TERNARYTOCPU_H
