//===- BufferizableOpInterfaceImpl.h - Bufferizing ternary_cpu ops -*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define TRILM_DIALECT_TERNARYCPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

#include "mlir/IR/DialectRegistry.h"

namespace trilm::ternary_cpu {

/// `ternary_cpu.prefetch` bufferizes to a `memref.prefetch` of its tensor's
/// buffer.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);

} // namespace trilm::ternary_cpu

#endif // TRILM_DIALECT_TERNARYCPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
