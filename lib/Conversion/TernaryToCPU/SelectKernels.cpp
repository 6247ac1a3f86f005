//===- SelectKernels.cpp - The CPU kernel of every ternary.matmul ---------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The one place where the CPU strategy is decided: from the target the
// module records, each ternary.matmul gets a #ternary_cpu.matmul_config
// (register tile, cache blocks, int8 instructions, weight layout) that the
// relayout, tiling and kernel passes read.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include "trilm/Target/CPU/CPUTarget.h"
#include "trilm/Utils/ResourceUtils.h"

namespace trilm {
#define GEN_PASS_DEF_TERNARYSELECTKERNELSCPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;

namespace {

/// A bound on the rows of a cache block along a dynamic dimension.
constexpr int64_t kUnboundedRows = int64_t(1) << 32;

/// A GEMV with less work than this runs as one task: handing half of it to
/// another thread costs a fork and a join (about 2.6 us on the development
/// machine) that the half does not repay. Work is counted in bytes of a
/// 2-bit int8 GEMV, about 30 KB per us per core (docs/benchmarks.md).
constexpr int64_t kSerialGemvWork = 160 << 10;

/// The work of a GEMV over `type`, in 2-bit int8 bytes: the packed bytes
/// times how much longer a byte of the kernel takes than a 2-bit int8 one
/// (the per-core rates of docs/benchmarks.md: 1.6-bit int8 decodes about 3
/// times slower per byte, float kernels 4 to 6 times).
int64_t gemvWork(PackedType type, bool int8) {
  bool tq1 = type.getScheme() == PackingScheme::tq1;
  int64_t cost = int8 ? (tq1 ? 3 : 1) : (tq1 ? 6 : 4);
  return type.getRowBytes() * type.getRows() * cost;
}

/// Read streams per GEMV task: one stream per core reaches about 70% of the
/// DRAM bandwidth that four reach (docs/benchmarks.md).
constexpr int64_t kGemvStreams = 4;

/// How far ahead a GEMV's tiles prefetch their weights: far enough to cover
/// the DRAM latency at one core's read rate, near enough to stay in L1/L2
/// (1 KiB decodes a 1.1B model about 5% slower, 4 KiB as fast).
constexpr int64_t kGemvPrefetchBytes = 2048;

/// The panel kernel's shape: 32 weight rows (two code vectors) by 12
/// activation rows, 24 accumulators, as measured fastest by
/// scripts/microbench/gemm_panel.c.
constexpr int64_t kPanelRows = 32;
constexpr int64_t kPanelActRows = 12;

/// The fewest activation rows that take the panel kernel: one thread at
/// N x K = 5120 x 1792, the register tiles and the panel kernel run level at
/// about 24 rows for 2-bit weights, while for 1.6-bit weights, whose tiles
/// decode a block three times slower, the panel kernel is already 1.3x
/// faster at 12 (docs/benchmarks.md).
int64_t panelMinActRows(PackingScheme scheme) {
  return scheme == PackingScheme::tq2 ? 32 : 12;
}

/// Rows of a cache block: as many `rowBytes` rows as fit in `budget` bytes,
/// a multiple of `tile`, at least one tile and at most `limit` rounded up to
/// a tile.
int64_t cacheBlockRows(int64_t budget, int64_t rowBytes, int64_t tile,
                       int64_t limit) {
  int64_t rows = std::max<int64_t>(budget / std::max<int64_t>(rowBytes, 1), 1);
  rows = std::min<int64_t>(rows, llvm::divideCeil(limit, tile) * tile);
  return std::max<int64_t>(rows / tile, 1) * tile;
}

/// Activation rows per tile: as many as keep the accumulators within the
/// register budget, at most 8, and no more than M.
int64_t pickActRows(MatmulOp op, Int8DotKind dot, int64_t rows) {
  int64_t m = op.getInput().getType().getDimSize(0);
  if (m == 1)
    return 1;
  int64_t perRow = accumulatorRegistersPerActivationRow(
      op.getWeights().getType().getScheme(), op.isInt8(), dot, rows);
  int64_t actRows =
      std::clamp<int64_t>(kAccumulatorRegisterBudget / perRow, 1, 8);
  return ShapedType::isDynamic(m) ? actRows : std::min(actRows, m);
}

/// The panel kernel of weights stored as trit triples: 64 rows by 6
/// activation rows (24 accumulators, 4 code vectors).
constexpr int64_t kTriplePanelActRows = 6;
/// The fewest activation rows that take it rather than one lookup-table
/// GEMV per row.
constexpr int64_t kTriplePanelMinActRows = 6;

/// The lookup-table kernel's configuration: tiles of up to 8 groups of 32
/// rows (each table load serves them all; with one group the table reads
/// outweigh the weights' 3 to 1 and bound the kernel) by one activation
/// row, cache blocks and GEMV streams sized as for the tiles; GEMMs from
/// `panelOverride` rows on (when not negative) take the panel kernel.
MatmulConfigAttr selectTableKernel(MatmulOp op, const cpu::CPUTarget &target,
                                   int64_t prefetchOverride,
                                   int64_t panelOverride) {
  PackedType type = op.getWeights().getType();
  int64_t n = type.getRows();
  int64_t m = op.getInput().getType().getDimSize(0);
  int64_t groups = n / packing::kTripleRows;
  int64_t tileGroups = groups % 8 == 0   ? 8
                       : groups % 4 == 0 ? 4
                       : groups % 2 == 0 ? 2
                                         : 1;
  int64_t rows = tileGroups * packing::kTripleRows;
  int64_t l2 = target.l2CacheBytes;
  int64_t blockRows =
      cacheBlockRows(l2 / 4, type.getRowBytes(), rows, llvm::divideCeil(n, 16));
  if (m == 1 && gemvWork(type, /*int8=*/true) < kSerialGemvWork)
    blockRows = n;
  // Activation rows per pass over a cache block: as many of the panel
  // kernel's prepared rows as half of L2 holds (one row's tables would
  // fill a block on their own).
  int64_t preparedRowBytes =
      PrepareActivationsOp::getNumPreparedBlocks(op.getGroups(),
                                                 type.getCols()) *
      PrepareActivationsOp::getPositionsPerBlock(PackingScheme::tq1);
  int64_t blockActRows =
      cacheBlockRows(l2 / 2, preparedRowBytes, 1,
                     ShapedType::isDynamic(m) ? kUnboundedRows : m);
  int64_t streams =
      m == 1 && blockRows % (kGemvStreams * rows) == 0 ? kGemvStreams : 1;
  // No software prefetches by default: unlike the tiles' (5% faster), they
  // made the lookup-table GEMV 1.2 to 1.5 times slower (docs/benchmarks.md).
  int64_t prefetchBytes = m == 1 && prefetchOverride > 0 ? prefetchOverride : 0;
  int64_t panelMin = panelOverride >= 0 ? panelOverride
                     : target.int8Dot == Int8DotKind::avx512_vnni
                         ? kTriplePanelMinActRows
                         : 0;
  bool panel = panelMin > 0 && m != 1 && n % kTablePanelRows == 0 &&
               (ShapedType::isDynamic(m) || m >= panelMin) &&
               (target.int8Dot == Int8DotKind::avx512_vnni ||
                target.int8Dot == Int8DotKind::generic);
  return MatmulConfigAttr::get(
      op.getContext(), rows, /*act_rows=*/1, blockRows, blockActRows, streams,
      prefetchBytes, target.int8Dot, TritTriplesAttr::get(op.getContext()),
      panel ? kTablePanelRows : 0, panel ? kTriplePanelActRows : 0,
      panel ? panelMin : 0, target.byteLookup);
}

/// Whether the weights of `op` can be stored as trit triples: int8 1.6-bit
/// weights with whole 64-row groups, that are already so stored or that
/// ternary-relayout-weights will re-lay (a constant, or storage from outside
/// the module when `relayoutStorage`), and that every matmul reads with
/// int8 activations (they all get the same layout).
bool canTakeTriples(MatmulOp op, bool relayoutStorage) {
  PackedType type = op.getWeights().getType();
  if (!op.isInt8() || type.getScheme() != PackingScheme::tq1 ||
      type.getRows() % packing::kTripleRows != 0)
    return false;
  if (isa_and_present<TritTriplesAttr>(type.getLayout()))
    return true;
  // The constants whose bytes the relayout can read.
  Operation *producer = op.getWeights().getDefiningOp();
  bool readable = false;
  if (auto constant = dyn_cast_if_present<ConstantOp>(producer)) {
    auto resource = dyn_cast<DenseI8ResourceElementsAttr>(constant.getValue());
    readable = isa<DenseIntElementsAttr>(constant.getValue()) ||
               (resource && trilm::getResourceElements(resource));
  }
  if (!readable && !(relayoutStorage && isa_and_present<FromStorageOp>(producer)))
    return false;
  return llvm::all_of(op.getWeights().getUsers(), [](Operation *user) {
    auto matmul = dyn_cast<MatmulOp>(user);
    return !matmul || matmul.isInt8();
  });
}

/// The configuration of `op` on `target`, with `rows`/`actRows` overriding
/// the tile when non-zero, `prefetchOverride` the GEMV prefetch distance
/// and `panelOverride` the panel kernel's smallest M when not negative;
/// with `lookupTables` (see canTakeTriples), the lookup-table kernel.
MatmulConfigAttr selectKernel(MatmulOp op, const cpu::CPUTarget &target,
                              int64_t rowsOverride, int64_t actRowsOverride,
                              int64_t prefetchOverride, int64_t panelOverride,
                              bool lookupTables) {
  PackedType type = op.getWeights().getType();
  Int8DotKind dot = target.int8Dot;
  int64_t n = type.getRows();
  int64_t m = op.getInput().getType().getDimSize(0);
  if (lookupTables)
    return selectTableKernel(op, target, prefetchOverride, panelOverride);
  // A 1.6-bit block costs about three times a 2-bit one to decode, so int8
  // GEMMs decode half the target's rows per tile and twice the activation
  // rows share each decoded block (2 x 8 against 4 x 4: 13% faster at
  // M = 512, docs/benchmarks.md). The weights keep the target's layout,
  // which the GEMV of the same weights asks for.
  bool halfRows = !rowsOverride && m != 1 && op.isInt8() &&
                  type.getScheme() == PackingScheme::tq1 &&
                  target.rowsPerTile % 2 == 0;
  int64_t layoutRows =
      std::min(rowsOverride ? rowsOverride : target.rowsPerTile, n);
  int64_t rows =
      std::min(halfRows ? target.rowsPerTile / 2 : layoutRows, n);
  int64_t actRows =
      actRowsOverride ? actRowsOverride : pickActRows(op, dot, rows);
  // Cache blocks: half of L2 for a block of prepared activations, a quarter
  // for the output block's weights; at least 16 output blocks where N
  // allows, so that the threads share the work evenly.
  int64_t positions =
      PrepareActivationsOp::getNumPreparedBlocks(op.getGroups(),
                                                 type.getCols()) *
      PrepareActivationsOp::getPositionsPerBlock(type.getScheme());
  int64_t preparedRowBytes = positions * (op.isInt8() ? 1 : 4);
  int64_t l2 = target.l2CacheBytes;
  int64_t blockRows = cacheBlockRows(l2 / 4, type.getRowBytes(), rows,
                                     llvm::divideCeil(n, 16));
  if (m == 1 && gemvWork(type, op.isInt8()) < kSerialGemvWork)
    blockRows = llvm::divideCeil(n, rows) * rows;
  int64_t blockActRows =
      cacheBlockRows(l2 / 2, preparedRowBytes, actRows,
                     ShapedType::isDynamic(m) ? kUnboundedRows : m);
  // A GEMV is bound by memory: each task reads its block as several
  // streams, which the hardware prefetches in parallel.
  int64_t streams = actRows == 1 && blockRows % (kGemvStreams * rows) == 0
                        ? kGemvStreams
                        : 1;
  // Even then a core keeps too few reads in flight: its tiles also
  // prefetch their weights ahead of their reads.
  int64_t prefetchBytes = 0;
  if (m == 1)
    prefetchBytes =
        prefetchOverride >= 0 ? prefetchOverride : kGemvPrefetchBytes;
  // A tile streams its rows' blocks as one run when they are interleaved.
  PackedLayoutAttrInterface layout;
  if (layoutRows > 1 && llvm::isPowerOf2_64(layoutRows) && n % layoutRows == 0)
    layout = RowInterleaveAttr::get(op.getContext(), layoutRows);
  // The panel kernel, for int8 GEMMs on AVX-512 VNNI (an explicit smallest
  // M also allows the portable dot products).
  int64_t panelMin = panelOverride >= 0 ? panelOverride
                     : dot == Int8DotKind::avx512_vnni
                         ? panelMinActRows(type.getScheme())
                         : 0;
  bool panel = op.isInt8() && panelMin > 0 && m != 1 &&
               (ShapedType::isDynamic(m) || m >= panelMin) &&
               (dot == Int8DotKind::avx512_vnni ||
                dot == Int8DotKind::generic);
  return MatmulConfigAttr::get(
      op.getContext(), rows, actRows, blockRows, blockActRows, streams,
      prefetchBytes, dot, layout, panel ? kPanelRows : 0,
      panel ? kPanelActRows : 0, panel ? panelMin : 0, ByteLookupKind::generic);
}

struct TernarySelectKernelsCPUPass
    : public trilm::impl::TernarySelectKernelsCPUBase<
          TernarySelectKernelsCPUPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<cpu::CPUTarget> target = cpu::CPUTarget::of(getOperation());
    if (!target) {
      getOperation()->emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    auto checkRange = [&](int64_t value, StringRef name) {
      if (value >= 0 && value <= 16)
        return true;
      getOperation()->emitError()
          << name << " must be between 1 and 16 (0: from the target), got "
          << value;
      return false;
    };
    if (!checkRange(rowsPerTile, "rows") ||
        !checkRange(actRowsPerTile, "act-rows"))
      return signalPassFailure();
    if (prefetchBytes < -1 || prefetchBytes > kMaxPrefetchBytes) {
      getOperation()->emitError()
          << "prefetch-bytes must be between 0 and " << kMaxPrefetchBytes
          << " (-1: from the target), got "
          << static_cast<int64_t>(prefetchBytes);
      return signalPassFailure();
    }
    if (lookupTables < -1 || lookupTables > 1) {
      getOperation()->emitError()
          << "lookup-tables must be 1 (on), 0 (off) or -1 (from the target), "
             "got "
          << static_cast<int64_t>(lookupTables);
      return signalPassFailure();
    }
    bool tables = lookupTables == 1 ||
                  (lookupTables == -1 && target->prefersLookupTables());
    if (panelMinActRowsOption < -1) {
      getOperation()->emitError()
          << "panel-min-act-rows must be at least 0 (-1: from the target), "
             "got "
          << static_cast<int64_t>(panelMinActRowsOption);
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    getOperation()->walk([&](MatmulOp op) {
      if (!replaceZeroRowMatmul(rewriter, op))
        op.setKernelConfigAttr(
            selectKernel(op, *target, rowsPerTile, actRowsPerTile,
                         prefetchBytes, panelMinActRowsOption,
                         tables && canTakeTriples(op, relayoutStorage)));
    });
  }
};

} // namespace
