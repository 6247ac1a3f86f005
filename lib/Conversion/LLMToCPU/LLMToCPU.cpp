//===- LLMToCPU.cpp - CPU lowering of llm ops -----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Two phases: fusions that need to see llm ops whole (an RMSNorm feeding
// int8 quantisation), then one pattern per op, the vectorised and threaded
// ones (Attention.cpp, LMHead.cpp) preferred to the reference lowering.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/LLMToCPU/LLMToCPU.h"

#include "CPUPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

namespace trilm {
#define GEN_PASS_DEF_CONVERTLLMTOCPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::llm;
using utils::IteratorType;

namespace {

/// ternary.quantize of an RMSNorm: the normalised row is recomputed in the
/// absmax reduction and in the rounding pass and never stored, with the
/// same arithmetic as the two ops apart (bit-identical).
struct FuseNormQuantize : public OpRewritePattern<ternary::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ternary::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto norm = op.getInput().getDefiningOp<RMSNormOp>();
    if (!norm || !norm.getType().getElementType().isF32())
      return failure();
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    IteratorType par = IteratorType::parallel, red = IteratorType::reduction;
    Value x = norm.getInput(), gamma = norm.getWeight();
    int64_t width = norm.getType().getDimSize(1);
    float epsilon = norm.getEpsilon().convertToFloat();
    float quantizeEps = op.getEps().convertToFloat();
    Type f32 = rewriter.getF32Type();
    Value sums = buildSumOfSquares(rewriter, loc, x);
    AffineMap element = projection(context, 2, {0, 1});
    AffineMap row = projection(context, 2, {0});
    AffineMap col = projection(context, 2, {1});
    auto normalize = [&](OpBuilder &b, Location nloc, ValueRange args) {
      return buildNormalized(b, nloc, args[0], args[1], args[2], width,
                             epsilon);
    };
    Value absmax = buildGeneric(
        rewriter, loc,
        createZeroFilled(rewriter, loc,
                         createEmptyLikeRows(rewriter, loc, x, {}, f32)),
        ValueRange{x, sums, gamma}, {element, row, col, row}, {par, red},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value y = normalize(b, nloc, args);
          return arith::MaximumFOp::create(b, nloc, args[3],
                                           math::AbsFOp::create(b, nloc, y));
        });
    Value scales = buildGeneric(
        rewriter, loc, createEmptyLikeRows(rewriter, loc, x, {}, f32), absmax,
        {projection(context, 1, {0}), projection(context, 1, {0})}, {par},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          return ternary::quantizationScale(b, nloc, args[0], quantizeEps);
        });
    Value codes = buildGeneric(
        rewriter, loc,
        createEmptyLikeRows(rewriter, loc, x, {width}, rewriter.getI8Type()),
        ValueRange{x, sums, gamma, scales}, {element, row, col, row, element},
        {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value y = normalize(b, nloc, args);
          return ternary::quantizeToI8(b, nloc, y, args[3]);
        });
    auto cast = [&](Value value, Type type) -> Value {
      return value.getType() == type
                 ? value
                 : tensor::CastOp::create(rewriter, loc, type, value);
    };
    rewriter.replaceOp(op, {cast(codes, op.getQuantized().getType()),
                            cast(scales, op.getScales().getType())});
    return success();
  }
};

struct ConvertLLMToCPUPass
    : public trilm::impl::ConvertLLMToCPUBase<ConvertLLMToCPUPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet fusions(context);
    populateLLMToCPUFusionPatterns(fusions);
    if (failed(applyPatternsGreedily(getOperation(), std::move(fusions))))
      return signalPassFailure();
    RewritePatternSet patterns(context);
    populateLLMToCPUPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

Value trilm::cpu::buildColumnTiles(
    OpBuilder &b, Location loc, Value init, int64_t width, int64_t tile,
    function_ref<Value(Value, Value, Value)> body) {
  IndexArith ia{b, loc};
  auto forall = scf::ForallOp::create(
      b, loc,
      ArrayRef<OpFoldResult>{b.getIndexAttr(llvm::divideCeil(width, tile))},
      ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getBody()->getTerminator());
  Value first = ia.mul(forall.getInductionVars()[0], ia.index(tile));
  // Static when the tiles divide the width, so that slices keep static types.
  OpFoldResult count =
      width % tile == 0 ? OpFoldResult(b.getIndexAttr(tile))
                        : OpFoldResult(ia.min(ia.index(tile),
                                              ia.sub(ia.index(width), first)));
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), first};
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, init, 0),
                                     count};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  Value slice = tensor::ExtractSliceOp::create(
      b, loc, forall.getRegionIterArgs()[0], offsets, sizes, strides);
  Value result =
      body(first, getValueOrCreateConstantIndexOp(b, loc, count), slice);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(
      b, loc, result, forall.getRegionIterArgs()[0], offsets, sizes, strides);
  return forall.getResult(0);
}

void trilm::populateLLMToCPUFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseNormQuantize>(patterns.getContext());
}

void trilm::populateLLMToCPUPatterns(RewritePatternSet &patterns) {
  cpu::populateAttentionPatterns(patterns);
  cpu::populateLMHeadPatterns(patterns);
  populateLLMToLinalgPatterns(patterns);
}
