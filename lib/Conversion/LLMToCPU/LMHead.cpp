//===- LMHead.cpp - llm.lm_head as vector code on threads -----------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The output projection reads vocab x hidden weights for every token:
// vocabulary tiles run on threads, and each logit is a 16-wide
// multiply-add loop over the hidden size.
//
//===----------------------------------------------------------------------===//

#include "CPUPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Utils/BuilderUtils.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::llm;

namespace {

/// Lanes of the multiply-adds, and vocabulary rows per thread tile.
constexpr int64_t kWidth = 16, kTile = 64;

struct VectorizedLMHead : public OpRewritePattern<LMHeadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LMHeadOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType weightType = op.getWeight().getType();
    int64_t vocab = weightType.getDimSize(0), hidden = weightType.getDimSize(1);
    if (hidden % kWidth != 0 ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(
          op, "f32 inputs whose width is a multiple of the vector width");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    IndexArith ia{b, loc};
    Type f32 = b.getF32Type();
    RankedTensorType resultType = op.getType();
    Value x = op.getInput();
    if (Value rows = op.getRows()) {
      Value count = tensor::DimOp::create(b, loc, x, 0);
      OpFoldResult size =
          resultType.isDynamicDim(0)
              ? OpFoldResult(rows)
              : OpFoldResult(b.getIndexAttr(resultType.getDimSize(0)));
      x = tensor::ExtractSliceOp::create(
          b, loc, x,
          ArrayRef<OpFoldResult>{ia.sub(count, rows), b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{size, b.getIndexAttr(hidden)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
    }
    Value head = op.getWeight();
    Type weightElement = weightType.getElementType();
    auto accType = VectorType::get({kWidth}, f32);
    auto loadType = VectorType::get({kWidth}, weightElement);
    Value numRows = tensor::DimOp::create(b, loc, x, 0);
    auto vocabTile = [&](Value first, Value count, Value slice) -> Value {
      Value zero = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
      Value padding = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
      Value weightPadding =
          arith::ConstantOp::create(b, loc, b.getFloatAttr(weightElement, 0.0));
      auto rowLoop = scf::ForOp::create(
          b, loc, ia.index(0), numRows, ia.index(1), ValueRange{slice},
          [&](OpBuilder &b1, Location, Value row, ValueRange rowArgs) {
            IndexArith a1{b1, loc};
            auto colLoop = scf::ForOp::create(
                b1, loc, a1.index(0), count, a1.index(1), rowArgs,
                [&](OpBuilder &b2, Location, Value col, ValueRange colArgs) {
                  IndexArith a2{b2, loc};
                  Value vocabRow = a2.add(first, col);
                  auto dot = scf::ForOp::create(
                      b2, loc, a2.index(0), a2.index(hidden),
                      a2.index(kWidth), ValueRange{zero},
                      [&](OpBuilder &b3, Location, Value k, ValueRange acc) {
                        Value xs = vector::TransferReadOp::create(
                            b3, loc, accType, x, ValueRange{row, k}, padding,
                            ArrayRef<bool>{true});
                        Value ws = vector::TransferReadOp::create(
                            b3, loc, loadType, head, ValueRange{vocabRow, k},
                            weightPadding, ArrayRef<bool>{true});
                        Value wide = extendToF32(b3, loc, ws);
                        scf::YieldOp::create(
                            b3, loc,
                            ValueRange{vector::FMAOp::create(b3, loc, xs, wide,
                                                             acc[0])});
                      });
                  Value sum = vector::ReductionOp::create(
                      b2, loc, vector::CombiningKind::ADD, dot.getResult(0));
                  Value updated = tensor::InsertOp::create(
                      b2, loc, sum, colArgs[0], ValueRange{row, col});
                  scf::YieldOp::create(b2, loc, updated);
                });
            scf::YieldOp::create(b1, loc, colLoop.getResult(0));
          });
      return rowLoop.getResult(0);
    };
    Value init = createEmptyLikeRows(b, loc, x, {vocab}, f32);
    Value logits = cpu::buildColumnTiles(b, loc, init, vocab, kTile, vocabTile);
    if (logits.getType() != resultType)
      logits = tensor::CastOp::create(b, loc, resultType, logits);
    rewriter.replaceOp(op, logits);
    return success();
  }
};

} // namespace

void trilm::cpu::populateLMHeadPatterns(RewritePatternSet &patterns) {
  patterns.add<VectorizedLMHead>(patterns.getContext(), /*benefit=*/2);
}
