//===- TernaryCPUDialect.cpp - CPU kernel dialect -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trilm::ternary_cpu;

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOpsDialect.cpp.inc"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUAttrs.cpp.inc"

void TernaryCPUDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOps.cpp.inc"
      >();
}

void TernaryCPUDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUAttrs.cpp.inc"
      >();
}
