//===- LLMDialect.cpp - Model-level dialect -------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/LLM/IR/LLM.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace trilm::llm;

#include "trilm/Dialect/LLM/IR/LLMOpsDialect.cpp.inc"

void LLMDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "trilm/Dialect/LLM/IR/LLMOps.cpp.inc"
      >();
}
