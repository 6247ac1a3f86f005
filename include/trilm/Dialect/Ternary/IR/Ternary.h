//===- Ternary.h - Ternary dialect ------------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARY_H
#define TRILM_DIALECT_TERNARY_IR_TERNARY_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "trilm/Packing/Packing.h"

#include "trilm/Dialect/Ternary/IR/TernaryOpsDialect.h.inc"

#include "trilm/Dialect/Ternary/IR/TernaryEnums.h.inc"

#include "trilm/Dialect/Ternary/IR/TernaryAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryOpsTypes.h.inc"

#define GET_OP_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryOps.h.inc"

namespace trilm::ternary {
/// Returns the packing library's scheme for a dialect scheme.
::trilm::packing::Scheme toPackingScheme(PackingScheme scheme);

/// Verifies that `scalesType` has one entry per scale group of a rows x cols
/// matrix, or emits an error on `op`.
::llvm::LogicalResult verifyScales(::mlir::Operation *op,
                                   ScaleGroupsAttr groups,
                                   ::mlir::RankedTensorType scalesType,
                                   int64_t rows, int64_t cols);
} // namespace trilm::ternary

#endif // TRILM_DIALECT_TERNARY_IR_TERNARY_H
