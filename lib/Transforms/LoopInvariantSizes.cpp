//===- LoopInvariantSizes.cpp - Sizes of loop-carried tensors -------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace trilm {
#define GEN_PASS_DEF_TRILMLOOPINVARIANTSIZES
#include "trilm/Transforms/Passes.h.inc"
} // namespace trilm

using namespace mlir;

namespace {

struct DimOfShapePreservingIterArg : public OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::DimOp op,
                                PatternRewriter &rewriter) const override {
    auto argument = dyn_cast<BlockArgument>(op.getSource());
    std::optional<int64_t> dim = op.getConstantIndex();
    if (!argument || !dim)
      return failure();
    auto loop = dyn_cast<scf::ForOp>(argument.getOwner()->getParentOp());
    if (!loop || argument.getArgNumber() == 0)
      return failure();
    Value init = loop.getInitArgs()[argument.getArgNumber() - 1];
    FailureOr<bool> equal =
        ValueBoundsConstraintSet::areEqual({argument, *dim}, {init, *dim});
    if (failed(equal) || !*equal)
      return failure();
    rewriter.setInsertionPoint(loop);
    Value size = tensor::DimOp::create(rewriter, op.getLoc(), init, *dim);
    rewriter.replaceOp(op, size);
    return success();
  }
};

struct TrilmLoopInvariantSizesPass
    : public trilm::impl::TrilmLoopInvariantSizesBase<
          TrilmLoopInvariantSizesPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DimOfShapePreservingIterArg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
