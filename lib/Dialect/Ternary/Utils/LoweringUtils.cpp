//===- LoweringUtils.cpp - Helpers shared by ternary lowerings ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace trilm::ternary;

Value trilm::ternary::quantizationScale(OpBuilder &b, Location loc,
                                        Value absmax, float eps) {
  Value floor = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(eps));
  Value levels = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(127.0f));
  return arith::DivFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, absmax, floor), levels);
}

Value trilm::ternary::quantizeToI8(OpBuilder &b, Location loc, Value value,
                                   Value scale) {
  // Scalars or vectors alike: constants and the result take value's shape.
  auto constant = [&](float number) -> Value {
    Attribute attr = b.getF32FloatAttr(number);
    if (auto vectorType = dyn_cast<VectorType>(value.getType()))
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vectorType, attr));
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  };
  Value rounded = math::RoundEvenOp::create(
      b, loc, arith::DivFOp::create(b, loc, value, scale));
  Value clamped = arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, rounded, constant(-127.0f)),
      constant(127.0f));
  Type i8 = b.getI8Type();
  if (auto vectorType = dyn_cast<VectorType>(value.getType()))
    i8 = vectorType.clone(i8);
  return arith::FPToSIOp::create(b, loc, i8, clamped);
}

bool trilm::ternary::replaceZeroRowMatmul(RewriterBase &rewriter,
                                          MatmulOp op) {
  if (op.getInput().getType().getDimSize(0) != 0)
    return false;
  RankedTensorType type = op.getResult().getType();
  rewriter.setInsertionPoint(op);
  rewriter.replaceOpWithNewOp<tensor::EmptyOp>(op, type.getShape(),
                                               type.getElementType());
  return true;
}
