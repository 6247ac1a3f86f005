//===- TernaryOps.cpp - Ternary operations --------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "trilm/Utils/ResourceUtils.h"

#include <limits>

using namespace mlir;
using namespace trilm::ternary;

#define GET_OP_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryOps.cpp.inc"

/// Prints a shape as `[a, b]`, `?` for dynamic sizes.
static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t dim) {
    if (ShapedType::isDynamic(dim))
      os << '?';
    else
      os << dim;
  });
  os << ']';
  return result;
}

/// Constant trits are folded into packed bytes only up to this many, so that
/// folding never holds gigabytes (larger packs run in the program).
constexpr int64_t kMaxFoldedTrits = int64_t(1) << 26;

/// Returns the i8 values of a dense or dense-resource elements attribute of
/// at most kMaxFoldedTrits elements.
static std::optional<SmallVector<int8_t>> getI8Values(Attribute attr) {
  auto elements = dyn_cast_if_present<ElementsAttr>(attr);
  if (!elements || elements.getNumElements() > kMaxFoldedTrits)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    if (!dense.getElementType().isInteger(8))
      return std::nullopt;
    return llvm::to_vector(dense.getValues<int8_t>());
  }
  if (auto resource = dyn_cast<DenseI8ResourceElementsAttr>(attr)) {
    if (std::optional<ArrayRef<int8_t>> data = trilm::getResourceElements(resource))
      return SmallVector<int8_t>(*data);
  }
  return std::nullopt;
}

/// The first element of an i8 constant outside {-1, 0, 1}, as (flat index,
/// value), without materialising a splat.
static std::optional<std::pair<int64_t, int8_t>> findNonTrit(Attribute attr) {
  auto check = [](auto values) -> std::optional<std::pair<int64_t, int8_t>> {
    for (auto [index, value] : llvm::enumerate(values))
      if (value < -1 || value > 1)
        return std::make_pair(static_cast<int64_t>(index), value);
    return std::nullopt;
  };
  if (auto dense = dyn_cast_if_present<DenseIntElementsAttr>(attr)) {
    if (!dense.getElementType().isInteger(8))
      return std::nullopt;
    if (dense.isSplat())
      return check(ArrayRef<int8_t>(dense.getSplatValue<int8_t>()));
    return check(dense.getValues<int8_t>());
  }
  if (auto resource = dyn_cast_if_present<DenseI8ResourceElementsAttr>(attr))
    if (std::optional<ArrayRef<int8_t>> data = trilm::getResourceElements(resource))
      return check(*data);
  return std::nullopt;
}

/// Verifies the bytes of a constant that holds packed `type` storage: a
/// resource blob of the right size, and only codes the packer produces.
static LogicalResult verifyPackedBytes(Operation *op, PackedType type,
                                       Attribute bytes) {
  auto emitError = [&] { return op->emitOpError(); };
  std::vector<uint8_t> splatBlock;
  ArrayRef<uint8_t> codes;
  if (auto resource = dyn_cast_if_present<DenseResourceElementsAttr>(bytes)) {
    if (failed(trilm::verifyResourceSize(resource, emitError)))
      return failure();
    auto i8 = dyn_cast<DenseI8ResourceElementsAttr>(resource);
    std::optional<ArrayRef<int8_t>> data =
        i8 ? trilm::getResourceElements(i8) : std::nullopt;
    if (!data)
      return success();
    codes = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data->data()),
                              data->size());
  } else if (auto dense = dyn_cast_if_present<DenseIntElementsAttr>(bytes)) {
    if (!dense.getElementType().isInteger(8))
      return success();
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      // One block of the repeated byte says as much as all of them.
      splatBlock.assign(isa_and_present<TritTriplesAttr>(type.getLayout())
                            ? trilm::packing::kTripleWordBytes
                            : trilm::packing::codeBytesPerBlock(
                                  toPackingScheme(type.getScheme())),
                        static_cast<uint8_t>(raw.front()));
      codes = splatBlock;
    } else {
      codes = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(raw.data()),
                                raw.size());
    }
  } else {
    return success();
  }
  trilm::packing::Status status =
      isa_and_present<TritTriplesAttr>(type.getLayout())
          ? trilm::packing::checkTriples(codes.data(), codes.size())
          : trilm::packing::checkCodes(toPackingScheme(type.getScheme()),
                                       codes.data(), codes.size());
  if (!status.ok())
    return op->emitOpError("packed bytes hold a code no packer produces: ")
           << status.message;
  return success();
}

LogicalResult trilm::ternary::verifyScales(Operation *op,
                                           ScaleGroupsAttr groups,
                                           RankedTensorType scalesType,
                                           int64_t rows, int64_t cols) {
  if (failed(groups.verifyShape([&] { return op->emitOpError(); }, rows, cols)))
    return failure();
  SmallVector<int64_t, 2> expected = {groups.getNumRowGroups(rows),
                                      groups.getNumColGroups(cols)};
  if (scalesType.getShape() != ArrayRef<int64_t>(expected))
    return op->emitOpError("scales shape ")
           << shapeString(scalesType.getShape()) << " does not match the "
           << shapeString(expected) << " scale groups of a " << rows << "x"
           << cols << " matrix";
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  RankedTensorType storageType = getType().getStorageType();
  if (getValue().getType() != storageType)
    return emitOpError("value of type ")
           << getValue().getType() << " does not match the storage type "
           << storageType << " of " << getType();
  // A short blob would be read past its end by every lowering; a code the
  // packer never produces (a tq2 code 3) would be computed as a trit of 2.
  return verifyPackedBytes(*this, getType(), getValue());
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

LogicalResult FromStorageOp::verify() {
  RankedTensorType storageType = getType().getStorageType();
  auto operandType = cast<RankedTensorType>(getStorage().getType());
  if (operandType.getNumElements() != storageType.getNumElements())
    return emitOpError("storage of type ")
           << operandType << " holds " << operandType.getNumElements()
           << " bytes but " << getType() << " takes "
           << storageType.getNumElements() << " (" << storageType << ")";
  Attribute constant;
  if (matchPattern(getStorage(), m_Constant(&constant)))
    return verifyPackedBytes(*this, getType(), constant);
  return success();
}

LogicalResult PackOp::verify() {
  auto tritsType = getTrits().getType();
  PackedType packedType = getType();
  SmallVector<int64_t, 2> expected = {packedType.getRows(),
                                      packedType.getCols()};
  if (tritsType.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("trits shape ")
           << shapeString(tritsType.getShape())
           << " does not match the packed matrix "
           << shapeString(expected);
  Attribute constant;
  if (!matchPattern(getTrits(), m_Constant(&constant)))
    return success();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant))
    if (failed(trilm::verifyResourceSize(resource, [&] { return emitOpError(); })))
      return failure();
  std::optional<std::pair<int64_t, int8_t>> bad = findNonTrit(constant);
  if (!bad)
    return success();
  int64_t cols = packedType.getCols();
  return emitOpError("constant trits hold ")
         << static_cast<int>(bad->second) << " at [" << bad->first / cols
         << ", " << bad->first % cols << "]; trits must be -1, 0 or +1";
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  std::optional<SmallVector<int8_t>> trits = getI8Values(adaptor.getTrits());
  if (!trits)
    return {};
  PackedType packedType = getType();
  RankedTensorType storageType = packedType.getStorageType();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      storageType.getNumElements(), alignof(uint64_t));
  MutableArrayRef<char> bytes = blob.getMutableData();
  if (!packedType
           .pack(*trits, MutableArrayRef<uint8_t>(
                             reinterpret_cast<uint8_t *>(bytes.data()),
                             bytes.size()))
           .ok())
    return {};
  return DenseI8ResourceElementsAttr::get(storageType, "ternary_packed",
                                          std::move(blob));
}

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

void UnpackOp::build(OpBuilder &builder, OperationState &state, Value weights) {
  auto packedType = cast<PackedType>(weights.getType());
  auto resultType =
      RankedTensorType::get({packedType.getRows(), packedType.getCols()},
                            builder.getI8Type());
  build(builder, state, resultType, weights, /*scales=*/Value(),
        /*groups=*/ScaleGroupsAttr());
}

LogicalResult UnpackOp::verify() {
  PackedType packedType = getWeights().getType();
  auto resultType = cast<RankedTensorType>(getResult().getType());
  SmallVector<int64_t, 2> expected = {packedType.getRows(),
                                      packedType.getCols()};
  if (resultType.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result shape ")
           << shapeString(resultType.getShape())
           << " does not match the packed matrix " << shapeString(expected);
  if (!getScales()) {
    if (getGroups())
      return emitOpError("scale groups given without scales");
    if (!resultType.getElementType().isInteger(8))
      return emitOpError("result must have i8 elements when unpacking trits, "
                         "got ")
             << resultType.getElementType();
    return success();
  }
  if (!getGroups())
    return emitOpError("scales given without scale groups");
  if (!isa<Float32Type, Float16Type, BFloat16Type>(resultType.getElementType()))
    return emitOpError("result must have f32, f16 or bf16 elements when "
                       "unpacking with scales, got ")
           << resultType.getElementType();
  return verifyScales(*this, *getGroups(), getScales().getType(),
                      packedType.getRows(), packedType.getCols());
}

OpFoldResult UnpackOp::fold(FoldAdaptor) {
  if (getScales())
    return {};
  auto pack = getWeights().getDefiningOp<PackOp>();
  if (!pack || pack.getTrits().getType() != getType())
    return {};
  return pack.getTrits();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  auto inputType = getInput().getType();
  if (inputType.getRank() != 2)
    return emitOpError("input must be a 2-D tensor (rows x K), got rank ")
           << inputType.getRank();
  if (getQuantized().getType().getShape() != inputType.getShape())
    return emitOpError("quantized shape ")
           << shapeString(getQuantized().getType().getShape())
           << " does not match the input shape "
           << shapeString(inputType.getShape());
  auto scalesShape = getScales().getType().getShape();
  if (scalesShape.size() != 1 || scalesShape[0] != inputType.getDimSize(0))
    return emitOpError("scales shape ")
           << shapeString(scalesShape) << " must be "
           << shapeString(inputType.getShape().take_front());
  if (!(getEps().convertToFloat() > 0.0f))
    return emitOpError("eps must be positive, got ")
           << getEps().convertToFloat();
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  PackedType packedType = getWeights().getType();
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  int64_t rows = packedType.getRows(), cols = packedType.getCols();
  if (inputType.getRank() != 2 || inputType.getDimSize(1) != cols)
    return emitOpError("input shape ")
           << shapeString(inputType.getShape()) << " must be [M, " << cols
           << "] to match the " << rows << "x" << cols << " weights";
  int64_t m = inputType.getDimSize(0);
  if (resultType.getRank() != 2 || resultType.getDimSize(0) != m ||
      resultType.getDimSize(1) != rows)
    return emitOpError("result shape ")
           << shapeString(resultType.getShape()) << " must be "
           << shapeString({m, rows});
  Type inputElement = inputType.getElementType();
  if (inputElement.isInteger(8)) {
    if (!getActScales())
      return emitOpError("i8 activations need act_scales (one f32 per row)");
    auto actShape = getActScales().getType().getShape();
    if (actShape.size() != 1 || actShape[0] != m)
      return emitOpError("act_scales shape ")
             << shapeString(actShape) << " must be " << shapeString({m});
  } else if (isa<Float32Type, Float16Type, BFloat16Type>(inputElement)) {
    if (getActScales())
      return emitOpError("act_scales are only allowed with i8 activations");
  } else {
    return emitOpError("activations must be f32, f16, bf16 or i8, got ")
           << inputElement;
  }
  return verifyScales(*this, getGroups(), getScales().getType(), rows, cols);
}
