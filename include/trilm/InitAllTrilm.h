//===- InitAllTrilm.h - Register all of trilm --------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_INITALLTRILM_H
#define TRILM_INITALLTRILM_H

#include "mlir/IR/DialectRegistry.h"

namespace trilm {

/// Adds trilm's dialects and their external interface models to `registry`.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers trilm's passes and named pipelines with the global registry.
void registerAllPasses();

} // namespace trilm

#endif // TRILM_INITALLTRILM_H
