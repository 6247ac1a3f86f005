//===- PrefillKernel.cpp - The prompt kernel of ternary matmuls -----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// For M >= kPrefillMinRows the decoding kernel would read and decode every
// weight once per 8 activation rows. This kernel decodes each weight once
// per prompt_rows (up to 64) rows:
//
//   thread block: 4 warps x 16 weight rows, prompt_rows activation rows
//     stages (quarter blocks, 64 trits) streamed through shared memory
//     with cp.async, prompt_stages in flight:
//       per warp and shift: gather the A fragment's bytes from the staged
//       weight bytes (prmt), decode it, and multiply it with the
//       activation tiles' B fragments (ldmatrix.x4, two tiles each)
//     K groups are summed apart and scaled per row when one ends
//
// Any K: a block cut by K group bounds is streamed once per group it holds,
// the other groups' trits masked to zero; when K is not a multiple of 8 the
// activation rows are not 16-byte aligned, so they are staged by masked
// loads instead of cp.async.
//
// The weights stay in the TQ2 layout the decoding kernel reads: the gather
// from shared memory does what an offline reshuffle into fragment order
// would, so one copy of the weights serves both kernels (FragmentMaps.h has
// the maps, test/unit/GPUFragmentTest.cpp emulates them).
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"

#include "trilm/Conversion/TernaryToGPU/FragmentMaps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Utils/BuilderUtils.h"

using namespace mlir;
using namespace trilm;
using trilm::ternary::PackedType;
using trilm::ternary::ScaleGroupsAttr;
using namespace trilm::ternary_gpu;

namespace {

constexpr int64_t kThreads = kPrefillWarps * kWarpSize;
constexpr int64_t kBlockRows = kPrefillWarps * kTileRows;
constexpr int64_t kQuartersPerBlock = kBlockBytes / kQuarterBytes;
/// cp.async copies 8-byte halves of the weight rows' quarters.
constexpr int64_t kWeightCopyBytes = kBlockRows * kQuarterBytes / kThreads;
static_assert(kWeightCopyBytes == 8, "cp.async copies 4, 8 or 16 bytes");

class PrefillKernelBuilder {
public:
  PrefillKernelBuilder(OpBuilder &b, MatmulOp op, gpu::GPUFuncOp func)
      : b(b), loc(op.getLoc()), ia{b, loc}, packed(op.getPackedType()),
        groups(op.getGroups()), x(func.getArgument(0)),
        w(func.getArgument(1)), scales(func.getArgument(2)),
        y(func.getArgument(3)), actShared(func.getWorkgroupAttributions()[0]),
        weightShared(func.getWorkgroupAttributions()[1]) {
    rows = packed.getRows();
    cols = packed.getCols();
    actRows = op.getConfig().getPromptRows();
    stages = op.getConfig().getPromptStages();
    actTiles = actRows / kTileActRows;
    actCopies = actRows * kQuarterChunks / kThreads;
    alignedRows = cols % 8 == 0;
    SmallVector<int64_t> bounds = groups.getColBounds(cols);
    spans = cutGroupSpans(std::vector<int64_t>(bounds.begin(), bounds.end()));
    numBlocks = spans.empty() ? packed.getRowBytes() / kBlockBytes
                              : spans.back().first + spans.back().count;
    numStages = numBlocks * kQuartersPerBlock;
    singleColGroup = groups.getNumColGroups(cols) == 1;
  }

  void build();

private:
  OpBuilder &b;
  Location loc;
  IndexArith ia;
  PackedType packed;
  ScaleGroupsAttr groups;
  Value x, w, scales, y, actShared, weightShared;
  int64_t rows = 0, cols = 0, actRows = 0, stages = 0;
  /// Activation tiles of 8 rows, and 16-byte chunks each thread stages.
  int64_t actTiles = 0, actCopies = 0;
  /// Blocks as streamed (a cut block once per group), and their quarters.
  int64_t numBlocks = 0, numStages = 0;
  bool singleColGroup = false, alignedRows = false;
  std::vector<GroupSpan> spans;

  // Per-thread values set up by build().
  Value thread, lane, quadRow, quadCol, blockRowBase, warpRow, actBase, m;
  Value rowGroupA, rowGroupB, selector;

  VectorType accType() { return VectorType::get({2, 2}, b.getF32Type()); }
  Value i32(int64_t value) { return ia.i32(value); }
  Value xorIndex(Value lhs, Value rhs) {
    return arith::XOrIOp::create(b, loc, lhs, rhs);
  }

  /// f(span) of the span holding streamed block `streamed` (spans only).
  Value bySpan(Value streamed, function_ref<int64_t(const GroupSpan &)> f) {
    Value result = ia.index(f(spans.front()));
    for (const GroupSpan &span : ArrayRef<GroupSpan>(spans).drop_front())
      result = ia.select(ia.lt(ia.index(span.first - 1), streamed),
                         ia.index(f(span)), result);
    return result;
  }
  /// The K block of streamed block `streamed`.
  Value blockOf(Value streamed) {
    if (spans.empty())
      return streamed;
    return ia.add(streamed, bySpan(streamed, [](const GroupSpan &span) {
                    return span.firstBlock - span.first;
                  }));
  }
  /// The K group of streamed block `streamed`.
  Value colGroupOf(Value streamed) {
    if (spans.empty())
      return ia.groupOf(ia.mul(streamed, ia.index(kBlock)),
                        groups.getColSplits(), groups.getColBlock());
    return bySpan(streamed, [&](const GroupSpan &span) {
      return int64_t(&span - spans.data());
    });
  }
  /// K position of the first trit of `quarter` of `block`.
  Value quarterStart(Value block, Value quarter);
  /// Starts the copies of stage `stage` into its shared buffers.
  void issueStage(Value stage);
  /// One 32-bit word of a row's staged quarter bytes.
  Value loadWeightWord(Value buffer, Value row, int64_t i);
  /// The A-fragment word of row `row` of the staged weight tile.
  Value gatherWord(Value buffer, Value row);
  /// Multiplies stage `stage` into the activation tiles' accumulators.
  SmallVector<Value> computeStage(Value stage, ValueRange acc);
  /// total + acc * (the rows' scales of K group `colGroup`), per tile.
  SmallVector<Value> scaleInto(ValueRange total, ValueRange acc,
                               Value colGroup);
  void store(ValueRange acc);
};

Value PrefillKernelBuilder::quarterStart(Value block, Value quarter) {
  // quarterOffset(c) as arithmetic on c.
  static_assert(quarterOffset(1) == 16 && quarterOffset(2) == 128 &&
                quarterOffset(3) == 144);
  return ia.add(ia.mul(block, ia.index(kBlock)),
                ia.add(ia.mul(ia.div(quarter, ia.index(2)), ia.index(128)),
                       ia.mul(ia.rem(quarter, ia.index(2)), ia.index(16))));
}

void PrefillKernelBuilder::issueStage(Value stage) {
  Value buffer = ia.rem(stage, ia.index(stages));
  Value block = blockOf(ia.div(stage, ia.index(kQuartersPerBlock)));
  Value quarter = ia.rem(stage, ia.index(kQuartersPerBlock));
  Value start = quarterStart(block, quarter);
  // Activations: copy c of this thread is chunk (thread + c * threads) of
  // the rows' 8 chunks. Rows past M and positions past K are zero-filled,
  // read from nowhere.
  Value lastAct = ia.sub(m, ia.index(1));
  auto tokenType = b.getType<nvgpu::DeviceAsyncTokenType>();
  for (int64_t c = 0; c < actCopies; ++c) {
    Value index = ia.add(thread, ia.index(c * kThreads));
    Value row = ia.div(index, ia.index(kQuarterChunks));
    Value chunk = ia.rem(index, ia.index(kQuarterChunks));
    Value actRow = ia.add(actBase, row);
    static_assert(chunkOffset(1) == 8 && chunkOffset(2) == 32);
    Value position = ia.add(
        start, ia.add(ia.mul(ia.div(chunk, ia.index(2)), ia.index(32)),
                      ia.mul(ia.rem(chunk, ia.index(2)), ia.index(8))));
    // Chunks past K (the last block's padding) copy what is left of K.
    Value sourceElements = ia.select(
        arith::AndIOp::create(b, loc, ia.lt(actRow, m),
                              ia.lt(position, ia.index(cols))),
        ia.min(ia.sub(ia.index(cols), position), ia.index(8)), ia.index(0));
    Value swizzled = xorIndex(chunk, ia.rem(row, ia.index(8)));
    SmallVector<Value> target{buffer, row, ia.mul(swizzled, ia.index(8))};
    SmallVector<Value> source{ia.min(actRow, lastAct), position};
    if (alignedRows) {
      nvgpu::DeviceAsyncCopyOp::create(b, loc, tokenType, actShared, target,
                                       x, source, b.getIndexAttr(8),
                                       sourceElements, b.getUnitAttr());
      continue;
    }
    // Rows not 16-byte aligned: a masked load and a store. The buffer was
    // released by the barrier that ended the iteration that last read it.
    auto chunkType = VectorType::get({8}, b.getF16Type());
    Value mask = laneMask(b, loc, 8, position, position,
                          ia.add(position, sourceElements));
    Value values = vector::MaskedLoadOp::create(
        b, loc, chunkType, x, source, mask,
        splatConstant(b, loc, chunkType, 0.0f));
    vector::StoreOp::create(b, loc, values, actShared, target);
  }
  // Weights: each thread copies half of one row's 16 quarter bytes. Rows
  // past N read the last row; their results are not stored.
  Value row = ia.div(thread, ia.index(2));
  Value half = ia.rem(thread, ia.index(2));
  Value weightRow = ia.min(ia.add(blockRowBase, row), ia.index(rows - 1));
  Value byte = ia.add(ia.add(ia.mul(block, ia.index(kBlockBytes)),
                             ia.mul(quarter, ia.index(kQuarterBytes))),
                      ia.mul(half, ia.index(kWeightCopyBytes)));
  nvgpu::DeviceAsyncCopyOp::create(
      b, loc, tokenType, weightShared,
      ValueRange{buffer, row, ia.mul(half, ia.index(kWeightCopyBytes))}, w,
      ValueRange{weightRow, byte}, b.getIndexAttr(kWeightCopyBytes),
      /*srcElements=*/Value(), /*bypassL1=*/UnitAttr());
}

Value PrefillKernelBuilder::loadWeightWord(Value buffer, Value row,
                                           int64_t i) {
  // gatherWordOffset(quadCol, i) as arithmetic on quadCol.
  static_assert(gatherWordOffset(2, 0) == 4 && gatherWordOffset(0, 1) == 8);
  Value byte = ia.add(ia.index(8 * i), ia.mul(ia.div(quadCol, ia.index(2)),
                                              ia.index(4)));
  return loadWord(b, loc, weightShared, ValueRange{buffer, row, byte});
}

Value PrefillKernelBuilder::gatherWord(Value buffer, Value row) {
  return permuteBytes(b, loc, loadWeightWord(buffer, row, 0),
                      loadWeightWord(buffer, row, 1), selector);
}

SmallVector<Value> PrefillKernelBuilder::computeStage(Value stage,
                                                      ValueRange acc) {
  Value buffer = ia.rem(stage, ia.index(stages));
  Value rowA = ia.add(warpRow, quadRow);
  Value rowB = ia.add(rowA, ia.index(8));
  Value wordA = gatherWord(buffer, rowA);
  Value wordB = gatherWord(buffer, rowB);
  Value highA = arith::ShRUIOp::create(b, loc, wordA, i32(8));
  Value highB = arith::ShRUIOp::create(b, loc, wordB, i32(8));
  auto aType = VectorType::get({4, 2}, b.getF16Type());
  auto bType = VectorType::get({2, 2}, b.getF16Type());
  auto fragmentType = VectorType::get({4, 2}, b.getF16Type());
  // A block cut by K groups: the trits outside this stream's group.
  Value groupStart, groupEnd, runStart;
  if (!spans.empty()) {
    Value streamed = ia.div(stage, ia.index(kQuartersPerBlock));
    groupStart = bySpan(streamed, [](const GroupSpan &s) { return s.lo; });
    groupEnd = bySpan(streamed, [](const GroupSpan &s) { return s.hi; });
    // prefillPairPosition as arithmetic, from the block's start.
    static_assert(prefillPairPosition(3, 1, 2, 1) == 144 + 32 + 4 + 8);
    runStart = ia.add(
        quarterStart(blockOf(streamed),
                     ia.rem(stage, ia.index(kQuartersPerBlock))),
        ia.mul(quadCol, ia.index(2)));
  }
  SmallVector<Value> result(acc);
  for (int64_t shift = 0; shift < 4; ++shift) {
    // a0a1: row A's K pair (2c, 2c + 1); a2a3: row B's; a4a5, a6a7: the
    // pairs 8 further, from bytes 1 and 3.
    Value aFragment = ub::PoisonOp::create(b, loc, aType);
    Value pairs[] = {decodeTritPair(b, loc, wordA, shift),
                     decodeTritPair(b, loc, wordB, shift),
                     decodeTritPair(b, loc, highA, shift),
                     decodeTritPair(b, loc, highB, shift)};
    if (runStart) {
      // Run `shift` holds trits quarterStart + 32 shift + (0..15).
      for (int64_t high = 0; high < 2; ++high) {
        Value mask = laneMask(
            b, loc, 2, ia.add(runStart, ia.index(32 * shift + 8 * high)),
            groupStart, groupEnd);
        for (int64_t row = 0; row < 2; ++row) {
          Value &pair = pairs[2 * high + row];
          pair = arith::SelectOp::create(
              b, loc, mask, pair,
              splatConstant(b, loc, cast<VectorType>(pair.getType()), 0.0f));
        }
      }
    }
    for (auto [slot, pair] : llvm::enumerate(pairs))
      aFragment =
          vector::InsertOp::create(b, loc, pair, aFragment, int64_t(slot));
    for (int64_t pair = 0; pair < actTiles / 2; ++pair) {
      // ldmatrixRow(lane, pair) and ldmatrixChunk(lane, shift), swizzled.
      static_assert(ldmatrixRow(17, 1) == 8 * 3 + 1 &&
                    ldmatrixChunk(9, 2) == 5);
      Value row = ia.add(
          ia.mul(ia.add(ia.index(2 * pair), ia.div(lane, ia.index(16))),
                 ia.index(8)),
          ia.rem(lane, ia.index(8)));
      Value chunk = ia.add(ia.index(2 * shift),
                           ia.rem(ia.div(lane, ia.index(8)), ia.index(2)));
      Value column = ia.mul(xorIndex(chunk, ia.rem(row, ia.index(8))),
                            ia.index(8));
      auto load = nvgpu::LdMatrixOp::create(
          b, loc, fragmentType, actShared, ValueRange{buffer, row, column},
          /*transpose=*/false, /*numTiles=*/4);
      for (int64_t t = 0; t < 2; ++t) {
        Value bFragment = ub::PoisonOp::create(b, loc, bType);
        for (int64_t reg = 0; reg < 2; ++reg)
          bFragment = vector::InsertOp::create(
              b, loc,
              vector::ExtractOp::create(b, loc, load.getResult(), 2 * t + reg),
              bFragment, reg);
        int64_t tile = 2 * pair + t;
        result[tile] = nvgpu::MmaSyncOp::create(
            b, loc, aFragment, bFragment, result[tile],
            ArrayRef<int64_t>{16, 8, 16});
      }
    }
  }
  return result;
}

SmallVector<Value> PrefillKernelBuilder::scaleInto(ValueRange total,
                                                   ValueRange acc,
                                                   Value colGroup) {
  auto pairType = VectorType::get({2}, b.getF32Type());
  Value rowScales[2];
  Value rowGroups[] = {rowGroupA, rowGroupB};
  for (int64_t i = 0; i < 2; ++i)
    rowScales[i] = vector::BroadcastOp::create(
        b, loc, pairType,
        extendToF32(b, loc,
                    memref::LoadOp::create(
                        b, loc, scales, ValueRange{rowGroups[i], colGroup})));
  SmallVector<Value> result;
  for (auto [sum, product] : llvm::zip(total, acc)) {
    Value scaled = sum;
    // Row i of a fragment is weight row A (i = 0) or B.
    for (int64_t i = 0; i < 2; ++i) {
      Value value = LLVM::FMAOp::create(
          b, loc, vector::ExtractOp::create(b, loc, product, i), rowScales[i],
          vector::ExtractOp::create(b, loc, scaled, i));
      scaled = vector::InsertOp::create(b, loc, value, scaled, i);
    }
    result.push_back(scaled);
  }
  return result;
}

void PrefillKernelBuilder::store(ValueRange acc) {
  // Tile t's fragment element (i, j): weight row warpRow + quadRow + 8i,
  // activation row actBase + 8t + 2 quadCol + j.
  for (auto [tile, fragment] : llvm::enumerate(acc))
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        Value row = ia.add(ia.add(blockRowBase, ia.add(warpRow, quadRow)),
                           ia.index(8 * i));
        Value act = ia.add(
            ia.add(actBase, ia.index(kTileActRows * int64_t(tile) + j)),
            ia.mul(quadCol, ia.index(2)));
        Value inside = arith::AndIOp::create(
            b, loc, ia.lt(row, ia.index(rows)), ia.lt(act, m));
        auto ifOp = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        memref::StoreOp::create(
            b, loc,
            vector::ExtractOp::create(b, loc, fragment,
                                      ArrayRef<int64_t>{i, j}),
            y, ValueRange{act, row});
      }
}

void PrefillKernelBuilder::build() {
  thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value warp = ia.div(thread, ia.index(kWarpSize));
  lane = ia.rem(thread, ia.index(kWarpSize));
  quadRow = ia.div(lane, ia.index(4));
  quadCol = ia.rem(lane, ia.index(4));
  blockRowBase = ia.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                        ia.index(kBlockRows));
  warpRow = ia.mul(warp, ia.index(kTileRows));
  actBase = ia.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
                   ia.index(actRows));
  m = memref::DimOp::create(b, loc, x, 0);
  Value lastRow = ia.index(rows - 1);
  Value rowA = ia.min(ia.add(blockRowBase, ia.add(warpRow, quadRow)), lastRow);
  Value rowB = ia.min(ia.add(ia.add(blockRowBase, ia.add(warpRow, quadRow)),
                             ia.index(8)),
                      lastRow);
  rowGroupA = ia.groupOf(rowA, groups.getRowSplits(), groups.getRowBlock());
  rowGroupB = ia.groupOf(rowB, groups.getRowSplits(), groups.getRowBlock());
  static_assert(gatherSelector(0) == 0x5140 && gatherSelector(1) == 0x7362);
  selector = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                            ia.rem(quadCol, ia.index(2)), ia.index(0)),
      i32(gatherSelector(0)), i32(gatherSelector(1)));

  // The first stages - 1 stages in flight, one commit group each.
  auto tokenType = b.getType<nvgpu::DeviceAsyncTokenType>();
  for (int64_t stage = 0; stage < stages - 1; ++stage) {
    if (stage < numStages)
      issueStage(ia.index(stage));
    nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenType, ValueRange());
  }
  Value zero = splatConstant(b, loc, accType(), 0.0f);
  SmallVector<Value> initial(actTiles, zero);
  // Several K groups: each group's sums apart, scaled into the totals when
  // it ends; one group: scaled once after the loop.
  if (!singleColGroup)
    initial.append(actTiles, zero);
  auto loop = scf::ForOp::create(
      b, loc, ia.index(0), ia.index(numStages), ia.index(1), initial,
      [&](OpBuilder &, Location, Value stage, ValueRange iterArgs) {
        Value ahead = ia.add(stage, ia.index(stages - 1));
        auto issue = scf::IfOp::create(b, loc, ia.lt(ahead, ia.index(numStages)),
                                       /*withElse=*/false);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(&issue.getThenRegion().front());
          issueStage(ahead);
        }
        // One group per iteration, empty near the end, so that waiting for
        // all but the newest stages - 1 groups means this stage.
        Value group = nvgpu::DeviceAsyncCreateGroupOp::create(
            b, loc, tokenType, ValueRange());
        nvgpu::DeviceAsyncWaitOp::create(
            b, loc, group, b.getI32IntegerAttr(stages - 1));
        gpu::BarrierOp::create(b, loc);
        ValueRange acc = iterArgs.take_front(actTiles);
        SmallVector<Value> products = computeStage(stage, acc);
        // The stage's buffers are refilled by the next iteration.
        gpu::BarrierOp::create(b, loc);
        if (singleColGroup) {
          scf::YieldOp::create(b, loc, products);
          return;
        }
        // At the end of a K group: totals += products * scales; restart.
        Value block = ia.div(stage, ia.index(kQuartersPerBlock));
        Value colGroup = colGroupOf(block);
        Value nextBlock = ia.min(ia.add(block, ia.index(1)),
                                 ia.index(numBlocks - 1));
        Value lastOfBlock = ia.eq(ia.rem(stage, ia.index(kQuartersPerBlock)),
                                  ia.index(kQuartersPerBlock - 1));
        Value groupEnds = arith::AndIOp::create(
            b, loc, lastOfBlock,
            arith::OrIOp::create(
                b, loc, ia.eq(stage, ia.index(numStages - 1)),
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                      colGroupOf(nextBlock), colGroup)));
        ValueRange totals = iterArgs.drop_front(actTiles);
        auto fold = scf::IfOp::create(
            b, loc, groupEnds,
            [&](OpBuilder &, Location) {
              SmallVector<Value> yielded(actTiles, zero);
              llvm::append_range(yielded,
                                 scaleInto(totals, products, colGroup));
              scf::YieldOp::create(b, loc, yielded);
            },
            [&](OpBuilder &, Location) {
              SmallVector<Value> yielded(products);
              llvm::append_range(yielded, totals);
              scf::YieldOp::create(b, loc, yielded);
            });
        scf::YieldOp::create(b, loc, fold.getResults());
      });
  // Unrolling a few stages fully (short K) takes more registers than a
  // thread has; a long loop gains nothing from it either.
  MLIRContext *context = b.getContext();
  // scf-to-cf carries it to the latch branch, whose llvm.br takes it.
  loop->setAttr("loop_annotation",
                LLVM::LoopAnnotationAttr::get(
                    context, {}, {}, {},
                    LLVM::LoopUnrollAttr::get(context, b.getBoolAttr(true), {},
                                              {}, {}, {}, {}, {}),
                    {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}));
  if (singleColGroup) {
    SmallVector<Value> zeros(actTiles, zero);
    store(scaleInto(zeros, loop.getResults(), ia.index(0)));
    return;
  }
  store(loop.getResults().drop_front(actTiles));
}

} // namespace

bool trilm::ternary_gpu::prefillKernelSupports(PackedType packed,
                                                ScaleGroupsAttr groups) {
  if (packed.getScheme() != ternary::PackingScheme::tq2)
    return false;
  SmallVector<int64_t> bounds = groups.getColBounds(packed.getCols());
  return int64_t(cutGroupSpans(std::vector<int64_t>(bounds.begin(),
                                                    bounds.end()))
                     .size()) <= kMaxCutGroups;
}

int64_t trilm::ternary_gpu::prefillThreads() { return kThreads; }

void trilm::ternary_gpu::buildPrefillKernel(OpBuilder &b, MatmulOp op,
                                            gpu::GPUFuncOp func) {
  MatmulConfigAttr config = op.getConfig();
  auto workgroup = gpu::AddressSpaceAttr::get(b.getContext(),
                                              gpu::AddressSpace::Workgroup);
  func.addWorkgroupAttribution(
      MemRefType::get({config.getPromptStages(), config.getPromptRows(),
                       kQuarterChunks * 8},
                      b.getF16Type(), AffineMap(), workgroup),
      op.getLoc());
  func.addWorkgroupAttribution(
      MemRefType::get({config.getPromptStages(), kBlockRows, kQuarterBytes},
                      b.getI8Type(), AffineMap(), workgroup),
      op.getLoc());
  // cp.async of 16 bytes and ldmatrix need 16-byte aligned rows.
  for (unsigned index = 0; index < 2; ++index)
    func.setWorkgroupAttributionAttr(index,
                                     LLVM::LLVMDialect::getAlignAttrName(),
                                     b.getI64IntegerAttr(16));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  PrefillKernelBuilder(b, op, func).build();
}
