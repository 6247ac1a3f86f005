//===- LLM.h - Model-level dialect ------------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_LLM_IR_LLM_H
#define TRILM_DIALECT_LLM_IR_LLM_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "trilm/Dialect/LLM/IR/LLMOpsDialect.h.inc"

#include "trilm/Dialect/LLM/IR/LLMEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/LLM/IR/LLMAttrs.h.inc"

#define GET_OP_CLASSES
#include "trilm/Dialect/LLM/IR/LLMOps.h.inc"

#endif // TRILM_DIALECT_LLM_IR_LLM_H
