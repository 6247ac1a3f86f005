//===- LowerInstructions.cpp - CPU kernel vector ops to instructions ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"

namespace trilm::ternary_cpu {
#define GEN_PASS_DEF_TERNARYCPULOWERINSTRUCTIONS
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h.inc"
} // namespace trilm::ternary_cpu

using namespace mlir;
using namespace trilm::ternary_cpu;

namespace {

/// A call of the LLVM intrinsic `id`, named by LLVM's own table.
Value callIntrinsic(PatternRewriter &rewriter, Location loc, Type result,
                    llvm::Intrinsic::ID id, ValueRange operands) {
  return LLVM::CallIntrinsicOp::create(
             rewriter, loc, result,
             rewriter.getStringAttr(llvm::Intrinsic::getBaseName(id)),
             operands)
      .getResult(0);
}

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
    int64_t lanes = lanesType.getDimSize(0);
    SmallVector<Value, 3> operands = {op.getAcc(), op.getLhs(), op.getRhs()};
    switch (op.getKind()) {
    case Int8DotKind::generic:
      rewriter.replaceOp(op, lowerGeneric(rewriter, op));
      return success();
    case Int8DotKind::avx512_vnni:
    case Int8DotKind::avx_vnni: {
      // One intrinsic family serves both: the backend picks the EVEX
      // (AVX-512 VNNI) or VEX (AVX-VNNI) encoding from the target features.
      // In LLVM 22 its byte operands are typed <N x i8>.
      llvm::Intrinsic::ID id = lanes == 16  ? llvm::Intrinsic::x86_avx512_vpdpbusd_512
                               : lanes == 8 ? llvm::Intrinsic::x86_avx512_vpdpbusd_256
                                            : llvm::Intrinsic::x86_avx512_vpdpbusd_128;
      rewriter.replaceOp(op, callIntrinsic(rewriter, op.getLoc(), lanesType,
                                           id, operands));
      return success();
    }
    case Int8DotKind::neon_dotprod:
      rewriter.replaceOpWithNewOp<arm_neon::SdotOp>(
          op, lanesType, op.getAcc(), op.getLhs(), op.getRhs());
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
      rewriter.replaceOp(
          op, callIntrinsic(rewriter, loc, resultType,
                            llvm::Intrinsic::x86_avx512_permvar_sf_512,
                            {tableValue, shiftRight(op.getFields(), nibble)}));
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

/// vpermb (bytes) or vpermw (words) on AVX-512 VBMI; otherwise one
/// extraction per lane.
struct LowerLookupPattern : public OpRewritePattern<LookupOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LookupOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(op.getType());
    Type lane = type.getElementType();
    if (op.getKind() == ByteLookupKind::avx512_vbmi) {
      rewriter.replaceOp(
          op, callIntrinsic(rewriter, loc, type,
                            lane.isInteger(8)
                                ? llvm::Intrinsic::x86_avx512_permvar_qi_512
                                : llvm::Intrinsic::x86_avx512_permvar_hi_512,
                            {op.getTable(), op.getIndices()}));
      return success();
    }
    Value mask = arith::ConstantOp::create(
        rewriter, loc, rewriter.getIntegerAttr(lane, type.getDimSize(0) - 1));
    SmallVector<Value> lanes;
    for (int64_t lane = 0; lane < type.getDimSize(0); ++lane) {
      Value index = arith::AndIOp::create(
          rewriter, loc,
          vector::ExtractOp::create(rewriter, loc, op.getIndices(), lane),
          mask);
      Value position = arith::IndexCastUIOp::create(
          rewriter, loc, rewriter.getIndexType(), index);
      lanes.push_back(vector::ExtractOp::create(
          rewriter, loc, op.getTable(), ArrayRef<OpFoldResult>{position}));
    }
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, type, lanes);
    return success();
  }
};

struct TernaryCPULowerInstructionsPass
    : public trilm::ternary_cpu::impl::TernaryCPULowerInstructionsBase<
          TernaryCPULowerInstructionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerDot4Pattern, LowerTritsToF32Pattern, LowerLookupPattern>(
        &getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
