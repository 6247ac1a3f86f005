//===- MapLoops.cpp - Host loops onto GPU blocks and threads --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The loops that lowering the model's element-wise, normalisation and
// attention ops leaves in host functions, mapped for
// convert-parallel-loops-to-gpu: every memory access ends up in a kernel.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/LoopsToGPU/LoopsToGPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace trilm {
#define GEN_PASS_DEF_TRILMGPUMAPLOOPS
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;

namespace {

/// Work the host must keep: launches, parallel loops (kernels to be) and
/// GPU runtime operations.
bool launchesWork(Operation *op) {
  return isa<scf::ParallelOp, gpu::LaunchFuncOp, gpu::LaunchOp>(op) ||
         isa_and_present<gpu::GPUDialect>(op->getDialect());
}

bool containsLaunches(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return launchesWork(nested) ? WalkResult::interrupt()
                                    : WalkResult::advance();
      })
      .wasInterrupted();
}

bool accessesMemory(Operation *op) {
  return isa<memref::LoadOp, memref::StoreOp, memref::AtomicRMWOp>(op);
}

struct TrilmGPUMapLoopsPass
    : public trilm::impl::TrilmGPUMapLoopsBase<TrilmGPUMapLoopsPass> {
  using Base::Base;

  /// Wraps each memory access outside parallel loops, with its enclosing
  /// loops that launch nothing, in a one-iteration scf.parallel.
  LogicalResult wrapSerialAccesses(func::FuncOp function) {
    SetVector<Operation *> roots;
    WalkResult walked = function.walk([&](Operation *op) {
      if (!accessesMemory(op) || op->getParentOfType<scf::ParallelOp>())
        return WalkResult::advance();
      Operation *root = op;
      while (root->getParentOp() != function &&
             !containsLaunches(root->getParentOp()))
        root = root->getParentOp();
      if (root->getNumResults() != 0) {
        root->emitOpError("reads memory for the host's own use (its results "
                          "steer the host code); a GPU program cannot");
        return WalkResult::interrupt();
      }
      roots.insert(root);
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return failure();
    for (Operation *root : roots) {
      OpBuilder b(root);
      Location loc = root->getLoc();
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto serial = scf::ParallelOp::create(b, loc, ValueRange{zero},
                                            ValueRange{one}, ValueRange{one});
      root->moveBefore(serial.getBody()->getTerminator());
    }
    return success();
  }

  /// Tiles `loop` so that its innermost dimension spreads over a block's
  /// threads, and records the mapping of both levels.
  LogicalResult tileAndMap(scf::ParallelOp loop) {
    MLIRContext *context = loop.getContext();
    unsigned rank = loop.getNumLoops();
    int64_t tile = threads;
    std::optional<int64_t> extent = constantTripCount(loop, rank - 1);
    if (extent && *extent > 0)
      tile = std::min<int64_t>(tile, *extent);
    SmallVector<int64_t> tileSizes(rank, 1);
    tileSizes.back() = tile;
    auto [outer, inner] =
        scf::tileParallelLoop(loop, tileSizes, /*noMinMaxBounds=*/true);

    AffineMap identity = AffineMap::getMultiDimIdentityMap(1, context);
    auto dim = [&](gpu::Processor processor) {
      return gpu::ParallelLoopDimMappingAttr::get(context, processor, identity,
                                                  identity);
    };
    // Innermost dimension first: grid x, then y, then z.
    const gpu::Processor grid[] = {gpu::Processor::BlockX,
                                   gpu::Processor::BlockY,
                                   gpu::Processor::BlockZ};
    SmallVector<gpu::ParallelLoopDimMappingAttr> outerMapping, innerMapping;
    for (unsigned i = 0; i < rank; ++i) {
      unsigned fromInnermost = rank - 1 - i;
      outerMapping.push_back(dim(fromInnermost < 3 ? grid[fromInnermost]
                                                   : gpu::Processor::Sequential));
      innerMapping.push_back(dim(fromInnermost == 0 ? gpu::Processor::ThreadX
                                                    : gpu::Processor::Sequential));
    }
    if (failed(gpu::setMappingAttr(outer, outerMapping)) ||
        failed(gpu::setMappingAttr(inner, innerMapping)))
      return loop.emitOpError("cannot be mapped to GPU blocks and threads");
    return success();
  }

  static std::optional<int64_t> constantTripCount(scf::ParallelOp loop,
                                                  unsigned dim) {
    auto lower = getConstantIntValue(loop.getLowerBound()[dim]);
    auto upper = getConstantIntValue(loop.getUpperBound()[dim]);
    auto step = getConstantIntValue(loop.getStep()[dim]);
    if (!lower || !upper || !step || *step <= 0)
      return std::nullopt;
    return llvm::divideCeil(*upper - *lower, *step);
  }

  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isDeclaration())
        continue;
      if (failed(wrapSerialAccesses(function)))
        return signalPassFailure();
      SmallVector<scf::ParallelOp> outermost;
      function.walk([&](scf::ParallelOp loop) {
        if (!loop->getParentOfType<scf::ParallelOp>())
          outermost.push_back(loop);
      });
      for (scf::ParallelOp loop : outermost)
        if (failed(tileAndMap(loop)))
          return signalPassFailure();
    }
  }
};

} // namespace
