//===- BuilderUtils.cpp - Helpers shared by trilm's lowerings -------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Utils/BuilderUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace trilm;

Value IndexArith::index(int64_t value) const {
  return arith::ConstantIndexOp::create(b, loc, value);
}
Value IndexArith::i32(int64_t value) const {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
}
Value IndexArith::add(Value x, Value y) const {
  return arith::AddIOp::create(b, loc, x, y);
}
Value IndexArith::sub(Value x, Value y) const {
  return arith::SubIOp::create(b, loc, x, y);
}
Value IndexArith::mul(Value x, Value y) const {
  return arith::MulIOp::create(b, loc, x, y);
}
Value IndexArith::div(Value x, Value y) const {
  return arith::DivUIOp::create(b, loc, x, y);
}
Value IndexArith::rem(Value x, Value y) const {
  return arith::RemUIOp::create(b, loc, x, y);
}
Value IndexArith::min(Value x, Value y) const {
  return arith::MinUIOp::create(b, loc, x, y);
}
Value IndexArith::lt(Value x, Value y) const {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
}
Value IndexArith::eq(Value x, Value y) const {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
}
Value IndexArith::select(Value cond, Value x, Value y) const {
  return arith::SelectOp::create(b, loc, cond, x, y);
}
Value IndexArith::toI32(Value indexValue) const {
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), indexValue);
}

Value IndexArith::groupOf(Value position, ArrayRef<int64_t> splits,
                          int64_t block) const {
  if (block > 0)
    return div(position, index(block));
  Value group = index(0);
  for (int64_t split : splits) {
    Value past = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                       position, index(split));
    group = add(group, select(past, index(1), index(0)));
  }
  return group;
}

Value trilm::extendToF32(OpBuilder &b, Location loc, Value value) {
  if (getElementTypeOrSelf(value.getType()).isF32())
    return value;
  Type target = b.getF32Type();
  if (auto vectorType = dyn_cast<VectorType>(value.getType()))
    target = vectorType.clone(target);
  return arith::ExtFOp::create(b, loc, target, value);
}

Value trilm::truncateFromF32(OpBuilder &b, Location loc, Value value,
                                      Type type) {
  if (getElementTypeOrSelf(type).isF32())
    return value;
  return arith::TruncFOp::create(b, loc, type, value);
}

Value trilm::createEmptyLikeRows(OpBuilder &b, Location loc,
                                          Value like,
                                          ArrayRef<int64_t> trailing,
                                          Type elementType) {
  auto likeType = cast<RankedTensorType>(like.getType());
  SmallVector<int64_t> shape = {likeType.getDimSize(0)};
  llvm::append_range(shape, trailing);
  SmallVector<Value> dynamicSizes;
  if (ShapedType::isDynamic(shape[0]))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, like, 0));
  return tensor::EmptyOp::create(b, loc, shape, elementType, dynamicSizes);
}

Value trilm::createZeroFilled(OpBuilder &b, Location loc,
                                       Value empty) {
  Type elementType = cast<RankedTensorType>(empty.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

AffineMap trilm::projection(MLIRContext *context, unsigned dims,
                            ArrayRef<unsigned> results) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : results)
    exprs.push_back(getAffineDimExpr(d, context));
  return AffineMap::get(dims, 0, exprs, context);
}

Value trilm::buildGeneric(
    OpBuilder &b, Location loc, Value init, ValueRange inputs,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
             })
      .getResult(0);
}
