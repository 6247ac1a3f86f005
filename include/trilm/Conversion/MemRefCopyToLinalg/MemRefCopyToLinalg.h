//===- MemRefCopyToLinalg.h - memref.copy as linalg.copy ---------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_MEMREFCOPYTOLINALG_MEMREFCOPYTOLINALG_H
#define TRILM_CONVERSION_MEMREFCOPYTOLINALG_MEMREFCOPYTOLINALG_H

#include "mlir/Pass/Pass.h"

namespace trilm {

#define GEN_PASS_DECL_MEMREFCOPYTOLINALG
#include "trilm/Conversion/Passes.h.inc"

} // namespace trilm

#endif // TRILM_CONVERSION_MEMREFCOPYTOLINALG_MEMREFCOPYTOLINALG_H
