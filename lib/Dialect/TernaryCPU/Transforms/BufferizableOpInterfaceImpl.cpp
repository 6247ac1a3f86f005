//===- BufferizableOpInterfaceImpl.cpp - Bufferizing ternary_cpu ops ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryCPU/Transforms/BufferizableOpInterfaceImpl.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace trilm::ternary_cpu;

namespace {

/// A prefetch is a hint about an address: it neither reads a value nor
/// writes, so it never forces a copy of its tensor.
struct PrefetchOpInterface
    : public BufferizableOpInterface::ExternalModel<PrefetchOpInterface,
                                                    PrefetchOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return false;
  }

  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }

  AliasingValueList getAliasingValues(Operation *, OpOperand &,
                                      const AnalysisState &) const {
    return {};
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto prefetch = cast<PrefetchOp>(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, prefetch.getSource(), options, state);
    if (failed(buffer))
      return failure();
    rewriter.replaceOpWithNewOp<memref::PrefetchOp>(
        op, *buffer, prefetch.getIndices(), /*isWrite=*/false,
        /*localityHint=*/3, /*isDataCache=*/true);
    return success();
  }
};

} // namespace

void trilm::ternary_cpu::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, TernaryCPUDialect *) {
    PrefetchOp::attachInterface<PrefetchOpInterface>(*context);
    context->loadDialect<memref::MemRefDialect>();
  });
}
