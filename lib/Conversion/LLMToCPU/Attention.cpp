//===- Attention.cpp - llm.attention as vector code on threads ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Heads run on threads. For each query row of a head, three passes over its
// visible positions, none of them carrying a dependence from one position
// to the next but a maximum and sums: the scores of 16 positions at a time
// (head_dim multiply-adds of a broadcast query element with 16 keys: the
// key cache holds each dimension's positions contiguously), their softmax
// (the exponential a polynomial), and the weighted sum of the values (a
// head_dim-wide multiply-add per position). The caches (f32 or f16) are
// read in place, each pass streaming a head's positions in order.
//
//===----------------------------------------------------------------------===//

#include "CPUPatterns.h"
#include "RowLoops.h"

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
    Value keys = buildCacheAppend(b, loc, op.getKey(), op.getKeyCache(), start,
                                  /*positionsLast=*/true);
    Value values = buildCacheAppend(b, loc, op.getValue(), op.getValueCache(),
                                    start, /*positionsLast=*/false);
    Value q = op.getQuery();
    int64_t d = op.getHeadDim(), heads = op.getNumHeads();
    int64_t group = heads / op.getNumKVHeads();
    Type cacheElement =
        cast<RankedTensorType>(keys.getType()).getElementType();
    auto rowType = VectorType::get({d}, f32);
    auto cacheRowType = VectorType::get({d}, cacheElement);
    Value numRows = tensor::DimOp::create(b, loc, q, 0);
    auto f32Constant = [&](OpBuilder &nb, double value) -> Value {
      return arith::ConstantOp::create(nb, loc, nb.getF32FloatAttr(value));
    };
    double lowest = -std::numeric_limits<double>::infinity();
    Value scale = f32Constant(b, op.getScaleValue());
    Value cachePadding =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(cacheElement, 0.0));
    // Every row of the call sees at most start + M keys.
    Value maxVisible = ia.add(start, numRows);

    auto headTile = [&](Value column, Value, Value slice) -> Value {
      // transformers' repeat_kv: query head h reads key/value head h / group.
      Value kvHead = ia.div(column, ia.index(d * group));
      auto readCache = [&](OpBuilder &nb, Value cache, Value row) {
        Value raw = vector::TransferReadOp::create(
            nb, loc, cacheRowType, cache,
            ValueRange{kvHead, row, IndexArith{nb, loc}.index(0)},
            cachePadding, ArrayRef<bool>{true});
        return extendToF32(nb, loc, raw);
      };
      Value scores = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{ShapedType::kDynamic}, f32,
          ValueRange{maxVisible});
      auto rowLoop = scf::ForOp::create(
          b, loc, ia.index(0), numRows, ia.index(1),
          ValueRange{slice, scores},
          [&](OpBuilder &b1, Location, Value i, ValueRange rowArgs) {
            IndexArith a1{b1, loc};
            Value query = vector::TransferReadOp::create(
                b1, loc, rowType, q, ValueRange{i, column},
                f32Constant(b1, 0.0), ArrayRef<bool>{true});
            // Causal: query i (position start + i) sees keys 0 .. start + i.
            Value visible = a1.add(a1.add(start, i), a1.index(1));
            // Scores and their maximum, 16 positions at a time; positions
            // past `visible` score -inf.
            auto chunkType = VectorType::get({cpu::kLanes}, f32);
            auto keyChunkType = VectorType::get({cpu::kLanes}, cacheElement);
            Value lowestChunk = cpu::splatChunk(b1, loc, lowest);
            auto scoreLoop = scf::ForOp::create(
                b1, loc, a1.index(0), visible, a1.index(cpu::kLanes),
                ValueRange{rowArgs[1], lowestChunk},
                [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                  IndexArith a2{b2, loc};
                  auto dot = scf::ForOp::create(
                      b2, loc, a2.index(0), a2.index(d), a2.index(1),
                      ValueRange{cpu::splatChunk(b2, loc, 0.0)},
                      [&](OpBuilder &b3, Location, Value e, ValueRange acc) {
                        IndexArith a3{b3, loc};
                        Value element = tensor::ExtractOp::create(
                            b3, loc, q, ValueRange{i, a3.add(column, e)});
                        Value keyChunk = extendToF32(
                            b3, loc,
                            vector::TransferReadOp::create(
                                b3, loc, keyChunkType, keys,
                                ValueRange{kvHead, e, j}, cachePadding,
                                ArrayRef<bool>{false}));
                        Value sum = vector::FMAOp::create(
                            b3, loc,
                            vector::BroadcastOp::create(b3, loc, chunkType,
                                                        element),
                            keyChunk, acc[0]);
                        scf::YieldOp::create(b3, loc, sum);
                      });
                  auto maskType =
                      VectorType::get({cpu::kLanes}, b2.getI1Type());
                  Value valid = vector::CreateMaskOp::create(
                      b2, loc, maskType, ValueRange{a2.sub(visible, j)});
                  Value scores = arith::SelectOp::create(
                      b2, loc, valid,
                      arith::MulFOp::create(
                          b2, loc, dot.getResult(0),
                          vector::BroadcastOp::create(b2, loc, chunkType,
                                                      scale)),
                      lowestChunk);
                  Value stored =
                      cpu::writeChunk(b2, loc, scores, state[0], Value(), j);
                  Value maximum =
                      arith::MaximumFOp::create(b2, loc, state[1], scores);
                  scf::YieldOp::create(b2, loc, ValueRange{stored, maximum});
                });
            Value maximum = vector::ReductionOp::create(
                b1, loc, vector::CombiningKind::MAXIMUMF,
                scoreLoop.getResult(1));
            Value maximumChunk = vector::BroadcastOp::create(
                b1, loc, VectorType::get({cpu::kLanes}, f32), maximum);
            // exp(score - maximum) in place, 16 keys at a time, and its sum.
            auto softmaxLoop = scf::ForOp::create(
                b1, loc, a1.index(0), visible, a1.index(cpu::kLanes),
                ValueRange{scoreLoop.getResult(0), cpu::splatChunk(b1, loc, 0.0)},
                [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                  IndexArith a2{b2, loc};
                  // Keys past `visible` weigh nothing.
                  auto maskType = VectorType::get({cpu::kLanes}, b2.getI1Type());
                  Value valid = vector::CreateMaskOp::create(
                      b2, loc, maskType, ValueRange{a2.sub(visible, j)});
                  Value chunk = cpu::readChunk(b2, loc, state[0], Value(), j);
                  Value weights = math::ExpOp::create(
                      b2, loc, arith::SubFOp::create(b2, loc, chunk,
                                                     maximumChunk));
                  Value kept = arith::SelectOp::create(
                      b2, loc, valid, weights, cpu::splatChunk(b2, loc, 0.0));
                  Value written = cpu::writeChunk(b2, loc, kept, state[0],
                                                  Value(), j);
                  Value total = arith::AddFOp::create(b2, loc, state[1], kept);
                  scf::YieldOp::create(b2, loc, ValueRange{written, total});
                });
            Value probabilities = softmaxLoop.getResult(0);
            Value total =
                cpu::sumLanes(b1, loc, softmaxLoop.getResult(1));
            // The weighted sum of the values.
            auto valueLoop = scf::ForOp::create(
                b1, loc, a1.index(0), visible, a1.index(1),
                ValueRange{arith::ConstantOp::create(
                    b1, loc,
                    DenseElementsAttr::get(rowType, b1.getF32FloatAttr(0.0f)))},
                [&](OpBuilder &b2, Location, Value j, ValueRange acc) {
                  Value weight =
                      tensor::ExtractOp::create(b2, loc, probabilities, j);
                  Value sum = vector::FMAOp::create(
                      b2, loc,
                      vector::BroadcastOp::create(b2, loc, rowType, weight),
                      readCache(b2, values, j), acc[0]);
                  scf::YieldOp::create(b2, loc, sum);
                });
            Value result = arith::DivFOp::create(
                b1, loc, valueLoop.getResult(0),
                vector::BroadcastOp::create(b1, loc, rowType, total));
            Value written =
                vector::TransferWriteOp::create(
                    b1, loc, result, rowArgs[0], ValueRange{i, a1.index(0)},
                    ArrayRef<bool>{true})
                    .getResult();
            scf::YieldOp::create(b1, loc, ValueRange{written, probabilities});
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
