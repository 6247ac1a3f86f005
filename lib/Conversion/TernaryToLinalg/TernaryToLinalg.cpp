//===- TernaryToLinalg.cpp - Reference lowering of ternary ops ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The lowering keeps every step visible in upstream ops so that it can serve
// as the semantic oracle for the fused CPU and GPU lowerings: layouts are
// undone with reshapes and transposes, each trit is decoded with integer
// arithmetic straight from the layout definition, and a matmul is one
// contraction per K scale group followed by the scaled sum of the groups.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToLinalg/TernaryToLinalg.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include <numeric>

namespace trilm {
#define GEN_PASS_DEF_CONVERTTERNARYTOLINALG
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

/// Number of bytes of codes in one 256-trit block.
static int64_t blockBytes(PackedType type) {
  return packing::codeBytesPerBlock(toPackingScheme(type.getScheme()));
}

/// Reshapes between the storage tensor of `type` and the row-major
/// [rows, blocks * blockBytes] form, undoing or applying the layout.
static Value convertLayout(OpBuilder &b, Location loc, PackedType type,
                           Value bytes, bool toRowMajor) {
  auto interleave = dyn_cast_if_present<RowInterleaveAttr>(type.getLayout());
  if (!interleave)
    return bytes;
  int64_t factor = interleave.getRows();
  int64_t rows = type.getRows(), bb = blockBytes(type);
  int64_t blocks = type.getRowBytes() / bb;
  Type i8 = b.getI8Type();
  // Storage is [rows/R][blocks][R][bb]; row-major is [rows/R][R][blocks][bb].
  auto interleaved = RankedTensorType::get({rows / factor, blocks, factor, bb}, i8);
  auto grouped = RankedTensorType::get({rows / factor, factor, blocks, bb}, i8);
  RankedTensorType sourceType = toRowMajor ? interleaved : grouped;
  RankedTensorType targetType = toRowMajor ? grouped : interleaved;
  SmallVector<ReassociationIndices> storageGroups =
      toRowMajor ? SmallVector<ReassociationIndices>{{0}, {1, 2, 3}}
                 : SmallVector<ReassociationIndices>{{0, 1}, {2, 3}};
  SmallVector<ReassociationIndices> resultGroups =
      toRowMajor ? SmallVector<ReassociationIndices>{{0, 1}, {2, 3}}
                 : SmallVector<ReassociationIndices>{{0}, {1, 2, 3}};
  Value expanded = tensor::ExpandShapeOp::create(b, loc, sourceType, bytes,
                                                 storageGroups);
  Value init = tensor::EmptyOp::create(b, loc, targetType.getShape(), i8);
  Value transposed =
      linalg::TransposeOp::create(b, loc, expanded, init,
                                  ArrayRef<int64_t>{0, 2, 1, 3})
          .getResult()[0];
  RankedTensorType resultType =
      toRowMajor ? RankedTensorType::get({rows, type.getRowBytes()}, i8)
                 : type.getStorageType();
  return tensor::CollapseShapeOp::create(b, loc, resultType, transposed,
                                         resultGroups);
}

/// Position of the byte holding trit `element` (0..255) of a block, and the
/// digit of that byte it occupies (TQ2: 2-bit field, low first; TQ1: base-3
/// digit, most significant first).
static std::pair<Value, Value> locateTrit(const IndexArith &ab,
                                          PackingScheme scheme, Value element) {
  if (scheme == PackingScheme::tq2) {
    // Byte m of each 32-byte half holds elements m, m+32, m+64, m+96 of it.
    Value half = ab.div(element, ab.index(128));
    Value inHalf = ab.rem(element, ab.index(128));
    Value byte = ab.add(ab.mul(half, ab.index(32)), ab.rem(inHalf, ab.index(32)));
    return {byte, ab.div(inHalf, ab.index(32))};
  }
  // qs[0..31]: elements 0..159, stride 32; qs[32..47]: 160..239, stride 16;
  // qh[0..3]: 240..255, stride 4.
  Value inQs2 = ab.sub(element, ab.index(160));
  Value inQh = ab.sub(element, ab.index(240));
  Value isQs1 = ab.lt(element, ab.index(160));
  Value isQs2 = ab.lt(element, ab.index(240));
  Value byte = ab.select(
      isQs1, ab.rem(element, ab.index(32)),
      ab.select(isQs2, ab.add(ab.index(32), ab.rem(inQs2, ab.index(16))),
                ab.add(ab.index(48), ab.rem(inQh, ab.index(4)))));
  Value digit = ab.select(isQs1, ab.div(element, ab.index(32)),
                          ab.select(isQs2, ab.div(inQs2, ab.index(16)),
                                    ab.div(inQh, ab.index(4))));
  return {byte, digit};
}

/// Decodes digit `digit` of packed byte `byte` (i8) into a trit (i32).
static Value decodeTrit(const IndexArith &ab, PackingScheme scheme,
                        Value byte, Value digit) {
  Value q = arith::ExtUIOp::create(ab.b, ab.loc, ab.b.getI32Type(), byte);
  Value code;
  if (scheme == PackingScheme::tq2) {
    Value shift = ab.toI32(ab.mul(digit, ab.index(2)));
    code = arith::AndIOp::create(
        ab.b, ab.loc, arith::ShRUIOp::create(ab.b, ab.loc, q, shift), ab.i32(3));
  } else {
    // q_n = uint8(q * 3^n); code = (q_n * 3) >> 8.
    Value power = ab.i32(1);
    for (int64_t n = 1, p = 3; n < 5; ++n, p *= 3)
      power = ab.select(ab.eq(digit, ab.index(n)), ab.i32(p), power);
    Value shifted = arith::AndIOp::create(ab.b, ab.loc, ab.mul(q, power),
                                          ab.i32(255));
    code = arith::ShRUIOp::create(ab.b, ab.loc, ab.mul(shifted, ab.i32(3)),
                                  ab.i32(8));
  }
  return ab.sub(code, ab.i32(1));
}

/// Trit (i32) at `row`, `col` of `#ternary.trit_triples` storage `bytes`,
/// straight from the layout's definition (Packing.h).
static Value tripleTrit(const IndexArith &ab, PackedType type, Value bytes,
                        Value row, Value col) {
  Value block = ab.div(col, ab.index(packing::kBlockSize));
  Value element = ab.rem(col, ab.index(packing::kBlockSize));
  // The row's 16-bit word of triples 3w .. 3w + 2 (Packing.h).
  Value group = ab.div(row, ab.index(packing::kTripleRows));
  Value triple = ab.div(element, ab.index(3));
  Value word = ab.add(ab.mul(block, ab.index(packing::kTripleWordsPerBlock)),
                      ab.div(triple, ab.index(packing::kTriplesPerWord)));
  Value start =
      ab.add(ab.mul(word, ab.index(packing::kTripleWordBytes)),
             ab.mul(ab.rem(row, ab.index(packing::kTripleRows)), ab.index(2)));
  auto byteAt = [&](Value offset) {
    Value byte = tensor::ExtractOp::create(ab.b, ab.loc, bytes,
                                           ValueRange{group, offset});
    return arith::ExtUIOp::create(ab.b, ab.loc, ab.b.getI32Type(), byte)
        .getResult();
  };
  Value bits = arith::OrIOp::create(
      ab.b, ab.loc, byteAt(start),
      arith::ShLIOp::create(ab.b, ab.loc, byteAt(ab.add(start, ab.index(1))),
                            ab.i32(8)));
  Value index = arith::AndIOp::create(
      ab.b, ab.loc,
      arith::ShRUIOp::create(
          ab.b, ab.loc, bits,
          ab.toI32(ab.mul(ab.rem(triple, ab.index(packing::kTriplesPerWord)),
                          ab.index(packing::kTripleIndexBits)))),
      ab.i32(packing::kTripleIndexMask));
  // Digit i of the index is trit 3j + i of the block, plus one.
  Value digit = ab.rem(element, ab.index(3));
  Value power = ab.select(ab.eq(digit, ab.index(0)), ab.i32(1),
                          ab.select(ab.eq(digit, ab.index(1)), ab.i32(3),
                                    ab.i32(9)));
  Value code = arith::RemUIOp::create(
      ab.b, ab.loc, arith::DivUIOp::create(ab.b, ab.loc, index, power),
      ab.i32(3));
  return ab.sub(code, ab.i32(1));
}

/// Builds a rows x cols i8 tensor of trits from storage `bytes`.
static Value unpackTrits(OpBuilder &b, Location loc, PackedType type,
                         Value bytes) {
  bool triples = isa_and_present<TritTriplesAttr>(type.getLayout());
  Value rowMajor = convertLayout(b, loc, type, bytes, /*toRowMajor=*/true);
  int64_t bb = blockBytes(type);
  auto resultType =
      RankedTensorType::get({type.getRows(), type.getCols()}, b.getI8Type());
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       b.getI8Type());
  MLIRContext *context = b.getContext();
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, context)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        IndexArith ab{nb, nloc};
        Value row = linalg::IndexOp::create(nb, nloc, 0);
        Value col = linalg::IndexOp::create(nb, nloc, 1);
        Value trit;
        if (triples) {
          trit = tripleTrit(ab, type, bytes, row, col);
        } else {
          Value block = ab.div(col, ab.index(packing::kBlockSize));
          Value element = ab.rem(col, ab.index(packing::kBlockSize));
          auto [byteInBlock, digit] =
              locateTrit(ab, type.getScheme(), element);
          Value byteCol = ab.add(ab.mul(block, ab.index(bb)), byteInBlock);
          Value byte = tensor::ExtractOp::create(nb, nloc, rowMajor,
                                                 ValueRange{row, byteCol});
          trit = decodeTrit(ab, type.getScheme(), byte, digit);
        }
        Value result =
            arith::TruncIOp::create(nb, nloc, nb.getI8Type(), trit);
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

/// Builds the storage tensor of `type` from a rows x cols tensor of trits.
static Value packTrits(OpBuilder &b, Location loc, PackedType type,
                       Value trits) {
  int64_t bb = blockBytes(type);
  int64_t rows = type.getRows(), cols = type.getCols();
  int64_t blocks = type.getRowBytes() / bb;
  Type i8 = b.getI8Type();
  auto blockedType = RankedTensorType::get({rows, blocks, bb}, i8);
  Value init = tensor::EmptyOp::create(b, loc, blockedType.getShape(), i8);
  MLIRContext *context = b.getContext();
  PackingScheme scheme = type.getScheme();
  auto generic = linalg::GenericOp::create(
      b, loc, blockedType, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(3, context)},
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        IndexArith ab{nb, nloc};
        Value row = linalg::IndexOp::create(nb, nloc, 0);
        Value block = linalg::IndexOp::create(nb, nloc, 1);
        Value byte = linalg::IndexOp::create(nb, nloc, 2);
        Value blockStart = ab.mul(block, ab.index(packing::kBlockSize));
        // Code (trit + 1) of block element `element`; padding trits are 0.
        auto codeAt = [&](Value element) {
          Value col = ab.add(blockStart, element);
          Value inside = ab.lt(col, ab.index(cols));
          Value clamped = ab.select(inside, col, ab.index(cols - 1));
          Value trit = tensor::ExtractOp::create(nb, nloc, trits,
                                                 ValueRange{row, clamped});
          Value wide = arith::ExtSIOp::create(nb, nloc, nb.getI32Type(), trit);
          return ab.add(ab.select(inside, wide, ab.i32(0)), ab.i32(1));
        };
        Value packed;
        if (scheme == PackingScheme::tq2) {
          Value first = ab.add(ab.mul(ab.div(byte, ab.index(32)), ab.index(128)),
                               ab.rem(byte, ab.index(32)));
          packed = ab.i32(0);
          for (int64_t l = 0; l < 4; ++l) {
            Value code = codeAt(ab.add(first, ab.index(32 * l)));
            packed = arith::OrIOp::create(
                nb, nloc, packed,
                arith::ShLIOp::create(nb, nloc, code, ab.i32(2 * l)));
          }
        } else {
          Value isQs1 = ab.lt(byte, ab.index(32));
          Value isQs2 = ab.lt(byte, ab.index(48));
          Value first = ab.select(
              isQs1, byte,
              ab.select(isQs2, ab.add(ab.index(160), ab.sub(byte, ab.index(32))),
                        ab.add(ab.index(240), ab.sub(byte, ab.index(48)))));
          Value stride = ab.select(isQs1, ab.index(32),
                                   ab.select(isQs2, ab.index(16), ab.index(4)));
          // Base-3 value, first element most significant; qh bytes hold four
          // trits and a zero fifth digit (the extra multiplication by 3).
          Value value = ab.i32(0);
          for (int64_t digit = 0; digit < 5; ++digit) {
            Value code = codeAt(ab.add(first, ab.mul(stride, ab.index(digit))));
            if (digit == 4)
              code = ab.select(isQs2, code, ab.i32(0));
            value = ab.add(ab.mul(value, ab.i32(3)), code);
          }
          // Fixed point: ceil(value * 256 / 243).
          packed = arith::DivUIOp::create(
              nb, nloc, ab.add(ab.mul(value, ab.i32(256)), ab.i32(242)),
              ab.i32(243));
        }
        linalg::YieldOp::create(
            nb, nloc, arith::TruncIOp::create(nb, nloc, nb.getI8Type(), packed)
                          .getResult());
      });
  auto rowMajorType = RankedTensorType::get({rows, type.getRowBytes()}, i8);
  Value rowMajor = tensor::CollapseShapeOp::create(
      b, loc, rowMajorType, generic.getResult(0),
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  return convertLayout(b, loc, type, rowMajor, /*toRowMajor=*/false);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct ConstantOpLowering : public OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct FromStorageOpLowering : public OpConversionPattern<FromStorageOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FromStorageOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The same bytes, in the storage shape of the layout: a view.
    Value storage = adaptor.getStorage();
    RankedTensorType storageType = op.getType().getStorageType();
    auto operandType = cast<RankedTensorType>(storage.getType());
    if (operandType != storageType) {
      Location loc = op.getLoc();
      ReassociationIndices all(operandType.getRank());
      std::iota(all.begin(), all.end(), 0);
      Value flat = tensor::CollapseShapeOp::create(
          rewriter, loc, storage, ArrayRef<ReassociationIndices>{all});
      ReassociationIndices dims(storageType.getRank());
      std::iota(dims.begin(), dims.end(), 0);
      storage = tensor::ExpandShapeOp::create(
          rewriter, loc, storageType, flat, ArrayRef<ReassociationIndices>{dims});
    }
    rewriter.replaceOp(op, storage);
    return success();
  }
};

struct PackOpLowering : public OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, packTrits(rewriter, op.getLoc(), op.getType(),
                                     adaptor.getTrits()));
    return success();
  }
};

struct UnpackOpLowering : public OpConversionPattern<UnpackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UnpackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    PackedType type = op.getWeights().getType();
    Value trits = unpackTrits(rewriter, loc, type, adaptor.getWeights());
    if (!op.getScales()) {
      rewriter.replaceOp(op, trits);
      return success();
    }
    auto resultType = cast<RankedTensorType>(op.getType());
    ScaleGroupsAttr groups = *op.getGroups();
    Value scales = adaptor.getScales();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         resultType.getElementType());
    MLIRContext *context = rewriter.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, resultType, ValueRange{trits}, ValueRange{init},
        ArrayRef<AffineMap>{identity, identity},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          IndexArith ab{nb, nloc};
          Value row = linalg::IndexOp::create(nb, nloc, 0);
          Value col = linalg::IndexOp::create(nb, nloc, 1);
          Value scale = tensor::ExtractOp::create(
              nb, nloc, scales,
              ValueRange{
                  ab.groupOf(row, groups.getRowSplits(), groups.getRowBlock()),
                  ab.groupOf(col, groups.getColSplits(), groups.getColBlock())});
          Value trit =
              arith::SIToFPOp::create(nb, nloc, nb.getF32Type(), args[0]);
          Value product = arith::MulFOp::create(nb, nloc, trit,
                                                extendToF32(nb, nloc, scale));
          linalg::YieldOp::create(
              nb, nloc,
              truncateFromF32(nb, nloc, product, resultType.getElementType()));
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct QuantizeOpLowering : public OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    int64_t cols = op.getInput().getType().getDimSize(1);
    Type f32 = rewriter.getF32Type();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
    AffineMap rowMap =
        AffineMap::get(2, 0, {getAffineDimExpr(0, context)}, context);
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;

    // absmax per row, then scale = max(absmax, eps) / 127.
    Value absmax = createZeroFilled(rewriter, loc, createEmptyLikeRows(rewriter, loc, input, {}, f32));
    absmax = linalg::GenericOp::create(
                 rewriter, loc, absmax.getType(), ValueRange{input},
                 ValueRange{absmax}, ArrayRef<AffineMap>{identity, rowMap},
                 ArrayRef<utils::IteratorType>{parallel, reduction},
                 [&](OpBuilder &nb, Location nloc, ValueRange args) {
                   Value magnitude =
                       math::AbsFOp::create(nb, nloc, extendToF32(nb, nloc, args[0]));
                   linalg::YieldOp::create(
                       nb, nloc,
                       arith::MaximumFOp::create(nb, nloc, args[1], magnitude)
                           .getResult());
                 })
                 .getResult(0);
    float eps = op.getEps().convertToFloat();
    AffineMap vectorIdentity = AffineMap::getMultiDimIdentityMap(1, context);
    Value scales = linalg::GenericOp::create(
                       rewriter, loc, absmax.getType(), ValueRange{absmax},
                       ValueRange{createEmptyLikeRows(rewriter, loc, input, {}, f32)},
                       ArrayRef<AffineMap>{vectorIdentity, vectorIdentity},
                       ArrayRef<utils::IteratorType>{parallel},
                       [&](OpBuilder &nb, Location nloc, ValueRange args) {
                         linalg::YieldOp::create(
                             nb, nloc,
                             quantizationScale(nb, nloc, args[0], eps));
                       })
                       .getResult(0);

    // q = clamp(round_half_to_even(x / scale), -127, 127).
    Value quantized = linalg::GenericOp::create(
        rewriter, loc, op.getQuantized().getType(), ValueRange{input, scales},
        ValueRange{createEmptyLikeRows(rewriter, loc, input, {cols}, rewriter.getI8Type())},
        ArrayRef<AffineMap>{identity, rowMap, identity},
        ArrayRef<utils::IteratorType>{parallel, parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          linalg::YieldOp::create(
              nb, nloc,
              quantizeToI8(nb, nloc, extendToF32(nb, nloc, args[0]), args[1]));
        })
        .getResult(0);
    rewriter.replaceOp(op, {quantized, scales});
    return success();
  }
};

struct MatmulOpLowering : public OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (replaceZeroRowMatmul(rewriter, op))
      return success();
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    PackedType type = op.getWeights().getType();
    ScaleGroupsAttr groups = op.getGroups();
    int64_t rows = type.getRows(), cols = type.getCols();
    bool int8 = op.isInt8();
    Value input = adaptor.getInput();
    Value scales = adaptor.getScales();
    Value trits = unpackTrits(rewriter, loc, type, adaptor.getWeights());
    Type accType = int8 ? Type(rewriter.getI32Type()) : Type(rewriter.getF32Type());
    Type f32 = rewriter.getF32Type();

    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    auto map3 = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(3, 0, results, context);
    };
    auto parallel = utils::IteratorType::parallel;
    auto reduction = utils::IteratorType::reduction;
    AffineMap identity2 = AffineMap::getMultiDimIdentityMap(2, context);

    Value result = createZeroFilled(rewriter, loc, createEmptyLikeRows(rewriter, loc, input, {rows}, f32));
    SmallVector<int64_t> bounds = groups.getColBounds(cols);
    for (int64_t group = 0; group + 1 < static_cast<int64_t>(bounds.size());
         ++group) {
      int64_t start = bounds[group], size = bounds[group + 1] - start;
      // Exact per-group partial sums: sum_k x[m, k] * t[n, k].
      auto sliceOf = [&](Value source, int64_t dim0) -> Value {
        SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0),
                                             rewriter.getIndexAttr(start)};
        SmallVector<OpFoldResult> sizes = {
            ShapedType::isDynamic(dim0)
                ? OpFoldResult(tensor::DimOp::create(rewriter, loc, source, 0)
                                   .getResult())
                : OpFoldResult(rewriter.getIndexAttr(dim0)),
            rewriter.getIndexAttr(size)};
        SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
        return tensor::ExtractSliceOp::create(rewriter, loc, source, offsets,
                                              sizes, strides);
      };
      Value inputSlice =
          sliceOf(input, cast<RankedTensorType>(input.getType()).getDimSize(0));
      Value tritSlice = sliceOf(trits, rows);
      Value acc =
          createZeroFilled(rewriter, loc, createEmptyLikeRows(rewriter, loc, input, {rows}, accType));
      acc = linalg::GenericOp::create(
                rewriter, loc, acc.getType(), ValueRange{inputSlice, tritSlice},
                ValueRange{acc},
                ArrayRef<AffineMap>{map3({m, k}), map3({n, k}), map3({m, n})},
                ArrayRef<utils::IteratorType>{parallel, parallel, reduction},
                [&](OpBuilder &nb, Location nloc, ValueRange args) {
                  Value product;
                  if (int8) {
                    Value x = arith::ExtSIOp::create(nb, nloc, accType, args[0]);
                    Value t = arith::ExtSIOp::create(nb, nloc, accType, args[1]);
                    product = arith::AddIOp::create(
                        nb, nloc, args[2], arith::MulIOp::create(nb, nloc, x, t));
                  } else {
                    Value t = arith::SIToFPOp::create(nb, nloc, accType, args[1]);
                    product = arith::AddFOp::create(
                        nb, nloc, args[2],
                        arith::MulFOp::create(nb, nloc,
                                              extendToF32(nb, nloc, args[0]), t));
                  }
                  linalg::YieldOp::create(nb, nloc, product);
                })
                .getResult(0);
      // result += scales[group of n, group] * acc.
      result = linalg::GenericOp::create(
                   rewriter, loc, result.getType(), ValueRange{acc},
                   ValueRange{result}, ArrayRef<AffineMap>{identity2, identity2},
                   ArrayRef<utils::IteratorType>{parallel, parallel},
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     IndexArith ab{nb, nloc};
                     Value row = linalg::IndexOp::create(nb, nloc, 1);
                     Value scale = tensor::ExtractOp::create(
                         nb, nloc, scales,
                         ValueRange{ab.groupOf(row, groups.getRowSplits(),
                                               groups.getRowBlock()),
                                    ab.index(group)});
                     Value partial =
                         int8 ? arith::SIToFPOp::create(nb, nloc, f32, args[0])
                                    .getResult()
                              : args[0];
                     Value scaled = arith::MulFOp::create(
                         nb, nloc, extendToF32(nb, nloc, scale), partial);
                     linalg::YieldOp::create(
                         nb, nloc,
                         arith::AddFOp::create(nb, nloc, args[1], scaled)
                             .getResult());
                   })
                   .getResult(0);
    }

    // Per-row activation scale (int8) and conversion to the result type.
    auto resultType = cast<RankedTensorType>(op.getType());
    Type resultElement = resultType.getElementType();
    SmallVector<Value> inputs = {result};
    SmallVector<AffineMap> maps = {identity2};
    if (int8) {
      inputs.push_back(adaptor.getActScales());
      maps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(0, context)},
                                    context));
    }
    maps.push_back(identity2);
    Value output = linalg::GenericOp::create(
                       rewriter, loc, resultType, inputs,
                       ValueRange{createEmptyLikeRows(rewriter, loc, input, {rows},
                                            resultElement)},
                       maps, ArrayRef<utils::IteratorType>{parallel, parallel},
                       [&](OpBuilder &nb, Location nloc, ValueRange args) {
                         Value value = args[0];
                         if (int8)
                           value = arith::MulFOp::create(nb, nloc, args[1],
                                                         value);
                         linalg::YieldOp::create(
                             nb, nloc, truncateFromF32(nb, nloc, value, resultElement));
                       })
                       .getResult(0);
    rewriter.replaceOp(op, output);
    return success();
  }
};

struct ConvertTernaryToLinalgPass
    : public trilm::impl::ConvertTernaryToLinalgBase<
          ConvertTernaryToLinalgPass> {
  void runOnOperation() override {
    TypeConverter converter;
    populateTernaryToLinalgTypeConversion(converter);
    RewritePatternSet patterns(&getContext());
    populateTernaryToLinalgConversionPatterns(converter, patterns);
    if (failed(convertTernaryOps(getOperation(), converter, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

LogicalResult trilm::convertTernaryOps(
    Operation *root, TypeConverter &converter, RewritePatternSet &&patterns,
    function_ref<void(ConversionTarget &)> configure) {
  // Reported here, once, rather than as an op that failed to legalize.
  WalkResult unsupported = root->walk([](PackOp op) {
    if (!isa_and_present<TritTriplesAttr>(op.getType().getLayout()))
      return WalkResult::advance();
    op.emitOpError("packs into #ternary.trit_triples at run time, which is "
                   "not supported: constant weights are re-laid at compile "
                   "time");
    return WalkResult::interrupt();
  });
  if (unsupported.wasInterrupted())
    return failure();
  ConversionTarget target(*root->getContext());
  target.addIllegalDialect<TernaryDialect>();
  target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp op) {
    return converter.isSignatureLegal(op.getFunctionType()) &&
           converter.isLegal(&op.getBody());
  });
  target.addDynamicallyLegalOp<func::CallOp, func::ReturnOp>(
      [&](Operation *op) { return converter.isLegal(op); });
  target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
  if (configure)
    configure(target);
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 converter);
  populateCallOpTypeConversionPattern(patterns, converter);
  populateReturnOpTypeConversionPattern(patterns, converter);
  return applyPartialConversion(root, target, std::move(patterns));
}

void trilm::populateTernaryToLinalgTypeConversion(TypeConverter &converter) {
  converter.addConversion([](Type type) { return type; });
  converter.addConversion(
      [](PackedType type) -> Type { return type.getStorageType(); });
}

void trilm::populateTernaryToLinalgConversionPatterns(
    TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<ConstantOpLowering, FromStorageOpLowering, PackOpLowering,
               UnpackOpLowering,
               QuantizeOpLowering, MatmulOpLowering>(converter,
                                                     patterns.getContext());
}
