//===- LoweringUtils.cpp - Helpers shared by ternary lowerings ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

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
  Value rounded = math::RoundEvenOp::create(
      b, loc, arith::DivFOp::create(b, loc, value, scale));
  Value low = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-127.0f));
  Value high = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(127.0f));
  Value clamped = arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, rounded, low), high);
  return arith::FPToSIOp::create(b, loc, b.getI8Type(), clamped);
}
