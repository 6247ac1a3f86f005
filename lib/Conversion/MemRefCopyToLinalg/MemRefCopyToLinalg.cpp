//===- MemRefCopyToLinalg.cpp - memref.copy as linalg.copy ----------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Bufferization copies strided views (slices of a fused projection, rows of a
// KV cache) with memref.copy, which the LLVM lowering turns into a call to
// the `memrefCopy` function of MLIR's C runner library. As linalg.copy they
// become loops instead, and compiled models need nothing beyond libc.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/MemRefCopyToLinalg/MemRefCopyToLinalg.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace trilm {
#define GEN_PASS_DEF_MEMREFCOPYTOLINALG
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;

namespace {

struct CopyToLinalg : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    auto source = cast<MemRefType>(op.getSource().getType());
    auto target = cast<MemRefType>(op.getTarget().getType());
    // Identity layouts on both sides lower to one memcpy already.
    if (source.getLayout().isIdentity() && target.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "contiguous: becomes a memcpy");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                op.getTarget());
    return success();
  }
};

struct MemRefCopyToLinalgPass
    : public trilm::impl::MemRefCopyToLinalgBase<MemRefCopyToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
