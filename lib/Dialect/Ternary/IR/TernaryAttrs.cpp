//===- TernaryAttrs.cpp - Ternary attributes ------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trilm::ternary;
namespace packing = trilm::packing;

#include "trilm/Dialect/Ternary/IR/TernaryEnums.cpp.inc"

#include "trilm/Dialect/Ternary/IR/TernaryAttrInterfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryAttrs.cpp.inc"

void TernaryDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trilm/Dialect/Ternary/IR/TernaryAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// RowInterleaveAttr
//===----------------------------------------------------------------------===//

LogicalResult
RowInterleaveAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t rows) {
  if (rows < 2 || rows > 64 || !llvm::isPowerOf2_64(rows))
    return emitError() << "row_interleave factor must be a power of two "
                          "between 2 and 64, got "
                       << rows;
  return success();
}

LogicalResult
RowInterleaveAttr::verifyLayout(function_ref<InFlightDiagnostic()> emitError,
                                int64_t rows, int64_t cols) const {
  if (rows % getRows() != 0)
    return emitError() << "row_interleave<" << getRows()
                       << "> needs a number of rows divisible by "
                       << getRows() << ", got " << rows;
  return success();
}

SmallVector<int64_t, 2>
RowInterleaveAttr::getStorageShape(int64_t rows, int64_t rowBytes) const {
  return {rows / getRows(), getRows() * rowBytes};
}

std::pair<int64_t, int64_t>
RowInterleaveAttr::getBlockPosition(int64_t row, int64_t block,
                                    int64_t blockBytes,
                                    int64_t /*rowBytes*/) const {
  int64_t factor = getRows();
  return {row / factor, (block * factor + row % factor) * blockBytes};
}

//===----------------------------------------------------------------------===//
// TritTriplesAttr
//===----------------------------------------------------------------------===//

LogicalResult
TritTriplesAttr::verifyLayout(function_ref<InFlightDiagnostic()> emitError,
                              int64_t rows, int64_t cols) const {
  if (rows % packing::kTripleRows != 0)
    return emitError() << "trit_triples needs a number of rows divisible by "
                       << packing::kTripleRows << ", got " << rows;
  return success();
}

SmallVector<int64_t, 2>
TritTriplesAttr::getStorageShape(int64_t rows, int64_t rowBytes) const {
  int64_t blocks = rowBytes / packing::kTQ1CodeBytes;
  return {rows / packing::kTripleRows, blocks * packing::kTripleBlockBytes};
}

std::pair<int64_t, int64_t>
TritTriplesAttr::getBlockPosition(int64_t row, int64_t block,
                                  int64_t /*blockBytes*/,
                                  int64_t /*rowBytes*/) const {
  // The block's words, shared by the 32 rows of the group.
  return {row / packing::kTripleRows, block * packing::kTripleBlockBytes};
}

//===----------------------------------------------------------------------===//
// ScaleGroupsAttr
//===----------------------------------------------------------------------===//

ScaleGroupsAttr ScaleGroupsAttr::getPerTensor(MLIRContext *context) {
  return ScaleGroupsAttr::get(context, {}, 0, {}, 0);
}

static LogicalResult
verifyAxis(function_ref<InFlightDiagnostic()> emitError, char axis,
           ArrayRef<int64_t> splits, int64_t block) {
  if (block < 0)
    return emitError() << "scale group block along " << axis
                       << " must be positive, got " << block;
  if (block > 0 && !splits.empty())
    return emitError() << "scale groups along " << axis
                       << " cannot have both splits and a block size";
  for (auto [i, split] : llvm::enumerate(splits)) {
    if (split <= 0)
      return emitError() << "scale group split along " << axis
                         << " must be positive, got " << split;
    if (i > 0 && split <= splits[i - 1])
      return emitError() << "scale group splits along " << axis
                         << " must be strictly increasing, got " << split
                         << " after " << splits[i - 1];
  }
  return success();
}

LogicalResult
ScaleGroupsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        ArrayRef<int64_t> rowSplits, int64_t rowBlock,
                        ArrayRef<int64_t> colSplits, int64_t colBlock) {
  if (failed(verifyAxis(emitError, 'n', rowSplits, rowBlock)))
    return failure();
  return verifyAxis(emitError, 'k', colSplits, colBlock);
}

static SmallVector<int64_t> axisBounds(ArrayRef<int64_t> splits, int64_t block,
                                       int64_t size) {
  SmallVector<int64_t> bounds = {0};
  if (block > 0) {
    // `size - start > block` rather than `start + block < size`: no overflow
    // for blocks near 2^63.
    for (int64_t start = block; start < size; start += block) {
      bounds.push_back(start);
      if (size - start <= block)
        break;
    }
  } else {
    llvm::append_range(bounds, splits);
  }
  bounds.push_back(size);
  return bounds;
}

SmallVector<int64_t> ScaleGroupsAttr::getRowBounds(int64_t rows) const {
  return axisBounds(getRowSplits(), getRowBlock(), rows);
}

SmallVector<int64_t> ScaleGroupsAttr::getColBounds(int64_t cols) const {
  return axisBounds(getColSplits(), getColBlock(), cols);
}

static int64_t axisGroups(ArrayRef<int64_t> splits, int64_t block,
                          int64_t size) {
  if (block > 0)
    return llvm::divideCeil(size, block);
  return static_cast<int64_t>(splits.size()) + 1;
}

int64_t ScaleGroupsAttr::getNumRowGroups(int64_t rows) const {
  return axisGroups(getRowSplits(), getRowBlock(), rows);
}

int64_t ScaleGroupsAttr::getNumColGroups(int64_t cols) const {
  return axisGroups(getColSplits(), getColBlock(), cols);
}

LogicalResult
ScaleGroupsAttr::verifyShape(function_ref<InFlightDiagnostic()> emitError,
                             int64_t rows, int64_t cols) const {
  for (auto [axis, groups] :
       {std::pair<char, int64_t>{'n', getNumRowGroups(rows)},
        {'k', getNumColGroups(cols)}})
    if (groups > kMaxScaleGroups)
      return emitError() << groups << " scale groups along " << axis
                         << " exceed the limit of " << kMaxScaleGroups;
  if (!getRowSplits().empty() && getRowSplits().back() >= rows)
    return emitError() << "scale group split " << getRowSplits().back()
                       << " along n is outside the " << rows << " rows";
  if (!getColSplits().empty() && getColSplits().back() >= cols)
    return emitError() << "scale group split " << getColSplits().back()
                       << " along k is outside the " << cols << " columns";
  return success();
}

// Parses `[a, b, ...]` or `block B` after `n =` / `k =`.
static ParseResult parseAxis(AsmParser &parser, SmallVectorImpl<int64_t> &splits,
                             int64_t &block) {
  if (succeeded(parser.parseOptionalKeyword("block")))
    return parser.parseInteger(block);
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square,
      [&]() { return parser.parseInteger(splits.emplace_back()); });
}

Attribute ScaleGroupsAttr::parse(AsmParser &parser, Type) {
  SmallVector<int64_t> rowSplits, colSplits;
  int64_t rowBlock = 0, colBlock = 0;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess())
    return {};
  if (succeeded(parser.parseOptionalKeyword("tensor"))) {
    if (parser.parseGreater())
      return {};
    return getPerTensor(parser.getContext());
  }
  bool seenRows = false, seenCols = false;
  auto parseEntry = [&]() -> ParseResult {
    StringRef axis;
    SMLoc axisLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&axis) || parser.parseEqual())
      return failure();
    if (axis == "n" && !seenRows) {
      seenRows = true;
      return parseAxis(parser, rowSplits, rowBlock);
    }
    if (axis == "k" && !seenCols) {
      seenCols = true;
      return parseAxis(parser, colSplits, colBlock);
    }
    return parser.emitError(axisLoc)
           << "expected 'tensor' or each of 'n' and 'k' at most once, got '"
           << axis << "'";
  };
  if (parser.parseCommaSeparatedList(parseEntry) || parser.parseGreater())
    return {};
  return parser.getChecked<ScaleGroupsAttr>(loc, parser.getContext(), rowSplits,
                                            rowBlock, colSplits, colBlock);
}

static void printAxis(AsmPrinter &printer, char axis, ArrayRef<int64_t> splits,
                      int64_t block) {
  printer << axis << " = ";
  if (block > 0) {
    printer << "block " << block;
    return;
  }
  printer << '[';
  llvm::interleaveComma(splits, printer);
  printer << ']';
}

void ScaleGroupsAttr::print(AsmPrinter &printer) const {
  bool hasRows = getRowBlock() > 0 || !getRowSplits().empty();
  bool hasCols = getColBlock() > 0 || !getColSplits().empty();
  printer << '<';
  if (!hasRows && !hasCols)
    printer << "tensor";
  if (hasRows)
    printAxis(printer, 'n', getRowSplits(), getRowBlock());
  if (hasRows && hasCols)
    printer << ", ";
  if (hasCols)
    printAxis(printer, 'k', getColSplits(), getColBlock());
  printer << '>';
}
