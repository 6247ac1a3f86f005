//===- ExternalWeights.cpp - Weights in a memory-mapped file --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Large models are compiled with their weights in a separate file, which the
// runtime maps read-only: the code stays small, compiling it never holds the
// weights as LLVM constants, and several processes share the pages.
//
//===----------------------------------------------------------------------===//

#include "trilm/Model/LlamaModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace mlir;
using namespace trilm;

namespace {

/// The bytes of a resource-backed elements attribute, if it is one.
std::optional<ArrayRef<char>> resourceBytes(Attribute value) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(value);
  if (!resource)
    return std::nullopt;
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  if (!blob)
    return std::nullopt;
  return blob->getData();
}

/// Lays the weights out in the file, each at an aligned offset, once per
/// distinct attribute (both entry points materialise the same ones).
class WeightsFile {
public:
  int64_t offsetOf(Attribute value, ArrayRef<char> bytes) {
    auto [it, inserted] = offsets.try_emplace(value, size);
    if (inserted) {
      blobs.push_back(bytes);
      size = llvm::alignTo(size + bytes.size(), TRILM_WEIGHTS_ALIGNMENT);
    }
    return it->second;
  }

  int64_t getSize() const { return size; }

  void write(llvm::raw_ostream &os) const {
    char header[TRILM_WEIGHTS_HEADER_BYTES] = {};
    std::memcpy(header, TRILM_WEIGHTS_MAGIC, std::strlen(TRILM_WEIGHTS_MAGIC));
    os.write(header, sizeof(header));
    int64_t written = sizeof(header);
    for (ArrayRef<char> blob : blobs) {
      os.write(blob.data(), blob.size());
      written += blob.size();
      int64_t padded = llvm::alignTo(written, TRILM_WEIGHTS_ALIGNMENT);
      os.write_zeros(padded - written);
      written = padded;
    }
  }

private:
  llvm::DenseMap<Attribute, int64_t> offsets;
  SmallVector<ArrayRef<char>> blobs;
  int64_t size = TRILM_WEIGHTS_HEADER_BYTES;
};

/// A view of `bytes` of the weights file as a tensor of `type`.
Value viewWeights(OpBuilder &b, Location loc, Value file, int64_t offset,
                  RankedTensorType type) {
  Value start = arith::ConstantIndexOp::create(b, loc, offset);
  auto viewType = MemRefType::get(type.getShape(), type.getElementType());
  Value view = memref::ViewOp::create(b, loc, viewType, file, start,
                                      ValueRange{});
  return bufferization::ToTensorOp::create(b, loc, type, view,
                                           /*restrict=*/b.getUnitAttr(),
                                           /*writable=*/UnitAttr());
}

} // namespace

llvm::Expected<int64_t> trilm::model::externalizeWeights(ModuleOp module,
                                                         llvm::raw_ostream &os) {
  WeightsFile file;
  for (auto function : module.getOps<func::FuncOp>()) {
    if (function.isDeclaration() || function.getNumArguments() == 0)
      continue;
    Value weights = function.getArguments().back();
    auto weightsType = dyn_cast<MemRefType>(weights.getType());
    if (!weightsType || weightsType.getRank() != 1 ||
        !weightsType.getElementType().isInteger(8))
      return llvm::createStringError(
          "internal error: entry point " + function.getSymName().str() +
          " has no weights argument");
    OpBuilder b(function.getBody());
    SmallVector<Operation *> constants;
    function.walk([&](Operation *op) {
      if (isa<ternary::ConstantOp, arith::ConstantOp>(op))
        constants.push_back(op);
    });
    for (Operation *op : constants) {
      auto value = op->getAttrOfType<ElementsAttr>("value");
      std::optional<ArrayRef<char>> bytes =
          value ? resourceBytes(value) : std::nullopt;
      if (!bytes)
        continue; // small dense constants stay in the code
      int64_t offset = file.offsetOf(value, *bytes);
      b.setInsertionPoint(op);
      auto storageType = cast<RankedTensorType>(value.getType());
      Value replacement =
          viewWeights(b, op->getLoc(), weights, offset, storageType);
      if (auto constant = dyn_cast<ternary::ConstantOp>(op))
        replacement = ternary::FromStorageOp::create(
            b, op->getLoc(), constant.getType(), replacement);
      op->getResult(0).replaceAllUsesWith(replacement);
      op->erase();
    }
  }

  // Record the size where the runtime checks it.
  auto config = module.lookupSymbol<memref::GlobalOp>("trilm_model_config");
  if (!config)
    return llvm::createStringError(
        "internal error: the module has no trilm_model_config");
  auto fields = cast<DenseElementsAttr>(*config.getInitialValue());
  SmallVector<int64_t> values(fields.getValues<int64_t>());
  values[TRILM_CONFIG_WEIGHTS_BYTES] = file.getSize();
  config.setInitialValueAttr(
      DenseElementsAttr::get(fields.getType(), ArrayRef<int64_t>(values)));

  file.write(os);
  return file.getSize();
}
