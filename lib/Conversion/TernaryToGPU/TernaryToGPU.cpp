//===- TernaryToGPU.cpp - The GPU strategy of ternary.matmul --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Rewrites each ternary.matmul, on tensors, to a ternary_gpu.matmul on its
// weights' storage bytes, with the tile decomposition chosen for its shape.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToGPU/TernaryToGPU.h"

#include "trilm/Dialect/Ternary/IR/Ternary.h"

namespace trilm {
#define GEN_PASS_DEF_CONVERTTERNARYTOGPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

/// Warps beyond this add little: 8 warps of 16 rows already keep a block's
/// share of the chip's memory parallelism busy.
constexpr int64_t kMaxWarps = 8;
/// Blocks whose loads a warp issues at once: 4 x 32 bytes per thread covers
/// the memory latency without pressing on registers.
constexpr int64_t kMaxBlocksPerStep = 4;

/// The storage bytes of packed weights the kernels can read, or a reason.
FailureOr<Value> storageOf(OpBuilder &b, MatmulOp op) {
  Value weights = op.getWeights();
  if (auto fromStorage = weights.getDefiningOp<FromStorageOp>()) {
    if (fromStorage.getStorage().getType() !=
        fromStorage.getType().getStorageType())
      return op.emitOpError("GPU kernels need the weights' bytes in their "
                            "storage shape ")
             << fromStorage.getType().getStorageType();
    return fromStorage.getStorage();
  }
  if (auto constant = weights.getDefiningOp<ConstantOp>())
    return arith::ConstantOp::create(b, op.getLoc(), constant.getValue())
        .getResult();
  return op.emitOpError("GPU kernels read weights from ternary.from_storage "
                        "or ternary.constant, not computed ones");
}

LogicalResult checkSupported(MatmulOp op) {
  PackedType packed = op.getWeights().getType();
  if (op.isInt8())
    return op.emitOpError("int8 activations are not supported by the GPU "
                          "kernels yet; they take f16 activations");
  if (!op.getInput().getType().getElementType().isF16())
    return op.emitOpError("GPU kernels take f16 activations, got ")
           << op.getInput().getType().getElementType();
  if (!op.getResult().getType().getElementType().isF32())
    return op.emitOpError("GPU kernels write f32 results, got ")
           << op.getResult().getType().getElementType();
  if (packed.getScheme() != PackingScheme::tq2)
    return op.emitOpError("1.6-bit (tq1) weights are not supported by the GPU "
                          "kernels yet");
  if (packed.getLayout())
    return op.emitOpError("GPU kernels read row-major weights, got layout ")
           << packed.getLayout();
  return success();
}

struct ConvertTernaryToGPUPass
    : public trilm::impl::ConvertTernaryToGPUBase<ConvertTernaryToGPUPass> {
  using Base::Base;

  ternary_gpu::MatmulConfigAttr chooseConfig(PackedType packed) {
    int64_t blocks = packed.getRowBytes() / packing::kTQ2CodeBytes;
    int64_t w = warps > 0 ? int64_t(warps) : std::min(kMaxWarps, blocks);
    int64_t step = blocksPerStep > 0
                       ? int64_t(blocksPerStep)
                       : std::clamp<int64_t>(llvm::divideCeil(blocks, w), 1,
                                             kMaxBlocksPerStep);
    return ternary_gpu::MatmulConfigAttr::get(&getContext(), w, step);
  }

  void runOnOperation() override {
    SmallVector<MatmulOp> matmuls;
    getOperation()->walk([&](MatmulOp op) { matmuls.push_back(op); });
    OpBuilder b(&getContext());
    for (MatmulOp op : matmuls) {
      if (failed(checkSupported(op)))
        return signalPassFailure();
      b.setInsertionPoint(op);
      FailureOr<Value> storage = storageOf(b, op);
      if (failed(storage))
        return signalPassFailure();
      Location loc = op.getLoc();
      RankedTensorType resultType = op.getResult().getType();
      SmallVector<Value> dynamicSizes;
      if (resultType.isDynamicDim(0))
        dynamicSizes.push_back(
            tensor::DimOp::create(b, loc, op.getInput(), 0).getResult());
      Value init = tensor::EmptyOp::create(b, loc, resultType, dynamicSizes);
      auto config = chooseConfig(op.getWeights().getType());
      if (failed(ternary_gpu::MatmulConfigAttr::verify(
              [&] { return op.emitOpError(); }, config.getWarps(),
              config.getBlocksPerStep())))
        return signalPassFailure();
      auto gpuMatmul = ternary_gpu::MatmulOp::create(
          b, loc, TypeRange{resultType}, op.getInput(), *storage,
          op.getScales(), init, TypeAttr::get(op.getWeights().getType()),
          op.getGroups(), config);
      op.getResult().replaceAllUsesWith(gpuMatmul.getResult().front());
      op.erase();
    }
  }
};

} // namespace
