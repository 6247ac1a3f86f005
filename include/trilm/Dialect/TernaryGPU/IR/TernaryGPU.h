//===- TernaryGPU.h - GPU kernel dialect ------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPU_H
#define TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPU_H

#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUAttrs.h.inc"

#define GET_OP_CLASSES
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUOps.h.inc"

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPU_H
