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
/// Weight rows a panel kernel's code vectors hold: one 512-bit vector of
/// 4-byte groups (the panel kernel is built around `vpdpbusd` on AVX-512).
constexpr int64_t kPanelVectorRows = 16;
/// The vector registers a panel kernel's accumulators and code vectors
/// share (AVX-512 has 32).
constexpr int64_t kPanelRegisters = 32;
/// The most 32-row groups of trit triples one lookup-table tile takes (one
/// i16 sum each, sharing each table load).
constexpr int64_t kMaxTableGroups = 8;
/// Bytes of one weight triple's table of activation sums: its 27 i16 sums,
/// padded to a 64-byte vector (the 32 lanes of a 16-bit lookup).
constexpr int64_t kTripleTableBytes = 64;
/// Weight rows of a lookup-table panel: two groups of trit triples, decoded
/// into the 64 lanes of byte vectors.
constexpr int64_t kTablePanelRows = 64;
} // namespace trilm::ternary_cpu

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUEnums.h.inc"

namespace trilm::ternary_cpu {
/// Checks a panel kernel's shape (see #ternary_cpu.matmul_config): all zero
/// for none, else rows in whole code vectors, accumulators and codes within
/// the vector registers, and 16-lane unsigned dot products.
mlir::LogicalResult
verifyPanel(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
            int64_t panelRows, int64_t panelActRows, int64_t panelMinActRows,
            Int8DotKind int8Dot);
} // namespace trilm::ternary_cpu

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUAttrs.h.inc"

#define GET_OP_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOps.h.inc"

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPU_H
