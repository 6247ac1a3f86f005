//===- Passes.h - CPU kernel dialect passes ---------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_H
#define TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

namespace trilm::ternary_cpu {

#define GEN_PASS_DECL
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h.inc"

} // namespace trilm::ternary_cpu

#endif // TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_H
