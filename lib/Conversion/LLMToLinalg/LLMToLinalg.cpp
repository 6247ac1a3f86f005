//===- LLMToLinalg.cpp - Reference lowering of llm ops --------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Each llm op becomes the linalg.generics that compute its definition, in
// f32, with nothing fused, tiled or threaded: attention materialises its
// score matrix, the output projection is one contraction. Target lowerings
// are tested against this one.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "trilm/Utils/BuilderUtils.h"

#include <cmath>
#include <limits>

namespace trilm {
#define GEN_PASS_DEF_CONVERTLLMTOLINALG
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::llm;
using utils::IteratorType;

namespace {

constexpr IteratorType par = IteratorType::parallel;
constexpr IteratorType red = IteratorType::reduction;

Value f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc,
                                   b.getF32FloatAttr(static_cast<float>(value)));
}

/// A tensor.empty of `type`, its dynamic leading size that of `rowsOf`.
Value emptyOf(OpBuilder &b, Location loc, RankedTensorType type,
              Value rowsOf) {
  SmallVector<Value> sizes;
  if (type.isDynamicDim(0))
    sizes.push_back(tensor::DimOp::create(b, loc, rowsOf, 0));
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), sizes);
}

/// A float of any width as a float of `type`.
Value convertFloat(OpBuilder &b, Location loc, Value value, Type type) {
  return truncateFromF32(b, loc, extendToF32(b, loc, value), type);
}

struct LowerEmbedding : public OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    MLIRContext *context = op.getContext();
    Value table = op.getTable();
    Value result = buildGeneric(
        rewriter, loc, emptyOf(rewriter, loc, type, op.getTokens()),
        op.getTokens(), {projection(context, 2, {0}), projection(context, 2, {0, 1})},
        {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value row =
              arith::IndexCastOp::create(b, nloc, b.getIndexType(), args[0]);
          Value col = linalg::IndexOp::create(b, nloc, 1);
          Value value =
              tensor::ExtractOp::create(b, nloc, table, ValueRange{row, col});
          return convertFloat(b, nloc, value, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerRMSNorm : public OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    RankedTensorType type = op.getType();
    int64_t width = type.getDimSize(1);
    float epsilon = op.getEpsilon().convertToFloat();
    Value sums = buildSumOfSquares(rewriter, loc, op.getInput());
    Value result = buildGeneric(
        rewriter, loc, emptyOf(rewriter, loc, type, op.getInput()),
        ValueRange{op.getInput(), sums, op.getWeight()},
        {projection(context, 2, {0, 1}), projection(context, 2, {0}),
         projection(context, 2, {1}), projection(context, 2, {0, 1})},
        {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value y = buildNormalized(b, nloc, extendToF32(b, nloc, args[0]),
                                    args[1], args[2], width, epsilon);
          return truncateFromF32(b, nloc, y, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerRope : public OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    RankedTensorType type = op.getType();
    int64_t headDim = op.getHeadDim(), half = headDim / 2;
    float scaling = op.getScaling()
                        ? static_cast<float>(
                              op.getScaling()->getFactor().getValueAsDouble())
                        : 1.0f;
    SmallVector<float> frequencies = ropeInverseFrequencies(
        headDim, op.getTheta().convertToFloat(), scaling);
    Value table = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({half}, rewriter.getF32Type()),
            ArrayRef<float>(frequencies)));
    bool rotateHalf = op.getStyle() == RopeStyle::rotate_half;
    Value input = op.getInput(), start = op.getStart();
    Value result = buildGeneric(
        rewriter, loc, emptyOf(rewriter, loc, type, input), input,
        {projection(context, 2, {0, 1}), projection(context, 2, {0, 1})},
        {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          IndexArith ia{b, nloc};
          Value row = linalg::IndexOp::create(b, nloc, 0);
          Value column = linalg::IndexOp::create(b, nloc, 1);
          Value d = ia.rem(column, ia.index(headDim));
          // The pair's first element is negated in the rotation; `pair`
          // is the index into the frequencies, `step` the distance between
          // the two elements of the pair.
          Value first, pair;
          int64_t step;
          if (rotateHalf) {
            first = ia.lt(d, ia.index(half));
            pair = ia.rem(d, ia.index(half));
            step = half;
          } else {
            first = ia.eq(ia.rem(d, ia.index(2)), ia.index(0));
            pair = ia.div(d, ia.index(2));
            step = 1;
          }
          Value frequency =
              tensor::ExtractOp::create(b, nloc, table, ValueRange{pair});
          Value position = arith::UIToFPOp::create(
              b, nloc, b.getF32Type(),
              arith::IndexCastUIOp::create(b, nloc, b.getI64Type(),
                                           ia.add(start, row)));
          Value angle = arith::MulFOp::create(b, nloc, position, frequency);
          Value cos = math::CosOp::create(b, nloc, angle);
          Value sin = math::SinOp::create(b, nloc, angle);
          Value partnerColumn =
              ia.select(first, ia.add(column, ia.index(step)),
                        ia.sub(column, ia.index(step)));
          Value partner = extendToF32(
              b, nloc,
              tensor::ExtractOp::create(b, nloc, input,
                                        ValueRange{row, partnerColumn}));
          Value rotated = arith::SelectOp::create(
              b, nloc, first, arith::NegFOp::create(b, nloc, partner), partner);
          Value y = arith::AddFOp::create(
              b, nloc,
              arith::MulFOp::create(b, nloc, extendToF32(b, nloc, args[0]),
                                    cos),
              arith::MulFOp::create(b, nloc, rotated, sin));
          return truncateFromF32(b, nloc, y, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerAttention : public OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    IndexArith ia{rewriter, loc};
    Type f32 = rewriter.getF32Type();
    int64_t headDim = op.getHeadDim(), kvHeads = op.getNumKVHeads();
    int64_t group = op.getNumHeads() / kvHeads;
    Value start = op.getStart();
    Value rows = tensor::DimOp::create(rewriter, loc, op.getQuery(), 0);
    Value length = ia.add(start, rows);
    SmallVector<OpFoldResult> unitStrides(3, rewriter.getIndexAttr(1));

    Value keyCache = buildCacheAppend(rewriter, loc, op.getKey(),
                                      op.getKeyCache(), start,
                                      /*positionsLast=*/true);
    Value valueCache = buildCacheAppend(rewriter, loc, op.getValue(),
                                        op.getValueCache(), start,
                                        /*positionsLast=*/false);
    // Positions 0 .. start + M - 1 of each cache.
    auto zeros = SmallVector<OpFoldResult>(3, rewriter.getIndexAttr(0));
    Value keys = tensor::ExtractSliceOp::create(
        rewriter, loc, keyCache, zeros,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(kvHeads),
                               rewriter.getIndexAttr(headDim), length},
        unitStrides);
    Value values = tensor::ExtractSliceOp::create(
        rewriter, loc, valueCache, zeros,
        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(kvHeads), length,
                               rewriter.getIndexAttr(headDim)},
        unitStrides);

    // Query head h = g * group + r reads kv head g. The scores are built
    // for any number of rows, so a static count is made dynamic first.
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    Value query = op.getQuery();
    if (!queryType.isDynamicDim(0))
      query = tensor::CastOp::create(
          rewriter, loc,
          RankedTensorType::get({ShapedType::kDynamic, queryType.getDimSize(1)},
                                queryType.getElementType()),
          query);
    Value queries = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({ShapedType::kDynamic, kvHeads, group, headDim},
                              queryType.getElementType()),
        query, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}},
        ArrayRef<OpFoldResult>{rows, rewriter.getIndexAttr(kvHeads),
                               rewriter.getIndexAttr(group),
                               rewriter.getIndexAttr(headDim)});
    auto filled = [&](ArrayRef<int64_t> shape, ValueRange sizes,
                      double value) {
      Value empty = tensor::EmptyOp::create(rewriter, loc, shape, f32, sizes);
      return linalg::FillOp::create(rewriter, loc,
                                    f32Constant(rewriter, loc, value), empty)
          .getResult(0);
    };
    constexpr int64_t dyn = ShapedType::kDynamic;
    double lowest = -std::numeric_limits<double>::infinity();
    // scores[g, r, i, j] = q[i, g, r] . K[j, g]
    Value scores = buildGeneric(
        rewriter, loc,
        filled({kvHeads, group, dyn, dyn}, {rows, length}, 0.0),
        ValueRange{queries, keys},
        {projection(context, 5, {2, 0, 1, 4}), projection(context, 5, {0, 4, 3}),
         projection(context, 5, {0, 1, 2, 3})},
        {par, par, par, par, red},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value product = arith::MulFOp::create(
              b, nloc, extendToF32(b, nloc, args[0]),
              extendToF32(b, nloc, args[1]));
          return arith::AddFOp::create(b, nloc, args[2], product);
        });
    // Scaled, and -inf where key j is after query i's position.
    AffineMap all4 = projection(context, 4, {0, 1, 2, 3});
    Value scale = f32Constant(rewriter, loc, op.getScaleValue());
    Value masked = buildGeneric(
        rewriter, loc, scores, ValueRange{}, {all4}, {par, par, par, par},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          IndexArith na{b, nloc};
          Value i = linalg::IndexOp::create(b, nloc, 2);
          Value j = linalg::IndexOp::create(b, nloc, 3);
          Value past = arith::CmpIOp::create(b, nloc, arith::CmpIPredicate::ule,
                                             j, na.add(start, i));
          return arith::SelectOp::create(
              b, nloc, past, arith::MulFOp::create(b, nloc, args[0], scale),
              f32Constant(b, nloc, lowest));
        });
    AffineMap rowOf4 = projection(context, 4, {0, 1, 2});
    Value maxima = buildGeneric(
        rewriter, loc, filled({kvHeads, group, dyn}, {rows}, lowest), masked,
        {all4, rowOf4}, {par, par, par, red},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          return arith::MaximumFOp::create(b, nloc, args[1], args[0]);
        });
    Value exponentials = buildGeneric(
        rewriter, loc, masked, maxima, {rowOf4, all4}, {par, par, par, par},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          return math::ExpOp::create(
              b, nloc, arith::SubFOp::create(b, nloc, args[1], args[0]));
        });
    Value sums = buildGeneric(
        rewriter, loc, filled({kvHeads, group, dyn}, {rows}, 0.0), exponentials,
        {all4, rowOf4}, {par, par, par, red},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          return arith::AddFOp::create(b, nloc, args[1], args[0]);
        });
    // out[i, g, r, d] = sum_j softmax[g, r, i, j] * V[j, g, d]
    Value attended = buildGeneric(
        rewriter, loc,
        filled({dyn, kvHeads, group, headDim}, {rows}, 0.0),
        ValueRange{exponentials, sums, values},
        {projection(context, 5, {1, 2, 0, 4}), projection(context, 5, {1, 2, 0}),
         projection(context, 5, {1, 4, 3}), projection(context, 5, {0, 1, 2, 3})},
        {par, par, par, par, red},
        [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value probability = arith::DivFOp::create(b, nloc, args[0], args[1]);
          Value product = arith::MulFOp::create(
              b, nloc, probability, extendToF32(b, nloc, args[2]));
          return arith::AddFOp::create(b, nloc, args[3], product);
        });
    RankedTensorType resultType = op.getResult().getType();
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({dyn, resultType.getDimSize(1)}, f32), attended,
        ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
    if (!resultType.getElementType().isF32())
      result = buildGeneric(
          rewriter, loc,
          emptyOf(rewriter, loc,
                  RankedTensorType::get({dyn, resultType.getDimSize(1)},
                                        resultType.getElementType()),
                  result),
          result, {projection(context, 2, {0, 1}), projection(context, 2, {0, 1})},
          {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
            return truncateFromF32(b, nloc, args[0],
                                   resultType.getElementType());
          });
    if (result.getType() != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(op, {result, keyCache, valueCache});
    return success();
  }
};

struct LowerGatedActivation : public OpRewritePattern<GatedActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GatedActivationOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    RankedTensorType type = op.getType();
    AffineMap identity = projection(context, 2, {0, 1});
    ActivationFunction function = op.getFunction();
    Value result = buildGeneric(
        rewriter, loc, emptyOf(rewriter, loc, type, op.getGate()),
        ValueRange{op.getGate(), op.getUp()}, {identity, identity, identity},
        {par, par}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value y = buildGatedActivation(b, nloc, function,
                                         extendToF32(b, nloc, args[0]),
                                         extendToF32(b, nloc, args[1]));
          return truncateFromF32(b, nloc, y, type.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerLMHead : public OpRewritePattern<LMHeadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LMHeadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    RankedTensorType type = op.getType();
    Value input = op.getInput();
    int64_t hidden = op.getWeight().getType().getDimSize(1);
    SmallVector<Value> rowSizes;
    if (Value rows = op.getRows()) {
      // The last `rows` rows of the input.
      Value count = tensor::DimOp::create(rewriter, loc, input, 0);
      OpFoldResult size = type.isDynamicDim(0)
                              ? OpFoldResult(rows)
                              : OpFoldResult(rewriter.getIndexAttr(
                                    type.getDimSize(0)));
      input = tensor::ExtractSliceOp::create(
          rewriter, loc, input,
          ArrayRef<OpFoldResult>{
              arith::SubIOp::create(rewriter, loc, count, rows).getResult(),
              rewriter.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{size, rewriter.getIndexAttr(hidden)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                 rewriter.getIndexAttr(1)});
    }
    Value init = createZeroFilled(rewriter, loc,
                                  emptyOf(rewriter, loc, type, input));
    Value result = buildGeneric(
        rewriter, loc, init, ValueRange{input, op.getWeight()},
        {projection(context, 3, {0, 2}), projection(context, 3, {1, 2}),
         projection(context, 3, {0, 1})},
        {par, par, red}, [&](OpBuilder &b, Location nloc, ValueRange args) {
          Value product = arith::MulFOp::create(
              b, nloc, extendToF32(b, nloc, args[0]),
              extendToF32(b, nloc, args[1]));
          return arith::AddFOp::create(b, nloc, args[2], product);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerLayers : public OpRewritePattern<LayersOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayersOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    IndexArith ia{rewriter, loc};
    auto loop = scf::ForOp::create(
        rewriter, loc, ia.index(0),
        ia.index(static_cast<int64_t>(op.getCount())), ia.index(1),
        op.getInits());
    Block *body = loop.getBody();
    if (!body->empty())
      rewriter.eraseOp(body->getTerminator());
    rewriter.mergeBlocks(op.getBodyBlock(), body, body->getArguments());
    auto yield = cast<YieldOp>(body->getTerminator());
    rewriter.setInsertionPoint(yield);
    rewriter.replaceOpWithNewOp<scf::YieldOp>(yield, yield.getValues());
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

struct ConvertLLMToLinalgPass
    : public trilm::impl::ConvertLLMToLinalgBase<ConvertLLMToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLLMToLinalgPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

Value trilm::buildSumOfSquares(OpBuilder &b, Location loc, Value input) {
  MLIRContext *context = b.getContext();
  auto type = cast<RankedTensorType>(input.getType());
  Value sums = createZeroFilled(
      b, loc,
      emptyOf(b, loc, RankedTensorType::get({type.getDimSize(0)}, b.getF32Type()),
              input));
  return buildGeneric(
      b, loc, sums, input,
      {projection(context, 2, {0, 1}), projection(context, 2, {0})},
      {par, red}, [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = extendToF32(nb, nloc, args[0]);
        return arith::AddFOp::create(nb, nloc, args[1],
                                     arith::MulFOp::create(nb, nloc, x, x));
      });
}

Value trilm::buildNormalized(OpBuilder &b, Location loc, Value x,
                             Value sumOfSquares, Value gamma, int64_t width,
                             float epsilon) {
  // transformers: x * rsqrt(mean(x^2) + eps), then * weight.
  Value mean = arith::DivFOp::create(
      b, loc, sumOfSquares,
      f32Constant(b, loc, static_cast<float>(width)));
  Value root = math::SqrtOp::create(
      b, loc, arith::AddFOp::create(b, loc, mean, f32Constant(b, loc, epsilon)));
  Value inverse =
      arith::DivFOp::create(b, loc, f32Constant(b, loc, 1.0), root);
  Value normed = arith::MulFOp::create(b, loc, x, inverse);
  return arith::MulFOp::create(b, loc, extendToF32(b, loc, gamma), normed);
}

Value trilm::buildCacheAppend(OpBuilder &b, Location loc, Value rows,
                              Value cache, Value start, bool positionsLast) {
  MLIRContext *context = b.getContext();
  auto cacheType = cast<RankedTensorType>(cache.getType());
  Type element = cacheType.getElementType();
  int64_t kvHeads = cacheType.getDimSize(0);
  int64_t headDim = cacheType.getDimSize(positionsLast ? 1 : 2);
  auto rowsType = cast<RankedTensorType>(rows.getType());
  int64_t m = rowsType.getDimSize(0);
  // rows[i, g * head_dim + d] -> heads[g, i, d], in the cache's type.
  Value split = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({m, kvHeads, headDim},
                                    rowsType.getElementType()),
      rows, ArrayRef<ReassociationIndices>{{0}, {1, 2}},
      ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, rows, 0),
                             b.getIndexAttr(kvHeads), b.getIndexAttr(headDim)});
  // heads[g, i, d] (or [g, d, i]) = split[i, g, d].
  OpFoldResult count = tensor::getMixedSize(b, loc, rows, 0);
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(kvHeads), count,
                                     b.getIndexAttr(headDim)};
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), start,
                                       b.getIndexAttr(0)};
  SmallVector<int64_t> shape = {kvHeads, m, headDim};
  AffineMap fromRows = projection(context, 3, {1, 0, 2});
  if (positionsLast) {
    std::swap(sizes[1], sizes[2]);
    std::swap(offsets[1], offsets[2]);
    std::swap(shape[1], shape[2]);
    fromRows = projection(context, 3, {2, 0, 1});
  }
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(m))
    dynamicRows.push_back(tensor::DimOp::create(b, loc, rows, 0));
  Value init = tensor::EmptyOp::create(b, loc, shape, element, dynamicRows);
  Value heads = buildGeneric(
      b, loc, init, split, {fromRows, projection(context, 3, {0, 1, 2})},
      {par, par, par}, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return convertFloat(nb, nloc, args[0], element);
      });
  return tensor::InsertSliceOp::create(
      b, loc, heads, cache, offsets, sizes,
      SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
}

SmallVector<float> trilm::ropeInverseFrequencies(int64_t headDim, float theta,
                                                 float linearScaling) {
  SmallVector<float> frequencies;
  for (int64_t j = 0; j < headDim / 2; ++j)
    frequencies.push_back(1.0f /
                          std::pow(theta, static_cast<float>(2 * j) /
                                              static_cast<float>(headDim)) /
                          linearScaling);
  return frequencies;
}

Value trilm::buildGatedActivation(OpBuilder &b, Location loc,
                                  ActivationFunction function, Value gate,
                                  Value up) {
  auto constant = [&](float value) -> Value {
    Attribute scalar = b.getF32FloatAttr(value);
    if (auto vectorType = dyn_cast<VectorType>(gate.getType()))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vectorType, scalar));
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(scalar));
  };
  Value activated;
  switch (function) {
  case ActivationFunction::silu: {
    // silu(g) = g * sigmoid(g) = g / (1 + exp(-g)).
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, gate));
    activated = arith::DivFOp::create(
        b, loc, gate, arith::AddFOp::create(b, loc, constant(1.0f), e));
    break;
  }
  case ActivationFunction::relu2: {
    Value relu = arith::MaximumFOp::create(b, loc, gate, constant(0.0f));
    activated = arith::MulFOp::create(b, loc, relu, relu);
    break;
  }
  }
  return arith::MulFOp::create(b, loc, activated, up);
}

void trilm::populateLLMToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerEmbedding, LowerRMSNorm, LowerRope, LowerAttention,
               LowerGatedActivation, LowerLMHead, LowerLayers>(
      patterns.getContext());
}
