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

LogicalResult MatmulConfigAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, int64_t rows, int64_t actRows,
    int64_t blockRows, int64_t blockActRows, int64_t streams,
    int64_t prefetchBytes, Int8DotKind int8Dot,
    trilm::ternary::PackedLayoutAttrInterface layout, int64_t panelRows,
    int64_t panelActRows, int64_t panelMinActRows, ByteLookupKind byteLookup) {
  if (isa_and_present<trilm::ternary::TritTriplesAttr>(layout)) {
    // The lookup-table kernel's tile: a group of the layout, one row.
    if (rows % trilm::packing::kTripleRows != 0 ||
        rows > kMaxTableGroups * trilm::packing::kTripleRows || rows < 1 ||
        actRows != 1)
      return emitError() << "weights in #ternary.trit_triples take tiles of "
                            "32 to 256 rows (whole groups of 32) by 1 "
                            "activation row, got "
                         << rows << " x " << actRows;
    if (panelRows != 0 && panelRows != kTablePanelRows)
      return emitError() << "panels of weights in #ternary.trit_triples are "
                            "two groups of 32 rows, got "
                         << panelRows;
  } else if (rows < 1 || rows > 16 || actRows < 1 || actRows > 16) {
    return emitError() << "the register tile must be 1 to 16 rows by 1 to 16 "
                          "activation rows, got "
                       << rows << " x " << actRows;
  }
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
  return verifyPanel(emitError, panelRows, panelActRows, panelMinActRows,
                     int8Dot);
}

LogicalResult
trilm::ternary_cpu::verifyPanel(function_ref<InFlightDiagnostic()> emitError,
                                int64_t panelRows, int64_t panelActRows,
                                int64_t panelMinActRows, Int8DotKind int8Dot) {
  if (panelRows == 0) {
    if (panelActRows != 0 || panelMinActRows != 0)
      return emitError() << "panel_act_rows and panel_min_act_rows need "
                            "panel_rows";
    return success();
  }
  if (panelRows < 0 || panelRows % kPanelVectorRows != 0)
    return emitError() << "panel_rows must be a positive multiple of "
                       << kPanelVectorRows << ", got " << panelRows;
  int64_t codeVectors = panelRows / kPanelVectorRows;
  if (panelActRows < 1 ||
      (panelActRows + 1) * codeVectors > kPanelRegisters)
    return emitError() << "a panel of " << panelRows << " rows takes 1 to "
                       << kPanelRegisters / codeVectors - 1
                       << " activation rows (its accumulators and codes share "
                       << kPanelRegisters << " vector registers), got "
                       << panelActRows;
  if (panelMinActRows < 1)
    return emitError() << "panel_min_act_rows must be positive, got "
                       << panelMinActRows;
  if (int8Dot != Int8DotKind::avx512_vnni && int8Dot != Int8DotKind::generic)
    return emitError() << "the panel kernel needs 16-lane unsigned dot "
                          "products (avx512_vnni or generic), not "
                       << stringifyInt8DotKind(int8Dot);
  return success();
}
