//===- TernaryToCPU.cpp - Fused CPU lowering of ternary.matmul ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// `ternary.matmul` becomes a loop nest in which every packed block is loaded
// as a vector and decoded in registers; unpacked weights never exist in
// memory. The loop nest, inside out:
//
//   scf.forall   tile of `rows` output rows       (threads)
//    scf.for     activation row m
//     scf.for    K scale group (a "segment" of whole blocks)
//      scf.for   256-trit block of the segment: decode, dot, accumulate
//
// Activations are prepared once per call so that the inner loop needs no
// shuffles and no group bookkeeping: each segment gets its own run of blocks
// holding the group's activations (zeros elsewhere, so group boundaries need
// not align with blocks), reordered within each block to the order in which
// the packed bytes decode.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "trilm/Conversion/TernaryToLinalg/TernaryToLinalg.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"
#include "trilm/Target/CPU/CPUTarget.h"

namespace trilm {
#define GEN_PASS_DEF_CONVERTTERNARYTOCPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

constexpr int64_t kBlock = packing::kBlockSize;

/// One K scale group, widened to whole blocks.
struct Segment {
  int64_t weightBlock; // first packed block of the group
  int64_t bufferBlock; // first block of the group in the activation buffer
  int64_t numBlocks;
  int64_t lo, hi; // the group's columns [lo, hi)
};

SmallVector<Segment> buildSegments(ScaleGroupsAttr groups, int64_t cols) {
  SmallVector<int64_t> bounds = groups.getColBounds(cols);
  SmallVector<Segment> segments;
  int64_t bufferBlock = 0;
  for (size_t g = 0; g + 1 < bounds.size(); ++g) {
    int64_t first = bounds[g] / kBlock;
    int64_t last = llvm::divideCeil(bounds[g + 1], kBlock);
    segments.push_back(
        {first, bufferBlock, last - first, bounds[g], bounds[g + 1]});
    bufferBlock += last - first;
  }
  return segments;
}

/// A run of codes decoded from a packed block. `activationOffset` is where
/// the matching activations start in the reordered block.
struct DecodedChunk {
  Value codes; // vector<L x i8>, codes 0..2 (trit + 1)
  int64_t activationOffset;
};

/// Positions of one block in the prepared activations: 256 for 2-bit; 320
/// for 1.6-bit, whose 52 bytes are decoded as 64 bytes of 5 digits each.
int64_t preparedBlockSize(PackingScheme scheme) {
  return scheme == PackingScheme::tq2 ? 256 : 320;
}

/// Element of a 256-trit block whose activation sits at `position` of the
/// prepared block (the inverse of the decode order below), or a value >= 256
/// for positions that decode padding.
Value elementAtPosition(const IndexArith &ia, PackingScheme scheme,
                        Value position) {
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

/// Splats an integer constant to `type`.
Value splat(OpBuilder &b, Location loc, VectorType type, int64_t value) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getIntegerAttr(
                                               type.getElementType(), value)));
}

/// Decodes one packed block (its bytes start at `position` of `storage`) into
/// chunks of codes.
SmallVector<DecodedChunk> decodeBlock(OpBuilder &b, Location loc,
                                      PackingScheme scheme, Value storage,
                                      ValueRange position) {
  Type i8 = b.getI8Type(), i16 = b.getI16Type();
  auto read = [&](int64_t bytes, int64_t offset) -> Value {
    IndexArith ia{b, loc};
    Value col = ia.add(position[1], ia.index(offset));
    auto type = VectorType::get({bytes}, i8);
    Value pad = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    return vector::TransferReadOp::create(b, loc, type, storage,
                                          ValueRange{position[0], col}, pad,
                                          ArrayRef<bool>{true});
  };
  SmallVector<DecodedChunk> chunks;
  if (scheme == PackingScheme::tq2) {
    // Shift 16-bit lanes (x86 has no byte shifts); the mask keeps only bits
    // that came from the same byte.
    Value bytes = read(packing::kTQ2CodeBytes, 0);
    auto type = cast<VectorType>(bytes.getType());
    auto wordsType = VectorType::get({type.getDimSize(0) / 2}, i16);
    Value words = vector::BitCastOp::create(b, loc, wordsType, bytes);
    for (int64_t l = 0; l < 4; ++l) {
      Value shifted = bytes;
      if (l > 0)
        shifted = vector::BitCastOp::create(
            b, loc, type,
            arith::ShRUIOp::create(b, loc, words,
                                   splat(b, loc, wordsType, 2 * l)));
      chunks.push_back({arith::AndIOp::create(b, loc, shifted,
                                              splat(b, loc, type, 3)),
                        64 * l});
    }
    return chunks;
  }
  // Base-3 digit n of byte q: with q_n = uint8(q * 3^n), the digit is
  // (q_n * 3) >> 8, that is [q_n >= 86] + [q_n >= 171]. q_{n+1} = 3 q_n
  // wraps modulo 256, so everything stays on bytes: two adds and two
  // compares per digit. The 48 qs and 4 qh bytes are decoded together as one
  // 64-byte vector (qh bytes are 5-digit numbers whose last digit is 0; the
  // 12 zero bytes after them meet zero activations).
  auto bytesType = VectorType::get({64}, i8);
  Value bytes = splat(b, loc, bytesType, 0);
  bytes = vector::InsertStridedSliceOp::create(b, loc, read(48, 0), bytes,
                                               ArrayRef<int64_t>{0},
                                               ArrayRef<int64_t>{1});
  bytes = vector::InsertStridedSliceOp::create(b, loc, read(4, 48), bytes,
                                               ArrayRef<int64_t>{48},
                                               ArrayRef<int64_t>{1});
  Value one = splat(b, loc, bytesType, 1), zero = splat(b, loc, bytesType, 0);
  Value low = splat(b, loc, bytesType, 86), high = splat(b, loc, bytesType, 171);
  Value q = bytes;
  for (int64_t n = 0; n < 5; ++n) {
    if (n > 0)
      q = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, q, q), q);
    auto atLeast = [&](Value bound) -> Value {
      Value above =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, q, bound);
      return arith::SelectOp::create(b, loc, above, one, zero);
    };
    chunks.push_back(
        {arith::AddIOp::create(b, loc, atLeast(low), atLeast(high)), 64 * n});
  }
  return chunks;
}

/// Lengths of the chunks `decodeBlock` produces, in order.
SmallVector<int64_t> chunkLengths(PackingScheme scheme) {
  return SmallVector<int64_t>(scheme == PackingScheme::tq2 ? 4 : 5, 64);
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

struct MatmulOpCPULowering : public OpConversionPattern<MatmulOp> {
  MatmulOpCPULowering(const TypeConverter &converter, MLIRContext *context,
                      CPUKernelOptions options)
      : OpConversionPattern(converter, context, /*benefit=*/2),
        options(options) {}

  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    PackedType type = op.getWeights().getType();
    if (type.getLayout() && !isa<RowInterleaveAttr>(type.getLayout()))
      return rewriter.notifyMatchFailure(op, "unsupported layout");
    Location loc = op.getLoc();
    bool int8 = op.isInt8();
    // With NEON sdot the trits are used signed; elsewhere the codes (trit +
    // 1) are unsigned bytes and the activation sums are subtracted.
    bool signedTrits = int8 && options.int8Dot == Int8DotKind::neon_dotprod;
    SmallVector<Segment> segments = buildSegments(op.getGroups(), type.getCols());
    Value prepared = prepareActivations(rewriter, loc, op, adaptor, segments);
    Value blockSums =
        int8 && !signedTrits
            ? sumBlocks(rewriter, loc, prepared,
                        preparedBlockSize(type.getScheme()))
            : Value();
    Value result = buildKernel(rewriter, loc, op, adaptor, segments, prepared,
                               blockSums, signedTrits);
    auto resultType = cast<RankedTensorType>(op.getType());
    if (!resultType.getElementType().isF32())
      result = convertElements(rewriter, loc, result, resultType);
    rewriter.replaceOp(op, result);
    return success();
  }

private:
  CPUKernelOptions options;

  /// Activations in segment order: [M, total blocks * 256], reordered within
  /// each block, zero outside each segment's group. f32 for float
  /// activations, i8 for int8.
  Value prepareActivations(OpBuilder &b, Location loc, MatmulOp op,
                           OpAdaptor adaptor,
                           ArrayRef<Segment> segments) const {
    MLIRContext *context = b.getContext();
    PackedType type = op.getWeights().getType();
    Value input = adaptor.getInput();
    bool int8 = op.isInt8();
    SmallVector<int64_t> weightBlock, lo, hi;
    for (const Segment &segment : segments) {
      for (int64_t i = 0; i < segment.numBlocks; ++i) {
        weightBlock.push_back(segment.weightBlock + i);
        lo.push_back(segment.lo);
        hi.push_back(segment.hi);
      }
    }
    auto table = [&](ArrayRef<int64_t> values) -> Value {
      auto tableType = RankedTensorType::get(
          {static_cast<int64_t>(values.size())}, b.getIndexType());
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(tableType, values));
    };
    Value weightBlocks = table(weightBlock), los = table(lo), his = table(hi);
    int64_t cols = type.getCols();
    Type elementType = int8 ? Type(b.getI8Type()) : Type(b.getF32Type());
    PackingScheme scheme = type.getScheme();
    int64_t blockSize = preparedBlockSize(scheme);
    Value init = createEmptyLikeRows(
        b, loc, input,
        {static_cast<int64_t>(weightBlock.size()) * blockSize}, elementType);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{}, ValueRange{init},
               ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, context)},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location nloc, ValueRange) {
                 IndexArith ia{nb, nloc};
                 Value row = linalg::IndexOp::create(nb, nloc, 0);
                 Value position = linalg::IndexOp::create(nb, nloc, 1);
                 Value block = ia.div(position, ia.index(blockSize));
                 Value inBlock = ia.rem(position, ia.index(blockSize));
                 auto lookup = [&](Value tableValue) -> Value {
                   return tensor::ExtractOp::create(nb, nloc, tableValue,
                                                    ValueRange{block});
                 };
                 Value element = elementAtPosition(ia, scheme, inBlock);
                 Value col = ia.add(
                     ia.mul(lookup(weightBlocks), ia.index(kBlock)), element);
                 Value inside = arith::AndIOp::create(
                     nb, nloc,
                     arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::uge,
                                           col, lookup(los)),
                     ia.lt(col, lookup(his)));
                 inside = arith::AndIOp::create(
                     nb, nloc, inside, ia.lt(element, ia.index(kBlock)));
                 Value clamped = ia.min(col, ia.index(cols - 1));
                 Value value = tensor::ExtractOp::create(
                     nb, nloc, input, ValueRange{row, clamped});
                 if (!int8)
                   value = extendToF32(nb, nloc, value);
                 Value zero = arith::ConstantOp::create(
                     nb, nloc, nb.getZeroAttr(elementType));
                 linalg::YieldOp::create(nb, nloc,
                                         ia.select(inside, value, zero));
               })
        .getResult(0);
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

  /// Accumulates codes . activations into `acc` (int8: vector<L/4 x i32>,
  /// float: vector<L x f32>).
  Value dot(OpBuilder &b, Location loc, Value acc, Value codes,
            Value activations, bool int8, bool signedTrits) const {
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
    return Dot4Op::create(b, loc, acc.getType(), options.int8Dot,
                          /*unsigned_lhs=*/!signedTrits, acc, codes, activations);
  }

  /// Activation rows computed together: decoded weights are reused across
  /// them (GEMM), so more is better until the accumulators, which take
  /// `registersPerRow` 64-byte registers per activation row, spill.
  int64_t activationRowsPerTile(MatmulOp op, int64_t registersPerRow) const {
    int64_t rows = op.getInput().getType().getDimSize(0);
    if (rows == 1)
      return 1;
    int64_t budget = std::max<int64_t>(1, kAccumulatorRegisters / registersPerRow);
    int64_t perTile = std::min<int64_t>(4, budget);
    if (!ShapedType::isDynamic(rows))
      perTile = std::min(perTile, rows);
    return perTile;
  }

  /// Vector registers (of 64 bytes) the accumulators may take: half of an
  /// AVX-512 register file, leaving room for decoded codes and activations.
  static constexpr int64_t kAccumulatorRegisters = 16;

  Value buildKernel(ConversionPatternRewriter &b, Location loc, MatmulOp op,
                    OpAdaptor adaptor, ArrayRef<Segment> segments,
                    Value prepared, Value blockSums, bool signedTrits) const {
    IndexArith ia{b, loc};
    PackedType type = op.getWeights().getType();
    ScaleGroupsAttr groups = op.getGroups();
    bool int8 = op.isInt8();
    int64_t rows = type.getRows();
    int64_t tileRows = std::min(options.rowsPerTile, rows);
    int64_t blockBytes = packing::codeBytesPerBlock(toPackingScheme(type.getScheme()));
    auto interleave = dyn_cast_if_present<RowInterleaveAttr>(type.getLayout());
    Value weights = adaptor.getWeights();
    Value scales = adaptor.getScales();
    Value input = adaptor.getInput();
    Type f32 = b.getF32Type();
    Type accElement = int8 ? Type(b.getI32Type()) : f32;

    // Accumulator slots: one per (tile row, activation row, piece width,
    // chain). With a single activation row, alternate chunks go to two
    // chains so that consecutive dot products do not wait on each other.
    SmallVector<int64_t> widths;
    for (int64_t length : chunkLengths(type.getScheme()))
      for (int64_t width : pieceWidths(options.int8Dot, int8, length))
        if (!llvm::is_contained(widths, width))
          widths.push_back(width);
    int64_t numWidths = static_cast<int64_t>(widths.size());
    int64_t registersPerRow = 0;
    for (int64_t width : widths)
      registersPerRow +=
          tileRows * std::max<int64_t>(1, width * (int8 ? 1 : 4) / 64);
    int64_t actRows = activationRowsPerTile(op, registersPerRow);
    int64_t chains =
        actRows == 1 && 2 * registersPerRow <= kAccumulatorRegisters ? 2 : 1;
    auto accType = [&](int64_t width) {
      return VectorType::get({int8 ? width / 4 : width}, accElement);
    };
    auto slot = [&](int64_t row, int64_t actRow, int64_t width, int64_t chain) {
      int64_t widthIndex = llvm::find(widths, width) - widths.begin();
      return ((row * actRows + actRow) * numWidths + widthIndex) * chains +
             chain % chains;
    };
    int64_t numSlots = tileRows * actRows * numWidths * chains;

    SmallVector<int64_t> segWeightBlock, segBufferBlock, segBlocks;
    for (const Segment &segment : segments) {
      segWeightBlock.push_back(segment.weightBlock);
      segBufferBlock.push_back(segment.bufferBlock);
      segBlocks.push_back(segment.numBlocks);
    }
    auto table = [&](ArrayRef<int64_t> values) -> Value {
      auto tableType = RankedTensorType::get(
          {static_cast<int64_t>(values.size())}, b.getIndexType());
      return arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(tableType, values));
    };
    Value segWeightBlocks = table(segWeightBlock);
    Value segBufferBlocks = table(segBufferBlock);
    Value segNumBlocks = table(segBlocks);

    Value output = createEmptyLikeRows(b, loc, input, {rows}, f32);
    int64_t numTiles = llvm::divideCeil(rows, tileRows);
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(numTiles)},
        ValueRange{output}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    Value tile = forall.getInductionVars()[0];
    Value shared = forall.getRegionIterArgs()[0];
    Value firstRow = ia.mul(tile, ia.index(tileRows));
    Value validRows = ia.min(ia.index(tileRows), ia.sub(ia.index(rows), firstRow));
    Value numInputRows = tensor::DimOp::create(b, loc, input, 0);
    Value lastInputRow = ia.sub(numInputRows, ia.index(1));
    SmallVector<OpFoldResult> sliceOffsets = {b.getIndexAttr(0),
                                              OpFoldResult(firstRow)};
    SmallVector<OpFoldResult> sliceSizes = {OpFoldResult(numInputRows),
                                            OpFoldResult(validRows)};
    SmallVector<OpFoldResult> unitStrides(2, b.getIndexAttr(1));
    Value slice = tensor::ExtractSliceOp::create(b, loc, shared, sliceOffsets,
                                                 sliceSizes, unitStrides);

    // Per tile row: the weight row (clamped: rows past N recompute row N-1 and
    // are not written) and its row scale group.
    SmallVector<Value> weightRows, rowGroups;
    for (int64_t r = 0; r < tileRows; ++r) {
      Value row = ia.min(ia.add(firstRow, ia.index(r)), ia.index(rows - 1));
      weightRows.push_back(row);
      rowGroups.push_back(
          ia.groupOf(row, groups.getRowSplits(), groups.getRowBlock()));
    }
    auto blockPosition = [&](OpBuilder &nb, Value row,
                             Value block) -> SmallVector<Value> {
      IndexArith nia{nb, loc};
      if (!interleave)
        return {row, nia.mul(block, nia.index(blockBytes))};
      Value factor = nia.index(interleave.getRows());
      Value inGroup = nia.rem(row, factor);
      return {nia.div(row, factor),
              nia.mul(nia.add(nia.mul(block, factor), inGroup),
                      nia.index(blockBytes))};
    };

    auto rowLoop = scf::ForOp::create(
        b, loc, ia.index(0), numInputRows, ia.index(actRows), ValueRange{slice},
        [&](OpBuilder &mb, Location, Value m, ValueRange rowArgs) {
          IndexArith mia{mb, loc};
          // Activation rows past M recompute row M-1; their (identical)
          // results overwrite that row.
          SmallVector<Value> inputRows;
          for (int64_t i = 0; i < actRows; ++i)
            inputRows.push_back(mia.min(mia.add(m, mia.index(i)), lastInputRow));
          SmallVector<Value> zeroResults(
              tileRows * actRows,
              arith::ConstantOp::create(mb, loc, mb.getF32FloatAttr(0)));
          auto segmentLoop = scf::ForOp::create(
              mb, loc, mia.index(0), mia.index(segments.size()), mia.index(1),
              zeroResults,
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
                      Value base = bia.mul(
                          bufferBlock,
                          bia.index(preparedBlockSize(type.getScheme())));
                      SmallVector<SmallVector<DecodedChunk>> decoded;
                      for (int64_t r = 0; r < tileRows; ++r)
                        decoded.push_back(decodeBlock(
                            bb, loc, type.getScheme(), weights,
                            blockPosition(bb, weightRows[r], weightBlock)));
                      Type actElement =
                          int8 ? Type(bb.getI8Type()) : Type(bb.getF32Type());
                      Value pad = arith::ConstantOp::create(
                          bb, loc, bb.getZeroAttr(actElement));
                      for (size_t c = 0; c < decoded[0].size(); ++c) {
                        int64_t length =
                            cast<VectorType>(decoded[0][c].codes.getType())
                                .getDimSize(0);
                        int64_t offset = 0;
                        for (int64_t width :
                             pieceWidths(options.int8Dot, int8, length)) {
                          Value col = bia.add(
                              base, bia.index(decoded[0][c].activationOffset +
                                              offset));
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
                                  ArrayRef<int64_t>{width},
                                  ArrayRef<int64_t>{1});
                            for (int64_t i = 0; i < actRows; ++i) {
                              int64_t s = slot(r, i, width, c);
                              next[s] = dot(bb, loc, next[s], codes,
                                            activations[i], int8, signedTrits);
                            }
                          }
                          offset += width;
                        }
                      }
                      if (blockSums) {
                        for (int64_t i = 0; i < actRows; ++i) {
                          Value sum = tensor::ExtractOp::create(
                              bb, loc, blockSums,
                              ValueRange{inputRows[i], bufferBlock});
                          next[numSlots + i] = arith::AddIOp::create(
                              bb, loc, next[numSlots + i], sum);
                        }
                      }
                      scf::YieldOp::create(bb, loc, next);
                    });
                // Group end: reduce, correct, scale, add to the row results.
                SmallVector<Value> updated;
                for (int64_t r = 0; r < tileRows; ++r) {
                  Value scale = extendToF32(
                      sb, loc,
                      tensor::ExtractOp::create(
                          sb, loc, scales, ValueRange{rowGroups[r], segment}));
                  for (int64_t i = 0; i < actRows; ++i) {
                    Value partial;
                    for (int64_t width : widths) {
                      Value lanes = blockLoop.getResult(slot(r, i, width, 0));
                      for (int64_t chain = 1; chain < chains; ++chain) {
                        Value other =
                            blockLoop.getResult(slot(r, i, width, chain));
                        lanes = int8 ? arith::AddIOp::create(sb, loc, lanes,
                                                             other)
                                           .getResult()
                                     : arith::AddFOp::create(sb, loc, lanes,
                                                             other)
                                           .getResult();
                      }
                      Value sum = vector::ReductionOp::create(
                          sb, loc, vector::CombiningKind::ADD, lanes);
                      if (!partial)
                        partial = sum;
                      else if (int8)
                        partial = arith::AddIOp::create(sb, loc, partial, sum);
                      else
                        partial = arith::AddFOp::create(sb, loc, partial, sum);
                    }
                    if (blockSums)
                      partial = arith::SubIOp::create(
                          sb, loc, partial, blockLoop.getResult(numSlots + i));
                    if (int8)
                      partial = arith::SIToFPOp::create(sb, loc, f32, partial);
                    Value scaled = arith::MulFOp::create(sb, loc, scale, partial);
                    updated.push_back(arith::AddFOp::create(
                        sb, loc, results[r * actRows + i], scaled));
                  }
                }
                scf::YieldOp::create(sb, loc, updated);
              });
          Value written = rowArgs[0];
          for (int64_t i = 0; i < actRows; ++i) {
            SmallVector<Value> values;
            for (int64_t r = 0; r < tileRows; ++r)
              values.push_back(segmentLoop.getResult(r * actRows + i));
            if (int8) {
              Value actScale = tensor::ExtractOp::create(
                  mb, loc, adaptor.getActScales(), ValueRange{inputRows[i]});
              for (Value &value : values)
                value = arith::MulFOp::create(mb, loc, actScale, value);
            }
            Value vector = vector::FromElementsOp::create(
                mb, loc, VectorType::get({tileRows}, f32), values);
            written = vector::TransferWriteOp::create(
                          mb, loc, vector, written,
                          ValueRange{inputRows[i], mia.index(0)},
                          ArrayRef<bool>{false})
                          .getResult();
          }
          scf::YieldOp::create(mb, loc, written);
        });
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, rowLoop.getResult(0), shared,
                                          sliceOffsets, sliceSizes, unitStrides);
    return forall.getResult(0);
  }

  /// Converts an f32 result tensor to the element type of `resultType`.
  Value convertElements(OpBuilder &b, Location loc, Value result,
                        RankedTensorType resultType) const {
    MLIRContext *context = b.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
    Value init = createEmptyLikeRows(b, loc, result, {resultType.getDimSize(1)},
                                     resultType.getElementType());
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{result}, ValueRange{init},
               ArrayRef<AffineMap>{identity, identity},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, nloc,
                     truncateFromF32(nb, nloc, args[0],
                                     resultType.getElementType()));
               })
        .getResult(0);
  }
};

struct ConvertTernaryToCPUPass
    : public trilm::impl::ConvertTernaryToCPUBase<ConvertTernaryToCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<cpu::CPUTarget> cpuTarget =
        cpu::CPUTarget::get(triple, cpu, features);
    if (!cpuTarget) {
      getOperation()->emitError(llvm::toString(cpuTarget.takeError()));
      return signalPassFailure();
    }
    CPUKernelOptions options;
    options.int8Dot = cpuTarget->int8Dot;
    options.rowsPerTile = cpuTarget->rowsPerTile;
    if (int8Dot != "auto") {
      std::optional<Int8DotKind> dot = symbolizeInt8DotKind(int8Dot);
      if (!dot) {
        getOperation()->emitError("unknown int8-dot '")
            << int8Dot
            << "'; expected auto, generic, avx512_vnni, avx_vnni or "
               "neon_dotprod";
        return signalPassFailure();
      }
      options.int8Dot = *dot;
    }
    if (rowsPerTile != 0) {
      if (rowsPerTile < 1 || rowsPerTile > 16) {
        getOperation()->emitError("rows must be between 1 and 16, got ")
            << static_cast<int64_t>(rowsPerTile);
        return signalPassFailure();
      }
      options.rowsPerTile = rowsPerTile;
    }

    TypeConverter converter;
    populateTernaryToLinalgTypeConversion(converter);
    RewritePatternSet patterns(&getContext());
    populateTernaryToCPUConversionPatterns(converter, patterns, options);
    // The kernels' dot products stay until after bufferization.
    if (failed(convertTernaryOps(
            getOperation(), converter, std::move(patterns),
            [](ConversionTarget &target) { target.addLegalOp<Dot4Op>(); })))
      signalPassFailure();
  }
};

} // namespace

void trilm::populateTernaryToCPUConversionPatterns(
    TypeConverter &converter, RewritePatternSet &patterns,
    const CPUKernelOptions &options) {
  populateTernaryToLinalgConversionPatterns(converter, patterns);
  patterns.add<MatmulOpCPULowering>(converter, patterns.getContext(), options);
}
