//===- Passes.h - CPU target passes -----------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CPU_PASSES_H
#define TRILM_TARGET_CPU_PASSES_H

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace trilm::cpu {

#define GEN_PASS_DECL
#include "trilm/Target/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trilm/Target/CPU/Passes.h.inc"

} // namespace trilm::cpu

#endif // TRILM_TARGET_CPU_PASSES_H
