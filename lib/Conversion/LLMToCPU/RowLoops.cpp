//===- RowLoops.cpp - Loops over rows and vector chunks -------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "RowLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "trilm/Utils/BuilderUtils.h"

using namespace mlir;
using namespace trilm;

namespace {

/// The [1 x ...] slice of `tensor` at `row`.
struct RowSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;

  RowSlice(OpBuilder &b, Location loc, Value tensor, Value row) {
    auto type = cast<RankedTensorType>(tensor.getType());
    offsets.push_back(row);
    sizes.push_back(b.getIndexAttr(1));
    strides.push_back(b.getIndexAttr(1));
    for (int64_t d = 1; d < type.getRank(); ++d) {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(tensor::getMixedSize(b, loc, tensor, d));
      strides.push_back(b.getIndexAttr(1));
    }
  }
};

/// Whether every chunk of a `width`-wide row is whole.
bool wholeChunks(Value tensor) {
  int64_t width = cast<RankedTensorType>(tensor.getType()).getShape().back();
  return !ShapedType::isDynamic(width) && width % cpu::kLanes == 0;
}

SmallVector<Value> indices(OpBuilder &b, Location loc, Value tensor, Value row,
                           Value column) {
  if (cast<RankedTensorType>(tensor.getType()).getRank() == 1)
    return {column};
  return {row, column};
}

} // namespace

SmallVector<Value> trilm::cpu::buildRowLoop(
    OpBuilder &b, Location loc, ValueRange outputs,
    function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)> body) {
  IndexArith ia{b, loc};
  auto type = cast<RankedTensorType>(outputs.front().getType());
  Value rows = tensor::DimOp::create(b, loc, outputs.front(), 0);
  if (type.isDynamicDim(0)) {
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{OpFoldResult(rows)}, outputs,
        std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(forall.getBody()->getTerminator());
    Value row = forall.getInductionVars()[0];
    SmallVector<Value> slices;
    SmallVector<RowSlice> shapes;
    for (Value shared : forall.getRegionIterArgs()) {
      shapes.emplace_back(b, loc, shared, row);
      slices.push_back(tensor::ExtractSliceOp::create(
          b, loc, shared, shapes.back().offsets, shapes.back().sizes,
          shapes.back().strides));
    }
    SmallVector<Value> results = body(b, row, slices);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [result, shared, shape] :
         llvm::zip_equal(results, forall.getRegionIterArgs(), shapes))
      tensor::ParallelInsertSliceOp::create(b, loc, result, shared,
                                            shape.offsets, shape.sizes,
                                            shape.strides);
    return SmallVector<Value>(forall.getResults());
  }
  auto loop = scf::ForOp::create(
      b, loc, ia.index(0), rows, ia.index(1), outputs,
      [&](OpBuilder &nb, Location, Value row, ValueRange carried) {
        SmallVector<Value> slices;
        SmallVector<RowSlice> shapes;
        for (Value tensor : carried) {
          shapes.emplace_back(nb, loc, tensor, row);
          slices.push_back(tensor::ExtractSliceOp::create(
              nb, loc, tensor, shapes.back().offsets, shapes.back().sizes,
              shapes.back().strides));
        }
        SmallVector<Value> results = body(nb, row, slices);
        SmallVector<Value> updated;
        for (auto [result, tensor, shape] :
             llvm::zip_equal(results, carried, shapes))
          updated.push_back(tensor::InsertSliceOp::create(
              nb, loc, result, tensor, shape.offsets, shape.sizes,
              shape.strides));
        scf::YieldOp::create(nb, loc, updated);
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> trilm::cpu::buildChunkLoop(
    OpBuilder &b, Location loc, int64_t width, ValueRange inits,
    function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)> body) {
  IndexArith ia{b, loc};
  auto loop = scf::ForOp::create(
      b, loc, ia.index(0), ia.index(width), ia.index(kLanes), inits,
      [&](OpBuilder &nb, Location, Value column, ValueRange carried) {
        scf::YieldOp::create(nb, loc, body(nb, column, carried));
      });
  return SmallVector<Value>(loop.getResults());
}

Value trilm::cpu::readChunk(OpBuilder &b, Location loc, Value source,
                            Value row, Value column, double padding) {
  Type element = cast<RankedTensorType>(source.getType()).getElementType();
  Value pad = arith::ConstantOp::create(b, loc, b.getFloatAttr(element, padding));
  Value chunk = vector::TransferReadOp::create(
      b, loc, VectorType::get({kLanes}, element), source,
      indices(b, loc, source, row, column), pad,
      ArrayRef<bool>{wholeChunks(source)});
  return extendToF32(b, loc, chunk);
}

Value trilm::cpu::writeChunk(OpBuilder &b, Location loc, Value chunk,
                             Value dest, Value row, Value column) {
  Type element = cast<RankedTensorType>(dest.getType()).getElementType();
  Value converted = truncateFromF32(
      b, loc, chunk, VectorType::get({kLanes}, element));
  return vector::TransferWriteOp::create(b, loc, converted, dest,
                                         indices(b, loc, dest, row, column),
                                         ArrayRef<bool>{wholeChunks(dest)})
      .getResult();
}

Value trilm::cpu::sumLanes(OpBuilder &b, Location loc, Value vector) {
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                     vector, arith::FastMathFlags::reassoc);
}

Value trilm::cpu::splatChunk(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get({kLanes}, b.getF32Type()),
                             b.getF32FloatAttr(value)));
}
