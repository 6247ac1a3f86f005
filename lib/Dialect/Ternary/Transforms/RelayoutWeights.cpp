//===- RelayoutWeights.cpp - Weights in the layouts their kernels chose ---===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Utils/ResourceUtils.h"

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
    std::optional<ArrayRef<int8_t>> data = trilm::getResourceElements(resource);
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

/// The layout the kernels of every matmul using `weights` agree on, or a
/// reason why there is none.
FailureOr<PackedLayoutAttrInterface> chosenLayout(Value weights,
                                                  std::string &why) {
  std::optional<PackedLayoutAttrInterface> chosen;
  for (Operation *user : weights.getUsers()) {
    if (isa<UnpackOp>(user))
      continue;
    auto matmul = dyn_cast<MatmulOp>(user);
    if (!matmul) {
      why = "'" + user->getName().getStringRef().str() +
            "' uses them and expects their type unchanged";
      return failure();
    }
    KernelConfigAttrInterface config = matmul.getKernelConfigAttr();
    if (!config) {
      why = "a matmul using them has no kernel_config";
      return failure();
    }
    PackedLayoutAttrInterface layout = config.getWeightLayout();
    if (chosen && *chosen != layout) {
      why = "their matmuls ask for different layouts";
      return failure();
    }
    chosen = layout;
  }
  if (!chosen) {
    why = "no matmul uses them";
    return failure();
  }
  return *chosen;
}

/// `type` in `layout`, when the layout holds its matrix.
FailureOr<PackedType> inLayout(PackedType type,
                               PackedLayoutAttrInterface layout,
                               std::string &why) {
  if (layout) {
    // The layout's own verdict becomes the reason.
    MLIRContext *context = type.getContext();
    ScopedDiagnosticHandler capture(context, [&](Diagnostic &diagnostic) {
      why = diagnostic.str();
      return success();
    });
    if (failed(layout.verifyLayout(
            [&] { return mlir::emitError(UnknownLoc::get(context)); },
            type.getRows(), type.getCols())))
      return failure();
  }
  return PackedType::get(type.getContext(), type.getRows(), type.getCols(),
                         type.getScheme(), layout);
}

struct TernaryRelayoutWeightsPass
    : public trilm::ternary::impl::TernaryRelayoutWeightsBase<
          TernaryRelayoutWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> weights;
    getOperation()->walk([&](Operation *op) {
      if (isa<ConstantOp>(op) || (relayoutStorage && isa<FromStorageOp>(op)))
        weights.push_back(op);
    });
    for (Operation *op : weights) {
      std::string why;
      if (failed(relayout(op, why)) && emitRemarks)
        op->emitRemark("weights keep their layout: ") << why;
    }
  }

  LogicalResult relayout(Operation *op, std::string &why) {
    Value weights = op->getResult(0);
    auto type = cast<PackedType>(weights.getType());
    FailureOr<PackedLayoutAttrInterface> layout = chosenLayout(weights, why);
    if (failed(layout))
      return failure();
    if (*layout == type.getLayout())
      return success();
    FailureOr<PackedType> relaid = inLayout(type, *layout, why);
    if (failed(relaid))
      return failure();
    if (isa<FromStorageOp>(op)) {
      // The bytes are outside the module: their writer follows the type,
      // within the storage they have.
      if (relaid->getStorageType().getNumElements() !=
          type.getStorageType().getNumElements()) {
        why = "their storage outside the module has the size of " +
              llvm::formatv("{0}", type).str() + ", not of the new layout";
        return failure();
      }
      weights.setType(*relaid);
      return success();
    }
    auto constant = cast<ConstantOp>(op);
    std::vector<uint8_t> storage;
    std::optional<ArrayRef<uint8_t>> bytes = constantBytes(constant, storage);
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
    RankedTensorType storageType = relaid->getStorageType();
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        storageType.getNumElements(), alignof(uint64_t));
    MutableArrayRef<char> out = blob.getMutableData();
    (void)relaid->pack(
        trits, MutableArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(out.data()),
                                        out.size()));
    OpBuilder builder(op);
    auto attr = DenseI8ResourceElementsAttr::get(
        storageType, "ternary_relaid", std::move(blob));
    Value replacement = ConstantOp::create(builder, op->getLoc(), *relaid,
                                           cast<ElementsAttr>(attr));
    weights.replaceAllUsesWith(replacement);
    op->erase();
    return success();
  }
};

} // namespace
