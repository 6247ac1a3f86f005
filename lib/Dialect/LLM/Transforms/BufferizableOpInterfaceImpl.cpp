//===- BufferizableOpInterfaceImpl.cpp - Bufferizing llm ops --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/LLM/Transforms/BufferizableOpInterfaceImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "trilm/Dialect/LLM/IR/LLM.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace trilm::llm;

namespace {

/// A weight is a read-only view of the weights buffer: no copy, no write.
struct WeightOpInterface
    : public BufferizableOpInterface::ExternalModel<WeightOpInterface,
                                                    WeightOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &,
                              const AnalysisState &) const {
    return false;
  }

  bool bufferizesToMemoryWrite(Operation *, OpOperand &,
                               const AnalysisState &) const {
    return false;
  }

  AliasingValueList getAliasingValues(Operation *op, OpOperand &,
                                      const AnalysisState &) const {
    return {{op->getResult(0), BufferRelation::Unknown}};
  }

  bool isWritable(Operation *, Value, const AnalysisState &) const {
    return false;
  }

  FailureOr<BufferLikeType>
  getBufferType(Operation *, Value value, const BufferizationOptions &,
                const BufferizationState &, SmallVector<Value> &) const {
    auto type = cast<RankedTensorType>(value.getType());
    return cast<BufferLikeType>(
        MemRefType::get(type.getShape(), type.getElementType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto weight = cast<WeightOp>(op);
    FailureOr<Value> buffer =
        getBuffer(rewriter, weight.getBuffer(), options, state);
    if (failed(buffer))
      return failure();
    auto bufferType = cast<MemRefType>(buffer->getType());
    if (!bufferType.getLayout().isIdentity())
      return op->emitOpError("needs a contiguous weights buffer (an "
                             "identity-layout memref), got ")
             << bufferType;
    Location loc = op->getLoc();
    Value offset = arith::ConstantIndexOp::create(
        rewriter, loc, static_cast<int64_t>(weight.getOffset()));
    if (Value layer = weight.getLayer()) {
      Value stride = arith::ConstantIndexOp::create(
          rewriter, loc, static_cast<int64_t>(*weight.getLayerStride()));
      offset = arith::AddIOp::create(
          rewriter, loc, offset,
          arith::MulIOp::create(rewriter, loc, layer, stride));
    }
    auto type = cast<RankedTensorType>(weight.getType());
    Value view = memref::ViewOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        *buffer, offset, ValueRange{});
    replaceOpWithBufferizedValues(rewriter, op, view);
    return success();
  }
};

} // namespace

void trilm::llm::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, LLMDialect *) {
    WeightOp::attachInterface<WeightOpInterface>(*context);
    context->loadDialect<arith::ArithDialect, memref::MemRefDialect>();
  });
}
