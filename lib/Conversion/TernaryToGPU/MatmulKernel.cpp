//===- MatmulKernel.cpp - Tensor-core kernels of ternary matmuls ----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Generates, for each bufferized ternary_gpu.matmul, a kernel in the
// gpu.module @ternary_gpu_kernels and replaces the op with its launch:
//
//   warp: a tile of 16 weight rows x 8 activation rows and a split of K
//     scf.for step:  the next step's weight loads issued (2-bit: 128-bit
//                    loads; 1.6-bit: words gathered with prmt), then
//       per block:   per K group in the block (one, unless cut): decode the
//                    block of each of the 16 rows into A fragments,
//                    16 x mma.sync m16n8k16 with the activations as B,
//                    scale the group's product per row and add it up
//   thread block: row_tiles tiles; shared memory adds the splits' sums
//
// For M >= kPrefillMinRows, matmuls whose configuration has prompt_rows
// also get the prompt kernel (PrefillKernel.cpp), chosen at run time.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"

#include "trilm/Conversion/TernaryToGPU/FragmentMaps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/SymbolTable.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Utils/BuilderUtils.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

namespace trilm {
#define GEN_PASS_DEF_TERNARYGPUGENERATEKERNELS
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using trilm::ternary::PackedType;
using trilm::ternary::ScaleGroupsAttr;
using namespace trilm::ternary_gpu;

namespace {

/// Explicit scale splits are compared one by one; more than this many would
/// want a table in memory, which the kernels do not build.
constexpr int64_t kMaxExplicitSplits = 64;
/// Registers a thread may have, and registers an SM has for a block.
constexpr int64_t kMaxThreadRegisters = 255;
constexpr int64_t kBlockRegisters = 65536;
constexpr StringLiteral kKernelModuleName = "ternary_gpu_kernels";

/// Everything a kernel depends on: matmuls with equal keys share a kernel.
/// The decoding kernel does not depend on the prompt configuration, nor the
/// prompt kernel on the decoding one.
std::string operandKey(MatmulOp op) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op.getWeights() << op.getGroups()
     << cast<MemRefType>(op.getScales().getType()).getElementType();
  return key;
}
std::string prefillKernelKey(MatmulOp op) {
  MatmulConfigAttr config = op.getConfig();
  return operandKey(op) + llvm::formatv(" prompt {0}x{1}",
                                        config.getPromptRows(),
                                        config.getPromptStages())
                              .str();
}
std::string kernelKey(MatmulOp op) {
  MatmulConfigAttr config = op.getConfig();
  return operandKey(op) +
         llvm::formatv(" decoding {0}x{1}x{2}", config.getWarps(),
                       config.getRowTiles(), config.getBlocksPerStep())
             .str();
}

/// True when `value` is a function argument, possibly through casts: the
/// caller's buffer, which on a GPU target is device memory.
/// Whether `value` is device memory: a view of a function argument (which
/// the caller provides on the device) or of a GPU allocation.
bool isDeviceBuffer(Value value) {
  while (Operation *producer = value.getDefiningOp()) {
    if (isa<gpu::AllocOp>(producer))
      return true;
    if (!isa<memref::CastOp, memref::ViewOp, memref::SubViewOp,
             memref::ReinterpretCastOp, memref::CollapseShapeOp,
             memref::ExpandShapeOp>(producer))
      return false;
    value = producer->getOperand(0);
  }
  return isa<FunctionOpInterface>(
      cast<BlockArgument>(value).getOwner()->getParentOp());
}

/// The memref type of `type` with a dynamic first dimension.
MemRefType withDynamicRows(MemRefType type) {
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = ShapedType::kDynamic;
  return MemRefType::get(shape, type.getElementType());
}

/// Builds the body of one matmul kernel.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, MatmulOp op, ValueRange args)
      : b(b), loc(loc), ia{b, loc}, packed(op.getPackedType()),
        groups(op.getGroups()), rowTiles(op.getConfig().getRowTiles()),
        splits(op.getConfig().getSplits()),
        blocksPerStep(op.getConfig().getBlocksPerStep()), x(args[0]),
        w(args[1]), scales(args[2]), y(args[3]) {
    rows = packed.getRows();
    cols = packed.getCols();
    tq1 = packed.getScheme() == ternary::PackingScheme::tq1;
    blockBytes = tq1 ? packing::kTQ1CodeBytes : kBlockBytes;
    numBlocks = packed.getRowBytes() / blockBytes;
    colBounds = groups.getColBounds(cols);
  }

  void build(Value reduceBuffer);

private:
  OpBuilder &b;
  Location loc;
  IndexArith ia;
  PackedType packed;
  ScaleGroupsAttr groups;
  int64_t rowTiles, splits, blocksPerStep;
  Value x, w, scales, y;
  int64_t rows = 0, cols = 0, numBlocks = 0, blockBytes = 0;
  /// 1.6-bit weights: gathered words and base-3 digits (FragmentMaps.h).
  bool tq1 = false;
  SmallVector<int64_t> colBounds;

  // Per-thread values set up by build().
  Value warp, lane, split, rowBase, quadRow, quadCol, rowA, rowB, actRow,
      threadOffset;
  Value rowGroupA, rowGroupB;
  // TQ1: the prmt selectors of the qs gather and the qh word, and the qh
  // step's digit multipliers of the first and second K pair.
  Value gatherSelectorValue, qhSelectorValue, qhMultiplierLow,
      qhMultiplierHigh;

  VectorType accType() { return VectorType::get({2, 2}, b.getF32Type()); }
  Value splat(VectorType type, float value) {
    return splatConstant(b, loc, type, value);
  }
  Value i32(int64_t value) { return ia.i32(value); }

  /// First column of K group `group` (a value), or K past the last.
  Value colBound(Value group);
  /// Does every block lie inside one K group, with K whole blocks? Then no
  /// block needs masks.
  bool blocksAreWhole();
  Value loadWeights(Value row, Value block);
  Value loadTQ1Words(Value row, Value block);
  /// `width` activations from `position` (masked to [lo, hi) if set).
  Value loadActivations(Value position, Value lo, Value hi,
                        int64_t width = 16);
  Value blockProduct(Value block, ArrayRef<Value> wordsA,
                     ArrayRef<Value> wordsB, Value lo, Value hi);
  Value tq1BlockProduct(Value block, ArrayRef<Value> wordsA,
                        ArrayRef<Value> wordsB, Value lo, Value hi);
  /// The f16 trits of digit `multiplier` (3^n) of a TQ1 lane pair.
  Value decodeTQ1Pair(Value lanes, Value multiplier);
  Value scaleAndAdd(Value acc, Value product, Value colGroup);
  Value blockContribution(Value block, ArrayRef<Value> wordsA,
                          ArrayRef<Value> wordsB, Value acc);
  /// The block that load `u` of `step` reads in this warp's split.
  Value blockOf(Value step, int64_t u);
  /// The weight words of a step: rows A and B of each of its blocks.
  SmallVector<Value> loadStep(Value step);
  Value computeStep(Value step, ValueRange words, Value acc);
  void reduceAndStore(Value acc, Value reduceBuffer);
};

Value KernelBuilder::colBound(Value group) {
  if (groups.getColBlock() > 0)
    return ia.min(ia.mul(group, ia.index(groups.getColBlock())),
                  ia.index(cols));
  // bounds[g] by comparison with each group index.
  Value bound = ia.index(colBounds.back());
  for (int64_t g = colBounds.size() - 2; g >= 0; --g)
    bound = ia.select(ia.eq(group, ia.index(g)), ia.index(colBounds[g]), bound);
  return bound;
}

bool KernelBuilder::blocksAreWhole() {
  return llvm::all_of(colBounds,
                      [](int64_t bound) { return bound % kBlock == 0; });
}

Value KernelBuilder::loadTQ1Words(Value row, Value block) {
  Value base = ia.mul(block, ia.index(packing::kTQ1CodeBytes));
  SmallVector<Value, 4> words;
  // tq1WordOffset(word, quadCol, i) as arithmetic on quadCol.
  static_assert(tq1WordOffset(1, 2, 1) == 16 + 8 + 4);
  Value pairOffset = ia.mul(ia.div(quadCol, ia.index(2)), ia.index(4));
  for (int64_t word = 0; word < 3; ++word) {
    Value parts[2];
    for (int64_t i = 0; i < 2; ++i)
      parts[i] = loadWord(
          b, loc, w,
          ValueRange{row, ia.add(base, ia.add(ia.index(16 * word + 8 * i),
                                              pairOffset))});
    words.push_back(
        permuteBytes(b, loc, parts[0], parts[1], gatherSelectorValue));
  }
  Value qh = loadWord(b, loc, w,
                      ValueRange{row, ia.add(base, ia.index(kTQ1QhByte))});
  words.push_back(permuteBytes(b, loc, qh, i32(0), qhSelectorValue));
  return vector::FromElementsOp::create(
      b, loc, VectorType::get({4}, b.getI32Type()), words);
}

Value KernelBuilder::loadWeights(Value row, Value block) {
  if (tq1)
    return loadTQ1Words(row, block);
  Value byte = ia.add(ia.mul(block, ia.index(kBlockBytes)),
                      ia.mul(quadCol, ia.index(kThreadBlockBytes)));
  Value bytes = vector::LoadOp::create(
      b, loc, VectorType::get({kThreadBlockBytes}, b.getI8Type()), w,
      ValueRange{row, byte}, /*nontemporal=*/false, llvm::MaybeAlign(16));
  return vector::BitCastOp::create(
      b, loc, VectorType::get({kThreadBlockBytes / 4}, b.getI32Type()), bytes);
}

Value KernelBuilder::loadActivations(Value position, Value lo, Value hi,
                                     int64_t width) {
  // `width` contiguous activations of this thread's activation row.
  auto type = VectorType::get({width}, b.getF16Type());
  Value indices[] = {actRow, position};
  if (!lo) {
    // Rows are aligned to 16 bytes (8 halves) when K is a multiple of 8,
    // and the runs start at multiples of their width.
    int64_t align = cols % 8 == 0 ? std::min<int64_t>(16, 2 * width) : 2;
    return vector::LoadOp::create(b, loc, type, x, indices,
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(align));
  }
  // Lanes in [lo, hi) only; the others read nothing and are zero.
  Value mask = laneMask(b, loc, width, position, lo, hi);
  return vector::MaskedLoadOp::create(b, loc, type, x, indices, mask,
                                      splat(type, 0.0f));
}

Value KernelBuilder::decodeTQ1Pair(Value lanes, Value multiplier) {
  // Digit n of each 16-bit lane: ((uint8(q * 3^n) * 3) >> 8), then f16
  // 1024 + code by the magic number, minus 1025 (FragmentMaps.h).
  Value scaled = arith::AndIOp::create(
      b, loc, arith::MulIOp::create(b, loc, lanes, multiplier),
      i32(kTQ1LaneMask));
  Value code = arith::AndIOp::create(
      b, loc,
      arith::ShRUIOp::create(b, loc,
                             arith::MulIOp::create(b, loc, scaled, i32(3)),
                             i32(8)),
      i32(kTQ1CodeMask));
  Value bits = arith::OrIOp::create(b, loc, code, i32(kDecodeMagic));
  auto half2 = VectorType::get({2}, b.getF16Type());
  Value biased = vector::BitCastOp::create(
      b, loc, half2,
      vector::FromElementsOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), ValueRange{bits}));
  return arith::AddFOp::create(b, loc, biased,
                               splat(half2, kTQ1DecodeBias));
}

Value KernelBuilder::tq1BlockProduct(Value block, ArrayRef<Value> wordsA,
                                     ArrayRef<Value> wordsB, Value lo,
                                     Value hi) {
  auto aType = VectorType::get({4, 2}, b.getF16Type());
  auto bType = VectorType::get({2, 2}, b.getF16Type());
  // Lane pairs of each row's words: bytes 0/2 (A's K pair 2c, 2c + 1) and
  // bytes 1/3 (2c + 8, 2c + 9); the qh word holds one pair for both.
  auto lanes = [&](Value word, bool high) -> Value {
    if (high)
      word = arith::ShRUIOp::create(b, loc, word, i32(8));
    return arith::AndIOp::create(b, loc, word, i32(kTQ1LaneMask));
  };
  SmallVector<Value> lowA, lowB, highA, highB;
  for (int64_t word = 0; word < 3; ++word) {
    lowA.push_back(lanes(wordsA[word], false));
    lowB.push_back(lanes(wordsB[word], false));
    highA.push_back(lanes(wordsA[word], true));
    highB.push_back(lanes(wordsB[word], true));
  }
  lowA.push_back(wordsA[3]);
  lowB.push_back(wordsB[3]);
  highA.push_back(wordsA[3]);
  highB.push_back(wordsB[3]);
  SmallVector<Value, 4> products(4, splat(accType(), 0.0f));
  Value blockStart = ia.mul(block, ia.index(kBlock));
  Value pairOffset = ia.mul(quadCol, ia.index(2));
  for (int64_t index = 0; index < kTQ1Steps; ++index) {
    TQ1Step step = tq1Step(index);
    bool qh = step.word == 3;
    Value low = qh ? qhMultiplierLow : i32(tq1DigitMultiplier(step.digit));
    Value high = qh ? qhMultiplierHigh : low;
    Value pairs[] = {decodeTQ1Pair(lowA[step.word], low),
                     decodeTQ1Pair(lowB[step.word], low),
                     decodeTQ1Pair(highA[step.word], high),
                     decodeTQ1Pair(highB[step.word], high)};
    Value aFragment = ub::PoisonOp::create(b, loc, aType);
    for (auto [slot, pair] : llvm::enumerate(pairs))
      aFragment =
          vector::InsertOp::create(b, loc, pair, aFragment, int64_t(slot));
    Value first = ia.add(ia.add(blockStart, ia.index(step.k)), pairOffset);
    Value bFragment = ub::PoisonOp::create(b, loc, bType);
    bFragment = vector::InsertOp::create(
        b, loc, loadActivations(first, lo, hi, 2), bFragment, 0);
    bFragment = vector::InsertOp::create(
        b, loc, loadActivations(ia.add(first, ia.index(8)), lo, hi, 2),
        bFragment, 1);
    products[index % 4] =
        nvgpu::MmaSyncOp::create(b, loc, aFragment, bFragment,
                                 products[index % 4],
                                 ArrayRef<int64_t>{16, 8, 16});
  }
  Value sum = products[0];
  for (int64_t q = 1; q < 4; ++q)
    sum = arith::AddFOp::create(b, loc, sum, products[q]);
  return sum;
}

Value KernelBuilder::blockProduct(Value block, ArrayRef<Value> wordsA,
                                  ArrayRef<Value> wordsB, Value lo, Value hi) {
  if (tq1)
    return tq1BlockProduct(block, wordsA, wordsB, lo, hi);
  // Thread (quadRow, quadCol) holds bytes [16 quadCol, 16 quadCol + 16) of
  // its rows' blocks: byte 32h + j holds trits 128h + 32l + j (l = 0..3).
  // Word q at shift l covers the four positions P = base + 32l + 4q + (0..3):
  // bytes 0 and 2 give A's K pair (2c, 2c + 1) and bytes 1 and 3 the pair
  // (2c + 8, 2c + 9), so B takes the activations at P + {0, 2} and
  // P + {1, 3} in the same slots.
  auto aType = VectorType::get({4, 2}, b.getF16Type());
  auto bType = VectorType::get({2, 2}, b.getF16Type());
  // One accumulator per word: four independent chains of mma.sync rather
  // than one chain of 16 that waits for each product.
  SmallVector<Value, 4> products(4, splat(accType(), 0.0f));
  Value blockStart = ia.mul(block, ia.index(kBlock));
  SmallVector<Value> highA, highB;
  for (int64_t q = 0; q < 4; ++q) {
    highA.push_back(arith::ShRUIOp::create(b, loc, wordsA[q], i32(8)));
    highB.push_back(arith::ShRUIOp::create(b, loc, wordsB[q], i32(8)));
  }
  for (int64_t shift = 0; shift < 4; ++shift) {
    Value position = ia.add(ia.add(blockStart, threadOffset),
                            ia.index(32 * shift));
    Value activations = loadActivations(position, lo, hi);
    for (int64_t q = 0; q < 4; ++q) {
      Value even = vector::ShuffleOp::create(b, loc, activations, activations,
                                             activationPair(q, 0));
      Value odd = vector::ShuffleOp::create(b, loc, activations, activations,
                                            activationPair(q, 1));
      Value bFragment = ub::PoisonOp::create(b, loc, bType);
      bFragment = vector::InsertOp::create(b, loc, even, bFragment, 0);
      bFragment = vector::InsertOp::create(b, loc, odd, bFragment, 1);
      Value aFragment = ub::PoisonOp::create(b, loc, aType);
      Value pairs[] = {decodeTritPair(b, loc, wordsA[q], shift),
                       decodeTritPair(b, loc, wordsB[q], shift),
                       decodeTritPair(b, loc, highA[q], shift),
                       decodeTritPair(b, loc, highB[q], shift)};
      for (auto [slot, pair] : llvm::enumerate(pairs))
        aFragment = vector::InsertOp::create(b, loc, pair, aFragment,
                                             int64_t(slot));
      products[q] = nvgpu::MmaSyncOp::create(b, loc, aFragment, bFragment,
                                             products[q],
                                             ArrayRef<int64_t>{16, 8, 16});
    }
  }
  Value sum = products[0];
  for (int64_t q = 1; q < 4; ++q)
    sum = arith::AddFOp::create(b, loc, sum, products[q]);
  return sum;
}

Value KernelBuilder::scaleAndAdd(Value acc, Value product, Value colGroup) {
  // Row i of the fragment belongs to weight row rowA (i = 0) or rowB.
  Value result = acc;
  Value rowGroups[] = {rowGroupA, rowGroupB};
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t i = 0; i < 2; ++i) {
    Value scale = extendToF32(
        b, loc,
        memref::LoadOp::create(b, loc, scales,
                               ValueRange{rowGroups[i], colGroup}));
    Value accPair = vector::ExtractOp::create(b, loc, result, i);
    Value productPair = vector::ExtractOp::create(b, loc, product, i);
    Value scaled = LLVM::FMAOp::create(
        b, loc, productPair,
        vector::BroadcastOp::create(b, loc, pairType, scale), accPair);
    result = vector::InsertOp::create(b, loc, scaled, result, i);
  }
  return result;
}

Value KernelBuilder::blockContribution(Value block, ArrayRef<Value> wordsA,
                                       ArrayRef<Value> wordsB, Value acc) {
  Value start = ia.mul(block, ia.index(kBlock));
  Value colGroup =
      ia.groupOf(start, groups.getColSplits(), groups.getColBlock());
  auto fullBlock = [&](OpBuilder &, Location) {
    Value product = blockProduct(block, wordsA, wordsB, Value(), Value());
    scf::YieldOp::create(b, loc, scaleAndAdd(acc, product, colGroup));
  };
  if (blocksAreWhole()) {
    // Every block is whole and in one group: no masks anywhere.
    Value product = blockProduct(block, wordsA, wordsB, Value(), Value());
    return scaleAndAdd(acc, product, colGroup);
  }
  Value end = ia.min(ia.add(start, ia.index(kBlock)), ia.index(cols));
  Value lastGroup = ia.groupOf(ia.sub(end, ia.index(1)),
                               groups.getColSplits(), groups.getColBlock());
  Value whole = arith::AndIOp::create(
      b, loc, ia.eq(colGroup, lastGroup),
      ia.eq(end, ia.add(start, ia.index(kBlock))));
  auto ifOp = scf::IfOp::create(
      b, loc, whole, fullBlock, [&](OpBuilder &, Location) {
        // The groups that cut the block, each with its activations masked.
        auto loop = scf::ForOp::create(
            b, loc, colGroup, ia.add(lastGroup, ia.index(1)), ia.index(1),
            ValueRange{acc},
            [&](OpBuilder &, Location, Value group, ValueRange iterArgs) {
              Value lo = arith::MaxUIOp::create(b, loc, colBound(group), start);
              Value hi = ia.min(colBound(ia.add(group, ia.index(1))), end);
              Value product = blockProduct(block, wordsA, wordsB, lo, hi);
              scf::YieldOp::create(
                  b, loc, scaleAndAdd(iterArgs[0], product, group));
            });
        scf::YieldOp::create(b, loc, loop.getResults());
      });
  return ifOp.getResult(0);
}

void KernelBuilder::reduceAndStore(Value acc, Value reduceBuffer) {
  OpBuilder::InsertionGuard guard(b);
  // The four sums as (row i, activation row j) at 2i + j, as scalars: the
  // 2-D fragment has no single-register form to reshape.
  SmallVector<Value, 4> sums;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 2; ++j)
      sums.push_back(
          vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{i, j}));
  if (splits > 1) {
    // Each thread's sums at [warp][lane]; the first split of each row tile
    // adds the others'.
    auto slot = [&](Value warpIndex, int64_t e) {
      return ia.add(
          ia.mul(ia.add(ia.mul(warpIndex, ia.index(kWarpSize)), lane),
                 ia.index(4)),
          ia.index(e));
    };
    for (int64_t e = 0; e < 4; ++e)
      memref::StoreOp::create(b, loc, sums[e], reduceBuffer,
                              ValueRange{slot(warp, e)});
    gpu::BarrierOp::create(b, loc);
    auto isFirst = ia.eq(split, ia.index(0));
    auto ifOp = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    for (int64_t other = 1; other < splits; ++other)
      for (int64_t e = 0; e < 4; ++e)
        sums[e] = arith::AddFOp::create(
            b, loc, sums[e],
            memref::LoadOp::create(
                b, loc, reduceBuffer,
                ValueRange{slot(ia.add(warp, ia.index(other)), e)}));
  }
  // Fragment element (i, j): weight row rowBase + quadRow + 8i, activation
  // row actBase + 2 quadCol + j.
  Value actBase = ia.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
                         ia.index(kTileActRows));
  Value m = memref::DimOp::create(b, loc, y, 0);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 2; ++j) {
      Value row = ia.add(ia.add(rowBase, quadRow), ia.index(8 * i));
      Value act = ia.add(ia.add(actBase, ia.mul(quadCol, ia.index(2))),
                         ia.index(j));
      Value inside = arith::AndIOp::create(b, loc, ia.lt(row, ia.index(rows)),
                                           ia.lt(act, m));
      auto ifOp = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      memref::StoreOp::create(b, loc, sums[2 * i + j], y,
                              ValueRange{act, row});
    }
  }
}

Value KernelBuilder::blockOf(Value step, int64_t u) {
  return ia.add(
      ia.mul(ia.add(ia.mul(step, ia.index(blocksPerStep)), ia.index(u)),
             ia.index(splits)),
      split);
}

SmallVector<Value> KernelBuilder::loadStep(Value step) {
  SmallVector<Value> words;
  for (int64_t u = 0; u < blocksPerStep; ++u) {
    // Blocks past K read the last block; they are not computed.
    Value clamped = ia.min(blockOf(step, u), ia.index(numBlocks - 1));
    words.push_back(loadWeights(rowA, clamped));
    words.push_back(loadWeights(rowB, clamped));
  }
  return words;
}

Value KernelBuilder::computeStep(Value step, ValueRange words, Value acc) {
  for (int64_t u = 0; u < blocksPerStep; ++u) {
    Value block = blockOf(step, u);
    SmallVector<Value> a, c;
    for (int64_t q = 0; q < 4; ++q) {
      a.push_back(vector::ExtractOp::create(b, loc, words[2 * u], q));
      c.push_back(vector::ExtractOp::create(b, loc, words[2 * u + 1], q));
    }
    auto ifOp = scf::IfOp::create(
        b, loc, ia.lt(block, ia.index(numBlocks)),
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, blockContribution(block, a, c, acc));
        },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, acc); });
    acc = ifOp.getResult(0);
  }
  return acc;
}

void KernelBuilder::build(Value reduceBuffer) {
  Value thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  warp = ia.div(thread, ia.index(kWarpSize));
  lane = ia.rem(thread, ia.index(kWarpSize));
  quadRow = ia.div(lane, ia.index(4));
  quadCol = ia.rem(lane, ia.index(4));
  // Warp w works on row tile w / splits, split w % splits.
  split = ia.rem(warp, ia.index(splits));
  rowBase = ia.add(
      ia.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
             ia.index(kTileRows * rowTiles)),
      ia.mul(ia.div(warp, ia.index(splits)), ia.index(kTileRows)));
  // Rows past N read the last row; their results are dropped.
  Value lastRow = ia.index(rows - 1);
  rowA = ia.min(ia.add(rowBase, quadRow), lastRow);
  rowB = ia.min(ia.add(ia.add(rowBase, quadRow), ia.index(8)), lastRow);
  rowGroupA = ia.groupOf(rowA, groups.getRowSplits(), groups.getRowBlock());
  rowGroupB = ia.groupOf(rowB, groups.getRowSplits(), groups.getRowBlock());
  Value m = memref::DimOp::create(b, loc, x, 0);
  Value actBase = ia.mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y),
                         ia.index(kTileActRows));
  actRow = ia.min(ia.add(actBase, quadRow), ia.sub(m, ia.index(1)));
  // threadBlockOffset(quadCol), as arithmetic on the thread's quad column.
  static_assert(threadBlockOffset(1) == 16 && threadBlockOffset(2) == 128 &&
                threadBlockOffset(3) == 144);
  threadOffset =
      ia.add(ia.mul(ia.div(quadCol, ia.index(2)), ia.index(128)),
             ia.mul(ia.rem(quadCol, ia.index(2)), ia.index(16)));
  if (tq1) {
    Value even = ia.eq(ia.rem(quadCol, ia.index(2)), ia.index(0));
    Value firstHalf = ia.eq(ia.div(quadCol, ia.index(2)), ia.index(0));
    auto pick = [&](Value condition, int64_t yes, int64_t no) {
      return arith::SelectOp::create(b, loc, condition, i32(yes), i32(no))
          .getResult();
    };
    static_assert(gatherSelector(0) == 0x5140 && gatherSelector(1) == 0x7362);
    gatherSelectorValue =
        pick(even, gatherSelector(0), gatherSelector(1));
    qhSelectorValue = pick(even, tq1QhSelector(0), tq1QhSelector(1));
    // tq1QhDigit(quadCol, high): quadCol / 2 + 2 high.
    static_assert(tq1QhDigit(2, 1) == 3);
    qhMultiplierLow = pick(firstHalf, tq1DigitMultiplier(0),
                           tq1DigitMultiplier(1));
    qhMultiplierHigh = pick(firstHalf, tq1DigitMultiplier(2),
                            tq1DigitMultiplier(3));
  }

  Value zero = splat(accType(), 0.0f);
  int64_t steps = llvm::divideCeil(numBlocks, splits * blocksPerStep);
  if (steps == 1) {
    Value first = ia.index(0);
    reduceAndStore(computeStep(first, loadStep(first), zero), reduceBuffer);
    return;
  }
  // Software pipelined: the next step's loads are issued before this step
  // is computed, so that a warp always has a step's bytes in flight.
  SmallVector<Value> initial = {zero};
  llvm::append_range(initial, loadStep(ia.index(0)));
  auto loop = scf::ForOp::create(
      b, loc, ia.index(0), ia.index(steps), ia.index(1), initial,
      [&](OpBuilder &, Location, Value step, ValueRange iterArgs) {
        Value next = ia.add(step, ia.index(1));
        ValueRange words = iterArgs.drop_front();
        auto prefetch = scf::IfOp::create(
            b, loc, ia.lt(next, ia.index(steps)),
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, loadStep(next));
            },
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc, words);
            });
        SmallVector<Value> results = {
            computeStep(step, words, iterArgs.front())};
        llvm::append_range(results, prefetch.getResults());
        scf::YieldOp::create(b, loc, results);
      });
  reduceAndStore(loop.getResult(0), reduceBuffer);
}

} // namespace

Value trilm::ternary_gpu::splatConstant(OpBuilder &b, Location loc,
                                        VectorType type, float value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type,
                             b.getFloatAttr(type.getElementType(), value)));
}

Value trilm::ternary_gpu::laneMask(OpBuilder &b, Location loc, int64_t width,
                                   Value position, Value lo, Value hi) {
  auto indexType = VectorType::get({width}, b.getIndexType());
  SmallVector<int64_t> steps = llvm::to_vector(llvm::seq<int64_t>(0, width));
  Value lanePositions = arith::AddIOp::create(
      b, loc,
      arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(indexType, ArrayRef<int64_t>(steps))),
      vector::BroadcastOp::create(b, loc, indexType, position));
  auto cmp = [&](arith::CmpIPredicate predicate, Value bound) {
    return arith::CmpIOp::create(
        b, loc, predicate, lanePositions,
        vector::BroadcastOp::create(b, loc, indexType, bound));
  };
  return arith::AndIOp::create(b, loc, cmp(arith::CmpIPredicate::uge, lo),
                               cmp(arith::CmpIPredicate::ult, hi));
}

Value trilm::ternary_gpu::loadWord(OpBuilder &b, Location loc, Value bytes,
                                   ValueRange indices) {
  Value quad = vector::LoadOp::create(
      b, loc, VectorType::get({4}, b.getI8Type()), bytes, indices,
      /*nontemporal=*/false, llvm::MaybeAlign(4));
  Value word = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), quad);
  return vector::ExtractOp::create(b, loc, word, int64_t(0));
}

Value trilm::ternary_gpu::permuteBytes(OpBuilder &b, Location loc, Value lo,
                                       Value hi, Value selector) {
  return NVVM::PermuteOp::create(b, loc, b.getI32Type(), lo, hi, selector,
                                 NVVM::PermuteMode::DEFAULT);
}

Value trilm::ternary_gpu::decodeTritPair(OpBuilder &b, Location loc,
                                         Value word, int64_t shift) {
  // 1024 + code * 4^shift in two f16 lanes (FragmentMaps.h).
  IndexArith ia{b, loc};
  Value bits = arith::OrIOp::create(
      b, loc, arith::AndIOp::create(b, loc, word, ia.i32(decodeMask(shift))),
      ia.i32(kDecodeMagic));
  Value lanes = vector::FromElementsOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), ValueRange{bits});
  auto half2 = VectorType::get({2}, b.getF16Type());
  Value biased = vector::BitCastOp::create(b, loc, half2, lanes);
  // (1024 + c * 4^s) * 4^-s - (1024 * 4^-s + 1) = c - 1, exact in one fma.
  return LLVM::FMAOp::create(b, loc, biased,
                             splatConstant(b, loc, half2, decodeUnit(shift)),
                             splatConstant(b, loc, half2, decodeBias(shift)));
}

namespace {

struct TernaryGPUGenerateKernelsPass
    : public trilm::impl::TernaryGPUGenerateKernelsBase<
          TernaryGPUGenerateKernelsPass> {
  using Base::Base;

  LogicalResult checkOperands(MatmulOp op) {
    if (!op.hasPureBufferSemantics())
      return op.emitOpError("kernels are generated after bufferization");
    for (Value operand : op->getOperands()) {
      auto type = cast<MemRefType>(operand.getType());
      if (!type.getLayout().isIdentity() || type.getMemorySpace())
        return op.emitOpError("GPU kernels read contiguous buffers in the "
                              "default memory space, got ")
               << type;
      if (!isDeviceBuffer(operand))
        return op.emitOpError("GPU kernels read device memory: a function "
                              "argument or a gpu.alloc (run "
                              "trilm-gpu-device-buffers first), got ")
             << operand;
    }
    int64_t colSplits = op.getGroups().getColSplits().size();
    int64_t rowSplits = op.getGroups().getRowSplits().size();
    if (std::max(colSplits, rowSplits) > kMaxExplicitSplits)
      return op.emitOpError("GPU kernels take at most ")
             << kMaxExplicitSplits << " explicit scale splits per axis";
    if (op.getConfig().hasPromptKernel() &&
        !prefillKernelSupports(op.getPackedType(), op.getGroups()))
      return op.emitOpError("the prompt kernel takes at most ")
             << kMaxCutGroups
             << " K scale groups when they cut 256-trit blocks; use a "
                "configuration without prompt_rows";
    return success();
  }

  /// A kernel function for `op`'s operands (activation and result rows
  /// dynamic), of `threads` threads, with the budget of registers a block of
  /// that size can have: without it ptxas may cap registers and spill.
  gpu::GPUFuncOp createKernel(OpBuilder &b, gpu::GPUModuleOp kernels,
                              MatmulOp op, StringRef name, int64_t threads) {
    Location loc = op.getLoc();
    SmallVector<Type> argTypes;
    for (Value operand : op->getOperands()) {
      auto type = cast<MemRefType>(operand.getType());
      bool rowsVary = operand == op.getInput() || operand == op.getInit();
      argTypes.push_back(rowsVary ? withDynamicRows(type) : type);
    }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(kernels.getBody());
    auto func = gpu::GPUFuncOp::create(b, loc, name,
                                       b.getFunctionType(argTypes, {}));
    func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
    func.setKnownBlockSizeAttr(
        b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
    func->setAttr(NVVM::NVVMDialect::getMaxnregAttrName(),
                  b.getI32IntegerAttr(std::min(kMaxThreadRegisters,
                                               kBlockRegisters / threads)));
    return func;
  }

  /// The decoding kernel: any M, 8 activation rows per thread block.
  gpu::GPUFuncOp buildKernel(OpBuilder &b, gpu::GPUModuleOp kernels,
                             MatmulOp op, StringRef name) {
    Location loc = op.getLoc();
    int64_t threads = op.getConfig().getWarps() * kWarpSize;
    gpu::GPUFuncOp func = createKernel(b, kernels, op, name, threads);
    OpBuilder::InsertionGuard guard(b);
    Value reduceBuffer = func.addWorkgroupAttribution(
        MemRefType::get({threads * 4}, b.getF32Type(), AffineMap(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)),
        loc);
    b.setInsertionPointToStart(&func.getBody().front());
    KernelBuilder(b, loc, op, func.getArguments()).build(reduceBuffer);
    gpu::ReturnOp::create(b, loc);
    return func;
  }

  /// The prompt kernel (PrefillKernel.cpp).
  gpu::GPUFuncOp buildPrefill(OpBuilder &b, gpu::GPUModuleOp kernels,
                              MatmulOp op, StringRef name) {
    gpu::GPUFuncOp func =
        createKernel(b, kernels, op, name, prefillThreads());
    buildPrefillKernel(b, op, func);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(&func.getBody().back());
    gpu::ReturnOp::create(b, op.getLoc());
    return func;
  }

  /// Launches `kernel` on `op`'s operands: `blockRows` weight rows and
  /// `blockActs` activation rows per thread block.
  void launchKernel(OpBuilder &b, MatmulOp op, Value m, gpu::GPUFuncOp kernel,
                    int64_t threads, int64_t blockRows, int64_t blockActs) {
    Location loc = op.getLoc();
    IndexArith ia{b, loc};
    SmallVector<Value> args;
    for (auto [operand, type] :
         llvm::zip(op->getOperands(), kernel.getArgumentTypes())) {
      Value arg = operand;
      if (arg.getType() != type)
        arg = memref::CastOp::create(b, loc, type, arg);
      args.push_back(arg);
    }
    int64_t rows = op.getPackedType().getRows();
    gpu::KernelDim3 grid{
        ia.index(llvm::divideCeil(rows, blockRows)),
        arith::CeilDivUIOp::create(b, loc, m, ia.index(blockActs)),
        ia.index(1)};
    gpu::KernelDim3 block{ia.index(threads), ia.index(1), ia.index(1)};
    gpu::LaunchFuncOp::create(b, loc, kernel, grid, block,
                              /*dynamicSharedMemorySize=*/Value(), args);
  }

  /// Replaces `op` with the launch of its decoding kernel, or of its prompt
  /// kernel (`prefill`, if any) when M >= kPrefillMinRows, decided at run
  /// time unless M is static.
  void launch(OpBuilder &b, MatmulOp op, gpu::GPUFuncOp kernel,
              gpu::GPUFuncOp prefill) {
    Location loc = op.getLoc();
    IndexArith ia{b, loc};
    b.setInsertionPoint(op);
    Value m = memref::DimOp::create(b, loc, op.getInput(), 0);
    auto launchDecoding = [&] {
      launchKernel(b, op, m, kernel, op.getConfig().getWarps() * kWarpSize,
                   kTileRows * op.getConfig().getRowTiles(), kTileActRows);
    };
    auto launchPrefill = [&] {
      launchKernel(b, op, m, prefill, prefillThreads(),
                   kPrefillWarps * kTileRows, op.getConfig().getPromptRows());
    };
    // A grid with no blocks is a launch error: skip the empty batch.
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, m,
                                      ia.index(0));
    auto ifOp = scf::IfOp::create(b, loc, any, /*withElse=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    int64_t staticM = cast<MemRefType>(op.getInput().getType()).getDimSize(0);
    if (!prefill || (!ShapedType::isDynamic(staticM) &&
                     staticM < kPrefillMinRows)) {
      launchDecoding();
    } else if (!ShapedType::isDynamic(staticM)) {
      launchPrefill();
    } else {
      auto choice = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, m,
                                ia.index(kPrefillMinRows)),
          /*withElse=*/true);
      b.setInsertionPointToStart(&choice.getThenRegion().front());
      launchPrefill();
      b.setInsertionPointToStart(&choice.getElseRegion().front());
      launchDecoding();
    }
    op.erase();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    if (matmuls.empty())
      return;
    for (MatmulOp op : matmuls)
      if (failed(checkOperands(op)))
        return signalPassFailure();

    OpBuilder b(&getContext());
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    auto kernels = module.lookupSymbol<gpu::GPUModuleOp>(kKernelModuleName);
    if (!kernels) {
      b.setInsertionPointToEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModuleName);
    }
    SymbolTable symbols(kernels);
    llvm::StringMap<gpu::GPUFuncOp> byKey, prefillByKey;
    for (MatmulOp op : matmuls) {
      std::string key = kernelKey(op);
      PackedType packed = op.getPackedType();
      gpu::GPUFuncOp &kernel = byKey[key];
      if (!kernel) {
        bool tq1 = packed.getScheme() == ternary::PackingScheme::tq1;
        std::string name =
            llvm::formatv("matmul_{0}{1}x{2}_{3}", tq1 ? "tq1_" : "",
                          packed.getRows(), packed.getCols(), byKey.size() - 1);
        kernel = buildKernel(b, kernels, op, name);
        symbols.insert(kernel);
      }
      // The prompt kernel does not depend on the decoding configuration.
      gpu::GPUFuncOp prefill;
      int64_t staticM = cast<MemRefType>(op.getInput().getType()).getDimSize(0);
      bool fewRows = !ShapedType::isDynamic(staticM) && staticM < kPrefillMinRows;
      if (op.getConfig().hasPromptKernel() && !fewRows) {
        std::string prefillKey = prefillKernelKey(op);
        gpu::GPUFuncOp &cached = prefillByKey[prefillKey];
        if (!cached) {
          std::string name = llvm::formatv("matmul_prefill_{0}x{1}_{2}",
                                           packed.getRows(), packed.getCols(),
                                           prefillByKey.size() - 1);
          cached = buildPrefill(b, kernels, op, name);
          symbols.insert(cached);
        }
        prefill = cached;
      }
      launch(b, op, kernel, prefill);
    }
  }
};

} // namespace
