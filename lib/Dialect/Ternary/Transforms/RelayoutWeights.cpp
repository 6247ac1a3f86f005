//===- RelayoutWeights.cpp - Row-interleave packed constants --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/FormatVariadic.h"

namespace trilm::ternary {
#define GEN_PASS_DEF_TERNARYRELAYOUTWEIGHTS
#include "trilm/Dialect/Ternary/Transforms/Passes.h.inc"
} // namespace trilm::ternary

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

/// The bytes of a packed constant, when they are available in memory.
std::optional<ArrayRef<uint8_t>> constantBytes(ConstantOp op,
                                               std::vector<uint8_t> &storage) {
  if (auto resource = dyn_cast<DenseI8ResourceElementsAttr>(op.getValue())) {
    std::optional<ArrayRef<int8_t>> data = resource.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    return ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(data->data()),
                             data->size());
  }
  if (auto dense = dyn_cast<DenseIntElementsAttr>(op.getValue())) {
    for (const APInt &value : dense.getValues<APInt>())
      storage.push_back(static_cast<uint8_t>(value.getZExtValue()));
    return ArrayRef<uint8_t>(storage);
  }
  return std::nullopt;
}

struct TernaryRelayoutWeightsPass
    : public trilm::ternary::impl::TernaryRelayoutWeightsBase<
          TernaryRelayoutWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    auto layout = RowInterleaveAttr::getChecked(
        [&] { return getOperation()->emitError(); }, context,
        static_cast<int64_t>(rows));
    if (!layout)
      return signalPassFailure();
    SmallVector<ConstantOp> constants;
    getOperation()->walk([&](ConstantOp op) { constants.push_back(op); });
    for (ConstantOp op : constants) {
      std::string why;
      if (failed(relayout(op, layout, why)) && emitRemarks)
        op.emitRemark("weights keep their layout: ") << why;
    }
  }

  LogicalResult relayout(ConstantOp op, RowInterleaveAttr layout,
                         std::string &why) {
    PackedType type = op.getType();
    if (type.getLayout()) {
      why = "they already have a layout";
      return failure();
    }
    if (type.getRows() % layout.getRows() != 0) {
      why = llvm::formatv("{0} rows are not a multiple of {1}", type.getRows(),
                          layout.getRows());
      return failure();
    }
    for (Operation *user : op->getUsers()) {
      if (!isa<MatmulOp, UnpackOp>(user)) {
        why = "'" + user->getName().getStringRef().str() +
              "' uses them and expects their type unchanged";
        return failure();
      }
    }
    std::vector<uint8_t> storage;
    std::optional<ArrayRef<uint8_t>> bytes = constantBytes(op, storage);
    if (!bytes) {
      why = "their bytes are not available (a splat or an external blob)";
      return failure();
    }
    std::vector<int8_t> trits(type.getRows() * type.getCols());
    packing::Status status = type.unpack(*bytes, trits);
    if (!status.ok()) {
      why = status.message;
      return failure();
    }
    PackedType interleaved = PackedType::get(op.getContext(), type.getRows(),
                                             type.getCols(), type.getScheme(),
                                             layout);
    RankedTensorType storageType = interleaved.getStorageType();
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        storageType.getNumElements(), alignof(uint64_t));
    MutableArrayRef<char> out = blob.getMutableData();
    (void)interleaved.pack(
        trits, MutableArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(out.data()),
                                        out.size()));
    OpBuilder builder(op);
    auto attr = DenseI8ResourceElementsAttr::get(
        storageType, "ternary_interleaved", std::move(blob));
    Value replacement = ConstantOp::create(builder, op.getLoc(), interleaved,
                                           cast<ElementsAttr>(attr));
    op.getResult().replaceAllUsesWith(replacement);
    op.erase();
    return success();
  }
};

} // namespace
