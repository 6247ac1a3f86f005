//===- RowWise.cpp - Row-wise llm ops as vector code on threads -----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// RMSNorm (alone or fused with int8 quantisation), ternary.quantize, rotary
// embeddings, the gated activation and residual adds: rows on threads for
// prompts, 16-lane f32 chunks along each row, with the same per-element
// arithmetic as the reference lowering (only the order of the sums of
// squares and the exponential's implementation differ: a polynomial, within
// an ulp or two).
//
//===----------------------------------------------------------------------===//

#include "CPUPatterns.h"
#include "RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"
#include "trilm/Utils/BuilderUtils.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::cpu;
using namespace trilm::llm;

namespace {

bool isF32Tensor(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType().isF32();
}

int64_t widthOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getDimSize(1);
}

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value broadcast(OpBuilder &b, Location loc, Value scalar) {
  return vector::BroadcastOp::create(
      b, loc, VectorType::get({kLanes}, scalar.getType()), scalar);
}

/// 1 / sqrt(sum of squares of `row` / width + epsilon), as buildNormalized
/// computes it.
Value inverseRootMeanSquare(OpBuilder &b, Location loc, Value x, Value row,
                            int64_t width, float epsilon) {
  Value squares = buildChunkLoop(
      b, loc, width, splatChunk(b, loc, 0.0),
      [&](OpBuilder &nb, Value column, ValueRange acc) -> SmallVector<Value> {
        Value v = readChunk(nb, loc, x, row, column);
        return {arith::AddFOp::create(nb, loc, acc[0],
                                      arith::MulFOp::create(nb, loc, v, v))};
      })[0];
  Value mean = arith::DivFOp::create(b, loc, sumLanes(b, loc, squares),
                                     f32Constant(b, loc, width));
  Value root = math::SqrtOp::create(
      b, loc, arith::AddFOp::create(b, loc, mean, f32Constant(b, loc, epsilon)));
  return arith::DivFOp::create(b, loc, f32Constant(b, loc, 1.0), root);
}

/// gamma * (x * inverse) for one chunk.
Value normalizedChunk(OpBuilder &b, Location loc, Value x, Value gamma,
                      Value row, Value column, Value inverse) {
  Value v = readChunk(b, loc, x, row, column);
  Value g = readChunk(b, loc, gamma, row, column);
  return arith::MulFOp::create(
      b, loc, g, arith::MulFOp::create(b, loc, v, broadcast(b, loc, inverse)));
}

struct VectorizedRMSNorm : public OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF32Tensor(op.getInput()))
      return failure();
    Location loc = op.getLoc();
    Value x = op.getInput(), gamma = op.getWeight();
    int64_t width = widthOf(x);
    float epsilon = op.getEpsilon().convertToFloat();
    Value init = createEmptyLikeRows(rewriter, loc, x, {width},
                                     rewriter.getF32Type());
    Value result = buildRowLoop(
        rewriter, loc, init,
        [&](OpBuilder &b, Value row, ValueRange out) -> SmallVector<Value> {
          Value inverse = inverseRootMeanSquare(b, loc, x, row, width, epsilon);
          Value zero = IndexArith{b, loc}.index(0);
          return buildChunkLoop(
              b, loc, width, out[0],
              [&](OpBuilder &nb, Value column,
                  ValueRange dest) -> SmallVector<Value> {
                Value y =
                    normalizedChunk(nb, loc, x, gamma, row, column, inverse);
                return {writeChunk(nb, loc, y, dest[0], zero, column)};
              });
        })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Per-row absmax int8 quantisation of the values `valueAt(b, row, column)`
/// yields chunk by chunk (twice: for the absmax, then for the codes), as
/// ternary.quantize defines it. Returns the codes and the scales.
std::pair<Value, Value>
buildQuantizedRows(OpBuilder &b, Location loc, Value like, int64_t width,
                   float eps,
                   function_ref<Value(OpBuilder &, Value, Value)> prepareRow,
                   function_ref<Value(OpBuilder &, Value, Value, Value)> valueAt) {
  Type i8 = b.getI8Type();
  Value codesInit = createEmptyLikeRows(b, loc, like, {width}, i8);
  Value scalesInit = createEmptyLikeRows(b, loc, like, {}, b.getF32Type());
  SmallVector<Value> results = buildRowLoop(
      b, loc, ValueRange{codesInit, scalesInit},
      [&](OpBuilder &rb, Value row, ValueRange out) -> SmallVector<Value> {
        IndexArith ia{rb, loc};
        Value state = prepareRow(rb, row, out[0]);
        Value absmax = buildChunkLoop(
            rb, loc, width, splatChunk(rb, loc, 0.0),
            [&](OpBuilder &nb, Value column,
                ValueRange acc) -> SmallVector<Value> {
              Value y = valueAt(nb, row, column, state);
              return {arith::MaximumFOp::create(
                  nb, loc, acc[0], math::AbsFOp::create(nb, loc, y))};
            })[0];
        Value rowMax = vector::ReductionOp::create(
            rb, loc, vector::CombiningKind::MAXIMUMF, absmax);
        Value scale = ternary::quantizationScale(rb, loc, rowMax, eps);
        Value scaleChunk = broadcast(rb, loc, scale);
        Value zero = ia.index(0);
        Value codes = buildChunkLoop(
            rb, loc, width, out[0],
            [&](OpBuilder &nb, Value column,
                ValueRange dest) -> SmallVector<Value> {
              Value y = valueAt(nb, row, column, state);
              Value code = ternary::quantizeToI8(nb, loc, y, scaleChunk);
              return {vector::TransferWriteOp::create(
                          nb, loc, code, dest[0], ValueRange{zero, column},
                          ArrayRef<bool>{width % kLanes == 0})
                          .getResult()};
            })[0];
        Value scales =
            tensor::InsertOp::create(rb, loc, scale, out[1], ValueRange{zero});
        return {codes, scales};
      });
  return {results[0], results[1]};
}

/// ternary.quantize of an RMSNorm: the normalised row is recomputed in the
/// absmax pass and in the rounding pass and never stored, with the same
/// arithmetic as the two ops apart (bit-identical).
struct FuseNormQuantize : public OpRewritePattern<ternary::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ternary::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto norm = op.getInput().getDefiningOp<RMSNormOp>();
    if (!norm || !isF32Tensor(norm.getInput()))
      return failure();
    Location loc = op.getLoc();
    Value x = norm.getInput(), gamma = norm.getWeight();
    int64_t width = widthOf(x);
    float epsilon = norm.getEpsilon().convertToFloat();
    auto [codes, scales] = buildQuantizedRows(
        rewriter, loc, x, width, op.getEps().convertToFloat(),
        [&](OpBuilder &b, Value row, Value) {
          return inverseRootMeanSquare(b, loc, x, row, width, epsilon);
        },
        [&](OpBuilder &b, Value row, Value column, Value inverse) {
          return normalizedChunk(b, loc, x, gamma, row, column, inverse);
        });
    replaceQuantize(rewriter, op, codes, scales);
    return success();
  }

  static void replaceQuantize(PatternRewriter &rewriter,
                              ternary::QuantizeOp op, Value codes,
                              Value scales) {
    auto cast = [&](Value value, Type type) -> Value {
      return value.getType() == type
                 ? value
                 : tensor::CastOp::create(rewriter, op.getLoc(), type, value);
    };
    rewriter.replaceOp(op, {cast(codes, op.getQuantized().getType()),
                            cast(scales, op.getScales().getType())});
  }
};

struct VectorizedQuantize : public OpRewritePattern<ternary::QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ternary::QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    if (!isF32Tensor(x) || cast<RankedTensorType>(x.getType()).getRank() != 2)
      return failure();
    Location loc = op.getLoc();
    auto [codes, scales] = buildQuantizedRows(
        rewriter, loc, x, widthOf(x), op.getEps().convertToFloat(),
        [](OpBuilder &, Value, Value) { return Value(); },
        [&](OpBuilder &b, Value row, Value column, Value) {
          return readChunk(b, loc, x, row, column);
        });
    FuseNormQuantize::replaceQuantize(rewriter, op, codes, scales);
    return success();
  }
};

/// Rotate-half rotary embeddings from cos/sin tables of the rows'
/// positions (M x head_dim / 2), built by their own op: every rope of a
/// call shares them (CSE) and they leave the layer loop (loop-invariant).
struct VectorizedRope : public OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getStyle() != RopeStyle::rotate_half || !isF32Tensor(op.getInput()))
      return failure();
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    Value x = op.getInput();
    int64_t headDim = op.getHeadDim(), half = headDim / 2;
    int64_t heads = widthOf(x) / headDim;
    float scaling = op.getScaling()
                        ? static_cast<float>(
                              op.getScaling()->getFactor().getValueAsDouble())
                        : 1.0f;
    SmallVector<float> frequencies = ropeInverseFrequencies(
        headDim, op.getTheta().convertToFloat(), scaling);
    Value frequencyTable = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({half}, rewriter.getF32Type()),
            ArrayRef<float>(frequencies)));
    Value start = op.getStart();
    auto table = [&](bool sine) {
      Value init =
          createEmptyLikeRows(rewriter, loc, x, {half}, rewriter.getF32Type());
      return buildGeneric(
          rewriter, loc, init, frequencyTable,
          {projection(context, 2, {1}), projection(context, 2, {0, 1})},
          {utils::IteratorType::parallel, utils::IteratorType::parallel},
          [&](OpBuilder &b, Location nloc, ValueRange args) -> Value {
            Value row = linalg::IndexOp::create(b, nloc, 0);
            Value position = arith::UIToFPOp::create(
                b, nloc, b.getF32Type(),
                arith::IndexCastUIOp::create(
                    b, nloc, b.getI64Type(),
                    arith::AddIOp::create(b, nloc, start, row)));
            Value angle = arith::MulFOp::create(b, nloc, position, args[0]);
            if (sine)
              return math::SinOp::create(b, nloc, angle);
            return math::CosOp::create(b, nloc, angle);
          });
    };
    Value cosines = table(false), sines = table(true);
    Value init =
        createEmptyLikeRows(rewriter, loc, x, {widthOf(x)}, rewriter.getF32Type());
    Value result = buildRowLoop(
        rewriter, loc, init,
        [&](OpBuilder &b, Value row, ValueRange out) -> SmallVector<Value> {
          IndexArith ia{b, loc};
          Value zero = ia.index(0);
          Value dest = out[0];
          for (int64_t h = 0; h < heads; ++h) {
            dest = buildChunkLoop(
                b, loc, half, dest,
                [&](OpBuilder &nb, Value column,
                    ValueRange carried) -> SmallVector<Value> {
                  IndexArith na{nb, loc};
                  Value first = na.add(column, na.index(h * headDim));
                  Value second = na.add(first, na.index(half));
                  // Lanes past half (a head_dim / 2 not a multiple of 16)
                  // read the table's padding and are masked on write.
                  Value cos = readChunk(nb, loc, cosines, row, column);
                  Value sin = readChunk(nb, loc, sines, row, column);
                  Value x1 = readChunk(nb, loc, x, row, first);
                  Value x2 = readChunk(nb, loc, x, row, second);
                  Value y1 = arith::SubFOp::create(
                      nb, loc, arith::MulFOp::create(nb, loc, x1, cos),
                      arith::MulFOp::create(nb, loc, x2, sin));
                  Value y2 = arith::AddFOp::create(
                      nb, loc, arith::MulFOp::create(nb, loc, x2, cos),
                      arith::MulFOp::create(nb, loc, x1, sin));
                  Value written =
                      writeHalf(nb, loc, y1, carried[0], zero, first, column,
                                half);
                  return {writeHalf(nb, loc, y2, written, zero, second, column,
                                    half)};
                })[0];
          }
          return {dest};
        })[0];
    rewriter.replaceOp(op, result);
    return success();
  }

  /// Writes the lanes of `chunk` that lie within the half-head (lane l is
  /// element `column + l` of it).
  static Value writeHalf(OpBuilder &b, Location loc, Value chunk, Value dest,
                         Value row, Value at, Value column, int64_t half) {
    if (half % kLanes == 0)
      return writeChunk(b, loc, chunk, dest, row, at);
    IndexArith ia{b, loc};
    Value valid = vector::CreateMaskOp::create(
        b, loc, VectorType::get({kLanes}, b.getI1Type()),
        ValueRange{ia.sub(ia.index(half), column)});
    AffineMap lastDimension =
        AffineMap::getMinorIdentityMap(2, 1, b.getContext());
    return vector::TransferWriteOp::create(
               b, loc, chunk, dest, ValueRange{row, at},
               AffineMapAttr::get(lastDimension), valid,
               b.getBoolArrayAttr({false}))
        .getResult();
  }
};

struct VectorizedGatedActivation : public OpRewritePattern<GatedActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatedActivationOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF32Tensor(op.getGate()))
      return failure();
    Location loc = op.getLoc();
    Value gate = op.getGate(), up = op.getUp();
    int64_t width = widthOf(gate);
    ActivationFunction function = op.getFunction();
    Value init =
        createEmptyLikeRows(rewriter, loc, gate, {width}, rewriter.getF32Type());
    Value result = buildRowLoop(
        rewriter, loc, init,
        [&](OpBuilder &b, Value row, ValueRange out) -> SmallVector<Value> {
          Value zero = IndexArith{b, loc}.index(0);
          return buildChunkLoop(
              b, loc, width, out[0],
              [&](OpBuilder &nb, Value column,
                  ValueRange dest) -> SmallVector<Value> {
                Value y = buildGatedActivation(
                    nb, loc, function, readChunk(nb, loc, gate, row, column),
                    readChunk(nb, loc, up, row, column));
                return {writeChunk(nb, loc, y, dest[0], zero, column)};
              });
        })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The residual adds of the model: element-wise on M x hidden f32 tensors.
struct VectorizedAdd : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || type.getRank() != 2 || !type.getElementType().isF32() ||
        type.isDynamicDim(1))
      return failure();
    Location loc = op.getLoc();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    int64_t width = type.getDimSize(1);
    Value init =
        createEmptyLikeRows(rewriter, loc, lhs, {width}, rewriter.getF32Type());
    Value result = buildRowLoop(
        rewriter, loc, init,
        [&](OpBuilder &b, Value row, ValueRange out) -> SmallVector<Value> {
          Value zero = IndexArith{b, loc}.index(0);
          return buildChunkLoop(
              b, loc, width, out[0],
              [&](OpBuilder &nb, Value column,
                  ValueRange dest) -> SmallVector<Value> {
                Value sum = arith::AddFOp::create(
                    nb, loc, readChunk(nb, loc, lhs, row, column),
                    readChunk(nb, loc, rhs, row, column));
                return {writeChunk(nb, loc, sum, dest[0], zero, column)};
              });
        })[0];
    if (result.getType() != type)
      result = tensor::CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void trilm::cpu::populateRowWiseFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseNormQuantize>(patterns.getContext());
}

void trilm::cpu::populateRowWisePatterns(RewritePatternSet &patterns) {
  patterns.add<VectorizedRMSNorm, VectorizedQuantize, VectorizedRope,
               VectorizedGatedActivation, VectorizedAdd>(patterns.getContext(),
                                                         /*benefit=*/2);
}
