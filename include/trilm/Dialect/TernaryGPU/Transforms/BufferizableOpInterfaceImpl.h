//===- BufferizableOpInterfaceImpl.h - Bufferizing ternary_gpu ops -*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define TRILM_DIALECT_TERNARYGPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

#include "mlir/IR/DialectRegistry.h"

namespace trilm::ternary_gpu {

/// `ternary_gpu.matmul` bufferizes in destination style: it reads its inputs'
/// buffers and writes its init's.
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);

} // namespace trilm::ternary_gpu

#endif // TRILM_DIALECT_TERNARYGPU_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
