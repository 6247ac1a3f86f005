//===- BufferizableOpInterfaceImpl.h - Bufferizing llm ops ------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_LLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define TRILM_DIALECT_LLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

#include "mlir/IR/DialectRegistry.h"

namespace trilm::llm {

/// `llm.weight` bufferizes to a `memref.view` of the weights buffer.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);

} // namespace trilm::llm

#endif // TRILM_DIALECT_LLM_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
