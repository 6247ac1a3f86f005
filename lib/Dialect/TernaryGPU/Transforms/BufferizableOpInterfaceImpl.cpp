//===- BufferizableOpInterfaceImpl.cpp - Bufferizing ternary_gpu ops ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryGPU/Transforms/BufferizableOpInterfaceImpl.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPU.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace trilm::ternary_gpu;

namespace {

struct MatmulOpInterface
    : public DstBufferizableOpInterfaceExternalModel<MatmulOpInterface,
                                                     MatmulOp> {
  /// The kernel overwrites every element of init without reading it, so a
  /// fresh buffer needs no copy of init's value.
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return !cast<MatmulOp>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto matmul = cast<MatmulOp>(op);
    SmallVector<Value, 4> buffers;
    for (Value operand : matmul->getOperands()) {
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    rewriter.setInsertionPoint(matmul);
    MatmulOp::create(rewriter, matmul.getLoc(), TypeRange(), buffers[0],
                     buffers[1], buffers[2], buffers[3], matmul.getWeights(),
                     matmul.getGroups(), matmul.getConfig());
    replaceOpWithBufferizedValues(rewriter, op, buffers[3]);
    return success();
  }
};

} // namespace

void trilm::ternary_gpu::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, TernaryGPUDialect *) {
    MatmulOp::attachInterface<MatmulOpInterface>(*context);
  });
}
