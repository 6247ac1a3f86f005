//===- LowerKernelOps.cpp - CPU kernel vector ops to instructions ---------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace trilm::ternary {
#define GEN_PASS_DEF_TERNARYLOWERKERNELOPS
#include "trilm/Dialect/Ternary/Transforms/Passes.h.inc"
} // namespace trilm::ternary

using namespace mlir;
using namespace trilm::ternary;

namespace {

/// Widening multiplies and a reduction over each group of four lanes.
Value lowerGeneric(PatternRewriter &rewriter, Dot4Op op) {
  Location loc = op.getLoc();
  int64_t bytes = op.getLhs().getType().getDimSize(0);
  auto wideType = VectorType::get({bytes}, rewriter.getI32Type());
  Value lhs =
      op.getUnsignedLhs()
          ? arith::ExtUIOp::create(rewriter, loc, wideType, op.getLhs()).getResult()
          : arith::ExtSIOp::create(rewriter, loc, wideType, op.getLhs()).getResult();
  Value rhs = arith::ExtSIOp::create(rewriter, loc, wideType, op.getRhs());
  Value products = arith::MulIOp::create(rewriter, loc, lhs, rhs);
  Value grouped = vector::ShapeCastOp::create(
      rewriter, loc, VectorType::get({bytes / 4, 4}, rewriter.getI32Type()),
      products);
  return vector::MultiDimReductionOp::create(
      rewriter, loc, grouped, op.getAcc(), ArrayRef<bool>{false, true},
      vector::CombiningKind::ADD);
}

struct LowerDot4Pattern : public OpRewritePattern<Dot4Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Dot4Op op,
                                PatternRewriter &rewriter) const override {
    VectorType lanesType = op.getAcc().getType();
    int64_t bits = op.getLhs().getType().getDimSize(0) * 8;
    switch (op.getKind()) {
    case Int8DotKind::generic:
      rewriter.replaceOp(op, lowerGeneric(rewriter, op));
      return success();
    case Int8DotKind::avx512_vnni:
    case Int8DotKind::avx_vnni: {
      // One intrinsic family serves both: the backend picks the EVEX
      // (AVX-512 VNNI) or VEX (AVX-VNNI) encoding from the target features.
      // In LLVM 22 its byte operands are typed <N x i8>.
      std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(bits);
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, lanesType, rewriter.getStringAttr(name),
          ValueRange{op.getAcc(), op.getLhs(), op.getRhs()});
      return success();
    }
    case Int8DotKind::neon_dotprod:
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, lanesType,
          rewriter.getStringAttr("llvm.aarch64.neon.sdot.v4i32.v16i8"),
          ValueRange{op.getAcc(), op.getLhs(), op.getRhs()});
      return success();
    }
    llvm_unreachable("unknown int8 dot kind");
  }
};

/// vpermps on AVX-512: a 16-entry table indexed by 4 bits of each lane,
/// which hold this field and its neighbour; otherwise shift, mask, convert.
struct LowerTritsToF32Pattern : public OpRewritePattern<TritsToF32Op> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TritsToF32Op op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType fieldsType = op.getFields().getType();
    VectorType resultType = op.getType();
    int64_t shift = op.getShift();
    auto splat = [&](VectorType type, Attribute value) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, value));
    };
    auto shiftRight = [&](Value value, int64_t bits) -> Value {
      if (bits == 0)
        return value;
      return arith::ShRUIOp::create(
          rewriter, loc, value,
          splat(fieldsType, rewriter.getI32IntegerAttr(bits)));
    };
    if (op.getKind() == Int8DotKind::avx512_vnni &&
        fieldsType.getDimSize(0) == 16) {
      // The index is bits [nibble, nibble + 4) of the lane; the field is at
      // bit `shift % 4` of it.
      int64_t nibble = shift - shift % 4;
      SmallVector<float> table;
      for (int64_t index = 0; index < 16; ++index)
        table.push_back(static_cast<float>(((index >> (shift % 4)) & 3) - 1));
      Value tableValue = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(resultType, ArrayRef<float>(table)));
      rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
          op, resultType, rewriter.getStringAttr("llvm.x86.avx512.permvar.sf.512"),
          ValueRange{tableValue, shiftRight(op.getFields(), nibble)});
      return success();
    }
    Value code = arith::AndIOp::create(
        rewriter, loc, shiftRight(op.getFields(), shift),
        splat(fieldsType, rewriter.getI32IntegerAttr(3)));
    Value trit = arith::SubIOp::create(
        rewriter, loc, code, splat(fieldsType, rewriter.getI32IntegerAttr(1)));
    rewriter.replaceOpWithNewOp<arith::SIToFPOp>(op, resultType, trit);
    return success();
  }
};

struct TernaryLowerKernelOpsPass
    : public trilm::ternary::impl::TernaryLowerKernelOpsBase<
          TernaryLowerKernelOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerDot4Pattern, LowerTritsToF32Pattern>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
