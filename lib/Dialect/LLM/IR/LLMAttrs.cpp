//===- LLMAttrs.cpp - Model-level attributes ------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/LLM/IR/LLM.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trilm::llm;

#include "trilm/Dialect/LLM/IR/LLMEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/LLM/IR/LLMAttrs.cpp.inc"

void LLMDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trilm/Dialect/LLM/IR/LLMAttrs.cpp.inc"
      >();
}

LogicalResult
RopeScalingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        RopeScalingKind kind, FloatAttr factor) {
  double value = factor.getValueAsDouble();
  if (!(value > 0.0) || !std::isfinite(value))
    return emitError() << "rope scaling factor must be positive and finite, got "
                       << value;
  return success();
}
