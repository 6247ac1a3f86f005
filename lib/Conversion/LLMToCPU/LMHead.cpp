//===- LMHead.cpp - llm.lm_head as vector code on threads -----------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The output projection reads vocab x hidden weights for every token:
// vocabulary tiles run on threads; within a tile, groups of vocabulary rows
// share each 16-wide chunk of the input and accumulate in their own
// registers, so that the multiply-adds of a group do not wait on one another.
// The rows of a group come from the tile's four quarters: four streams the
// hardware prefetches in parallel, which one thread needs to read memory at
// its full speed.
//
//===----------------------------------------------------------------------===//

#include "CPUPatterns.h"
#include "RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"
#include "trilm/Utils/BuilderUtils.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::llm;

namespace {

/// Vocabulary rows per thread tile, and per group of independent
/// accumulators (a divisor of the tile).
constexpr int64_t kTile = 64, kGroup = 4;

/// How far ahead of its reads each stream prefetches the weight, in
/// elements: 2 KiB of f16, as for the ternary GEMVs.
constexpr int64_t kPrefetchElements = 1024;

struct VectorizedLMHead : public OpRewritePattern<LMHeadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LMHeadOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType weightType = op.getWeight().getType();
    int64_t vocab = weightType.getDimSize(0), hidden = weightType.getDimSize(1);
    if (hidden % cpu::kLanes != 0 || vocab % kGroup != 0 ||
        !op.getInput().getType().getElementType().isF32())
      return rewriter.notifyMatchFailure(
          op, "f32 inputs whose width is a multiple of the vector width, a "
              "vocabulary that groups divide");
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
    Value numRows = tensor::DimOp::create(b, loc, x, 0);
    auto vocabTile = [&](Value first, Value count, Value slice) -> Value {
      Value zero = cpu::splatChunk(b, loc, 0.0);
      auto rowLoop = scf::ForOp::create(
          b, loc, ia.index(0), numRows, ia.index(1), ValueRange{slice},
          [&](OpBuilder &b1, Location, Value row, ValueRange rowArgs) {
            IndexArith a1{b1, loc};
            Value part = a1.div(count, a1.index(kGroup));
            auto groupLoop = scf::ForOp::create(
                b1, loc, a1.index(0), part, a1.index(1), rowArgs,
                [&](OpBuilder &b2, Location, Value col, ValueRange colArgs) {
                  IndexArith a2{b2, loc};
                  // Row r of the group: column col of quarter r.
                  auto column = [&](IndexArith &a, int64_t r) {
                    return a.add(a.mul(a.index(r), part), col);
                  };
                  SmallVector<Value> zeros(kGroup, zero);
                  auto dot = scf::ForOp::create(
                      b2, loc, a2.index(0), a2.index(hidden),
                      a2.index(cpu::kLanes), zeros,
                      [&](OpBuilder &b3, Location, Value k, ValueRange acc) {
                        IndexArith a3{b3, loc};
                        Value xs = cpu::readChunk(b3, loc, x, row, k);
                        SmallVector<Value> sums;
                        for (int64_t r = 0; r < kGroup; ++r) {
                          Value vocabRow = a3.add(first, column(a3, r));
                          // Ahead in the weight's storage, into the rows
                          // that follow; clamped to stay in bounds.
                          Value ahead = a3.min(
                              a3.add(a3.add(a3.mul(vocabRow, a3.index(hidden)),
                                            k),
                                     a3.index(kPrefetchElements)),
                              a3.index(vocab * hidden - 1));
                          ternary_cpu::PrefetchOp::create(
                              b3, loc, head,
                              ValueRange{a3.div(ahead, a3.index(hidden)),
                                         a3.rem(ahead, a3.index(hidden))});
                          Value ws = cpu::readChunk(b3, loc, head, vocabRow, k);
                          sums.push_back(
                              vector::FMAOp::create(b3, loc, xs, ws, acc[r]));
                        }
                        scf::YieldOp::create(b3, loc, sums);
                      });
                  Value updated = colArgs[0];
                  for (int64_t r = 0; r < kGroup; ++r)
                    updated = tensor::InsertOp::create(
                        b2, loc, cpu::sumLanes(b2, loc, dot.getResult(r)),
                        updated, ValueRange{row, column(a2, r)});
                  scf::YieldOp::create(b2, loc, updated);
                });
            scf::YieldOp::create(b1, loc, groupLoop.getResult(0));
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
