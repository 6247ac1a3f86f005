//===- Pipelines.h - Named trilm pass pipelines -----------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_PIPELINES_PIPELINES_H
#define TRILM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace trilm {

/// Lowers a module of ternary, linalg, tensor, arith and func ops through the
/// reference lowering to the LLVM dialect, ready for mlir-runner or the
/// ExecutionEngine.
void buildReferencePipeline(mlir::OpPassManager &pm);

/// Registers the named pipelines (`trilm-reference-pipeline`).
void registerPipelines();

} // namespace trilm

#endif // TRILM_PIPELINES_PIPELINES_H
