//===- TernaryGPUDialect.cpp - GPU kernel dialect -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryGPU/IR/TernaryGPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trilm::ternary_gpu;

#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUAttrs.cpp.inc"

void TernaryGPUDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUOps.cpp.inc"
      >();
}

void TernaryGPUDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUAttrs.cpp.inc"
      >();
}

LogicalResult
MatmulConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t warps, int64_t rowTiles,
                         int64_t blocksPerStep) {
  // 32 warps is the most threads (1024) a thread block may have.
  if (warps < 1 || warps > 32)
    return emitError() << "warps must be between 1 and 32, got " << warps;
  if (rowTiles < 1 || warps % rowTiles != 0)
    return emitError() << "row_tiles must divide warps " << warps << ", got "
                       << rowTiles;
  // Each block in a step holds 8 registers of weights per thread.
  if (blocksPerStep < 1 || blocksPerStep > 8)
    return emitError() << "blocks_per_step must be between 1 and 8, got "
                       << blocksPerStep;
  return success();
}

trilm::ternary::PackedLayoutAttrInterface MatmulConfigAttr::getWeightLayout() const {
  return {};
}
