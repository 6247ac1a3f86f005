//===- TernaryTypes.cpp - Ternary types -----------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cstring>

using namespace mlir;
using namespace trilm::ternary;
namespace packing = trilm::packing;

#define GET_TYPEDEF_CLASSES
#include "trilm/Dialect/Ternary/IR/TernaryOpsTypes.cpp.inc"

void TernaryDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "trilm/Dialect/Ternary/IR/TernaryOpsTypes.cpp.inc"
      >();
}

LogicalResult PackedType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t rows, int64_t cols,
                                 PackingScheme scheme,
                                 PackedLayoutAttrInterface layout) {
  if (rows <= 0 || cols <= 0)
    return emitError() << "packed ternary matrix must have positive static "
                          "dimensions, got "
                       << rows << "x" << cols;
  // Far beyond any layer; keeps every size derived from the type (storage
  // bytes, block counts) within 64 bits.
  constexpr int64_t kMaxTrits = int64_t(1) << 40;
  if (cols > kMaxTrits / rows)
    return emitError() << "packed ternary matrix " << rows << "x" << cols
                       << " exceeds 2^40 trits";
  if (isa_and_present<TritTriplesAttr>(layout) &&
      scheme != PackingScheme::tq1)
    return emitError() << "trit_triples is a layout of tq1 weights, not "
                       << stringifyPackingScheme(scheme);
  if (layout)
    return layout.verifyLayout(emitError, rows, cols);
  return success();
}

Type PackedType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t, 2> dims;
  StringRef schemeName;
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/false))
    return {};
  if (dims.size() != 2) {
    parser.emitError(loc) << "expected a 2-D packed matrix (rows x cols), got "
                          << dims.size() << " dimensions";
    return {};
  }
  SMLoc schemeLoc;
  if (parser.parseComma() ||
      (schemeLoc = parser.getCurrentLocation(), parser.parseKeyword(&schemeName)))
    return {};
  std::optional<PackingScheme> scheme = symbolizePackingScheme(schemeName);
  if (!scheme) {
    parser.emitError(schemeLoc)
        << "unknown packing scheme '" << schemeName << "'; expected tq2 or tq1";
    return {};
  }
  PackedLayoutAttrInterface layout;
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc layoutLoc = parser.getCurrentLocation();
    Attribute attr;
    if (parser.parseAttribute(attr))
      return {};
    layout = dyn_cast<PackedLayoutAttrInterface>(attr);
    if (!layout) {
      parser.emitError(layoutLoc)
          << "expected a packed layout attribute, got " << attr;
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<PackedType>(loc, parser.getContext(), dims[0],
                                       dims[1], *scheme, layout);
}

void PackedType::print(AsmPrinter &printer) const {
  printer << '<' << getRows() << 'x' << getCols() << ", "
          << stringifyPackingScheme(getScheme());
  if (getLayout())
    printer << ", " << getLayout();
  printer << '>';
}

int64_t PackedType::getRowBytes() const {
  return packing::packedRowBytes(toPackingScheme(getScheme()), getCols());
}

RankedTensorType PackedType::getStorageType() const {
  SmallVector<int64_t, 2> shape = {getRows(), getRowBytes()};
  if (getLayout())
    shape = getLayout().getStorageShape(getRows(), getRowBytes());
  return RankedTensorType::get(shape, IntegerType::get(getContext(), 8));
}

std::pair<int64_t, int64_t> PackedType::getBlockPosition(int64_t row,
                                                         int64_t block) const {
  int64_t blockBytes = packing::codeBytesPerBlock(toPackingScheme(getScheme()));
  if (getLayout())
    return getLayout().getBlockPosition(row, block, blockBytes, getRowBytes());
  return {row, block * blockBytes};
}

// Copies each packed block between the row-major order produced by the packing
// library and this type's layout, in the direction `toStorage` says.
static void relayout(PackedType type, const uint8_t *src, uint8_t *dst,
                     bool toStorage) {
  int64_t rowBytes = type.getRowBytes();
  int64_t storageCols = type.getStorageType().getDimSize(1);
  int64_t blockBytes =
      packing::codeBytesPerBlock(toPackingScheme(type.getScheme()));
  int64_t blocks = rowBytes / blockBytes;
  for (int64_t row = 0; row < type.getRows(); ++row) {
    for (int64_t block = 0; block < blocks; ++block) {
      auto [storageRow, storageCol] = type.getBlockPosition(row, block);
      int64_t storageOffset = storageRow * storageCols + storageCol;
      int64_t plainOffset = row * rowBytes + block * blockBytes;
      if (toStorage)
        std::memcpy(dst + storageOffset, src + plainOffset, blockBytes);
      else
        std::memcpy(dst + plainOffset, src + storageOffset, blockBytes);
    }
  }
}

packing::Status PackedType::pack(ArrayRef<int8_t> trits,
                                 MutableArrayRef<uint8_t> storage) const {
  assert(static_cast<int64_t>(trits.size()) == getRows() * getCols() &&
         static_cast<int64_t>(storage.size()) ==
             getStorageType().getNumElements() &&
         "buffer sizes do not match the packed type");
  packing::Scheme scheme = toPackingScheme(getScheme());
  if (isa_and_present<TritTriplesAttr>(getLayout()))
    return packing::packTriples(trits.data(), getRows(), getCols(),
                                storage.data());
  if (!getLayout())
    return packing::packMatrix(scheme, trits.data(), getRows(), getCols(),
                               storage.data());
  std::vector<uint8_t> rowMajor(storage.size());
  packing::Status status = packing::packMatrix(scheme, trits.data(), getRows(),
                                               getCols(), rowMajor.data());
  if (status.ok())
    relayout(*this, rowMajor.data(), storage.data(), /*toStorage=*/true);
  return status;
}

packing::Status PackedType::unpack(ArrayRef<uint8_t> storage,
                                   MutableArrayRef<int8_t> trits) const {
  assert(static_cast<int64_t>(trits.size()) == getRows() * getCols() &&
         static_cast<int64_t>(storage.size()) ==
             getStorageType().getNumElements() &&
         "buffer sizes do not match the packed type");
  packing::Scheme scheme = toPackingScheme(getScheme());
  if (isa_and_present<TritTriplesAttr>(getLayout()))
    return packing::unpackTriples(storage.data(), getRows(), getCols(),
                                  trits.data());
  if (!getLayout())
    return packing::unpackMatrix(scheme, storage.data(), getRows(), getCols(),
                                 trits.data());
  std::vector<uint8_t> rowMajor(storage.size());
  relayout(*this, storage.data(), rowMajor.data(), /*toStorage=*/false);
  return packing::unpackMatrix(scheme, rowMajor.data(), getRows(), getCols(),
                               trits.data());
}
