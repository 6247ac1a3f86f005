//===- TileMatmul.cpp - Register tiles of ternary.matmul for CPUs ---------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// ternary.matmul becomes
//
//   %p[, %sums] = ternary.prepare_activations %x ...
//   scf.forall     cache block of Nc output rows          (threads)
//    scf.for       cache block of Mc activation rows
//     scf.for      tile of R output rows
//      scf.for     tile of A activation rows
//       %t = ternary.tile_matmul %p ... [%m, %n] : ... -> vector<A x R x f32>
//       (one vector.transfer_write per activation row)
//
// with R, A, Nc, Mc and the int8 instructions of the matmul's kernel_config
// (SelectKernels.cpp). K is not split: a tile keeps each K scale group's
// exact sums in registers. A config with a panel kernel instead gives int8
// matmuls of at least panel_min_act_rows rows (a run-time choice when M is
// dynamic)
//
//   scf.forall     cache block of output rows, whole panels   (threads)
//    scf.for       panel of P output rows
//     %s = ternary_cpu.panel_matmul %p ... [%n] : ... -> tensor<M x P x f32>
//     (inserted into the block's slice, columns past N dropped)
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"

#include "BlockDecoding.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

namespace trilm {
#define GEN_PASS_DEF_TERNARYTILEMATMULCPU
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::ternary_cpu;

namespace {

/// Converts an f32 result tensor to the element type of `resultType`.
Value convertElements(OpBuilder &b, Location loc, Value result,
                      RankedTensorType resultType) {
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

void tile(MatmulOp op, MatmulConfigAttr config) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  IndexArith ia{b, loc};
  auto resultType = cast<RankedTensorType>(op.getType());
  // Activations known to have no rows (possibly behind casts that erase the
  // static shape) need no kernel; tiling them would leave zero-sized slices
  // that later folding turns into invalid IR.
  Value source = op.getInput();
  while (auto castOp = source.getDefiningOp<tensor::CastOp>())
    source = castOp.getSource();
  if (cast<RankedTensorType>(source.getType()).getDimSize(0) == 0) {
    // No activation rows: nothing to compute (and no tiles to build).
    SmallVector<Value> dynamicSizes;
    if (resultType.isDynamicDim(0))
      dynamicSizes.push_back(ia.index(0));
    op.getResult().replaceAllUsesWith(tensor::EmptyOp::create(
        b, loc, resultType.getShape(), resultType.getElementType(),
        dynamicSizes));
    op.erase();
    return;
  }
  PackedType type = op.getWeights().getType();
  int64_t rows = type.getRows();
  // Weights stored as trit triples take the lookup-table kernel, whose tile
  // is one group of the layout by one activation row.
  bool tables = isa_and_present<TritTriplesAttr>(type.getLayout());
  int64_t tileRows =
      !tables ? config.getRows()
      : isa_and_present<TritTriplesAttr>(config.getWeightLayout())
          ? config.getRows()
          : packing::kTripleRows;
  int64_t actRows = tables ? 1 : config.getActRows();
  int64_t blockRows = llvm::alignTo(config.getBlockRows(), tileRows);
  int64_t blockActRows = config.getBlockActRows();
  Int8DotKind int8Dot = config.getInt8Dot();
  bool int8 = op.isInt8();
  Value input = op.getInput();
  Type f32 = b.getF32Type();

  // Activations, prepared once for every tile and panel: the tiles' and
  // panels' reordered activations, shared by both; with trit triples the
  // tables of the lookup-table tiles or the panels' activations in K order,
  // each prepared inside its kernel's branch when M picks at run time.
  int64_t m = op.getInput().getType().getDimSize(0);
  int64_t preparedBlocks =
      PrepareActivationsOp::getNumPreparedBlocks(op.getGroups(), type.getCols());
  Value tablesValue, prepared, blockSums;
  auto prepareActivations = [&](bool forPanels) {
    if (tables && !forPanels) {
      tablesValue = PrepareTablesOp::create(
          b, loc,
          RankedTensorType::get(
              {m, preparedBlocks * PrepareTablesOp::getBytesPerBlock()},
              b.getI8Type()),
          input, op.getGroups());
      return;
    }
    auto preparedType = RankedTensorType::get(
        {m, preparedBlocks *
                PrepareActivationsOp::getPositionsPerBlock(type.getScheme())},
        int8 ? Type(b.getI8Type()) : Type(f32));
    Type sumsType;
    if (int8)
      sumsType = RankedTensorType::get({m, preparedBlocks}, b.getI32Type());
    auto prepare = PrepareActivationsOp::create(
        b, loc, preparedType, sumsType, input, op.getGroups(),
        PackingSchemeAttr::get(b.getContext(), type.getScheme()),
        tables ? b.getUnitAttr() : UnitAttr());
    prepared = prepare.getPrepared();
    if (int8 && int8Dot != Int8DotKind::neon_dotprod)
      blockSums = prepare.getBlockSums();
  };
  if (!tables)
    prepareActivations(/*forPanels=*/false);

  // The register tiles: each decoded block serves a few activation rows.
  auto buildTiles = [&]() -> Value {
    if (tables)
      prepareActivations(/*forPanels=*/false);
    Value output = createEmptyLikeRows(b, loc, input, {rows}, f32);
    int64_t numBlocks = llvm::divideCeil(rows, blockRows);
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(numBlocks)},
        ValueRange{output}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(forall.getBody()->getTerminator());
      Value blockFirstRow =
          ia.mul(forall.getInductionVars()[0], ia.index(blockRows));
      // When the blocks divide N every block and tile is full: static slices
      // and unmasked writes.
      bool fullBlocks = rows % blockRows == 0 && blockRows % tileRows == 0;
      OpFoldResult blockValidRows =
          fullBlocks ? OpFoldResult(b.getIndexAttr(blockRows))
                     : OpFoldResult(ia.min(ia.index(blockRows),
                                           ia.sub(ia.index(rows), blockFirstRow)));
      // Static when M is, so that slice types stay consistent under folding.
      OpFoldResult inputRows = tensor::getMixedSize(b, loc, input, 0);
      Value numInputRows = getValueOrCreateConstantIndexOp(b, loc, inputRows);
      Value lastInputRow = ia.sub(numInputRows, ia.index(1));
      Value numBlockRows =
          getValueOrCreateConstantIndexOp(b, loc, blockValidRows);
      Value shared = forall.getRegionIterArgs()[0];
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                           OpFoldResult(blockFirstRow)};
      SmallVector<OpFoldResult> sizesOfSlice = {inputRows, blockValidRows};
      SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
      Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                   sizesOfSlice, strides);
      auto tileLoop = [&](OpBuilder &lb, Value tileFirstRow, Value actRow,
                          Value blockOut) {
        IndexArith lia{lb, loc};
        auto tileType = VectorType::get({actRows, tileRows}, f32);
        IntegerAttr prefetch =
            config.getPrefetchBytes()
                ? lb.getI64IntegerAttr(config.getPrefetchBytes())
                : IntegerAttr();
        Value tileRow = lia.add(blockFirstRow, tileFirstRow);
        Value tile =
            tables
                ? TableMatmulOp::create(
                      lb, loc, tileType, tablesValue, op.getActScales(),
                      op.getWeights(), op.getScales(), actRow, tileRow,
                      op.getGroups(), config.getByteLookup(), prefetch)
                      .getResult()
                : TileMatmulOp::create(lb, loc, tileType, prepared, blockSums,
                                       op.getActScales(), op.getWeights(),
                                       op.getScales(), actRow, tileRow,
                                       op.getGroups(), int8Dot, prefetch)
                      .getResult();
        // Activation rows past M write the (identical) values of row M-1;
        // columns past N are masked off by the transfer.
        Value written = blockOut;
        for (int64_t i = 0; i < actRows; ++i) {
          Value row =
              vector::ExtractOp::create(lb, loc, tile, ArrayRef<int64_t>{i});
          Value index = lia.min(lia.add(actRow, lia.index(i)), lastInputRow);
          written = vector::TransferWriteOp::create(
                        lb, loc, row, written, ValueRange{index, tileFirstRow},
                        ArrayRef<bool>{fullBlocks})
                        .getResult();
        }
        return written;
      };
      auto forRange = [&](OpBuilder &lb, Value lower, Value upper, int64_t step,
                          Value init,
                          function_ref<Value(OpBuilder &, Value, Value)> body) {
        return scf::ForOp::create(
                   lb, loc, lower, upper, IndexArith{lb, loc}.index(step),
                   ValueRange{init},
                   [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
                     scf::YieldOp::create(nb, loc, body(nb, iv, args[0]));
                   })
            .getResult(0);
      };
      Value blockOut = forRange(
          b, ia.index(0), numInputRows, blockActRows, slice,
          [&](OpBuilder &b1, Value actBlock, Value out1) {
            IndexArith ia1{b1, loc};
            Value actEnd =
                ia1.min(ia1.add(actBlock, ia1.index(blockActRows)), numInputRows);
            // With several streams (full blocks only), the j-th tile is tile
            // j / streams of part j % streams of the block.
            int64_t streams =
                fullBlocks && blockRows % (tileRows * config.getStreams()) == 0
                    ? config.getStreams()
                    : 1;
            int64_t partRows = blockRows / streams;
            return forRange(
                b1, ia1.index(0), numBlockRows, tileRows, out1,
                [&](OpBuilder &b2, Value position, Value out2) {
                  IndexArith ia2{b2, loc};
                  Value tileFirstRow = position;
                  if (streams > 1) {
                    Value tile = ia2.div(position, ia2.index(tileRows));
                    tileFirstRow = ia2.add(
                        ia2.mul(ia2.rem(tile, ia2.index(streams)),
                                ia2.index(partRows)),
                        ia2.mul(ia2.div(tile, ia2.index(streams)),
                                ia2.index(tileRows)));
                  }
                  return forRange(b2, actBlock, actEnd, actRows, out2,
                                  [&](OpBuilder &b3, Value actRow, Value out3) {
                                    return tileLoop(b3, tileFirstRow, actRow,
                                                    out3);
                                  });
                });
          });
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, blockOut, shared, offsets,
                                            sizesOfSlice, strides);
    }
    return forall.getResult(0);
  };
  // The panel kernel: strips of panel_rows weight rows, each decoded once
  // for all activation rows.
  auto buildPanels = [&]() -> Value {
    if (tables)
      prepareActivations(/*forPanels=*/true);
    int64_t panelRows = config.getPanelRows();
    int64_t panelBlockRows = llvm::alignTo(std::min(blockRows, rows), panelRows);
    Value output = createEmptyLikeRows(b, loc, input, {rows}, f32);
    auto forall = scf::ForallOp::create(
        b, loc,
        ArrayRef<OpFoldResult>{
            b.getIndexAttr(llvm::divideCeil(rows, panelBlockRows))},
        ValueRange{output}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    Value blockFirstRow =
        ia.mul(forall.getInductionVars()[0], ia.index(panelBlockRows));
    bool fullBlocks = rows % panelBlockRows == 0;
    OpFoldResult blockValidRows =
        fullBlocks ? OpFoldResult(b.getIndexAttr(panelBlockRows))
                   : OpFoldResult(ia.min(ia.index(panelBlockRows),
                                         ia.sub(ia.index(rows), blockFirstRow)));
    OpFoldResult inputRows = tensor::getMixedSize(b, loc, input, 0);
    Value shared = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0),
                                         OpFoldResult(blockFirstRow)};
    SmallVector<OpFoldResult> sizes = {inputRows, blockValidRows};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    Value slice =
        tensor::ExtractSliceOp::create(b, loc, shared, offsets, sizes, strides);
    // Cache blocks of activation rows, as the register tiles have them, in
    // whole blocks of the panel's activation rows.
    int64_t panelActRows = config.getPanelActRows();
    int64_t panelBlockActRows = llvm::alignTo(blockActRows, panelActRows);
    Value numInputRows = getValueOrCreateConstantIndexOp(b, loc, inputRows);
    Value numBlockRows = getValueOrCreateConstantIndexOp(b, loc, blockValidRows);
    auto actBlockLoop = scf::ForOp::create(
        b, loc, ia.index(0), numInputRows, ia.index(panelBlockActRows),
        ValueRange{slice},
        [&](OpBuilder &ab, Location, Value actBlock, ValueRange actArgs) {
          IndexArith aia{ab, loc};
          OpFoldResult actBlockRows =
              !ShapedType::isDynamic(m) && m <= panelBlockActRows
                  ? OpFoldResult(ab.getIndexAttr(m))
                  : OpFoldResult(aia.min(aia.index(panelBlockActRows),
                                         aia.sub(numInputRows, actBlock)));
          auto panelLoop = scf::ForOp::create(
              ab, loc, aia.index(0), numBlockRows, aia.index(panelRows),
              actArgs,
              [&](OpBuilder &pb, Location, Value panelFirstRow,
                  ValueRange args) {
                IndexArith pia{pb, loc};
                // Columns past N are left out of the strip.
                OpFoldResult stripRows =
                    fullBlocks ? OpFoldResult(pb.getIndexAttr(panelRows))
                               : OpFoldResult(pia.min(
                                     pia.index(panelRows),
                                     pia.sub(numBlockRows, panelFirstRow)));
                SmallVector<OpFoldResult> stripOffsets = {actBlock,
                                                          panelFirstRow};
                SmallVector<OpFoldResult> stripSizes = {actBlockRows,
                                                        stripRows};
                Value dest = tensor::ExtractSliceOp::create(
                    pb, loc, args[0], stripOffsets, stripSizes, strides);
                Value strip = PanelMatmulOp::create(
                    pb, loc, dest.getType(), prepared, blockSums,
                    op.getActScales(), op.getWeights(), op.getScales(), dest,
                    actBlock, pia.add(blockFirstRow, panelFirstRow),
                    op.getGroups(), int8Dot, panelRows, panelActRows,
                    tables ? ByteLookupKindAttr::get(pb.getContext(),
                                                     config.getByteLookup())
                           : ByteLookupKindAttr());
                scf::YieldOp::create(
                    pb, loc,
                    tensor::InsertSliceOp::create(pb, loc, strip, args[0],
                                                  stripOffsets, stripSizes,
                                                  strides)
                        .getResult());
              });
          scf::YieldOp::create(ab, loc, panelLoop.getResults());
        });
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, actBlockLoop.getResult(0),
                                          shared, offsets, sizes, strides);
    return forall.getResult(0);
  };

  // The panel kernel from panel_min_act_rows rows on, decided at run time
  // when M is dynamic.
  Value result;
  bool panels =
      int8 && config.getPanelRows() > 0 &&
      (!tables || isa_and_present<TritTriplesAttr>(config.getWeightLayout()));
  if (!panels ||
      (!ShapedType::isDynamic(m) && m < config.getPanelMinActRows())) {
    result = buildTiles();
  } else if (!ShapedType::isDynamic(m)) {
    result = buildPanels();
  } else {
    Value enough = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::uge,
        tensor::DimOp::create(b, loc, input, 0),
        ia.index(config.getPanelMinActRows()));
    auto choice = scf::IfOp::create(
        b, loc, TypeRange{RankedTensorType::get({m, rows}, f32)}, enough,
        /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(choice.thenBlock());
    scf::YieldOp::create(b, loc, buildPanels());
    b.setInsertionPointToStart(choice.elseBlock());
    scf::YieldOp::create(b, loc, buildTiles());
    result = choice.getResult(0);
  }
  if (!resultType.getElementType().isF32())
    result = convertElements(b, loc, result, resultType);
  op.getResult().replaceAllUsesWith(result);
  op.erase();
}

struct TernaryTileMatmulCPUPass
    : public trilm::impl::TernaryTileMatmulCPUBase<TernaryTileMatmulCPUPass> {
  void runOnOperation() override {
    SmallVector<MatmulOp> matmuls;
    getOperation()->walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      auto config =
          dyn_cast_if_present<MatmulConfigAttr>(op.getKernelConfigAttr());
      if (!config) {
        op.emitOpError("has no CPU kernel configuration: run "
                       "ternary-select-kernels-cpu first");
        return signalPassFailure();
      }
      PackedType type = op.getWeights().getType();
      bool triples = isa_and_present<TritTriplesAttr>(type.getLayout());
      if (isa_and_present<TritTriplesAttr>(config.getWeightLayout()) &&
          !triples) {
        op.emitOpError("has weights of type ")
            << type
            << ", not #ternary.trit_triples as its kernel configuration "
               "asks: ternary-relayout-weights could not re-lay them";
        return signalPassFailure();
      }
      // The reference lowering handles the other layouts, and float
      // activations with trit triples.
      if (triples ? op.isInt8() : cpu_kernels::isReadInPlace(type))
        tile(op, config);
    }
  }
};

} // namespace
