//===- Passes.h - CUDA target passes ----------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CUDA_PASSES_H
#define TRILM_TARGET_CUDA_PASSES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace trilm::cuda {

#define GEN_PASS_DECL
#include "trilm/Target/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trilm/Target/CUDA/Passes.h.inc"

} // namespace trilm::cuda

#endif // TRILM_TARGET_CUDA_PASSES_H
