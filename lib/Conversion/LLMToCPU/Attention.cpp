//===- Attention.cpp - llm.attention as vector code on threads ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Heads run on threads. For each query row, one pass over the visible keys
// with an online softmax (running maximum and rescaled sums), so that no
// score matrix is stored; dot products and the weighted sum of values are
// head_dim-wide vector operations.
//
//===----------------------------------------------------------------------===//

#include "CPUPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Utils/BuilderUtils.h"

#include <limits>

using namespace mlir;
using namespace trilm;
using namespace trilm::llm;

namespace {

struct VectorizedAttention : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getQuery().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "f32 queries only");
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    IndexArith ia{b, loc};
    Type f32 = b.getF32Type();
    Value start = op.getStart();
    Value keys = buildCacheAppend(b, loc, op.getKey(), op.getKeyCache(), start);
    Value values =
        buildCacheAppend(b, loc, op.getValue(), op.getValueCache(), start);
    Value q = op.getQuery();
    int64_t d = op.getHeadDim(), heads = op.getNumHeads();
    int64_t group = heads / op.getNumKVHeads();
    Type cacheElement =
        cast<RankedTensorType>(keys.getType()).getElementType();
    auto rowType = VectorType::get({d}, f32);
    auto cacheRowType = VectorType::get({d}, cacheElement);
    Value numRows = tensor::DimOp::create(b, loc, q, 0);
    auto f32Constant = [&](double value) -> Value {
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
    };
    Value scale = f32Constant(op.getScaleValue());
    Value lowest = f32Constant(-std::numeric_limits<float>::infinity());
    Value zero = f32Constant(0.0);
    Value cachePadding =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(cacheElement, 0.0));
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(0.0f)));
    auto headTile = [&](Value column, Value, Value slice) -> Value {
      // transformers' repeat_kv: query head h reads key/value head h / group.
      Value kvHead = ia.div(column, ia.index(d * group));
      auto readCache = [&](OpBuilder &nb, Value cache, Value row) {
        Value raw = vector::TransferReadOp::create(
            nb, loc, cacheRowType, cache,
            ValueRange{row, kvHead, IndexArith{nb, loc}.index(0)},
            cachePadding, ArrayRef<bool>{true});
        return extendToF32(nb, loc, raw);
      };
      auto rowLoop = scf::ForOp::create(
          b, loc, ia.index(0), numRows, ia.index(1), ValueRange{slice},
          [&](OpBuilder &b1, Location, Value i, ValueRange rowArgs) {
            IndexArith a1{b1, loc};
            Value query = vector::TransferReadOp::create(
                b1, loc, rowType, q, ValueRange{i, column}, zero,
                ArrayRef<bool>{true});
            // Causal: query i (position start + i) sees keys 0 .. start + i.
            Value visible = a1.add(a1.add(start, i), a1.index(1));
            auto keyLoop = scf::ForOp::create(
                b1, loc, a1.index(0), visible, a1.index(1),
                ValueRange{zeros, lowest, zero},
                [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                  Value acc = state[0], maximum = state[1], total = state[2];
                  Value product = arith::MulFOp::create(
                      b2, loc, query, readCache(b2, keys, j));
                  Value score = arith::MulFOp::create(
                      b2, loc,
                      vector::ReductionOp::create(
                          b2, loc, vector::CombiningKind::ADD, product),
                      scale);
                  Value newMaximum =
                      arith::MaximumFOp::create(b2, loc, maximum, score);
                  Value rescale = math::ExpOp::create(
                      b2, loc,
                      arith::SubFOp::create(b2, loc, maximum, newMaximum));
                  Value weight = math::ExpOp::create(
                      b2, loc,
                      arith::SubFOp::create(b2, loc, score, newMaximum));
                  Value scaled = arith::MulFOp::create(
                      b2, loc, acc,
                      vector::BroadcastOp::create(b2, loc, rowType, rescale));
                  Value newAcc = vector::FMAOp::create(
                      b2, loc,
                      vector::BroadcastOp::create(b2, loc, rowType, weight),
                      readCache(b2, values, j), scaled);
                  Value newTotal = arith::AddFOp::create(
                      b2, loc, arith::MulFOp::create(b2, loc, total, rescale),
                      weight);
                  scf::YieldOp::create(
                      b2, loc, ValueRange{newAcc, newMaximum, newTotal});
                });
            Value result = arith::DivFOp::create(
                b1, loc, keyLoop.getResult(0),
                vector::BroadcastOp::create(b1, loc, rowType,
                                            keyLoop.getResult(2)));
            Value written =
                vector::TransferWriteOp::create(
                    b1, loc, result, rowArgs[0],
                    ValueRange{i, a1.index(0)}, ArrayRef<bool>{true})
                    .getResult();
            scf::YieldOp::create(b1, loc, written);
          });
      return rowLoop.getResult(0);
    };
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Value init = createEmptyLikeRows(b, loc, q, {heads * d}, f32);
    Value attended =
        cpu::buildColumnTiles(b, loc, init, heads * d, d, headTile);
    if (attended.getType() != resultType)
      attended = tensor::CastOp::create(b, loc, resultType, attended);
    rewriter.replaceOp(op, {attended, keys, values});
    return success();
  }
};

} // namespace

void trilm::cpu::populateAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<VectorizedAttention>(patterns.getContext(), /*benefit=*/2);
}
