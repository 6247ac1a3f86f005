//===- Attention.cpp - llm.attention as vector code on threads ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Heads run on threads. Within a head, blocks of query rows (4 for a prompt,
// 1 for a token) make three passes over the visible positions, none of them
// carrying a dependence from one position to the next but maxima and sums:
// the scores of 16 positions at a time (head_dim multiply-adds of broadcast
// query elements with 16 keys: the key cache holds each dimension's
// positions contiguously), their softmax (the exponential a polynomial), and
// the weighted sum of the values (a head_dim-wide multiply-add per position).
// Each key and value loaded serves every row of the block. The caches (f32
// or f16) are read in place, each pass streaming a head's positions in
// order.
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

/// Query rows that share each key and value load, for a prompt.
constexpr int64_t kPromptRows = 4;

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
    int64_t block =
        op.getQuery().getType().getDimSize(0) == 1 ? 1 : kPromptRows;
    Type cacheElement =
        cast<RankedTensorType>(keys.getType()).getElementType();
    auto rowType = VectorType::get({d}, f32);
    auto chunkType = VectorType::get({cpu::kLanes}, f32);
    auto maskType = VectorType::get({cpu::kLanes}, b.getI1Type());
    Value numRows = tensor::DimOp::create(b, loc, q, 0);
    Value lastRow = ia.sub(numRows, ia.index(1));
    double lowest = -std::numeric_limits<double>::infinity();
    Value scale = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(op.getScaleValue()));
    Value cachePadding =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(cacheElement, 0.0));
    // Every row of the call sees at most start + M positions.
    Value maxVisible = ia.add(start, numRows);

    auto headTile = [&](Value column, Value, Value slice) -> Value {
      // transformers' repeat_kv: query head h reads key/value head h / group.
      Value kvHead = ia.div(column, ia.index(d * group));
      Value scores = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{block, ShapedType::kDynamic}, f32,
          ValueRange{maxVisible});
      auto rowLoop = scf::ForOp::create(
          b, loc, ia.index(0), numRows, ia.index(block),
          ValueRange{slice, scores},
          [&](OpBuilder &b1, Location, Value first, ValueRange rowArgs) {
            IndexArith a1{b1, loc};
            // Rows past M repeat row M - 1 (and rewrite its result).
            // Causal: row i (position start + i) sees positions 0..start + i.
            SmallVector<Value> rows, visible;
            for (int64_t r = 0; r < block; ++r) {
              rows.push_back(a1.min(a1.add(first, a1.index(r)), lastRow));
              visible.push_back(a1.add(a1.add(start, rows.back()), a1.index(1)));
            }
            Value span = visible.back();
            auto validLanes = [&](OpBuilder &nb, int64_t r, Value position) {
              IndexArith na{nb, loc};
              return vector::CreateMaskOp::create(
                  nb, loc, maskType, ValueRange{na.sub(visible[r], position)});
            };
            Value lowestChunk = cpu::splatChunk(b1, loc, lowest);

            // Scores and their maxima, 16 positions at a time.
            SmallVector<Value> scoreInits = {rowArgs[1]};
            scoreInits.append(block, lowestChunk);
            auto scoreLoop = scf::ForOp::create(
                b1, loc, a1.index(0), span, a1.index(cpu::kLanes), scoreInits,
                [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                  IndexArith a2{b2, loc};
                  SmallVector<Value> zeros(block, cpu::splatChunk(b2, loc, 0.0));
                  auto dot = scf::ForOp::create(
                      b2, loc, a2.index(0), a2.index(d), a2.index(1), zeros,
                      [&](OpBuilder &b3, Location, Value e, ValueRange acc) {
                        IndexArith a3{b3, loc};
                        Value key = extendToF32(
                            b3, loc,
                            vector::TransferReadOp::create(
                                b3, loc,
                                VectorType::get({cpu::kLanes}, cacheElement),
                                keys, ValueRange{kvHead, e, j}, cachePadding,
                                ArrayRef<bool>{false}));
                        SmallVector<Value> sums;
                        for (int64_t r = 0; r < block; ++r) {
                          Value element = tensor::ExtractOp::create(
                              b3, loc, q,
                              ValueRange{rows[r], a3.add(column, e)});
                          sums.push_back(vector::FMAOp::create(
                              b3, loc,
                              vector::BroadcastOp::create(b3, loc, chunkType,
                                                          element),
                              key, acc[r]));
                        }
                        scf::YieldOp::create(b3, loc, sums);
                      });
                  Value stored = state[0];
                  SmallVector<Value> results;
                  for (int64_t r = 0; r < block; ++r) {
                    Value scaled = arith::SelectOp::create(
                        b2, loc, validLanes(b2, r, j),
                        arith::MulFOp::create(
                            b2, loc, dot.getResult(r),
                            vector::BroadcastOp::create(b2, loc, chunkType,
                                                        scale)),
                        lowestChunk);
                    stored = cpu::writeChunk(b2, loc, scaled, stored,
                                             a2.index(r), j);
                    results.push_back(arith::MaximumFOp::create(
                        b2, loc, state[1 + r], scaled));
                  }
                  results.insert(results.begin(), stored);
                  scf::YieldOp::create(b2, loc, results);
                });

            // exp(score - maximum) in place, and the sums.
            SmallVector<Value> maxima;
            for (int64_t r = 0; r < block; ++r)
              maxima.push_back(vector::BroadcastOp::create(
                  b1, loc, chunkType,
                  vector::ReductionOp::create(
                      b1, loc, vector::CombiningKind::MAXIMUMF,
                      scoreLoop.getResult(1 + r))));
            SmallVector<Value> softmaxInits = {scoreLoop.getResult(0)};
            softmaxInits.append(block, cpu::splatChunk(b1, loc, 0.0));
            auto softmaxLoop = scf::ForOp::create(
                b1, loc, a1.index(0), span, a1.index(cpu::kLanes),
                softmaxInits,
                [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                  IndexArith a2{b2, loc};
                  Value stored = state[0];
                  SmallVector<Value> totals;
                  for (int64_t r = 0; r < block; ++r) {
                    Value chunk =
                        cpu::readChunk(b2, loc, stored, a2.index(r), j);
                    Value weights = math::ExpOp::create(
                        b2, loc,
                        arith::SubFOp::create(b2, loc, chunk, maxima[r]));
                    Value kept = arith::SelectOp::create(
                        b2, loc, validLanes(b2, r, j), weights,
                        cpu::splatChunk(b2, loc, 0.0));
                    stored = cpu::writeChunk(b2, loc, kept, stored,
                                             a2.index(r), j);
                    totals.push_back(
                        arith::AddFOp::create(b2, loc, state[1 + r], kept));
                  }
                  totals.insert(totals.begin(), stored);
                  scf::YieldOp::create(b2, loc, totals);
                });
            Value probabilities = softmaxLoop.getResult(0);

            // The weighted sums of the values.
            SmallVector<Value> valueInits(
                block, arith::ConstantOp::create(
                           b1, loc,
                           DenseElementsAttr::get(rowType,
                                                  b1.getF32FloatAttr(0.0f))));
            auto valueLoop = scf::ForOp::create(
                b1, loc, a1.index(0), span, a1.index(1), valueInits,
                [&](OpBuilder &b2, Location, Value j, ValueRange acc) {
                  IndexArith a2{b2, loc};
                  Value value = extendToF32(
                      b2, loc,
                      vector::TransferReadOp::create(
                          b2, loc, VectorType::get({d}, cacheElement), values,
                          ValueRange{kvHead, j, a2.index(0)}, cachePadding,
                          ArrayRef<bool>{true}));
                  SmallVector<Value> sums;
                  for (int64_t r = 0; r < block; ++r) {
                    Value weight = tensor::ExtractOp::create(
                        b2, loc, probabilities, ValueRange{a2.index(r), j});
                    sums.push_back(vector::FMAOp::create(
                        b2, loc,
                        vector::BroadcastOp::create(b2, loc, rowType, weight),
                        value, acc[r]));
                  }
                  scf::YieldOp::create(b2, loc, sums);
                });
            Value written = rowArgs[0];
            for (int64_t r = 0; r < block; ++r) {
              Value total =
                  cpu::sumLanes(b1, loc, softmaxLoop.getResult(1 + r));
              Value result = arith::DivFOp::create(
                  b1, loc, valueLoop.getResult(r),
                  vector::BroadcastOp::create(b1, loc, rowType, total));
              written = vector::TransferWriteOp::create(
                            b1, loc, result, written,
                            ValueRange{rows[r], a1.index(0)},
                            ArrayRef<bool>{true})
                            .getResult();
            }
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
