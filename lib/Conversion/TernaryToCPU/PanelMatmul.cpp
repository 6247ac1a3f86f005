//===- PanelMatmul.cpp - The panel kernel of int8 ternary GEMMs -----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// ternary_cpu.panel_matmul (P weight rows, the R rows of its dest) becomes
//
//   decode:  scf.for  prepared block b
//             scf.for group of 16 weight rows: decode each row's block into
//                     vectors of codes, transpose them 16 x 16 in dwords and
//                     store them as panel[quad][row] (4 codes per row)
//   compute: scf.for  A activation rows (whole blocks, then the partial one)
//             scf.for K group: A x P/16 i32 accumulators
//              scf.for chunk of 64 prepared positions
//               scf.for quad: P/16 code vectors from the panel and one
//                     broadcast 4-byte activation group per row, A x P/16
//                     dot products
//             then block sums, scales and act scales; rows written to dest
//
// The register-tile kernel decodes a block once per tile of a few
// activation rows and sums lanes horizontally; here decoding is paid once
// per P rows for all R rows, and the inner loop is dot products only
// (docs/benchmarks.md: 1.5-1.9x the tiles at M = 504 for 2-bit weights,
// 2.2-2.9x for 1.6-bit).
//
//===----------------------------------------------------------------------===//

#include "BlockDecoding.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;

namespace trilm::cpu_kernels {
namespace {

/// i32 lanes of one code vector: one per weight row.
constexpr int64_t kLanes = kPanelVectorRows;
/// Prepared positions a decoded chunk covers.
constexpr int64_t kChunkPositions = 64;

/// Transposes 16 vectors of 16 dwords: afterwards v[d] lane r holds what
/// v[r] lane d held. Four rounds of perfect shuffles (new[2i + j] interleaves
/// half j of v[i] and v[i + 8]) rotate the 8 bits of (vector, lane) by one
/// each, so four swap them.
void transposeDwords(OpBuilder &b, Location loc, SmallVector<Value> &v) {
  SmallVector<int64_t> low, high;
  for (int64_t l = 0; l < kLanes / 2; ++l) {
    low.append({l, kLanes + l});
    high.append({kLanes / 2 + l, kLanes + kLanes / 2 + l});
  }
  for (int64_t round = 0; round < 4; ++round) {
    SmallVector<Value> next;
    for (int64_t i = 0; i < kLanes / 2; ++i) {
      next.push_back(
          vector::ShuffleOp::create(b, loc, v[i], v[i + kLanes / 2], low));
      next.push_back(
          vector::ShuffleOp::create(b, loc, v[i], v[i + kLanes / 2], high));
    }
    v = std::move(next);
  }
}

struct PanelMatmulLowering : public OpConversionPattern<PanelMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PanelMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    PackedType type = op.getWeights().getType();
    bool triples = isa_and_present<TritTriplesAttr>(type.getLayout());
    if (!isReadInPlace(type) && !triples)
      return rewriter.notifyMatchFailure(op, "unsupported layout");
    Location loc = op.getLoc();
    Value panel =
        triples ? decodeTriplePanel(rewriter, loc, op, adaptor.getWeights())
                : decodePanel(rewriter, loc, op, adaptor);
    rewriter.replaceOp(op, compute(rewriter, loc, op, adaptor, panel));
    return success();
  }

private:
  /// Quads (4 positions) a chunk of `scheme` holds: 16 for tq2; 13 for tq1,
  /// whose positions 52..63 of a chunk are padding.
  static int64_t quadsPerChunk(PackingScheme scheme) {
    return std::min(packing::codeBytesPerBlock(toPackingScheme(scheme)),
                    kChunkPositions) /
           4;
  }

  /// Code vectors per quad of the panel: its rows over 16.
  static int64_t codeVectors(PanelMatmulOp op) {
    return static_cast<int64_t>(op.getPanelRows()) / kLanes;
  }

  /// The weight rows of the strip, rows past N repeating row N - 1.
  static SmallVector<Value> stripRows(const IndexArith &ia, PanelMatmulOp op,
                                      Value first) {
    int64_t rows = op.getWeights().getType().getRows();
    SmallVector<Value> result;
    for (int64_t r = 0, e = codeVectors(op) * kLanes; r < e; ++r)
      result.push_back(ia.min(ia.add(first, ia.index(r)), ia.index(rows - 1)));
    return result;
  }

  /// The strip's codes (trit + 1) as a [quads, 4 P] i8 tensor: quad q of
  /// prepared block b, chunk c, at q = (b * chunks + c) * quadsPerChunk + d
  /// holds the codes of prepared positions 320/256 b + 64 c + 4 d .. + 3 of
  /// every row, row by row.
  static Value decodePanel(OpBuilder &b, Location loc, PanelMatmulOp op,
                           PanelMatmulOp::Adaptor adaptor) {
    IndexArith ia{b, loc};
    PackedType type = op.getWeights().getType();
    PackingScheme scheme = type.getScheme();
    int64_t chunks = chunkLengths(scheme).size();
    int64_t quads = quadsPerChunk(scheme);
    int64_t panelRows = codeVectors(op) * kLanes;
    int64_t blockBytes = packing::codeBytesPerBlock(toPackingScheme(scheme));
    auto interleave = dyn_cast_if_present<RowInterleaveAttr>(type.getLayout());
    SmallVector<int64_t> weightBlockOf;
    for (const Segment &segment : buildSegments(op.getGroups(), type.getCols()))
      for (int64_t i = 0; i < segment.numBlocks; ++i)
        weightBlockOf.push_back(segment.weightBlock + i);
    int64_t preparedBlocks = weightBlockOf.size();
    Value weightBlocks = indexTable(b, loc, weightBlockOf);
    Value panel = tensor::EmptyOp::create(
        b, loc,
        ArrayRef<int64_t>{preparedBlocks * chunks * quads, 4 * panelRows},
        b.getI8Type());
    Value weights = adaptor.getWeights();
    auto i8x64 = VectorType::get({4 * kLanes}, b.getI8Type());
    auto i32x16 = VectorType::get({kLanes}, b.getI32Type());
    return scf::ForOp::create(
               b, loc, ia.index(0), ia.index(preparedBlocks), ia.index(1),
               ValueRange{panel},
               [&](OpBuilder &bb, Location, Value block, ValueRange blockArgs) {
                 IndexArith bia{bb, loc};
                 Value weightBlock = tensor::ExtractOp::create(
                     bb, loc, weightBlocks, ValueRange{block});
                 auto groupLoop = scf::ForOp::create(
                     bb, loc, bia.index(0), bia.index(panelRows / kLanes),
                     bia.index(1), blockArgs,
                     [&](OpBuilder &gb, Location, Value group,
                         ValueRange groupArgs) {
                       IndexArith gia{gb, loc};
                       SmallVector<Value> rows = stripRows(
                           gia, op,
                           gia.add(adaptor.getRow(),
                                   gia.mul(group, gia.index(kLanes))));
                       SmallVector<SmallVector<DecodedChunk>> decoded;
                       for (int64_t r = 0; r < kLanes; ++r)
                         decoded.push_back(decodeBlock(
                             gb, loc, scheme, weights,
                             packedBlockPosition(gb, loc, interleave,
                                                 blockBytes, rows[r],
                                                 weightBlock),
                             DecodeForm::codes));
                       Value written = groupArgs[0];
                       Value column = gia.mul(group, gia.index(4 * kLanes));
                       for (int64_t c = 0; c < chunks; ++c) {
                         SmallVector<Value> dwords;
                         for (int64_t r = 0; r < kLanes; ++r)
                           dwords.push_back(vector::BitCastOp::create(
                               gb, loc, i32x16, decoded[r][c].codes));
                         transposeDwords(gb, loc, dwords);
                         Value firstQuad =
                             gia.mul(gia.add(gia.mul(block, gia.index(chunks)),
                                             gia.index(c)),
                                     gia.index(quads));
                         for (int64_t d = 0; d < quads; ++d)
                           written =
                               vector::TransferWriteOp::create(
                                   gb, loc,
                                   vector::BitCastOp::create(gb, loc, i8x64,
                                                             dwords[d]),
                                   written,
                                   ValueRange{gia.add(firstQuad, gia.index(d)),
                                              column},
                                   ArrayRef<bool>{true})
                                   .getResult();
                       }
                       scf::YieldOp::create(gb, loc, written);
                     });
                 scf::YieldOp::create(bb, loc, groupLoop.getResult(0));
               })
        .getResult(0);
  }

  /// `results` (A x P/16 vectors, activation row by row) plus K group
  /// `segment`'s scaled sums of the panel's codes times activation rows
  /// `inputRows`.
  static SmallVector<Value>
  accumulateGroup(OpBuilder &b, Location loc, PanelMatmulOp op,
                  PanelMatmulOp::Adaptor adaptor, Value panel, Value segment,
                  ArrayRef<Value> inputRows, ValueRange results,
                  Value segFirstBlocks, Value segBlockCounts, Value rowScales) {
    IndexArith ia{b, loc};
    PackingScheme scheme = op.getWeights().getType().getScheme();
    Int8DotKind kind = op.getInt8Dot();
    int64_t chunks = chunkLengths(scheme).size();
    int64_t quads = quadsPerChunk(scheme);
    int64_t vectors = codeVectors(op);
    int64_t actRows = inputRows.size();
    Type i8 = b.getI8Type(), i32 = b.getI32Type(), f32 = b.getF32Type();
    auto i8x64 = VectorType::get({4 * kLanes}, i8);
    auto i32x16 = VectorType::get({kLanes}, i32);
    auto f32x16 = VectorType::get({kLanes}, f32);
    auto slot = [&](int64_t i, int64_t v) { return i * vectors + v; };
    Value firstBlock =
        tensor::ExtractOp::create(b, loc, segFirstBlocks, ValueRange{segment});
    Value endBlock =
        ia.add(firstBlock, tensor::ExtractOp::create(b, loc, segBlockCounts,
                                                     ValueRange{segment}));
    Value zeroInts = arith::ConstantOp::create(b, loc, b.getZeroAttr(i32x16));
    Value zeroByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
    SmallVector<Value> accInit(actRows * vectors, zeroInts);
    auto chunkLoop = scf::ForOp::create(
        b, loc, ia.mul(firstBlock, ia.index(chunks)),
        ia.mul(endBlock, ia.index(chunks)), ia.index(1), accInit,
        [&](OpBuilder &cb, Location, Value chunk, ValueRange chunkAccs) {
          IndexArith cia{cb, loc};
          Value firstQuad = cia.mul(chunk, cia.index(quads));
          Value firstPosition = cia.mul(chunk, cia.index(kChunkPositions));
          // One quad per iteration, not unrolled: the 2 A dot products
          // already fill the pipeline, and unrolling would let the scheduler
          // hoist code loads until the accumulators spill.
          auto quadLoop = scf::ForOp::create(
              cb, loc, cia.index(0), cia.index(quads), cia.index(1), chunkAccs,
              [&](OpBuilder &qb, Location, Value d, ValueRange accs) {
                IndexArith qia{qb, loc};
                SmallVector<Value> next(accs.begin(), accs.end());
                Value quad = qia.add(firstQuad, d);
                SmallVector<Value> codes;
                for (int64_t v = 0; v < vectors; ++v)
                  codes.push_back(vector::TransferReadOp::create(
                      qb, loc, i8x64, panel,
                      ValueRange{quad, qia.index(v * 4 * kLanes)}, zeroByte,
                      ArrayRef<bool>{true}));
                Value position =
                    qia.add(firstPosition, qia.mul(d, qia.index(4)));
                for (int64_t i = 0; i < actRows; ++i) {
                  // The row's 4 activations of the quad, in every lane.
                  Value group = vector::TransferReadOp::create(
                      qb, loc, VectorType::get({4}, i8), adaptor.getPrepared(),
                      ValueRange{inputRows[i], position}, zeroByte,
                      ArrayRef<bool>{true});
                  Value word = vector::BitCastOp::create(
                      qb, loc, VectorType::get({1}, i32), group);
                  Value activations = vector::BitCastOp::create(
                      qb, loc, i8x64,
                      vector::BroadcastOp::create(qb, loc, i32x16, word));
                  for (int64_t v = 0; v < vectors; ++v)
                    next[slot(i, v)] = Dot4Op::create(
                        qb, loc, i32x16, kind, /*unsigned_lhs=*/true,
                        next[slot(i, v)], codes[v], activations);
                }
                scf::YieldOp::create(qb, loc, next);
              });
          scf::YieldOp::create(cb, loc, quadLoop.getResults());
        });
    // Codes are trit + 1: subtract each row's activation sum.
    SmallVector<Value> sumInit(actRows, ia.i32(0));
    auto sumLoop = scf::ForOp::create(
        b, loc, firstBlock, endBlock, ia.index(1), sumInit,
        [&](OpBuilder &sb, Location, Value block, ValueRange sums) {
          SmallVector<Value> next;
          for (int64_t i = 0; i < actRows; ++i)
            next.push_back(arith::AddIOp::create(
                sb, loc, sums[i],
                tensor::ExtractOp::create(sb, loc, adaptor.getBlockSums(),
                                          ValueRange{inputRows[i], block})));
          scf::YieldOp::create(sb, loc, next);
        });
    Value zeroFloat = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    SmallVector<Value> scales;
    for (int64_t v = 0; v < vectors; ++v)
      scales.push_back(vector::TransferReadOp::create(
          b, loc, f32x16, rowScales, ValueRange{segment, ia.index(v * kLanes)},
          zeroFloat, ArrayRef<bool>{true}));
    SmallVector<Value> next;
    for (int64_t i = 0; i < actRows; ++i) {
      Value sum =
          vector::BroadcastOp::create(b, loc, i32x16, sumLoop.getResult(i));
      for (int64_t v = 0; v < vectors; ++v) {
        Value exact =
            arith::SubIOp::create(b, loc, chunkLoop.getResult(slot(i, v)), sum);
        Value partial = arith::SIToFPOp::create(b, loc, f32x16, exact);
        next.push_back(arith::AddFOp::create(
            b, loc, results[slot(i, v)],
            arith::MulFOp::create(b, loc, scales[v], partial)));
      }
    }
    return next;
  }

  /// The M x P outputs from the decoded panel.
  static Value compute(OpBuilder &b, Location loc, PanelMatmulOp op,
                       PanelMatmulOp::Adaptor adaptor, Value panel) {
    IndexArith ia{b, loc};
    PackedType type = op.getWeights().getType();
    ScaleGroupsAttr groups = op.getGroups();
    int64_t vectors = codeVectors(op);
    int64_t actRows = op.getActRows();
    Type f32 = b.getF32Type();
    auto f32x16 = VectorType::get({kLanes}, f32);

    SmallVector<Segment> segments = buildSegments(groups, type.getCols());
    SmallVector<int64_t> firstBlocks, blockCounts;
    for (const Segment &segment : segments) {
      firstBlocks.push_back(segment.bufferBlock);
      blockCounts.push_back(segment.numBlocks);
    }
    Value segFirstBlocks = indexTable(b, loc, firstBlocks);
    Value segBlockCounts = indexTable(b, loc, blockCounts);
    int64_t numSegments = segments.size();

    // Each K group's scales of the strip's rows, gathered once:
    // [group, P] f32.
    SmallVector<Value> rows = stripRows(ia, op, adaptor.getRow());
    SmallVector<Value> rowGroups;
    for (Value row : rows)
      rowGroups.push_back(
          ia.groupOf(row, groups.getRowSplits(), groups.getRowBlock()));
    Value rowScales =
        scf::ForOp::create(
            b, loc, ia.index(0), ia.index(numSegments), ia.index(1),
            ValueRange{tensor::EmptyOp::create(
                b, loc, ArrayRef<int64_t>{numSegments, vectors * kLanes}, f32)},
            [&](OpBuilder &sb, Location, Value segment, ValueRange args) {
              IndexArith sia{sb, loc};
              Value written = args[0];
              for (int64_t v = 0; v < vectors; ++v) {
                SmallVector<Value> lanes;
                for (int64_t r = 0; r < kLanes; ++r)
                  lanes.push_back(extendToF32(
                      sb, loc,
                      tensor::ExtractOp::create(
                          sb, loc, adaptor.getScales(),
                          ValueRange{rowGroups[v * kLanes + r], segment})));
                Value scales =
                    vector::FromElementsOp::create(sb, loc, f32x16, lanes);
                written = vector::TransferWriteOp::create(
                              sb, loc, scales, written,
                              ValueRange{segment, sia.index(v * kLanes)},
                              ArrayRef<bool>{true})
                              .getResult();
              }
              scf::YieldOp::create(sb, loc, written);
            })
            .getResult(0);

    // Rows of dest: local rows r are activation rows act_row + r.
    Value dest = adaptor.getDest();
    Value numRows = tensor::DimOp::create(b, loc, dest, 0);
    Value lastRow = ia.sub(numRows, ia.index(1));
    // Whole blocks of A rows address rows at constant distances from the
    // first; the last, partial block repeats the last row instead of
    // reading past it (and writes its values again).
    auto rowBlocks = [&](Value lower, Value upper, bool partial, Value init) {
      return scf::ForOp::create(
                 b, loc, lower, upper, ia.index(actRows), ValueRange{init},
                 [&](OpBuilder &ab, Location, Value first, ValueRange actArgs) {
                   IndexArith aia{ab, loc};
                   SmallVector<Value> localRows, inputRows;
                   for (int64_t i = 0; i < actRows; ++i) {
                     Value row = aia.add(first, aia.index(i));
                     localRows.push_back(partial ? aia.min(row, lastRow) : row);
                     inputRows.push_back(
                         aia.add(adaptor.getActRow(), localRows.back()));
                   }
                   scf::YieldOp::create(ab, loc,
                                        rowBlock(ab, loc, op, adaptor, panel,
                                                 inputRows, localRows,
                                                 actArgs[0], segFirstBlocks,
                                                 segBlockCounts, rowScales));
                 })
          .getResult(0);
    };
    Value wholeRows =
        ia.mul(ia.div(numRows, ia.index(actRows)), ia.index(actRows));
    Value whole = rowBlocks(ia.index(0), wholeRows, /*partial=*/false, dest);
    return rowBlocks(wholeRows, numRows, /*partial=*/true, whole);
  }

  /// `output` with its rows `localRows`, activation rows `inputRows` (A of
  /// each), computed; columns past dest's are not written.
  static Value rowBlock(OpBuilder &b, Location loc, PanelMatmulOp op,
                        PanelMatmulOp::Adaptor adaptor, Value panel,
                        ArrayRef<Value> inputRows, ArrayRef<Value> localRows,
                        Value output, Value segFirstBlocks,
                        Value segBlockCounts, Value rowScales) {
    IndexArith ia{b, loc};
    int64_t vectors = codeVectors(op);
    int64_t numSegments =
        cast<RankedTensorType>(segFirstBlocks.getType()).getDimSize(0);
    auto f32x16 = VectorType::get({kLanes}, b.getF32Type());
    auto slot = [&](int64_t i, int64_t v) { return i * vectors + v; };
    Value zeroFloats = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32x16));
    SmallVector<Value> init(inputRows.size() * vectors, zeroFloats);
    auto segmentLoop = scf::ForOp::create(
        b, loc, ia.index(0), ia.index(numSegments), ia.index(1), init,
        [&](OpBuilder &sb, Location, Value segment, ValueRange results) {
          scf::YieldOp::create(sb, loc,
                               accumulateGroup(sb, loc, op, adaptor, panel,
                                               segment, inputRows, results,
                                               segFirstBlocks, segBlockCounts,
                                               rowScales));
        });
    auto destType = cast<RankedTensorType>(output.getType());
    Value written = output;
    for (size_t i = 0; i < inputRows.size(); ++i) {
      Value actScale = tensor::ExtractOp::create(b, loc, adaptor.getActScales(),
                                                 ValueRange{inputRows[i]});
      Value actScales = vector::BroadcastOp::create(b, loc, f32x16, actScale);
      for (int64_t v = 0; v < vectors; ++v) {
        Value value = arith::MulFOp::create(
            b, loc, segmentLoop.getResult(slot(i, v)), actScales);
        int64_t end = (v + 1) * kLanes;
        bool inBounds =
            !destType.isDynamicDim(1) && end <= destType.getDimSize(1);
        written = vector::TransferWriteOp::create(
                      b, loc, value, written,
                      ValueRange{localRows[i], ia.index(v * kLanes)},
                      ArrayRef<bool>{inBounds})
                      .getResult();
      }
    }
    return written;
  }
};

} // namespace
} // namespace trilm::cpu_kernels

void trilm::cpu_kernels::populatePanelMatmulLowering(
    TypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<PanelMatmulLowering>(converter, patterns.getContext());
}
