//===- TernaryCPU.h - CPU kernel dialect ------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPU_H
#define TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPU_H

#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOpsDialect.h.inc"

namespace trilm::ternary_cpu {
/// The farthest a kernel configuration may prefetch ahead of its reads: more
/// would only evict what is about to be read.
constexpr int64_t kMaxPrefetchBytes = 65536;
} // namespace trilm::ternary_cpu

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUAttrs.h.inc"

#define GET_OP_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOps.h.inc"

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPU_H
