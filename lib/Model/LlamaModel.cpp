//===- LlamaModel.cpp - A TriLM checkpoint as one MLIR module -------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The forward pass of LlamaForCausalLM, as Hugging Face transformers computes
// it in fp32, over tensors: block linear layers are `ternary.matmul`s on
// packed weights (Q/K/V fused into one, gate and up into another); the rest
// is linalg, tensor and math. The blocks run in one loop over layers whose
// weights are views of the weights buffer (see Weights.h), so the code does
// not grow with the number of layers.
//
//===----------------------------------------------------------------------===//

#include "trilm/Model/LlamaModel.h"

#include "Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::model;
using trilm::import::Checkpoint;
using trilm::import::LlamaConfig;

namespace {

/// The global holding embedded weights.
constexpr llvm::StringLiteral kWeightsGlobal = "trilm_weights";

/// ternary.quantize's default: keeps all-zero rows finite.
constexpr float kQuantizeEps = 1e-5f;

/// The body of a contraction: acc + a * b, the operands widened to f32.
Value multiplyAccumulate(OpBuilder &b, Location loc, ValueRange args) {
  Value product = arith::MulFOp::create(b, loc, extendToF32(b, loc, args[0]),
                                        extendToF32(b, loc, args[1]));
  return arith::AddFOp::create(b, loc, args[2], product);
}

/// Matmul activations: f32 values, or i8 codes with their per-row scales.
struct Activations {
  Value values;
  Value scales;
  Activations(Value values, Value scales = Value())
      : values(values), scales(scales) {}
};

/// Builds the body of one entry point: a forward pass over `M` tokens.
class ForwardBuilder {
public:
  ForwardBuilder(OpBuilder &b, Location loc, const LlamaConfig &config,
                 const WeightsLayout &layout, const ModelOptions &options,
                 DenseElementsAttr inverseFrequencies)
      : b(b), loc(loc), c(config), layout(layout), options(options),
        inverseFrequencies(inverseFrequencies), ia{b, loc} {}

  /// Emits the function `name` for `tokens` tokens (dynamic or static).
  void build(StringRef name, int64_t tokens);

private:
  Type f32() { return b.getF32Type(); }
  Value f32Constant(double value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }

  /// linalg.generic with `iterators` over the loops, one result.
  Value generic(Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iterators,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), inputs, ValueRange{init}, maps,
               iterators,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
               })
        .getResult(0);
  }

  /// An empty [rows, dims...] tensor whose row count is that of `like`.
  Value emptyRows(Value like, ArrayRef<int64_t> trailing, Type type = {}) {
    return createEmptyLikeRows(b, loc, like, trailing, type ? type : f32());
  }

  /// `init` ([M, width]) computed in parallel tiles (threads) of `tile`
  /// columns, the last one possibly narrower: `body(first, count, slice)`
  /// returns the [M, count] slice of columns from `first`, given its initial
  /// value.
  Value columnTiles(Value init, int64_t width, int64_t tile,
                    function_ref<Value(Value, Value, Value)> body);

  AffineMap map(unsigned dims, ArrayRef<unsigned> results) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : results)
      exprs.push_back(b.getAffineDimExpr(d));
    return AffineMap::get(dims, 0, exprs, b.getContext());
  }

  /// The tensor in `slot` of the weights buffer, at `base` + its offset.
  Value weight(const WeightSlot &slot, Value base) {
    Value start = ia.add(base, ia.index(slot.offset));
    auto viewType =
        MemRefType::get(slot.type.getShape(), slot.type.getElementType());
    Value view =
        memref::ViewOp::create(b, loc, viewType, weights, start, ValueRange{});
    return bufferization::ToTensorOp::create(b, loc, slot.type, view,
                                             /*restrict=*/b.getUnitAttr(),
                                             /*writable=*/UnitAttr());
  }

  Value embed(Value tokens);
  Value sumOfSquares(Value x);
  /// RMSNorm of one element from its row's sum of squares.
  Value normalize(OpBuilder &nb, Location nloc, Value x, Value sum,
                  Value gamma);
  Value rmsNorm(Value x, Value gamma);
  /// The input of the matmuls after a norm: f32, or in int8 mode the norm
  /// and the quantisation fused.
  Activations normalizedActivations(Value x, Value gamma);
  /// A matmul of f32 activations (quantised first in int8 mode) or of
  /// already quantised ones.
  Value ternaryMatmul(Activations input, const TernarySlot &slot, Value base);
  Value rope(Value x, int64_t heads, Value start);
  Value attention(Value q, Value keys, Value values, Value start);
  Value silu(Value gateUp);
  Value add(Value x, Value y);
  Value logits(Value x, Value init);

  OpBuilder &b;
  Location loc;
  const LlamaConfig &c;
  const WeightsLayout &layout;
  const ModelOptions &options;
  DenseElementsAttr inverseFrequencies;
  IndexArith ia;
  /// The weights buffer of the function being built.
  Value weights;
};

Value ForwardBuilder::embed(Value tokens) {
  Value table = weight(layout.embedding, ia.index(0));
  Value init = emptyRows(tokens, {c.hiddenSize});
  return generic(init, tokens, {map(2, {0}), map(2, {0, 1})},
                 {utils::IteratorType::parallel, utils::IteratorType::parallel},
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   Value row = arith::IndexCastOp::create(
                       nb, nloc, nb.getIndexType(), args[0]);
                   Value col = linalg::IndexOp::create(nb, nloc, 1);
                   Value value = tensor::ExtractOp::create(
                       nb, nloc, table, ValueRange{row, col});
                   return extendToF32(nb, nloc, value);
                 });
}

Value ForwardBuilder::sumOfSquares(Value x) {
  auto par = utils::IteratorType::parallel;
  auto red = utils::IteratorType::reduction;
  Value sums = createZeroFilled(b, loc, emptyRows(x, {}));
  return generic(sums, x, {map(2, {0, 1}), map(2, {0})}, {par, red},
                 [](OpBuilder &nb, Location nloc, ValueRange args) {
                   Value square =
                       arith::MulFOp::create(nb, nloc, args[0], args[0]);
                   return arith::AddFOp::create(nb, nloc, args[1], square);
                 });
}

Value ForwardBuilder::normalize(OpBuilder &nb, Location nloc, Value x,
                                Value sum, Value gamma) {
  // transformers: x * rsqrt(mean(x^2) + eps), then * weight.
  Value size = arith::ConstantOp::create(
      nb, nloc, nb.getF32FloatAttr(static_cast<float>(c.hiddenSize)));
  Value eps = arith::ConstantOp::create(
      nb, nloc, nb.getF32FloatAttr(static_cast<float>(c.rmsNormEps)));
  Value one = arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(1.0f));
  Value mean = arith::DivFOp::create(nb, nloc, sum, size);
  Value root = math::SqrtOp::create(nb, nloc,
                                    arith::AddFOp::create(nb, nloc, mean, eps));
  Value inverse = arith::DivFOp::create(nb, nloc, one, root);
  Value normed = arith::MulFOp::create(nb, nloc, x, inverse);
  return arith::MulFOp::create(nb, nloc, gamma, normed);
}

Value ForwardBuilder::rmsNorm(Value x, Value gamma) {
  auto par = utils::IteratorType::parallel;
  Value sums = sumOfSquares(x);
  return generic(emptyRows(x, {c.hiddenSize}), ValueRange{x, sums, gamma},
                 {map(2, {0, 1}), map(2, {0}), map(2, {1}), map(2, {0, 1})},
                 {par, par},
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   return normalize(nb, nloc, args[0], args[1], args[2]);
                 });
}

Activations ForwardBuilder::normalizedActivations(Value x, Value gamma) {
  if (!options.int8Activations)
    return {rmsNorm(x, gamma), Value()};
  // int8: the normalised row is quantised as it is produced (the same
  // arithmetic as ternary.quantize of the norm's result), so the f32 row is
  // never stored: one pass for its absmax, one for the codes.
  auto par = utils::IteratorType::parallel;
  auto red = utils::IteratorType::reduction;
  Value sums = sumOfSquares(x);
  AffineMap element = map(2, {0, 1}), row = map(2, {0}), col = map(2, {1});
  Value absmax =
      generic(createZeroFilled(b, loc, emptyRows(x, {})),
              ValueRange{x, sums, gamma}, {element, row, col, row}, {par, red},
              [&](OpBuilder &nb, Location nloc, ValueRange args) {
                Value y = normalize(nb, nloc, args[0], args[1], args[2]);
                return arith::MaximumFOp::create(
                    nb, nloc, args[3], math::AbsFOp::create(nb, nloc, y));
              });
  Value scales =
      generic(emptyRows(x, {}), absmax, {map(1, {0}), map(1, {0})}, {par},
              [&](OpBuilder &nb, Location nloc, ValueRange args) {
                return quantizationScale(nb, nloc, args[0], kQuantizeEps);
              });
  Value codes = generic(
      emptyRows(x, {c.hiddenSize}, b.getI8Type()),
      ValueRange{x, sums, gamma, scales}, {element, row, col, row, element},
      {par, par}, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value y = normalize(nb, nloc, args[0], args[1], args[2]);
        return quantizeToI8(nb, nloc, y, args[3]);
      });
  return {codes, scales};
}

Value ForwardBuilder::ternaryMatmul(Activations input, const TernarySlot &slot,
                                    Value base) {
  Value packed =
      FromStorageOp::create(b, loc, slot.type, weight(slot.packed, base));
  Value scales = weight(slot.scales, base);
  Value x = input.values, actScales = input.scales;
  auto xType = cast<RankedTensorType>(x.getType());
  if (options.int8Activations && !actScales) {
    auto quantized =
        QuantizeOp::create(b, loc, xType.clone(b.getI8Type()),
                           RankedTensorType::get({xType.getDimSize(0)}, f32()),
                           x, b.getF32FloatAttr(kQuantizeEps));
    x = quantized.getQuantized();
    actScales = quantized.getScales();
  }
  auto resultType =
      RankedTensorType::get({xType.getDimSize(0), slot.type.getRows()}, f32());
  return MatmulOp::create(b, loc, resultType, x, actScales, packed, scales,
                          slot.groups);
}

Value ForwardBuilder::rope(Value x, int64_t heads, Value start) {
  auto par = utils::IteratorType::parallel;
  int64_t half = c.headDim / 2;
  Value frequencies = arith::ConstantOp::create(b, loc, inverseFrequencies);
  return generic(
      emptyRows(x, {heads * c.headDim}), x, {map(2, {0, 1}), map(2, {0, 1})},
      {par, par}, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        IndexArith na{nb, nloc};
        Value token = linalg::IndexOp::create(nb, nloc, 0);
        Value column = linalg::IndexOp::create(nb, nloc, 1);
        Value d = na.rem(column, na.index(c.headDim));
        Value firstHalf = na.lt(d, na.index(half));
        Value frequency = tensor::ExtractOp::create(
            nb, nloc, frequencies, ValueRange{na.rem(d, na.index(half))});
        Value position = arith::UIToFPOp::create(
            nb, nloc, nb.getF32Type(),
            arith::IndexCastUIOp::create(nb, nloc, nb.getI64Type(),
                                         na.add(start, token)));
        Value angle = arith::MulFOp::create(nb, nloc, position, frequency);
        Value cos = math::CosOp::create(nb, nloc, angle);
        Value sin = math::SinOp::create(nb, nloc, angle);
        Value partner = na.select(firstHalf, na.add(column, na.index(half)),
                                  na.sub(column, na.index(half)));
        Value other =
            tensor::ExtractOp::create(nb, nloc, x, ValueRange{token, partner});
        // rotate_half: (-x2, x1).
        Value rotated = arith::SelectOp::create(
            nb, nloc, firstHalf, arith::NegFOp::create(nb, nloc, other), other);
        return arith::AddFOp::create(
            nb, nloc, arith::MulFOp::create(nb, nloc, args[0], cos),
            arith::MulFOp::create(nb, nloc, rotated, sin));
      });
}

Value ForwardBuilder::attention(Value q, Value keys, Value values,
                                Value start) {
  // Heads run on threads. For each query row, one pass over the visible
  // keys with an online softmax (running maximum and rescaled sums), so that
  // no score matrix is stored; dot products and the weighted sum of values
  // are head_dim-wide vector operations.
  int64_t d = c.headDim, group = c.numHeads / c.numKVHeads;
  auto rowType = VectorType::get({d}, f32());
  Value numRows = tensor::DimOp::create(b, loc, q, 0);
  auto headTile = [&](Value column, Value, Value slice) -> Value {
    // transformers' repeat_kv: query head h reads key/value head h / group.
    Value kvColumn =
        ia.mul(ia.div(column, ia.index(c.headDim * group)), ia.index(d));
    Value scale = f32Constant(1.0 / std::sqrt(static_cast<double>(d)));
    Value lowest = f32Constant(-std::numeric_limits<float>::infinity());
    Value zero = f32Constant(0.0);
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(rowType, b.getF32FloatAttr(0.0f)));
    auto read = [&](OpBuilder &nb, Value source, Value row, Value col) {
      return vector::TransferReadOp::create(nb, loc, rowType, source,
                                            ValueRange{row, col}, zero,
                                            ArrayRef<bool>{true});
    };
    auto rowLoop = scf::ForOp::create(
        b, loc, ia.index(0), numRows, ia.index(1), ValueRange{slice},
        [&](OpBuilder &b1, Location, Value i, ValueRange rowArgs) {
          IndexArith a1{b1, loc};
          Value query = read(b1, q, i, column);
          // Causal: query i (position start + i) sees keys 0 .. start + i.
          Value visible = a1.add(a1.add(start, i), a1.index(1));
          auto keyLoop = scf::ForOp::create(
              b1, loc, a1.index(0), visible, a1.index(1),
              ValueRange{zeros, lowest, zero},
              [&](OpBuilder &b2, Location, Value j, ValueRange state) {
                Value acc = state[0], maximum = state[1], total = state[2];
                Value product = arith::MulFOp::create(
                    b2, loc, query, read(b2, keys, j, kvColumn));
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
                    b2, loc, arith::SubFOp::create(b2, loc, score, newMaximum));
                Value scaled = arith::MulFOp::create(
                    b2, loc, acc,
                    vector::BroadcastOp::create(b2, loc, rowType, rescale));
                Value newAcc = vector::FMAOp::create(
                    b2, loc,
                    vector::BroadcastOp::create(b2, loc, rowType, weight),
                    read(b2, values, j, kvColumn), scaled);
                Value newTotal = arith::AddFOp::create(
                    b2, loc, arith::MulFOp::create(b2, loc, total, rescale),
                    weight);
                scf::YieldOp::create(b2, loc,
                                     ValueRange{newAcc, newMaximum, newTotal});
              });
          Value result = arith::DivFOp::create(
              b1, loc, keyLoop.getResult(0),
              vector::BroadcastOp::create(b1, loc, rowType,
                                          keyLoop.getResult(2)));
          Value written = vector::TransferWriteOp::create(
                              b1, loc, result, rowArgs[0],
                              ValueRange{i, a1.index(0)}, ArrayRef<bool>{true})
                              .getResult();
          scf::YieldOp::create(b1, loc, written);
        });
    return rowLoop.getResult(0);
  };
  return columnTiles(emptyRows(q, {c.numHeads * d}), c.numHeads * d, d,
                     headTile);
}

Value ForwardBuilder::silu(Value gateUp) {
  auto par = utils::IteratorType::parallel;
  int64_t f = c.intermediateSize;
  OpFoldResult m = tensor::getMixedSize(b, loc, gateUp, 0);
  auto half = [&](int64_t offset) {
    return tensor::ExtractSliceOp::create(
        b, loc, gateUp,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
        ArrayRef<OpFoldResult>{m, b.getIndexAttr(f)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  };
  Value gate = half(0), up = half(f);
  Value one = f32Constant(1.0);
  return generic(emptyRows(gateUp, {f}), ValueRange{gate, up},
                 {map(2, {0, 1}), map(2, {0, 1}), map(2, {0, 1})}, {par, par},
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   // silu(g) = g * sigmoid(g) = g / (1 + exp(-g)).
                   Value e = math::ExpOp::create(
                       nb, nloc, arith::NegFOp::create(nb, nloc, args[0]));
                   Value s = arith::DivFOp::create(
                       nb, nloc, args[0],
                       arith::AddFOp::create(nb, nloc, one, e));
                   return arith::MulFOp::create(nb, nloc, s, args[1]);
                 });
}

Value ForwardBuilder::add(Value x, Value y) {
  auto par = utils::IteratorType::parallel;
  return generic(emptyRows(x, {c.hiddenSize}), ValueRange{x, y},
                 {map(2, {0, 1}), map(2, {0, 1}), map(2, {0, 1})}, {par, par},
                 [](OpBuilder &nb, Location nloc, ValueRange args) {
                   return arith::AddFOp::create(nb, nloc, args[0], args[1]);
                 });
}

Value ForwardBuilder::logits(Value x, Value init) {
  // The lm_head reads vocab x hidden weights for every token: vocabulary
  // tiles run on threads, and each logit is a 16-wide multiply-add loop over
  // the hidden size (a multiple of 16 in every TriLM).
  Value head = weight(layout.lmHead, ia.index(0));
  constexpr int64_t kWidth = 16, kTile = 64;
  int64_t vocab = c.vocabSize, hidden = c.hiddenSize;
  if (hidden % kWidth != 0) {
    auto par = utils::IteratorType::parallel;
    auto red = utils::IteratorType::reduction;
    Value zeros =
        linalg::FillOp::create(b, loc, f32Constant(0.0), init).getResult(0);
    return generic(zeros, ValueRange{x, head},
                   {map(3, {0, 2}), map(3, {1, 2}), map(3, {0, 1})},
                   {par, par, red}, multiplyAccumulate);
  }
  Type weightType = layout.lmHead.type.getElementType();
  auto accType = VectorType::get({kWidth}, f32());
  auto loadType = VectorType::get({kWidth}, weightType);
  Value numRows = tensor::DimOp::create(b, loc, x, 0);
  auto vocabTile = [&](Value first, Value count, Value slice) -> Value {
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
    Value padding = f32Constant(0.0);
    Value weightPadding =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(weightType, 0.0));
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
                    b2, loc, a2.index(0), a2.index(hidden), a2.index(kWidth),
                    ValueRange{zero},
                    [&](OpBuilder &b3, Location, Value k, ValueRange acc) {
                      Value xs = vector::TransferReadOp::create(
                          b3, loc, accType, x, ValueRange{row, k}, padding,
                          ArrayRef<bool>{true});
                      Value ws = vector::TransferReadOp::create(
                          b3, loc, loadType, head, ValueRange{vocabRow, k},
                          weightPadding, ArrayRef<bool>{true});
                      Value wide = extendToF32(b3, loc, ws);
                      scf::YieldOp::create(b3, loc,
                                           ValueRange{vector::FMAOp::create(
                                               b3, loc, xs, wide, acc[0])});
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
  return columnTiles(init, vocab, kTile, vocabTile);
}

Value ForwardBuilder::columnTiles(
    Value init, int64_t width, int64_t tile,
    function_ref<Value(Value, Value, Value)> body) {
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

void ForwardBuilder::build(StringRef name, int64_t m) {
  int64_t qWidth = c.numHeads * c.headDim;
  int64_t kvWidth = c.numKVHeads * c.headDim;
  auto cacheType = RankedTensorType::get(
      {c.numLayers, ShapedType::kDynamic, kvWidth}, f32());
  auto tokensType = RankedTensorType::get({m}, b.getI32Type());
  // Logits of the last R tokens, R being the logits buffer's rows (from 1 to
  // the token count): all of them for perplexity, the last for generation.
  auto logitsType = RankedTensorType::get({m, c.vocabSize}, f32());
  // Buffers in, nothing out: the caller owns the KV cache and the logits,
  // which the function writes in place (materialize_in_destination).
  auto memrefOf = [](RankedTensorType type) {
    return MemRefType::get(type.getShape(), type.getElementType());
  };
  auto weightsType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  auto type = b.getFunctionType({memrefOf(tokensType), b.getIndexType(),
                                 memrefOf(cacheType), memrefOf(cacheType),
                                 memrefOf(logitsType), weightsType},
                                {});
  auto function = func::FuncOp::create(b, loc, name, type);
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(function.addEntryBlock());
  auto toTensor = [&](unsigned argument, RankedTensorType tensorType,
                      bool writable) {
    return bufferization::ToTensorOp::create(
        b, loc, tensorType, function.getArgument(argument), b.getUnitAttr(),
        writable ? b.getUnitAttr() : UnitAttr());
  };
  Value tokens = toTensor(0, tokensType, false);
  Value start = function.getArgument(1);
  Value keyCache = toTensor(2, cacheType, true);
  Value valueCache = toTensor(3, cacheType, true);
  Value logitsBuffer = toTensor(4, logitsType, true);
  Value count = tensor::DimOp::create(b, loc, tokens, 0);
  Value length = ia.add(start, count);
  OpFoldResult mSize = tensor::getMixedSize(b, loc, tokens, 0);

  auto slice = [&](Value source, int64_t offset, int64_t width) {
    return tensor::ExtractSliceOp::create(
        b, loc, source,
        ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
        ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(width)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  };
  // The weights: the global holding them, or the caller's mapped file.
  if (auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
          function, b.getStringAttr(kWeightsGlobal))) {
    Value all = memref::GetGlobalOp::create(b, loc, global.getType(),
                                            global.getSymName());
    weights = memref::CastOp::create(b, loc, weightsType, all);
  } else {
    weights = function.getArgument(5);
  }

  SmallVector<OpFoldResult> unitStrides(3, b.getIndexAttr(1));
  auto cacheWrite = [&](Value rows, Value cache, Value layer) {
    return tensor::InsertSliceOp::create(
        b, loc, rows, cache,
        ArrayRef<OpFoldResult>{layer, start, b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), mSize,
                               b.getIndexAttr(kvWidth)},
        unitStrides);
  };
  auto cacheRead = [&](Value cache, Value layer) {
    auto readType =
        RankedTensorType::get({ShapedType::kDynamic, kvWidth}, f32());
    return tensor::ExtractSliceOp::create(
        b, loc, readType, cache,
        ArrayRef<OpFoldResult>{layer, b.getIndexAttr(0), b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), length,
                               b.getIndexAttr(kvWidth)},
        unitStrides);
  };

  // One loop over the blocks: same code, weights at layer * stride.
  const BlockSlots &block = layout.block;
  Value x = embed(tokens);
  auto layers =
      scf::ForOp::create(b, loc, ia.index(0), ia.index(c.numLayers),
                         ia.index(1), ValueRange{x, keyCache, valueCache});
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(layers.getBody());
    Value layer = layers.getInductionVar();
    Value x = layers.getRegionIterArgs()[0];
    Value keys = layers.getRegionIterArgs()[1];
    Value values = layers.getRegionIterArgs()[2];
    Value base = ia.add(ia.index(layout.firstLayer),
                        ia.mul(layer, ia.index(layout.layerStride)));
    Activations normed =
        normalizedActivations(x, weight(block.inputNorm, base));
    Value qkv = ternaryMatmul(normed, block.qkv, base);
    Value q = rope(slice(qkv, 0, qWidth), c.numHeads, start);
    Value k = rope(slice(qkv, qWidth, kvWidth), c.numKVHeads, start);
    Value v = slice(qkv, qWidth + kvWidth, kvWidth);
    keys = cacheWrite(k, keys, layer);
    values = cacheWrite(v, values, layer);
    Value attended =
        attention(q, cacheRead(keys, layer), cacheRead(values, layer), start);
    x = add(x, ternaryMatmul(attended, block.output, base));
    Activations mlpIn =
        normalizedActivations(x, weight(block.postAttentionNorm, base));
    x = add(x, ternaryMatmul(silu(ternaryMatmul(mlpIn, block.gateUp, base)),
                             block.down, base));
    scf::YieldOp::create(b, loc, ValueRange{x, keys, values});
  }
  x = layers.getResult(0);
  keyCache = layers.getResult(1);
  valueCache = layers.getResult(2);
  OpFoldResult logitRows = tensor::getMixedSize(b, loc, logitsBuffer, 0);
  Value tail = tensor::ExtractSliceOp::create(
      b, loc, x,
      ArrayRef<OpFoldResult>{
          ia.sub(count, getValueOrCreateConstantIndexOp(b, loc, logitRows)),
          b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{logitRows, b.getIndexAttr(c.hiddenSize)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  Value result = logits(rmsNorm(tail, weight(layout.finalNorm, ia.index(0))),
                        logitsBuffer);
  Value outputs[] = {result, keyCache, valueCache};
  unsigned arguments[] = {4, 2, 3};
  for (auto [value, argument] : llvm::zip_equal(outputs, arguments))
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, value, function.getArgument(argument),
        /*restrict=*/true, /*writable=*/true);
  func::ReturnOp::create(b, loc);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>> trilm::model::buildLlamaModule(
    MLIRContext &context, const Checkpoint &checkpoint,
    const ModelOptions &options, ModelSummary *summary) {
  context.loadDialect<
      arith::ArithDialect, bufferization::BufferizationDialect,
      func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect,
      math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
      tensor::TensorDialect, vector::VectorDialect, TernaryDialect>();
  const LlamaConfig &config = checkpoint.getConfig();
  llvm::Expected<WeightsLayout> layout =
      planWeights(context, checkpoint, options);
  if (!layout)
    return layout.takeError();

  // In-module weights are filled in place in one blob; the others stream
  // out, so that the importer holds one tensor at a time.
  using Placement = ModelOptions::WeightsPlacement;
  std::optional<AsmResourceBlob> blob;
  llvm::raw_ostream *stream = options.weightsStream;
  int64_t written = 0;
  if (options.weightsPlacement == Placement::InModule) {
    blob = HeapAsmResourceBlob::allocate(layout->totalBytes,
                                         TRILM_WEIGHTS_ALIGNMENT,
                                         /*dataIsMutable=*/true);
    std::memset(blob->getMutableData().data(), 0, layout->totalBytes);
  } else {
    if (!stream)
      return llvm::createStringError(
          "internal error: no stream for the model's weights");
    char header[TRILM_WEIGHTS_HEADER_BYTES] = {};
    std::memcpy(header, TRILM_WEIGHTS_MAGIC, std::strlen(TRILM_WEIGHTS_MAGIC));
    stream->write(header, sizeof(header));
    written = sizeof(header);
  }
  auto write = [&](int64_t offset, ArrayRef<char> bytes) {
    if (blob) {
      std::memcpy(blob->getMutableData().data() + offset, bytes.data(),
                  bytes.size());
      return;
    }
    stream->write_zeros(offset - written);
    stream->write(bytes.data(), bytes.size());
    written = offset + bytes.size();
  };
  if (llvm::Error error = importWeights(checkpoint, *layout, options, write))
    return std::move(error);
  if (!blob)
    stream->write_zeros(layout->totalBytes - written);

  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(module->getBodyRegion());

  SmallVector<int64_t> fields(TRILM_CONFIG_NUM_FIELDS);
  fields[TRILM_CONFIG_ABI_VERSION] = TRILM_MODEL_ABI_VERSION;
  fields[TRILM_CONFIG_VOCAB_SIZE] = config.vocabSize;
  fields[TRILM_CONFIG_HIDDEN_SIZE] = config.hiddenSize;
  fields[TRILM_CONFIG_NUM_LAYERS] = config.numLayers;
  fields[TRILM_CONFIG_NUM_HEADS] = config.numHeads;
  fields[TRILM_CONFIG_NUM_KV_HEADS] = config.numKVHeads;
  fields[TRILM_CONFIG_HEAD_DIM] = config.headDim;
  fields[TRILM_CONFIG_MAX_POSITIONS] = config.maxPositions;
  fields[TRILM_CONFIG_INT8_ACTIVATIONS] = options.int8Activations;
  fields[TRILM_CONFIG_BOS_TOKEN_ID] = config.bosTokenId;
  fields[TRILM_CONFIG_EOS_TOKEN_ID] = config.eosTokenId;
  fields[TRILM_CONFIG_WEIGHTS_BYTES] =
      options.weightsPlacement == Placement::ExternalFile ? layout->totalBytes
                                                          : 0;
  auto fieldsType = MemRefType::get({TRILM_CONFIG_NUM_FIELDS}, b.getI64Type());
  memref::GlobalOp::create(
      b, loc, "trilm_model_config", b.getStringAttr("public"), fieldsType,
      DenseElementsAttr::get(
          RankedTensorType::get({TRILM_CONFIG_NUM_FIELDS}, b.getI64Type()),
          ArrayRef<int64_t>(fields)),
      /*constant=*/true, /*alignment=*/nullptr);

  auto bytesType = MemRefType::get({layout->totalBytes}, b.getI8Type());
  if (blob) {
    memref::GlobalOp::create(
        b, loc, kWeightsGlobal, b.getStringAttr("private"), bytesType,
        DenseResourceElementsAttr::get(
            RankedTensorType::get({layout->totalBytes}, b.getI8Type()),
            "trilm_weights", std::move(*blob)),
        /*constant=*/true, b.getI64IntegerAttr(TRILM_WEIGHTS_ALIGNMENT));
  } else if (options.weightsPlacement == Placement::LinkedObject) {
    // A declaration: the object written from the stream defines it.
    memref::GlobalOp::create(b, loc, kWeightsGlobal, b.getStringAttr("public"),
                             bytesType,
                             /*initial_value=*/Attribute(), /*constant=*/true,
                             b.getI64IntegerAttr(TRILM_WEIGHTS_ALIGNMENT));
  }

  // As transformers computes them: 1 / theta^(2i / head_dim) in f32.
  SmallVector<float> inverseFrequencies;
  for (int64_t i = 0; i < config.headDim / 2; ++i)
    inverseFrequencies.push_back(
        1.0f / std::pow(static_cast<float>(config.ropeTheta),
                        static_cast<float>(2 * i) /
                            static_cast<float>(config.headDim)));
  auto frequencies = DenseElementsAttr::get(
      RankedTensorType::get({config.headDim / 2}, b.getF32Type()),
      ArrayRef<float>(inverseFrequencies));

  if (summary) {
    const BlockSlots &block = layout->block;
    *summary = ModelSummary();
    for (const TernarySlot *slot :
         {&block.qkv, &block.output, &block.gateUp, &block.down}) {
      summary->ternaryParameters +=
          config.numLayers * slot->type.getRows() * slot->type.getCols();
      summary->ternaryBytes +=
          config.numLayers * slot->type.getStorageType().getNumElements();
    }
    summary->parameters = summary->ternaryParameters +
                          config.vocabSize * config.hiddenSize *
                              (config.tieWordEmbeddings ? 1 : 2) +
                          config.hiddenSize * (2 * config.numLayers + 1);
    summary->weightBytes = layout->totalBytes;
  }

  ForwardBuilder forward(b, loc, config, *layout, options, frequencies);
  forward.build("trilm_prefill", ShapedType::kDynamic);
  forward.build("trilm_decode", 1);
  if (failed(verify(*module)))
    return llvm::createStringError("internal error: the model module does not "
                                   "verify");
  return module;
}
