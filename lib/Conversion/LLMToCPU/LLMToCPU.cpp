//===- LLMToCPU.cpp - CPU lowering of llm ops -----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Three phases: fusions that need to see llm ops whole (an RMSNorm feeding
// int8 quantisation), then one pattern per op, the vectorised and threaded
// ones (Attention.cpp, LMHead.cpp, RowWise.cpp) preferred to the reference
// lowering, then vector exponentials as polynomials.
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
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"
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
    // The exponentials of softmax and SiLU, on vectors, as polynomials
    // rather than one libm call per lane.
    RewritePatternSet exponentials(context);
    populateMathPolynomialApproximationPatterns(
        exponentials,
        [](StringRef name) { return name == math::ExpOp::getOperationName(); });
    if (failed(applyPatternsGreedily(getOperation(), std::move(exponentials))))
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
  cpu::populateRowWiseFusionPatterns(patterns);
}

void trilm::populateLLMToCPUPatterns(RewritePatternSet &patterns) {
  cpu::populateAttentionPatterns(patterns);
  cpu::populateLMHeadPatterns(patterns);
  cpu::populateRowWisePatterns(patterns);
  populateLLMToLinalgPatterns(patterns);
}
