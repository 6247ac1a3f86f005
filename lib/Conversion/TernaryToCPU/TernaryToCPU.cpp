//===- TernaryToCPU.cpp - Fused CPU lowering of ternary.matmul ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Lowers the CPU kernel ops that `ternary-tile-matmul-cpu` creates:
//
//   ternary.prepare_activations -> a linalg.generic gathering each prepared
//       position from the activations (plus per-block sums for int8);
//   ternary.tile_matmul         -> the fused unpack-and-accumulate loops:
//
//     scf.for    K scale group (a "segment" of whole blocks)
//      scf.for   block: load each weight row's packed block once as a vector,
//                decode it in registers, dot it with every activation row
//
// Unpacked weights never exist in memory. The other ternary ops get the
// reference lowering.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"

#include "BlockDecoding.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "trilm/Conversion/TernaryToLinalg/TernaryToLinalg.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"
#include "trilm/Target/CPU/CPUTarget.h"

#include <limits>

namespace trilm {
#define GEN_PASS_DEF_CONVERTTERNARYTOCPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;

namespace {

using namespace trilm::cpu_kernels;

/// The unit a prefetch fetches (every x86-64 and AArch64 core trilm targets).
constexpr int64_t kCacheLineBytes = 64;

/// The carry form of 1.6-bit blocks: with q_m = uint8(q * 3^m), digit m of
/// byte q is floor(3 q_m / 256), so 256 * digit_m = 3 q_m - q_{m+1}
/// exactly. A dot product with the digits is therefore
/// (3 * sum_m q_m . a_m - sum_m q_{m+1} . a_m) / 256: chain 0 accumulates
/// q_m . a_m, chain 1 q_{m+1} . a_m, and the digits are never formed, which
/// costs two byte adds per digit instead of compares and selects.
constexpr int64_t kCarryChains = 2;
/// Blocks a carry-form segment may have before 3 * chain 0 - chain 1 could
/// overflow i32 (per lane and block: 5 digits x 4 bytes x 255 x 128 in each
/// chain).
constexpr int64_t kMaxCarryBlocks =
    std::numeric_limits<int32_t>::max() / (4 * 5 * 4 * 255 * 128);

/// Prepared positions per chunk of the triple order, of 64 (see
/// PrepareActivationsOp): the 13 quads a tq1 chunk's panel holds.
constexpr int64_t kTripleChunkElements = 52;

/// Element of a 256-trit block whose activation sits at `position` of the
/// prepared block (the inverse of the decode order below), or a value >= 256
/// for positions that decode padding.
Value elementAtPosition(const IndexArith &ia, PackingScheme scheme,
                        bool tripleOrder, Value position) {
  if (tripleOrder) {
    // Position 64c + j <- element 52c + j (j < 52).
    Value c = ia.div(position, ia.index(64));
    Value j = ia.rem(position, ia.index(64));
    return ia.select(ia.lt(j, ia.index(kTripleChunkElements)),
                     ia.add(ia.mul(c, ia.index(kTripleChunkElements)), j),
                     ia.index(packing::kBlockSize));
  }
  if (scheme == PackingScheme::tq2) {
    // Position 64l + 32h + j <- element 128h + 32l + j (byte 32h + j,
    // bits 2l).
    Value l = ia.div(position, ia.index(64));
    Value byte = ia.rem(position, ia.index(64));
    Value h = ia.div(byte, ia.index(32));
    Value j = ia.rem(byte, ia.index(32));
    return ia.add(ia.add(ia.mul(h, ia.index(128)), ia.mul(l, ia.index(32))), j);
  }
  // Position 64n + j <- digit n of byte j: qs[0..31] hold elements j + 32n,
  // qs[32..47] hold 160 + (j - 32) + 16n, qh[0..3] (bytes 48..51) hold
  // 240 + (j - 48) + 4n for n < 4 (their fifth digit is always 0); bytes
  // 52..63 are not part of the block.
  Value n = ia.div(position, ia.index(64));
  Value j = ia.rem(position, ia.index(64));
  Value first = ia.add(j, ia.mul(n, ia.index(32)));
  Value second = ia.add(ia.add(ia.index(160 - 32), j), ia.mul(n, ia.index(16)));
  Value tail = ia.add(ia.add(ia.index(240 - 48), j), ia.mul(n, ia.index(4)));
  Value none = ia.index(packing::kBlockSize);
  Value inTail = arith::AndIOp::create(ia.b, ia.loc, ia.lt(j, ia.index(52)),
                                       ia.lt(n, ia.index(4)));
  return ia.select(ia.lt(j, ia.index(32)), first,
                   ia.select(ia.lt(j, ia.index(48)), second,
                             ia.select(inTail, tail, none)));
}

/// Splits a chunk length into the vector widths the dot instruction takes.
SmallVector<int64_t> pieceWidths(Int8DotKind dot, bool int8, int64_t length) {
  int64_t widest = 64;
  if (int8 && dot == Int8DotKind::avx_vnni)
    widest = 32;
  else if (int8 && dot == Int8DotKind::neon_dotprod)
    widest = 16;
  SmallVector<int64_t> widths;
  while (length > 0) {
    int64_t width = std::min(widest, int64_t(1) << llvm::Log2_64(length));
    widths.push_back(width);
    length -= width;
  }
  return widths;
}


/// Activation-row budget and accumulator layout shared by the tiling pass
/// (to size tiles) and the lowering (to build them).
SmallVector<int64_t> accumulatorWidths(PackingScheme scheme, bool int8,
                                       Int8DotKind dot) {
  // Float 2-bit kernels decode 16 bytes into i32 lanes and accumulate 16
  // floats at a time (see floatFields in buildTile).
  if (!int8 && scheme == PackingScheme::tq2)
    return {16};
  SmallVector<int64_t> widths;
  for (int64_t length : chunkLengths(scheme))
    for (int64_t width : pieceWidths(dot, int8, length))
      if (!llvm::is_contained(widths, width))
        widths.push_back(width);
  return widths;
}

} // namespace

int64_t trilm::accumulatorRegistersPerActivationRow(PackingScheme scheme,
                                                    bool int8, Int8DotKind dot,
                                                    int64_t rows) {
  int64_t registers = 0;
  for (int64_t width : accumulatorWidths(scheme, int8, dot))
    registers += rows * std::max<int64_t>(1, width * (int8 ? 1 : 4) / 64);
  return registers;
}

namespace {

/// Sums each of `vectors` (all of one type vector<L x T>) into lane p of a
/// vector<P x T>, lane p holding the sum of vectors[p]. For powers of two it
/// is a transposed reduction tree (pairs of vectors are shuffled into halves
/// and added, so P sums cost about P shuffle-add pairs instead of P
/// horizontal reductions); otherwise one reduction per vector.
Value sumEach(OpBuilder &b, Location loc, ArrayRef<Value> vectors) {
  auto type = cast<VectorType>(vectors.front().getType());
  Type element = type.getElementType();
  bool isInt = isa<IntegerType>(element);
  int64_t count = vectors.size(), lanes = type.getDimSize(0);
  auto add = [&](Value x, Value y) -> Value {
    if (isInt)
      return arith::AddIOp::create(b, loc, x, y);
    return arith::AddFOp::create(b, loc, x, y);
  };
  if (!llvm::isPowerOf2_64(count) || !llvm::isPowerOf2_64(lanes)) {
    SmallVector<Value> sums;
    for (Value vector : vectors)
      sums.push_back(vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, vector));
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({count}, element), sums);
  }
  // Each vector holds groups ("items") of `width` lanes; pairing two vectors
  // keeps every item but halves its width.
  SmallVector<Value> current(vectors.begin(), vectors.end());
  int64_t width = lanes;
  while (current.size() > 1 && width > 1) {
    int64_t items = lanes / width;
    SmallVector<Value> next;
    for (size_t k = 0; k < current.size(); k += 2) {
      SmallVector<int64_t> low, high;
      for (int64_t source = 0; source < 2; ++source)
        for (int64_t item = 0; item < items; ++item)
          for (int64_t j = 0; j < width / 2; ++j) {
            int64_t base = source * lanes + item * width;
            low.push_back(base + j);
            high.push_back(base + width / 2 + j);
          }
      next.push_back(
          add(vector::ShuffleOp::create(b, loc, current[k], current[k + 1], low),
              vector::ShuffleOp::create(b, loc, current[k], current[k + 1],
                                        high)));
    }
    current = std::move(next);
    width /= 2;
  }
  if (current.size() == 1) {
    // `count` items of `width` lanes in one vector: halve within the items.
    Value v = current.front();
    for (; width > 1; width /= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t item = 0; item < count; ++item)
        for (int64_t j = 0; j < width / 2; ++j) {
          low.push_back(item * width + j);
          high.push_back(item * width + width / 2 + j);
        }
      v = add(vector::ShuffleOp::create(b, loc, v, v, low),
              vector::ShuffleOp::create(b, loc, v, v, high));
    }
    return v;
  }
  // Every vector holds `lanes` finished sums: concatenate them.
  while (current.size() > 1) {
    SmallVector<Value> next;
    int64_t length = cast<VectorType>(current.front().getType()).getDimSize(0);
    SmallVector<int64_t> both = llvm::to_vector(llvm::seq<int64_t>(0, 2 * length));
    for (size_t k = 0; k < current.size(); k += 2)
      next.push_back(
          vector::ShuffleOp::create(b, loc, current[k], current[k + 1], both));
    current = std::move(next);
  }
  return current.front();
}

struct PrepareActivationsLowering
    : public OpConversionPattern<PrepareActivationsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PrepareActivationsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t cols = op.getInput().getType().getDimSize(1);
    SmallVector<Segment> segments = buildSegments(op.getGroups(), cols);
    // Groups that start on block boundaries need no duplicated blocks: the
    // preparation is then a pad and a fixed permutation (plain copies).
    bool aligned = llvm::all_of(segments, [](const Segment &segment) {
      return segment.lo % kBlock == 0 && segment.weightBlock == segment.bufferBlock;
    });
    Value prepared =
        aligned ? permute(rewriter, loc, op, adaptor.getInput(), segments)
                : prepare(rewriter, loc, op, adaptor.getInput(), segments);
    SmallVector<Value> results = {prepared};
    if (op.getBlockSums())
      results.push_back(sumBlocks(
          rewriter, loc, prepared,
          PrepareActivationsOp::getPositionsPerBlock(op.getScheme())));
    rewriter.replaceOp(op, results);
    return success();
  }

private:
  /// Block-aligned groups: pad K to whole blocks, then move each block's
  /// elements to their decode positions with reshapes, a transpose (2-bit)
  /// or slice inserts (1.6-bit).
  Value permute(OpBuilder &b, Location loc, PrepareActivationsOp op,
                Value input, ArrayRef<Segment> segments) const {
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    bool int8 = inputType.getElementType().isInteger(8);
    Type element = int8 ? Type(b.getI8Type()) : Type(b.getF32Type());
    int64_t cols = inputType.getDimSize(1);
    int64_t blocks = segments.back().bufferBlock + segments.back().numBlocks;
    if (!int8 && !inputType.getElementType().isF32()) {
      Value init = createEmptyLikeRows(b, loc, input, {cols}, element);
      AffineMap identity = AffineMap::getMultiDimIdentityMap(2, b.getContext());
      input = linalg::GenericOp::create(
                  b, loc, init.getType(), ValueRange{input}, ValueRange{init},
                  ArrayRef<AffineMap>{identity, identity},
                  ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                                utils::IteratorType::parallel},
                  [&](OpBuilder &nb, Location nloc, ValueRange args) {
                    linalg::YieldOp::create(nb, nloc,
                                            extendToF32(nb, nloc, args[0]));
                  })
                  .getResult(0);
    }
    int64_t rows = inputType.getDimSize(0);
    OpFoldResult dynamicRows = tensor::getMixedSize(b, loc, input, 0);
    auto shaped = [&](ArrayRef<int64_t> trailing) {
      SmallVector<int64_t> shape = {rows};
      llvm::append_range(shape, trailing);
      return RankedTensorType::get(shape, element);
    };
    auto outputShape = [&](ArrayRef<int64_t> trailing) {
      SmallVector<OpFoldResult> shape = {dynamicRows};
      for (int64_t size : trailing)
        shape.push_back(b.getIndexAttr(size));
      return shape;
    };
    auto zeros = [&](ArrayRef<int64_t> trailing) -> Value {
      Value empty =
          tensor::EmptyOp::create(b, loc, outputShape(trailing), element);
      return createZeroFilled(b, loc, empty);
    };
    Value padded = copyIntoSlice(b, loc, input, zeros({blocks * kBlock}),
                                 {b.getIndexAttr(0), b.getIndexAttr(0)});
    if (op.getTripleOrder()) {
      // Elements 52c + j go to position 64c + j: each block padded to 5 x 52
      // elements, then each run of 52 to 64 positions.
      int64_t chunks = 5;
      Value perBlock = tensor::ExpandShapeOp::create(
          b, loc, shaped({blocks, kBlock}), padded,
          SmallVector<ReassociationIndices>{{0}, {1, 2}},
          outputShape({blocks, kBlock}));
      Value runs = copyIntoSlice(
          b, loc, perBlock, zeros({blocks, chunks * kTripleChunkElements}),
          {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)});
      Value split = tensor::ExpandShapeOp::create(
          b, loc, shaped({blocks, chunks, kTripleChunkElements}), runs,
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}},
          outputShape({blocks, chunks, kTripleChunkElements}));
      Value spaced = copyIntoSlice(b, loc, split, zeros({blocks, chunks, 64}),
                                   {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(0), b.getIndexAttr(0)});
      return tensor::CollapseShapeOp::create(
          b, loc, shaped({blocks * chunks * 64}), spaced,
          SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    }
    if (op.getScheme() == PackingScheme::tq2) {
      // Element 128h + 32l + j goes to position 64l + 32h + j.
      Value split = tensor::ExpandShapeOp::create(
          b, loc, shaped({blocks, 2, 4, 32}), padded,
          SmallVector<ReassociationIndices>{{0}, {1, 2, 3, 4}},
          outputShape({blocks, 2, 4, 32}));
      Value init = tensor::EmptyOp::create(
          b, loc, outputShape({blocks, 4, 2, 32}), element);
      Value moved = linalg::TransposeOp::create(
                        b, loc, split, init, ArrayRef<int64_t>{0, 1, 3, 2, 4})
                        .getResult()[0];
      return tensor::CollapseShapeOp::create(
          b, loc, shaped({blocks * kBlock}), moved,
          SmallVector<ReassociationIndices>{{0}, {1, 2, 3, 4}});
    }
    // Elements j + 32n (j < 32), 160 + j + 16n (j < 16) and 240 + j + 4n
    // (j < 4) go to position 64n + j, 64n + 32 + j and 64n + 48 + j.
    Value perBlock = tensor::ExpandShapeOp::create(
        b, loc, shaped({blocks, kBlock}), padded,
        SmallVector<ReassociationIndices>{{0}, {1, 2}},
        outputShape({blocks, kBlock}));
    Value result = zeros({blocks, 5, 64});
    struct Run {
      int64_t first, digits, width, position;
    };
    for (Run run : {Run{0, 5, 32, 0}, Run{160, 5, 16, 32}, Run{240, 4, 4, 48}}) {
      SmallVector<OpFoldResult> unit(3, b.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(
          b, loc, perBlock,
          ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0),
                                 b.getIndexAttr(run.first)},
          outputShape({blocks, run.digits * run.width}), unit);
      Value digits = tensor::ExpandShapeOp::create(
          b, loc, shaped({blocks, run.digits, run.width}), slice,
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}},
          outputShape({blocks, run.digits, run.width}));
      result = copyIntoSlice(b, loc, digits, result,
                             {b.getIndexAttr(0), b.getIndexAttr(0),
                              b.getIndexAttr(0), b.getIndexAttr(run.position)});
    }
    return tensor::CollapseShapeOp::create(
        b, loc, shaped({blocks * 320}), result,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  }

  Value prepare(OpBuilder &b, Location loc, PrepareActivationsOp op,
                Value input, ArrayRef<Segment> segments) const {
    PackingScheme scheme = op.getScheme();
    bool tripleOrder = op.getTripleOrder();
    return gatherPrepared(
        b, loc, input, segments,
        PrepareActivationsOp::getPositionsPerBlock(scheme),
        [&](const IndexArith &ia, Value inBlock) {
          return elementAtPosition(ia, scheme, tripleOrder, inBlock);
        });
  }

  /// Sum of the int8 activations of each prepared block: [M, blocks] i32.
  Value sumBlocks(OpBuilder &b, Location loc, Value prepared,
                  int64_t blockSize) const {
    MLIRContext *context = b.getContext();
    auto preparedType = cast<RankedTensorType>(prepared.getType());
    int64_t blocks = preparedType.getDimSize(1) / blockSize;
    SmallVector<OpFoldResult> outputShape = {
        tensor::getMixedSize(b, loc, prepared, 0), b.getIndexAttr(blocks),
        b.getIndexAttr(blockSize)};
    auto expandedType = RankedTensorType::get(
        {preparedType.getDimSize(0), blocks, blockSize}, b.getI8Type());
    Value expanded = tensor::ExpandShapeOp::create(
        b, loc, expandedType, prepared,
        SmallVector<ReassociationIndices>{{0}, {1, 2}}, outputShape);
    Value sums = createZeroFilled(
        b, loc, createEmptyLikeRows(b, loc, prepared, {blocks}, b.getI32Type()));
    AffineExpr m, t, r;
    bindDims(context, m, t, r);
    return linalg::GenericOp::create(
               b, loc, sums.getType(), ValueRange{expanded}, ValueRange{sums},
               ArrayRef<AffineMap>{AffineMap::get(3, 0, {m, t, r}, context),
                                   AffineMap::get(3, 0, {m, t}, context)},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel,
                                             utils::IteratorType::reduction},
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value wide =
                     arith::ExtSIOp::create(nb, nloc, nb.getI32Type(), args[0]);
                 linalg::YieldOp::create(
                     nb, nloc,
                     arith::AddIOp::create(nb, nloc, args[1], wide).getResult());
               })
        .getResult(0);
  }

};

struct TileMatmulLowering : public OpConversionPattern<TileMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TileMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isReadInPlace(op.getWeights().getType()))
      return rewriter.notifyMatchFailure(op, "unsupported layout");
    rewriter.replaceOp(op, buildTile(rewriter, op.getLoc(), op, adaptor));
    return success();
  }

private:
  /// Accumulates codes . activations into `acc` (int8: vector<L/4 x i32>,
  /// float: vector<L x f32>).
  static Value dot(OpBuilder &b, Location loc, Int8DotKind kind, Value acc,
                   Value codes, Value activations, bool int8,
                   bool signedTrits) {
    auto codesType = cast<VectorType>(codes.getType());
    int64_t length = codesType.getDimSize(0);
    if (!int8) {
      Value trits = arith::SubIOp::create(b, loc, codes,
                                          splat(b, loc, codesType, 1));
      Value floats = arith::SIToFPOp::create(
          b, loc, VectorType::get({length}, b.getF32Type()), trits);
      return vector::FMAOp::create(b, loc, floats, activations, acc);
    }
    if (signedTrits)
      codes = arith::SubIOp::create(b, loc, codes, splat(b, loc, codesType, 1));
    return Dot4Op::create(b, loc, acc.getType(), kind,
                          /*unsigned_lhs=*/!signedTrits, acc, codes, activations);
  }

  /// The A x R outputs of the tile: per K segment, a loop over its blocks
  /// that decodes each weight row's block once and dots it with every
  /// activation row, then the group's scale; act scales at the end.
  static Value buildTile(ConversionPatternRewriter &b, Location loc,
                         TileMatmulOp op, OpAdaptor adaptor) {
    IndexArith ia{b, loc};
    PackedType type = op.getWeights().getType();
    PackingScheme scheme = type.getScheme();
    ScaleGroupsAttr groups = op.getGroups();
    Int8DotKind kind = op.getInt8Dot();
    bool int8 = op.isInt8();
    bool signedTrits = int8 && kind == Int8DotKind::neon_dotprod;
    int64_t rows = type.getRows();
    int64_t tileRows = op.getTileRows(), actRows = op.getTileActRows();
    int64_t blockBytes = packing::codeBytesPerBlock(toPackingScheme(scheme));
    int64_t blockPositions = PrepareActivationsOp::getPositionsPerBlock(scheme);
    auto interleave = dyn_cast_if_present<RowInterleaveAttr>(type.getLayout());
    Value weights = adaptor.getWeights();
    Value scales = adaptor.getScales();
    Value prepared = adaptor.getPrepared();
    Value blockSums = adaptor.getBlockSums();
    Type f32 = b.getF32Type();
    Type accElement = int8 ? Type(b.getI32Type()) : f32;

    // Accumulator slots: one per (tile row, activation row, piece width,
    // chain). With a single activation row, alternate chunks go to two
    // chains so that consecutive dot products do not wait on each other.
    SmallVector<int64_t> widths = accumulatorWidths(scheme, int8, kind);
    int64_t numWidths = static_cast<int64_t>(widths.size());
    int64_t registers =
        accumulatorRegistersPerActivationRow(scheme, int8, kind, tileRows);
    int64_t chains =
        actRows == 1 && 2 * registers <= kAccumulatorRegisterBudget ? 2 : 1;
    // A GEMV with unsigned 2-bit codes masks fields in place, one chain per
    // field (see decodeBlock).
    bool inPlace = int8 && !signedTrits && scheme == PackingScheme::tq2 &&
                   actRows == 1 &&
                   4 * registers <= kAccumulatorRegisterBudget;
    if (inPlace)
      chains = 4;
    // A GEMV with unsigned 1.6-bit codes never forms the digits (see
    // kCarryChains), unless a K group is too long for i32 sums.
    SmallVector<Segment> segments = buildSegments(groups, type.getCols());
    bool carry = int8 && !signedTrits && scheme == PackingScheme::tq1 &&
                 actRows == 1 &&
                 kCarryChains * registers <= kAccumulatorRegisterBudget &&
                 llvm::all_of(segments, [](const Segment &segment) {
                   return segment.numBlocks <= kMaxCarryBlocks;
                 });
    if (carry)
      chains = kCarryChains;
    DecodeForm form = inPlace ? DecodeForm::inPlace
                      : carry ? DecodeForm::carry
                              : DecodeForm::codes;
    // Float 2-bit: each 16 packed bytes become i32 lanes, and each field of
    // them 16 f32 trits (ternary.trits_to_f32, one table permute on
    // AVX-512), so no byte vector is sign-extended piece by piece.
    bool floatFields = !int8 && scheme == PackingScheme::tq2;
    if (floatFields && actRows == 1 &&
        4 * registers <= kAccumulatorRegisterBudget)
      chains = 4;
    auto accType = [&](int64_t width) {
      return VectorType::get({int8 ? width / 4 : width}, accElement);
    };
    auto slot = [&](int64_t row, int64_t actRow, int64_t width, int64_t chain) {
      int64_t widthIndex = llvm::find(widths, width) - widths.begin();
      return ((row * actRows + actRow) * numWidths + widthIndex) * chains +
             chain % chains;
    };
    int64_t numSlots = tileRows * actRows * numWidths * chains;

    Value segWeightBlocks, segBufferBlocks, segNumBlocks;
    std::tie(segWeightBlocks, segBufferBlocks, segNumBlocks) =
        segmentTables(b, loc, segments);

    // Rows past N (M) repeat row N-1 (M-1); their results are dropped.
    SmallVector<Value> weightRows, rowGroups, inputRows;
    for (int64_t r = 0; r < tileRows; ++r) {
      Value row = ia.min(ia.add(adaptor.getRow(), ia.index(r)),
                         ia.index(rows - 1));
      weightRows.push_back(row);
      rowGroups.push_back(
          ia.groupOf(row, groups.getRowSplits(), groups.getRowBlock()));
    }
    Value lastInputRow =
        ia.sub(tensor::DimOp::create(b, loc, prepared, 0), ia.index(1));
    for (int64_t i = 0; i < actRows; ++i)
      inputRows.push_back(
          ia.min(ia.add(adaptor.getActRow(), ia.index(i)), lastInputRow));
    auto blockPosition = [&](OpBuilder &nb, Value row,
                             Value block) -> SmallVector<Value> {
      return packedBlockPosition(nb, loc, interleave, blockBytes, row, block);
    };

    // Each block's bytes are requested `prefetch_bytes` ahead in the
    // storage, which runs on into the tiles that follow; the position is
    // clamped to the last byte so the prefetch stays in bounds. The storage
    // is addressed as one run of bytes (a collapsed view, no copy), so that
    // an address costs an add and a min, not a division into row and column.
    std::optional<int64_t> prefetchBytes = op.getPrefetchBytes();
    auto storageType = cast<RankedTensorType>(weights.getType());
    int64_t storageCols = storageType.getDimSize(1);
    int64_t lastStorageByte = storageType.getNumElements() - 1;
    Value storageBytes;
    if (prefetchBytes)
      storageBytes = tensor::CollapseShapeOp::create(
          b, loc, weights, ArrayRef<ReassociationIndices>{{0, 1}});
    auto prefetchAhead = [&](OpBuilder &nb, Value weightBlock) {
      IndexArith nia{nb, loc};
      // Interleaved rows store a tile's blocks as one run.
      int64_t runs = interleave ? 1 : tileRows;
      int64_t runBytes =
          interleave ? interleave.getRows() * blockBytes : blockBytes;
      for (int64_t r = 0; r < runs; ++r) {
        SmallVector<Value> position =
            blockPosition(nb, weightRows[r], weightBlock);
        Value start = nia.add(nia.mul(position[0], nia.index(storageCols)),
                              position[1]);
        for (int64_t line = 0; line < runBytes; line += kCacheLineBytes) {
          Value byte = nia.min(
              nia.add(start, nia.index(*prefetchBytes + line)),
              nia.index(lastStorageByte));
          PrefetchOp::create(nb, loc, storageBytes, ValueRange{byte});
        }
      }
    };

    // The results, lane p = r * A + i for weight row r and activation row i.
    int64_t numResults = tileRows * actRows;
    auto resultsType = VectorType::get({numResults}, f32);
    Value zeroResults =
        arith::ConstantOp::create(b, loc, b.getZeroAttr(resultsType));
    // Spreads one scalar per weight row (or per activation row) to lanes
    // p = r * A + i: a short vector, then one shuffle.
    auto spread = [&](OpBuilder &nb, ArrayRef<Value> scalars,
                      bool perWeightRow) -> Value {
      Value small = vector::FromElementsOp::create(
          nb, loc,
          VectorType::get({static_cast<int64_t>(scalars.size())},
                          scalars.front().getType()),
          scalars);
      SmallVector<int64_t> mask;
      for (int64_t r = 0; r < tileRows; ++r)
        for (int64_t i = 0; i < actRows; ++i)
          mask.push_back(perWeightRow ? r : i);
      return vector::ShuffleOp::create(nb, loc, small, small, mask);
    };
    auto byRow = [&](OpBuilder &nb, ArrayRef<Value> perRow) {
      return spread(nb, perRow, /*perWeightRow=*/true);
    };
    auto byActRow = [&](OpBuilder &nb, ArrayRef<Value> perActRow) {
      return spread(nb, perActRow, /*perWeightRow=*/false);
    };
    auto segmentLoop = scf::ForOp::create(
        b, loc, ia.index(0), ia.index(segments.size()), ia.index(1),
        ValueRange{zeroResults},
        [&](OpBuilder &sb, Location, Value segment, ValueRange results) {
          IndexArith sia{sb, loc};
          auto lookup = [&](Value tableValue) -> Value {
            return tensor::ExtractOp::create(sb, loc, tableValue,
                                             ValueRange{segment});
          };
          Value weightBlock0 = lookup(segWeightBlocks);
          Value bufferBlock0 = lookup(segBufferBlocks);
          SmallVector<Value> accInit;
          for (int64_t r = 0; r < tileRows; ++r)
            for (int64_t i = 0; i < actRows; ++i)
              for (int64_t width : widths)
                for (int64_t chain = 0; chain < chains; ++chain)
                  accInit.push_back(arith::ConstantOp::create(
                      sb, loc, sb.getZeroAttr(accType(width))));
          if (blockSums)
            for (int64_t i = 0; i < actRows; ++i)
              accInit.push_back(sia.i32(0));
          auto blockLoop = scf::ForOp::create(
              sb, loc, sia.index(0), lookup(segNumBlocks), sia.index(1),
              accInit,
              [&](OpBuilder &bb, Location, Value block, ValueRange accs) {
                IndexArith bia{bb, loc};
                SmallVector<Value> next(accs.begin(), accs.end());
                Value weightBlock = bia.add(weightBlock0, block);
                Value bufferBlock = bia.add(bufferBlock0, block);
                Value base = bia.mul(bufferBlock, bia.index(blockPositions));
                if (prefetchBytes)
                  prefetchAhead(bb, weightBlock);
                if (floatFields) {
                  Value pad =
                      arith::ConstantOp::create(bb, loc, bb.getF32FloatAttr(0));
                  Value padByte =
                      arith::ConstantOp::create(bb, loc, bb.getI8IntegerAttr(0));
                  auto lanesType = VectorType::get({16}, bb.getI32Type());
                  for (int64_t piece = 0; piece < 4; ++piece) {
                    SmallVector<Value> lanes;
                    for (int64_t r = 0; r < tileRows; ++r) {
                      SmallVector<Value> position =
                          blockPosition(bb, weightRows[r], weightBlock);
                      Value bytes = vector::TransferReadOp::create(
                          bb, loc, VectorType::get({16}, bb.getI8Type()),
                          weights,
                          ValueRange{position[0],
                                     bia.add(position[1], bia.index(16 * piece))},
                          padByte, ArrayRef<bool>{true});
                      lanes.push_back(
                          arith::ExtUIOp::create(bb, loc, lanesType, bytes));
                    }
                    for (int64_t field = 0; field < 4; ++field) {
                      // Bytes 16p..16p+15, field l: positions 64l + 16p + i.
                      Value col =
                          bia.add(base, bia.index(64 * field + 16 * piece));
                      SmallVector<Value> activations;
                      for (int64_t i = 0; i < actRows; ++i)
                        activations.push_back(vector::TransferReadOp::create(
                            bb, loc, VectorType::get({16}, bb.getF32Type()),
                            prepared, ValueRange{inputRows[i], col}, pad,
                            ArrayRef<bool>{true}));
                      for (int64_t r = 0; r < tileRows; ++r) {
                        Value trits = TritsToF32Op::create(
                            bb, loc, VectorType::get({16}, bb.getF32Type()),
                            kind, lanes[r], 2 * field);
                        for (int64_t i = 0; i < actRows; ++i) {
                          int64_t s = slot(r, i, 16, field);
                          next[s] = vector::FMAOp::create(bb, loc, trits,
                                                          activations[i], next[s]);
                        }
                      }
                    }
                  }
                  scf::YieldOp::create(bb, loc, next);
                  return;
                }
                SmallVector<SmallVector<DecodedChunk>> decoded;
                for (int64_t r = 0; r < tileRows; ++r)
                  decoded.push_back(decodeBlock(
                      bb, loc, scheme, weights,
                      blockPosition(bb, weightRows[r], weightBlock), form));
                Type actElement =
                    int8 ? Type(bb.getI8Type()) : Type(bb.getF32Type());
                Value pad =
                    arith::ConstantOp::create(bb, loc, bb.getZeroAttr(actElement));
                for (size_t c = 0; c < decoded[0].size(); ++c) {
                  int64_t length =
                      cast<VectorType>(decoded[0][c].codes.getType())
                          .getDimSize(0);
                  int64_t offset = 0;
                  for (int64_t width : pieceWidths(kind, int8, length)) {
                    Value col = bia.add(
                        base, bia.index(decoded[0][c].activationOffset + offset));
                    SmallVector<Value> activations;
                    for (int64_t i = 0; i < actRows; ++i)
                      activations.push_back(vector::TransferReadOp::create(
                          bb, loc, VectorType::get({width}, actElement),
                          prepared, ValueRange{inputRows[i], col}, pad,
                          ArrayRef<bool>{true}));
                    for (int64_t r = 0; r < tileRows; ++r) {
                      Value codes = decoded[r][c].codes;
                      if (width != length)
                        codes = vector::ExtractStridedSliceOp::create(
                            bb, loc, codes, ArrayRef<int64_t>{offset},
                            ArrayRef<int64_t>{width}, ArrayRef<int64_t>{1});
                      int64_t chain = decoded[r][c].chain.value_or(c);
                      for (int64_t i = 0; i < actRows; ++i) {
                        int64_t s = slot(r, i, width, chain);
                        next[s] = dot(bb, loc, kind, next[s], codes,
                                      activations[i], int8, signedTrits);
                      }
                    }
                    offset += width;
                  }
                }
                if (blockSums) {
                  for (int64_t i = 0; i < actRows; ++i) {
                    Value sum = tensor::ExtractOp::create(
                        bb, loc, blockSums, ValueRange{inputRows[i], bufferBlock});
                    next[numSlots + i] =
                        arith::AddIOp::create(bb, loc, next[numSlots + i], sum);
                  }
                }
                scf::YieldOp::create(bb, loc, next);
              });
          // Group end: sum each accumulator, correct, scale, add.
          assert(widths.size() == 1 && "every chunk is one vector width");
          SmallVector<Value> accumulators;
          for (int64_t r = 0; r < tileRows; ++r)
            for (int64_t i = 0; i < actRows; ++i) {
              // In-place fields: chain l accumulated 4^l times the codes.
              auto chainSum = [&](int64_t chain) -> Value {
                Value lanes = blockLoop.getResult(slot(r, i, widths[0], chain));
                if (!inPlace || chain == 0)
                  return lanes;
                return arith::ShRSIOp::create(
                    sb, loc, lanes,
                    splat(sb, loc, cast<VectorType>(lanes.getType()),
                          2 * chain));
              };
              if (carry) {
                // (3 * chain 0 - chain 1) / 256, exact in every lane.
                auto lanesType = cast<VectorType>(chainSum(0).getType());
                Value tripled = arith::MulIOp::create(
                    sb, loc, chainSum(0), splat(sb, loc, lanesType, 3));
                Value scaled256 =
                    arith::SubIOp::create(sb, loc, tripled, chainSum(1));
                accumulators.push_back(arith::ShRSIOp::create(
                    sb, loc, scaled256, splat(sb, loc, lanesType, 8)));
                continue;
              }
              Value lanes = chainSum(0);
              for (int64_t chain = 1; chain < chains; ++chain) {
                Value other = chainSum(chain);
                lanes = int8 ? arith::AddIOp::create(sb, loc, lanes, other)
                                   .getResult()
                             : arith::AddFOp::create(sb, loc, lanes, other)
                                   .getResult();
              }
              accumulators.push_back(lanes);
            }
          Value partial = sumEach(sb, loc, accumulators);
          if (blockSums) {
            SmallVector<Value> sums;
            for (int64_t i = 0; i < actRows; ++i)
              sums.push_back(blockLoop.getResult(numSlots + i));
            partial = arith::SubIOp::create(sb, loc, partial, byActRow(sb, sums));
          }
          if (int8)
            partial = arith::SIToFPOp::create(sb, loc, resultsType, partial);
          SmallVector<Value> rowScales;
          for (int64_t r = 0; r < tileRows; ++r)
            rowScales.push_back(extendToF32(
                sb, loc,
                tensor::ExtractOp::create(sb, loc, scales,
                                          ValueRange{rowGroups[r], segment})));
          Value scaled =
              arith::MulFOp::create(sb, loc, byRow(sb, rowScales), partial);
          scf::YieldOp::create(
              sb, loc,
              ValueRange{arith::AddFOp::create(sb, loc, results[0], scaled)
                             .getResult()});
        });

    Value values = segmentLoop.getResult(0);
    if (int8) {
      SmallVector<Value> actScales;
      for (int64_t i = 0; i < actRows; ++i)
        actScales.push_back(tensor::ExtractOp::create(
            b, loc, adaptor.getActScales(), ValueRange{inputRows[i]}));
      values = arith::MulFOp::create(b, loc, byActRow(b, actScales), values);
    }
    // Lane r * A + i to row-major A x R.
    SmallVector<int64_t> transpose;
    for (int64_t i = 0; i < actRows; ++i)
      for (int64_t r = 0; r < tileRows; ++r)
        transpose.push_back(r * actRows + i);
    Value ordered = vector::ShuffleOp::create(b, loc, values, values, transpose);
    return vector::ShapeCastOp::create(
        b, loc, VectorType::get({actRows, tileRows}, f32), ordered);
  }
};

struct ConvertTernaryToCPUPass
    : public trilm::impl::ConvertTernaryToCPUBase<ConvertTernaryToCPUPass> {
  void runOnOperation() override {
    TypeConverter converter;
    populateTernaryToLinalgTypeConversion(converter);
    RewritePatternSet patterns(&getContext());
    populateTernaryToCPUConversionPatterns(converter, patterns);
    // The kernels' instructions stay until after bufferization.
    if (failed(convertTernaryOps(
            getOperation(), converter, std::move(patterns),
            [](ConversionTarget &target) {
              target.addIllegalOp<PrepareActivationsOp, TileMatmulOp,
                                  PanelMatmulOp, PrepareTablesOp,
                                  TableMatmulOp>();
              target.addLegalOp<Dot4Op, TritsToF32Op, LookupOp>();
            })))
      signalPassFailure();
  }
};

} // namespace

void trilm::populateTernaryToCPUConversionPatterns(
    TypeConverter &converter, RewritePatternSet &patterns) {
  populateTernaryToLinalgConversionPatterns(converter, patterns);
  patterns.add<PrepareActivationsLowering, TileMatmulLowering>(
      converter, patterns.getContext());
  cpu_kernels::populatePanelMatmulLowering(converter, patterns);
  cpu_kernels::populateTableMatmulLowering(converter, patterns);
}
