//===- TernaryToGPU.cpp - The GPU strategy of ternary.matmul --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Rewrites each ternary.matmul, on tensors, to a ternary_gpu.matmul on its
// weights' storage bytes, with the tile decomposition chosen for its shape.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToGPU/TernaryToGPU.h"

#include "KernelBuilders.h"
#include "trilm/Conversion/TernaryToGPU/FragmentMaps.h"

#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "llvm/ADT/bit.h"

namespace trilm {
#define GEN_PASS_DEF_CONVERTTERNARYTOGPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

/// Warps per streaming multiprocessor a matmul should spread over to keep
/// the memory system busy: the H200 sweep of docs/gpu.md chose about 4096
/// on its 132 SMs (31 per SM gives its choices for every swept shape).
constexpr int64_t kWarpsPerMultiprocessor = 31;
/// The most warps that split one row tile's K.
constexpr int64_t kMaxSplits = 8;
/// A split of at most this many blocks loads them all at once (one step);
/// longer ones stream two blocks per step, software pipelined.
constexpr int64_t kMaxBlocksAtOnce = 4;
constexpr int64_t kPipelinedBlocksPerStep = 2;
/// The batch the prompt kernel's activation rows are chosen for, and the
/// stages it keeps in flight.
constexpr int64_t kPromptReferenceBatch = 128;
constexpr int64_t kPromptStages = 4;

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

LogicalResult checkSupported(MatmulOp op, bool roundActivations) {
  PackedType packed = op.getWeights().getType();
  if (op.isInt8())
    return op.emitOpError("int8 activations are not supported by the GPU "
                          "kernels yet; they take f16 activations");
  Type activations = op.getInput().getType().getElementType();
  if (!activations.isF16() && !(roundActivations && activations.isF32()))
    return op.emitOpError("GPU kernels take f16 activations, got ")
           << activations
           << (activations.isF32() ? " (round-activations rounds them)" : "");
  if (!op.getResult().getType().getElementType().isF32())
    return op.emitOpError("GPU kernels write f32 results, got ")
           << op.getResult().getType().getElementType();
  if (packed.getLayout())
    return op.emitOpError("GPU kernels read row-major weights, got layout ")
           << packed.getLayout();
  return success();
}

struct ConvertTernaryToGPUPass
    : public trilm::impl::ConvertTernaryToGPUBase<ConvertTernaryToGPUPass> {
  using Base::Base;

  /// The recorded configuration, else one for the shape (overridable by
  /// the pass options).
  FailureOr<ternary_gpu::MatmulConfigAttr> configFor(MatmulOp op) {
    if (Attribute recorded = op.getKernelConfigAttr()) {
      if (auto config = dyn_cast<ternary_gpu::MatmulConfigAttr>(recorded))
        return config;
      return op.emitOpError("has a kernel_config for another target: ")
             << recorded;
    }
    // Measured on an H200 over the TriLM layer shapes (docs/gpu.md): split
    // K only as far as needed for the chip's target warps; unsplit row tiles
    // share blocks of 8 warps; each split loads its blocks at once when few,
    // else streams them two at a time.
    PackedType packed = op.getWeights().getType();
    int64_t blocks = packing::numBlocks(packed.getCols());
    int64_t matrixTiles =
        llvm::divideCeil(packed.getRows(), ternary_gpu::kTileRows);
    int64_t splits = int64_t(llvm::bit_floor(uint64_t(std::clamp<int64_t>(
        llvm::divideCeil(kWarpsPerMultiprocessor * multiprocessors,
                         matrixTiles),
        1,
        std::min(kMaxSplits, blocks)))));
    int64_t blockTiles = splits >= 4 ? 1 : kMaxSplits / splits;
    if (rowTiles > 0)
      blockTiles = rowTiles;
    int64_t w = warps > 0 ? int64_t(warps) : blockTiles * splits;
    if (rowTiles <= 0 && w % blockTiles != 0)
      blockTiles = 1;
    splits = std::max<int64_t>(w / blockTiles, 1);
    int64_t perSplit = llvm::divideCeil(blocks, splits);
    int64_t step = blocksPerStep > 0 ? int64_t(blocksPerStep)
                   : perSplit <= kMaxBlocksAtOnce ? perSplit
                                                  : kPipelinedBlocksPerStep;
    // A static batch below kPrefillMinRows never launches the prompt kernel.
    int64_t batch = op.getInput().getType().getDimSize(0);
    auto [actRows, stages] =
        !ShapedType::isDynamic(batch) && batch < ternary_gpu::kPrefillMinRows
            ? std::pair<int64_t, int64_t>{0, 0}
            : promptConfigFor(packed, op.getGroups(), blocks);
    if (failed(ternary_gpu::MatmulConfigAttr::verify(
            [&] { return op.emitOpError(); }, w, blockTiles, step, actRows,
            stages)))
      return failure();
    return ternary_gpu::MatmulConfigAttr::get(&getContext(), w, blockTiles,
                                              step, actRows, stages);
  }

  /// The prompt kernel's activation rows and stages for 2-bit weights (none
  /// for 1.6-bit ones): the most rows per thread block, of 64, 32 and 16,
  /// for which a batch of kPromptReferenceBatch rows still gives every
  /// multiprocessor a thread block (a guess from occupancy, not measured).
  std::pair<int64_t, int64_t> promptConfigFor(PackedType packed,
                                              ScaleGroupsAttr groups,
                                              int64_t blocks) {
    if (promptRows < 0 || !ternary_gpu::prefillKernelSupports(packed, groups))
      return {0, 0};
    int64_t rowBlocks = llvm::divideCeil(
        packed.getRows(), ternary_gpu::kPrefillWarps * ternary_gpu::kTileRows);
    int64_t actRows = promptRows;
    if (actRows == 0) {
      actRows = 16;
      for (int64_t candidate : {64, 32})
        if (rowBlocks * llvm::divideCeil(kPromptReferenceBatch, candidate) >=
            multiprocessors) {
          actRows = candidate;
          break;
        }
    }
    int64_t stages =
        promptStages > 0
            ? int64_t(promptStages)
            : std::clamp<int64_t>(
                  blocks * (ternary_gpu::kBlock / ternary_gpu::kQuarterTrits), 2,
                  kPromptStages);
    return {actRows, stages};
  }

  void runOnOperation() override {
    if (multiprocessors < 1) {
      getOperation()->emitError("multiprocessors must be positive, got ")
          << int64_t(multiprocessors);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation()->walk([&](MatmulOp op) { matmuls.push_back(op); });
    OpBuilder b(&getContext());
    for (MatmulOp op : matmuls) {
      if (failed(checkSupported(op, roundActivations)))
        return signalPassFailure();
      b.setInsertionPoint(op);
      Value input = op.getInput();
      FailureOr<Value> storage = storageOf(b, op);
      if (failed(storage))
        return signalPassFailure();
      Location loc = op.getLoc();
      if (!op.getInput().getType().getElementType().isF16())
        input = arith::TruncFOp::create(
            b, loc, op.getInput().getType().clone(b.getF16Type()), input);
      RankedTensorType resultType = op.getResult().getType();
      SmallVector<Value> dynamicSizes;
      if (resultType.isDynamicDim(0))
        dynamicSizes.push_back(
            tensor::DimOp::create(b, loc, input, 0).getResult());
      Value init = tensor::EmptyOp::create(b, loc, resultType, dynamicSizes);
      FailureOr<ternary_gpu::MatmulConfigAttr> config = configFor(op);
      if (failed(config))
        return signalPassFailure();
      auto gpuMatmul = ternary_gpu::MatmulOp::create(
          b, loc, TypeRange{resultType}, input, *storage,
          op.getScales(), init, TypeAttr::get(op.getWeights().getType()),
          op.getGroups(), *config);
      op.getResult().replaceAllUsesWith(gpuMatmul.getResult().front());
      op.erase();
    }
  }
};

} // namespace
