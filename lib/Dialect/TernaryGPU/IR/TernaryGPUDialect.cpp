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
                         int64_t blocksPerStep, int64_t promptRows,
                         int64_t promptStages) {
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
  if (promptRows == 0 && promptStages == 0)
    return success();
  // The 4 warps read activation tiles in pairs of 8 rows (ldmatrix.x4).
  if (promptRows < 16 || promptRows > 64 || promptRows % 16 != 0)
    return emitError() << "prompt_rows must be 16, 32, 48 or 64, got "
                       << promptRows;
  if (promptStages < 2 || promptStages > 8)
    return emitError() << "prompt_stages must be between 2 and 8, got "
                       << promptStages;
  // Per stage: the rows' 64 f16 activations and 64 weight rows' 16 bytes,
  // within the 48 KiB of static shared memory a thread block may declare.
  int64_t sharedBytes = promptStages * (promptRows * 64 * 2 + 64 * 16);
  if (sharedBytes > 48 * 1024)
    return emitError() << "prompt_stages " << promptStages << " of "
                       << promptRows << " rows need " << sharedBytes
                       << " bytes of shared memory, more than 49152";
  return success();
}

trilm::ternary::PackedLayoutAttrInterface MatmulConfigAttr::getWeightLayout() const {
  return {};
}
