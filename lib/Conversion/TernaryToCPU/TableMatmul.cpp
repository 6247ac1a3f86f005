//===- TableMatmul.cpp - The lookup-table GEMV of 1.6-bit weights ---------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The kernel ops of weights stored as #ternary.trit_triples (Packing.h):
//
//   ternary_cpu.prepare_tables -> the activations in K order, 261 positions
//       per prepared block (copies, or a gather when K groups cut blocks),
//       then per row and triple the 27 sums, as vector code;
//   ternary_cpu.table_matmul   -> groups of 32 weight rows of one
//       activation row:
//
//     scf.for    K group (a "segment" of whole blocks)
//      scf.for   block, two halves (15 and 14 words): i16 sums widened to i32
//       scf.for  word of three triples: per group the 32 rows' words, two
//                shifts, three 16-bit lookups (the low 5 bits of each lane
//                index the triple's table), three i16 adds
//
// Per 3 triples of 32 rows that is 8 vector operations (docs/benchmarks.md:
// 2.2x the 4-bit-index form and faster per weight than the 2-bit decode in
// scripts/microbench).
//
//===----------------------------------------------------------------------===//

#include "BlockDecoding.h"

#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;

namespace trilm::cpu_kernels {
namespace {

/// Rows of a group of the layout: the lanes of one vector of words.
constexpr int64_t kRows = packing::kTripleRows;
/// Triples per prepared block, the 87th all padding.
constexpr int64_t kBlockTriples =
    packing::kTripleWordsPerBlock * packing::kTriplesPerWord;
/// Activation positions per prepared block: 87 triples.
constexpr int64_t kTriplePositions = 3 * kBlockTriples;
/// K positions of a block the panel kernel decodes from trit triples: 86
/// triples and two of padding, the 65 quads of a tq1 block (see
/// PrepareActivationsOp's triple order).
constexpr int64_t kPanelTripleElements = 260;
/// Words of the first half block, whose 45 triples are summed in i16 before
/// widening (the second has 14 words): 45 sums of at most 3 x 128 stay below
/// 2^15 for any i8 activations.
constexpr int64_t kFirstHalfWords = 15;

/// The panel lane of row `row` (< 64) of a panel, and the row of a lane:
/// fields [2, 4) and [4, 6) of the 6 bits swapped, so that a 4 x 4 transpose
/// of bytes within 128-bit lanes puts 16 consecutive rows in one vector.
constexpr int64_t panelLane(int64_t row) {
  return (row & 3) | ((row >> 4) & 3) << 2 | ((row >> 2) & 3) << 4;
}

/// The 16-bit words (vector<32xi16>) of storage row `group` at byte
/// `position`: one word of the layout for each of the group's 32 rows.
Value readWords(OpBuilder &b, Location loc, Value weights, Value group,
                Value position) {
  Value padByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  Value bytes = vector::TransferReadOp::create(
      b, loc, VectorType::get({2 * kRows}, b.getI8Type()), weights,
      ValueRange{group, position}, padByte, ArrayRef<bool>{true});
  return vector::BitCastOp::create(
      b, loc, VectorType::get({kRows}, b.getI16Type()), bytes);
}

/// Reads the indices of one triple for the 64 rows of a panel, as bytes in
/// panel lane order: per group of 32 rows its words shifted to the triple,
/// masked to 5 bits and narrowed, then both groups interleaved.
class PanelIndexReader {
public:
  PanelIndexReader(OpBuilder &b, Location loc, Value weights)
      : loc(loc), weights(weights) {
    auto i8x32 = VectorType::get({kRows}, b.getI8Type());
    indexMask = splat(b, loc, i8x32, packing::kTripleIndexMask);
    for (int64_t lane = 0; lane < 2 * kRows; ++lane)
      laneOrder.push_back(panelLane(lane));
  }

  /// The indices (vector<64xi8>) of triple `triple` of the block whose words
  /// start at `blockStart`, for storage rows `group` and `group` + 1.
  Value read(OpBuilder &b, Value group, Value blockStart, Value triple) const {
    IndexArith ia{b, loc};
    auto i16x32 = VectorType::get({kRows}, b.getI16Type());
    auto i8x32 = VectorType::get({kRows}, b.getI8Type());
    Value position = ia.add(
        blockStart, ia.mul(ia.div(triple, ia.index(packing::kTriplesPerWord)),
                           ia.index(packing::kTripleWordBytes)));
    Value shift = arith::IndexCastOp::create(
        b, loc, b.getI16Type(),
        ia.mul(ia.rem(triple, ia.index(packing::kTriplesPerWord)),
               ia.index(packing::kTripleIndexBits)));
    Value shiftVector = vector::BroadcastOp::create(b, loc, i16x32, shift);
    SmallVector<Value, 2> halves;
    for (int64_t g = 0; g < 2; ++g) {
      Value words =
          readWords(b, loc, weights, ia.add(group, ia.index(g)), position);
      Value narrow = arith::TruncIOp::create(
          b, loc, i8x32, arith::ShRUIOp::create(b, loc, words, shiftVector));
      halves.push_back(arith::AndIOp::create(b, loc, narrow, indexMask));
    }
    return vector::ShuffleOp::create(b, loc, halves[0], halves[1], laneOrder);
  }

private:
  Location loc;
  Value weights, indexMask;
  SmallVector<int64_t> laneOrder;
};

/// The vectors (all of one 1-D type) one after another.
Value concatenate(OpBuilder &b, Location loc, ArrayRef<Value> vectors) {
  SmallVector<Value> current(vectors.begin(), vectors.end());
  while (current.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < current.size(); i += 2) {
      int64_t length = cast<VectorType>(current[i].getType()).getDimSize(0) +
                       cast<VectorType>(current[i + 1].getType()).getDimSize(0);
      next.push_back(vector::ShuffleOp::create(
          b, loc, current[i], current[i + 1],
          llvm::to_vector(llvm::seq<int64_t>(0, length))));
    }
    if (current.size() % 2)
      next.push_back(current.back());
    current = std::move(next);
  }
  return current.front();
}

/// The i8 activations in K order, 261 positions per prepared block (the
/// block's 256, then five zeros), zero outside each block's K group:
/// [M, blocks * 261].
Value tripleActivations(OpBuilder &b, Location loc, Value input,
                        ArrayRef<Segment> segments) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t blocks = segments.back().bufferBlock + segments.back().numBlocks;
  Type i8 = b.getI8Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, input, 0);
  auto zeros = [&](ArrayRef<int64_t> trailing) {
    return createZeroFilled(b, loc,
                            createEmptyLikeRows(b, loc, input, trailing, i8));
  };
  bool aligned = llvm::all_of(segments, [](const Segment &segment) {
    return segment.lo % kBlock == 0 &&
           segment.weightBlock == segment.bufferBlock;
  });
  if (aligned) {
    // Groups on block boundaries: pad K to whole blocks, then five zeros
    // after each block.
    Value padded = copyIntoSlice(b, loc, input, zeros({blocks * kBlock}),
                            {b.getIndexAttr(0), b.getIndexAttr(0)});
    SmallVector<OpFoldResult> shape = {rows, b.getIndexAttr(blocks),
                                       b.getIndexAttr(kBlock)};
    Value perBlock = tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({inputType.getDimSize(0), blocks, kBlock}, i8),
        padded, SmallVector<ReassociationIndices>{{0}, {1, 2}}, shape);
    Value spaced =
        copyIntoSlice(b, loc, perBlock, zeros({blocks, kTriplePositions}),
                 {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)});
    return tensor::CollapseShapeOp::create(
        b, loc, spaced, SmallVector<ReassociationIndices>{{0}, {1, 2}});
  }
  return gatherPrepared(b, loc, input, segments, kTriplePositions,
                        [](const IndexArith &, Value inBlock) { return inBlock; });
}

struct PrepareTablesLowering : public OpConversionPattern<PrepareTablesOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(PrepareTablesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    IndexArith ia{b, loc};
    Value input = adaptor.getInput();
    int64_t cols = op.getInput().getType().getDimSize(1);
    SmallVector<Segment> segments = buildSegments(op.getGroups(), cols);
    Value activations = tripleActivations(b, loc, input, segments);
    int64_t triples =
        (segments.back().bufferBlock + segments.back().numBlocks) *
        kBlockTriples;
    // Digit i of each index v, minus one, as i16 lanes (0 past 26).
    auto i16x32 = VectorType::get({kTripleTableBytes / 2}, b.getI16Type());
    SmallVector<Value> weightOf;
    for (int64_t digit = 0, power = 1; digit < 3; ++digit, power *= 3) {
      SmallVector<int16_t> lanes(kTripleTableBytes / 2, 0);
      for (int64_t v = 0; v < 27; ++v)
        lanes[v] = static_cast<int16_t>(v / power % 3 - 1);
      weightOf.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i16x32, ArrayRef<int16_t>(lanes))));
    }
    auto i8x64 = VectorType::get({kTripleTableBytes}, b.getI8Type());
    Value numRows = tensor::DimOp::create(b, loc, input, 0);
    Value tables = createEmptyLikeRows(
        b, loc, input, {triples * kTripleTableBytes}, b.getI8Type());
    auto rowLoop = scf::ForOp::create(
        b, loc, ia.index(0), numRows, ia.index(1), ValueRange{tables},
        [&](OpBuilder &rb, Location, Value row, ValueRange rowArgs) {
          IndexArith ria{rb, loc};
          auto tripleLoop = scf::ForOp::create(
              rb, loc, ria.index(0), ria.index(triples), ria.index(1), rowArgs,
              [&](OpBuilder &tb, Location, Value triple, ValueRange args) {
                IndexArith tia{tb, loc};
                Value sums;
                for (int64_t i = 0; i < 3; ++i) {
                  Value position =
                      tia.add(tia.mul(triple, tia.index(3)), tia.index(i));
                  Value activation = tensor::ExtractOp::create(
                      tb, loc, activations, ValueRange{row, position});
                  Value wide = arith::ExtSIOp::create(tb, loc, tb.getI16Type(),
                                                      activation);
                  Value term = arith::MulIOp::create(
                      tb, loc, weightOf[i],
                      vector::BroadcastOp::create(tb, loc, i16x32, wide));
                  sums = sums ? arith::AddIOp::create(tb, loc, sums, term)
                                    .getResult()
                              : term;
                }
                Value written =
                    vector::TransferWriteOp::create(
                        tb, loc,
                        vector::BitCastOp::create(tb, loc, i8x64, sums),
                        args[0],
                        ValueRange{
                            row, tia.mul(triple, tia.index(kTripleTableBytes))},
                        ArrayRef<bool>{true})
                        .getResult();
                scf::YieldOp::create(tb, loc, written);
              });
          scf::YieldOp::create(rb, loc, tripleLoop.getResults());
        });
    rewriter.replaceOp(op, rowLoop.getResult(0));
    return success();
  }
};

struct TableMatmulLowering : public OpConversionPattern<TableMatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(TableMatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, build(rewriter, op.getLoc(), op, adaptor));
    return success();
  }

private:
  static Value build(OpBuilder &b, Location loc, TableMatmulOp op,
                     OpAdaptor adaptor) {
    IndexArith ia{b, loc};
    PackedType type = op.getWeights().getType();
    ScaleGroupsAttr groups = op.getGroups();
    ByteLookupKind lookupKind = op.getByteLookup();
    Value weights = adaptor.getWeights();
    Value tables = adaptor.getTables();
    Value scales = adaptor.getScales();
    Type f32 = b.getF32Type();
    auto i16x32 = VectorType::get({kRows}, b.getI16Type());
    auto i32x32 = VectorType::get({kRows}, b.getI32Type());
    // Row groups of the tile, which share each table load.
    int64_t numGroups = op.getResult().getType().getDimSize(1) / kRows;

    SmallVector<Segment> segments = buildSegments(groups, type.getCols());
    Value segWeightBlocks, segBufferBlocks, segNumBlocks;
    std::tie(segWeightBlocks, segBufferBlocks, segNumBlocks) =
        segmentTables(b, loc, segments);

    // Groups past N repeat the last one; their results are dropped.
    int64_t lastGroup = type.getRows() / kRows - 1;
    SmallVector<Value> groupRows;
    for (int64_t g = 0; g < numGroups; ++g)
      groupRows.push_back(
          ia.min(ia.add(ia.div(adaptor.getRow(), ia.index(kRows)), ia.index(g)),
                 ia.index(lastGroup)));
    Value actRow =
        ia.min(adaptor.getActRow(),
               ia.sub(tensor::DimOp::create(b, loc, tables, 0), ia.index(1)));

    // The shift that brings index q > 0 of a word to its low bits (index 0
    // is there already).
    SmallVector<Value, 3> indexShifts = {Value()};
    for (int64_t q = 1; q < packing::kTriplesPerWord; ++q)
      indexShifts.push_back(
          splat(b, loc, i16x32, q * packing::kTripleIndexBits));

    std::optional<int64_t> prefetchBytes = op.getPrefetchBytes();
    auto storageType = cast<RankedTensorType>(weights.getType());
    int64_t storageCols = storageType.getDimSize(1);
    Value storageBytes;
    if (prefetchBytes)
      storageBytes = tensor::CollapseShapeOp::create(
          b, loc, weights, ArrayRef<ReassociationIndices>{{0, 1}});
    // Asks for the lines of a half block `prefetch_bytes` ahead; the run is
    // moved back to end at the last byte where it would pass it.
    int64_t halfBytes = kFirstHalfWords * packing::kTripleWordBytes;
    auto prefetchAhead = [&](OpBuilder &nb, Value group, Value position) {
      IndexArith nia{nb, loc};
      Value start = nia.min(
          nia.add(nia.add(nia.mul(group, nia.index(storageCols)), position),
                  nia.index(*prefetchBytes)),
          nia.index(storageType.getNumElements() - halfBytes));
      for (int64_t line = 0; line < halfBytes; line += 64)
        PrefetchOp::create(nb, loc, storageBytes,
                           ValueRange{nia.add(start, nia.index(line))});
    };

    Value zeroSums = arith::ConstantOp::create(b, loc, b.getZeroAttr(i16x32));
    Value zeroWide = arith::ConstantOp::create(b, loc, b.getZeroAttr(i32x32));
    auto tileF32 = VectorType::get({numGroups * kRows}, f32);
    Value zeroResults =
        arith::ConstantOp::create(b, loc, b.getZeroAttr(tileF32));
    auto segmentLoop = scf::ForOp::create(
        b, loc, ia.index(0), ia.index(segments.size()), ia.index(1),
        ValueRange{zeroResults},
        [&](OpBuilder &sb, Location, Value segment, ValueRange results) {
          IndexArith sia{sb, loc};
          auto lookup = [&](Value table) -> Value {
            return tensor::ExtractOp::create(sb, loc, table,
                                             ValueRange{segment});
          };
          Value weightBlock0 = lookup(segWeightBlocks);
          Value bufferBlock0 = lookup(segBufferBlocks);
          auto blockLoop = scf::ForOp::create(
              sb, loc, sia.index(0), lookup(segNumBlocks), sia.index(1),
              SmallVector<Value>(numGroups, zeroWide),
              [&](OpBuilder &bb, Location, Value block, ValueRange wide) {
                IndexArith bia{bb, loc};
                SmallVector<Value> next(wide.begin(), wide.end());
                Value weightStart =
                    bia.mul(bia.add(weightBlock0, block),
                            bia.index(packing::kTripleBlockBytes));
                Value tableStart =
                    bia.mul(bia.add(bufferBlock0, block),
                            bia.index(PrepareTablesOp::getBytesPerBlock()));
                for (auto [firstWord, endWord] :
                     {std::pair<int64_t, int64_t>{0, kFirstHalfWords},
                      {kFirstHalfWords, packing::kTripleWordsPerBlock}}) {
                  Value halfWeights =
                      bia.add(weightStart,
                              bia.index(firstWord * packing::kTripleWordBytes));
                  if (prefetchBytes)
                    for (Value group : groupRows)
                      prefetchAhead(bb, group, halfWeights);
                  auto wordLoop = scf::ForOp::create(
                      bb, loc, bia.index(firstWord), bia.index(endWord),
                      bia.index(1), SmallVector<Value>(numGroups, zeroSums),
                      [&](OpBuilder &tb, Location, Value word,
                          ValueRange sums) {
                        IndexArith tia{tb, loc};
                        Value weightAt = tia.add(
                            weightStart,
                            tia.mul(word,
                                    tia.index(packing::kTripleWordBytes)));
                        // The three triples' tables, shared by the groups.
                        Value tableAt = tia.add(
                            tableStart,
                            tia.mul(word, tia.index(packing::kTriplesPerWord *
                                                    kTripleTableBytes)));
                        SmallVector<Value, 3> table;
                        for (int64_t q = 0; q < packing::kTriplesPerWord; ++q)
                          table.push_back(readWords(
                              tb, loc, tables, actRow,
                              tia.add(tableAt,
                                      tia.index(q * kTripleTableBytes))));
                        SmallVector<Value> added;
                        for (int64_t g = 0; g < numGroups; ++g) {
                          Value words = readWords(tb, loc, weights,
                                                  groupRows[g], weightAt);
                          // Lookups read only the low 5 bits of each
                          // lane, so the shifted words need no mask.
                          Value found[packing::kTriplesPerWord];
                          for (int64_t q = 0; q < packing::kTriplesPerWord; ++q)
                            found[q] = LookupOp::create(
                                tb, loc, i16x32, lookupKind, table[q],
                                q == 0 ? words
                                       : arith::ShRUIOp::create(tb, loc, words,
                                                                indexShifts[q])
                                             .getResult());
                          added.push_back(arith::AddIOp::create(
                              tb, loc, sums[g],
                              arith::AddIOp::create(
                                  tb, loc, found[0],
                                  arith::AddIOp::create(tb, loc, found[1],
                                                        found[2]))));
                        }
                        scf::YieldOp::create(tb, loc, added);
                      });
                  for (int64_t g = 0; g < numGroups; ++g)
                    next[g] = arith::AddIOp::create(
                        bb, loc, next[g],
                        arith::ExtSIOp::create(bb, loc, i32x32,
                                               wordLoop.getResult(g)));
                }
                scf::YieldOp::create(bb, loc, next);
              });
          // The groups' sums (each in row order) one after another.
          SmallVector<Value> groupSums(blockLoop.getResults());
          Value sums = concatenate(sb, loc, groupSums);
          Value partial = arith::SIToFPOp::create(sb, loc, tileF32, sums);
          Value rowScales;
          if (groups.getRowSplits().empty() && groups.getRowBlock() == 0) {
            Value scale = extendToF32(
                sb, loc,
                tensor::ExtractOp::create(sb, loc, scales,
                                          ValueRange{sia.index(0), segment}));
            rowScales = vector::BroadcastOp::create(sb, loc, tileF32, scale);
          } else {
            SmallVector<Value> perRow;
            for (int64_t r = 0; r < numGroups * kRows; ++r) {
              Value rowGroup =
                  sia.groupOf(sia.add(adaptor.getRow(), sia.index(r)),
                              groups.getRowSplits(), groups.getRowBlock());
              perRow.push_back(extendToF32(
                  sb, loc,
                  tensor::ExtractOp::create(sb, loc, scales,
                                            ValueRange{rowGroup, segment})));
            }
            rowScales =
                vector::FromElementsOp::create(sb, loc, tileF32, perRow);
          }
          Value scaled = arith::MulFOp::create(sb, loc, rowScales, partial);
          scf::YieldOp::create(
              sb, loc,
              ValueRange{arith::AddFOp::create(sb, loc, results[0], scaled)
                             .getResult()});
        });
    Value actScale = tensor::ExtractOp::create(b, loc, adaptor.getActScales(),
                                               ValueRange{actRow});
    Value values = arith::MulFOp::create(
        b, loc, vector::BroadcastOp::create(b, loc, tileF32, actScale),
        segmentLoop.getResult(0));
    return vector::ShapeCastOp::create(b, loc, op.getResult().getType(),
                                       values);
  }
};

} // namespace

Value decodeTriplePanel(OpBuilder &b, Location loc, PanelMatmulOp op,
                        Value weights) {
  IndexArith ia{b, loc};
  PackedType type = op.getWeights().getType();
  Type i8 = b.getI8Type();
  auto i8x64 = VectorType::get({kTablePanelRows}, i8);
  auto i16x32 = VectorType::get({kTablePanelRows / 2}, b.getI16Type());
  SmallVector<int64_t> weightBlockOf;
  for (const Segment &segment : buildSegments(op.getGroups(), type.getCols()))
    for (int64_t i = 0; i < segment.numBlocks; ++i)
      weightBlockOf.push_back(segment.weightBlock + i);
  int64_t preparedBlocks = weightBlockOf.size();
  Value weightBlocks = indexTable(b, loc, weightBlockOf);
  // The panel's first group of the layout.
  Value group = ia.div(op.getRow(), ia.index(kRows));
  PanelIndexReader indices(b, loc, weights);
  // The codes (trit + 1) of digit i of each index.
  SmallVector<Value> digitTables;
  for (int64_t digit = 0, power = 1; digit < 3; ++digit, power *= 3) {
    SmallVector<int8_t> codes(kTablePanelRows, 0);
    for (int64_t v = 0; v < 27; ++v)
      codes[v] = static_cast<int8_t>(v / power % 3);
    digitTables.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i8x64, ArrayRef<int8_t>(codes))));
  }
  // Byte and word interleaves within 128-bit lanes (unpack lo/hi).
  SmallVector<int64_t> bytePairs[2], wordPairs[2];
  for (int64_t half = 0; half < 2; ++half)
    for (int64_t lane = 0; lane < 4; ++lane) {
      for (int64_t j = 0; j < 8; ++j) {
        int64_t byte = 16 * lane + 8 * half + j;
        bytePairs[half].append({byte, kTablePanelRows + byte});
      }
      for (int64_t j = 0; j < 4; ++j) {
        int64_t word = 8 * lane + 4 * half + j;
        wordPairs[half].append({word, kTablePanelRows / 2 + word});
      }
    }
  // Codes of each K position of a block for the 64 lanes, position-major
  // (the two past the last triple and two more of padding stay zero).
  int64_t quadsPerBlock = kPanelTripleElements / 4;
  Value planes = createZeroFilled(
      b, loc,
      tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{kPanelTripleElements, kTablePanelRows},
          i8));
  Value panel = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<int64_t>{preparedBlocks * quadsPerBlock, 4 * kTablePanelRows},
      i8);
  Value padByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  return scf::ForOp::create(
             b, loc, ia.index(0), ia.index(preparedBlocks), ia.index(1),
             ValueRange{panel, planes},
             [&](OpBuilder &bb, Location, Value block, ValueRange args) {
               IndexArith bia{bb, loc};
               Value weightStart = bia.mul(
                   tensor::ExtractOp::create(bb, loc, weightBlocks,
                                             ValueRange{block}),
                   bia.index(packing::kTripleBlockBytes));
               auto tripleLoop = scf::ForOp::create(
                   bb, loc, bia.index(0), bia.index(packing::kTriplesPerBlock),
                   bia.index(1), ValueRange{args[1]},
                   [&](OpBuilder &tb, Location, Value triple,
                       ValueRange tripleArgs) {
                     IndexArith tia{tb, loc};
                     Value index = indices.read(tb, group, weightStart, triple);
                     Value written = tripleArgs[0];
                     for (int64_t digit = 0; digit < 3; ++digit) {
                       Value codes = LookupOp::create(
                           tb, loc, i8x64, op.getByteLookupAttr(),
                           digitTables[digit], index);
                       Value position = tia.add(tia.mul(triple, tia.index(3)),
                                                tia.index(digit));
                       written = vector::TransferWriteOp::create(
                                     tb, loc, codes, written,
                                     ValueRange{position, tia.index(0)},
                                     ArrayRef<bool>{true})
                                     .getResult();
                     }
                     scf::YieldOp::create(tb, loc, written);
                   });
               Value blockPlanes = tripleLoop.getResult(0);
               // Each 4 positions: bytes then words interleaved within
               // 128-bit lanes give vector k lane 4L + i = the dword of lane
               // 16L + 4k + i, which is row 16k + 4L + i (panelLane).
               auto quadLoop = scf::ForOp::create(
                   bb, loc, bia.index(0), bia.index(quadsPerBlock),
                   bia.index(1), ValueRange{args[0]},
                   [&](OpBuilder &qb, Location, Value quad,
                       ValueRange quadArgs) {
                     IndexArith qia{qb, loc};
                     SmallVector<Value> plane;
                     for (int64_t e = 0; e < 4; ++e)
                       plane.push_back(vector::TransferReadOp::create(
                           qb, loc, i8x64, blockPlanes,
                           ValueRange{qia.add(qia.mul(quad, qia.index(4)),
                                              qia.index(e)),
                                      qia.index(0)},
                           padByte, ArrayRef<bool>{true}));
                     SmallVector<Value> pairs;
                     for (int64_t e = 0; e < 4; e += 2)
                       for (int64_t half = 0; half < 2; ++half)
                         pairs.push_back(vector::BitCastOp::create(
                             qb, loc, i16x32,
                             vector::ShuffleOp::create(qb, loc, plane[e],
                                                       plane[e + 1],
                                                       bytePairs[half])));
                     Value row = qia.add(
                         qia.mul(block, qia.index(quadsPerBlock)), quad);
                     Value written = quadArgs[0];
                     for (int64_t k = 0; k < 4; ++k) {
                       // k = 2 h + a: byte half h, word half a.
                       Value dwords = vector::ShuffleOp::create(
                           qb, loc, pairs[k / 2], pairs[2 + k / 2],
                           wordPairs[k % 2]);
                       written =
                           vector::TransferWriteOp::create(
                               qb, loc,
                               vector::BitCastOp::create(qb, loc, i8x64,
                                                         dwords),
                               written,
                               ValueRange{row, qia.index(kTablePanelRows * k)},
                               ArrayRef<bool>{true})
                               .getResult();
                     }
                     scf::YieldOp::create(qb, loc, written);
                   });
               scf::YieldOp::create(
                   bb, loc, ValueRange{quadLoop.getResult(0), blockPlanes});
             })
      .getResult(0);
}

void populateTableMatmulLowering(TypeConverter &converter,
                                 RewritePatternSet &patterns) {
  patterns.add<PrepareTablesLowering, TableMatmulLowering>(
      converter, patterns.getContext());
}

} // namespace trilm::cpu_kernels
