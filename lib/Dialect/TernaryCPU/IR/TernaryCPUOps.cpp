//===- TernaryCPUOps.cpp - CPU kernel operations --------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <limits>

using namespace mlir;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;
namespace packing = trilm::packing;

#define GET_OP_CLASSES
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPUOps.cpp.inc"

//===----------------------------------------------------------------------===//
// PrepareActivationsOp
//===----------------------------------------------------------------------===//

int64_t PrepareActivationsOp::getPositionsPerBlock(PackingScheme scheme) {
  return scheme == PackingScheme::tq2 ? 256 : 320;
}

int64_t PrepareActivationsOp::getNumPreparedBlocks(ScaleGroupsAttr groups,
                                                   int64_t cols) {
  SmallVector<int64_t> bounds = groups.getColBounds(cols);
  int64_t blocks = 0;
  for (size_t g = 0; g + 1 < bounds.size(); ++g)
    blocks += llvm::divideCeil(bounds[g + 1], packing::kBlockSize) -
              bounds[g] / packing::kBlockSize;
  return blocks;
}

LogicalResult PrepareActivationsOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto preparedType = cast<RankedTensorType>(getPrepared().getType());
  if (inputType.getRank() != 2 || ShapedType::isDynamic(inputType.getDimSize(1)))
    return emitOpError("input must be a 2-D tensor with a static K, got ")
           << inputType;
  int64_t cols = inputType.getDimSize(1);
  // Only the split along K matters here: check it with the fewest rows
  // that the row groups fit (row blocks of any size fit one row).
  ArrayRef<int64_t> rowSplits = getGroups().getRowSplits();
  int64_t rows = rowSplits.empty() ? 1 : rowSplits.back() + 1;
  if (failed(getGroups().verifyShape([&] { return emitOpError(); }, rows,
                                     cols)))
    return failure();
  bool int8 = inputType.getElementType().isInteger(8);
  if (!int8 && !isa<Float32Type, Float16Type, BFloat16Type>(
                   inputType.getElementType()))
    return emitOpError("activations must be f32, f16, bf16 or i8, got ")
           << inputType.getElementType();
  if (getTripleOrder() && getScheme() != PackingScheme::tq1)
    return emitOpError("triple_order is the order of tq1 weights stored as "
                       "#ternary.trit_triples, not of ")
           << stringifyPackingScheme(getScheme());
  int64_t blocks = getNumPreparedBlocks(getGroups(), cols);
  Type element = int8 ? Type(IntegerType::get(getContext(), 8))
                      : Type(Float32Type::get(getContext()));
  auto expected = RankedTensorType::get(
      {inputType.getDimSize(0), blocks * getPositionsPerBlock(getScheme())},
      element);
  if (preparedType != expected)
    return emitOpError("prepared type ")
           << preparedType << " must be " << expected;
  if (int8 != static_cast<bool>(getBlockSums()))
    return emitOpError(int8 ? "i8 activations need a block_sums result"
                            : "block_sums are only returned for i8 activations");
  if (int8) {
    auto sumsType = RankedTensorType::get({inputType.getDimSize(0), blocks},
                                          IntegerType::get(getContext(), 32));
    if (getBlockSums().getType() != sumsType)
      return emitOpError("block_sums type ")
             << getBlockSums().getType() << " must be " << sumsType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// TileMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult TileMatmulOp::verify() {
  PackedType packedType = getWeights().getType();
  auto preparedType = cast<RankedTensorType>(getPrepared().getType());
  int64_t rows = packedType.getRows(), cols = packedType.getCols();
  if (getTileRows() < 1 || getTileRows() > 16 || getTileActRows() < 1 ||
      getTileActRows() > 16)
    return emitOpError("tile must be 1 to 16 activation rows by 1 to 16 "
                       "weight rows, got ")
           << getResult().getType();
  int64_t positions =
      PrepareActivationsOp::getNumPreparedBlocks(getGroups(), cols) *
      PrepareActivationsOp::getPositionsPerBlock(packedType.getScheme());
  bool int8 = preparedType.getElementType().isInteger(8);
  if (preparedType.getRank() != 2 || preparedType.getDimSize(1) != positions ||
      !(int8 || preparedType.getElementType().isF32()))
    return emitOpError("prepared activations of type ")
           << preparedType << " do not match weights " << packedType
           << " and their scale groups: expected [M, " << positions
           << "] of i8 or f32";
  if (int8 != static_cast<bool>(getActScales()))
    return emitOpError(int8 ? "i8 activations need act_scales"
                            : "act_scales are only allowed with i8 activations");
  bool needsSums = int8 && getInt8Dot() != Int8DotKind::neon_dotprod;
  if (needsSums != static_cast<bool>(getBlockSums()))
    return emitOpError(needsSums
                           ? "unsigned-code dot products need block_sums"
                           : "block_sums are only used by i8 tiles with "
                             "unsigned codes");
  if (std::optional<int64_t> prefetch = getPrefetchBytes();
      prefetch && (*prefetch < 1 || *prefetch > kMaxPrefetchBytes))
    return emitOpError("prefetch distance must be 1 to ")
           << kMaxPrefetchBytes << " bytes, got " << *prefetch;
  return verifyScales(*this, getGroups(), getScales().getType(), rows, cols);
}

//===----------------------------------------------------------------------===//
// PanelMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult PanelMatmulOp::verify() {
  PackedType packedType = getWeights().getType();
  int64_t rows = packedType.getRows(), cols = packedType.getCols();
  auto preparedType = cast<RankedTensorType>(getPrepared().getType());
  auto destType = cast<RankedTensorType>(getDest().getType());
  if (failed(verifyPanel([&] { return emitOpError(); }, getPanelRows(),
                         getActRows(), /*panelMinActRows=*/1, getInt8Dot())))
    return failure();
  bool triples = isa_and_present<TritTriplesAttr>(packedType.getLayout());
  if (triples != getByteLookup().has_value())
    return emitOpError(triples ? "weights stored as #ternary.trit_triples "
                                 "need byte lookups to decode (lookup)"
                               : "byte lookups (lookup) are only for weights "
                                 "stored as #ternary.trit_triples");
  if (triples && getPanelRows() != kTablePanelRows)
    return emitOpError("panels of weights stored as #ternary.trit_triples "
                       "are two groups of 32 rows, got ")
           << getPanelRows();
  int64_t blocks = PrepareActivationsOp::getNumPreparedBlocks(getGroups(), cols);
  int64_t positions =
      blocks * PrepareActivationsOp::getPositionsPerBlock(packedType.getScheme());
  if (preparedType.getRank() != 2 || preparedType.getDimSize(1) != positions)
    return emitOpError("prepared activations of type ")
           << preparedType << " do not match weights " << packedType
           << " and their scale groups: expected [M, " << positions << "]";
  int64_t m = preparedType.getDimSize(0);
  auto sumsType = cast<RankedTensorType>(getBlockSums().getType());
  auto actScalesType = cast<RankedTensorType>(getActScales().getType());
  if (sumsType.getShape() != ArrayRef<int64_t>{m, blocks} ||
      actScalesType.getShape() != ArrayRef<int64_t>{m})
    return emitOpError("block_sums and act_scales must be [M, ")
           << blocks << "] and [M] for M = "
           << (ShapedType::isDynamic(m) ? std::string("?") : std::to_string(m))
           << ", got " << sumsType << " and " << actScalesType;
  if (destType.getRank() != 2 ||
      (!destType.isDynamicDim(1) && destType.getDimSize(1) > static_cast<int64_t>(getPanelRows())))
    return emitOpError("dest must be 2-D with at most panel_rows (")
           << getPanelRows() << ") columns, got " << destType;
  return verifyScales(*this, getGroups(), getScales().getType(), rows, cols);
}

//===----------------------------------------------------------------------===//
// PrepareTablesOp
//===----------------------------------------------------------------------===//

int64_t PrepareTablesOp::getBytesPerBlock() {
  return packing::kTripleWordsPerBlock * packing::kTriplesPerWord *
         kTripleTableBytes;
}

LogicalResult PrepareTablesOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  if (inputType.getRank() != 2 ||
      ShapedType::isDynamic(inputType.getDimSize(1)))
    return emitOpError("input must be a 2-D tensor with a static K, got ")
           << inputType;
  int64_t cols = inputType.getDimSize(1);
  ArrayRef<int64_t> rowSplits = getGroups().getRowSplits();
  int64_t rows = rowSplits.empty() ? 1 : rowSplits.back() + 1;
  if (failed(
          getGroups().verifyShape([&] { return emitOpError(); }, rows, cols)))
    return failure();
  auto expected = RankedTensorType::get(
      {inputType.getDimSize(0),
       PrepareActivationsOp::getNumPreparedBlocks(getGroups(), cols) *
           getBytesPerBlock()},
      inputType.getElementType());
  if (getTables().getType() != expected)
    return emitOpError("tables type ")
           << getTables().getType() << " must be " << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// TableMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult TableMatmulOp::verify() {
  PackedType packedType = getWeights().getType();
  int64_t rows = packedType.getRows(), cols = packedType.getCols();
  if (!isa_and_present<TritTriplesAttr>(packedType.getLayout()))
    return emitOpError("weights must be stored as #ternary.trit_triples, got ")
           << packedType;
  VectorType resultType = getResult().getType();
  int64_t tileRows = resultType.getDimSize(1);
  if (resultType.getDimSize(0) != 1 || tileRows % packing::kTripleRows != 0 ||
      tileRows > kMaxTableGroups * packing::kTripleRows)
    return emitOpError("result must be 1 x 32 to 256 (whole groups of 32 "
                       "rows of the layout), got ")
           << resultType;
  auto tablesType = cast<RankedTensorType>(getTables().getType());
  int64_t bytes =
      PrepareActivationsOp::getNumPreparedBlocks(getGroups(), cols) *
      PrepareTablesOp::getBytesPerBlock();
  if (tablesType.getRank() != 2 || tablesType.getDimSize(1) != bytes)
    return emitOpError("tables of type ")
           << tablesType << " do not match weights " << packedType
           << " and their scale groups: expected [M, " << bytes << "]";
  auto actScalesType = cast<RankedTensorType>(getActScales().getType());
  if (actScalesType.getRank() != 1)
    return emitOpError("act_scales must be 1-D, got ") << actScalesType;
  if (std::optional<int64_t> prefetch = getPrefetchBytes();
      prefetch && (*prefetch < 1 || *prefetch > kMaxPrefetchBytes))
    return emitOpError("prefetch distance must be 1 to ")
           << kMaxPrefetchBytes << " bytes, got " << *prefetch;
  return verifyScales(*this, getGroups(), getScales().getType(), rows, cols);
}

//===----------------------------------------------------------------------===//
// Dot4Op
//===----------------------------------------------------------------------===//

LogicalResult Dot4Op::verify() {
  int64_t lanes = getAcc().getType().getDimSize(0);
  int64_t bytes = getLhs().getType().getDimSize(0);
  if (bytes != 4 * lanes)
    return emitOpError("operands have ")
           << bytes << " bytes but " << lanes << " i32 lanes need " << 4 * lanes;
  switch (getKind()) {
  case Int8DotKind::generic:
    return success();
  case Int8DotKind::avx512_vnni:
  case Int8DotKind::avx_vnni: {
    if (!getUnsignedLhs())
      return emitOpError("vpdpbusd needs an unsigned lhs");
    bool wide = getKind() == Int8DotKind::avx512_vnni;
    if (lanes != 4 && lanes != 8 && !(wide && lanes == 16))
      return emitOpError("vpdpbusd (")
             << stringifyInt8DotKind(getKind()) << ") takes 4, 8"
             << (wide ? " or 16" : "") << " lanes, got " << lanes;
    return success();
  }
  case Int8DotKind::neon_dotprod:
    if (getUnsignedLhs())
      return emitOpError("sdot needs a signed lhs");
    if (lanes != 4)
      return emitOpError("sdot takes 4 lanes, got ") << lanes;
    return success();
  }
  llvm_unreachable("unknown int8 dot kind");
}

//===----------------------------------------------------------------------===//
// TritsToF32Op
//===----------------------------------------------------------------------===//

LogicalResult TritsToF32Op::verify() {
  int64_t shift = getShift();
  if (shift < 0 || shift > 30 || shift % 2 != 0)
    return emitOpError("shift must be an even bit position from 0 to 30, got ")
           << shift;
  return success();
}

//===----------------------------------------------------------------------===//
// PrefetchOp
//===----------------------------------------------------------------------===//

LogicalResult PrefetchOp::verify() {
  int64_t rank = getSource().getType().getRank();
  if (static_cast<int64_t>(getIndices().size()) != rank)
    return emitOpError("takes one index per dimension of its ")
           << rank << "-D source, got " << getIndices().size();
  return success();
}
