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

LogicalResult
MatmulConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t rows, int64_t actRows, int64_t blockRows,
                         int64_t blockActRows, int64_t streams,
                         int64_t prefetchBytes, Int8DotKind int8Dot,
                         trilm::ternary::PackedLayoutAttrInterface layout) {
  if (rows < 1 || rows > 16 || actRows < 1 || actRows > 16)
    return emitError() << "the register tile must be 1 to 16 rows by 1 to 16 "
                          "activation rows, got "
                       << rows << " x " << actRows;
  if (blockRows < rows || blockRows % rows != 0)
    return emitError() << "block_rows " << blockRows
                       << " must be a positive multiple of rows " << rows;
  if (blockActRows < actRows || blockActRows % actRows != 0)
    return emitError() << "block_act_rows " << blockActRows
                       << " must be a positive multiple of act_rows "
                       << actRows;
  if (streams < 1 || blockRows % (rows * streams) != 0)
    return emitError() << "streams " << streams
                       << " must be positive and divide block_rows "
                       << blockRows << " into whole tiles of " << rows;
  if (prefetchBytes < 0 || prefetchBytes > kMaxPrefetchBytes)
    return emitError() << "prefetch_bytes must be between 0 and "
                       << kMaxPrefetchBytes << ", got " << prefetchBytes;
  return success();
}
