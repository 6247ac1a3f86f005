//===- Passes.h - Ternary dialect passes ------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_H
#define TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"

namespace trilm::ternary {

#define GEN_PASS_DECL
#include "trilm/Dialect/Ternary/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trilm/Dialect/Ternary/Transforms/Passes.h.inc"

} // namespace trilm::ternary

#endif // TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_H
