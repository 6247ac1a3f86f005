//===- DeviceBuffers.cpp - Host functions' buffers in GPU memory ----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A model compiled for a GPU keeps every tensor in device memory: its host
// functions only allocate, launch and free. The allocations bufferization
// made become stream-ordered GPU allocations, waited for at once (the
// runtime runs everything on one stream, so the waits cost nothing when it
// queues asynchronously).
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/LoopsToGPU/LoopsToGPU.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace trilm {
#define GEN_PASS_DEF_TRILMGPUDEVICEBUFFERS
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;

namespace {

/// Builds GPU memory operations in their async form, each waited for.
struct DeviceOps {
  OpBuilder &b;
  Location loc;

  Value start() {
    return gpu::WaitOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                               ValueRange())
        .getAsyncToken();
  }
  void finish(Value token) {
    gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  }

  Value alloc(MemRefType type, ValueRange dynamicSizes) {
    auto op = gpu::AllocOp::create(b, loc, type,
                                   b.getType<gpu::AsyncTokenType>(),
                                   ValueRange{start()}, dynamicSizes,
                                   ValueRange(), /*hostShared=*/false);
    finish(op.getAsyncToken());
    return op.getMemref();
  }
  void dealloc(Value memref) {
    auto op = gpu::DeallocOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                                     ValueRange{start()}, memref);
    finish(op.getAsyncToken());
  }
  void copy(Value to, Value from) {
    auto op = gpu::MemcpyOp::create(b, loc, b.getType<gpu::AsyncTokenType>(),
                                    ValueRange{start()}, to, from);
    finish(op.getAsyncToken());
  }
};

struct TrilmGPUDeviceBuffersPass
    : public trilm::impl::TrilmGPUDeviceBuffersBase<
          TrilmGPUDeviceBuffersPass> {
  /// A device copy of each constant global the function reads, made at its
  /// entry and freed at its returns.
  LogicalResult copyGlobals(func::FuncOp function, SymbolTable &symbols) {
    SmallVector<memref::GetGlobalOp> reads;
    function.walk([&](memref::GetGlobalOp op) { reads.push_back(op); });
    if (reads.empty())
      return success();
    OpBuilder b(function.getBody());
    DenseMap<StringAttr, Value> copies;
    for (memref::GetGlobalOp read : reads) {
      auto global =
          symbols.lookup<memref::GlobalOp>(read.getNameAttr().getAttr());
      if (!global || !global.getConstant())
        return read.emitOpError("reads a global that is not constant; a GPU "
                                "program keeps no state in host globals");
      Value &copy = copies[read.getNameAttr().getAttr()];
      if (!copy) {
        DeviceOps ops{b, read.getLoc()};
        Value host = memref::GetGlobalOp::create(b, read.getLoc(),
                                                 read.getType(), read.getName());
        copy = ops.alloc(read.getType(), ValueRange());
        ops.copy(copy, host);
      }
      read.replaceAllUsesWith(copy);
      read.erase();
    }
    function.walk([&](func::ReturnOp ret) {
      OpBuilder atReturn(ret);
      DeviceOps ops{atReturn, ret.getLoc()};
      for (auto &entry : copies)
        ops.dealloc(entry.second);
    });
    return success();
  }

  LogicalResult placeBuffers(func::FuncOp function) {
    SmallVector<Operation *> buffers;
    WalkResult walked = function.walk([&](Operation *op) {
      if (isa<memref::AllocaOp>(op)) {
        op->emitOpError("allocates on the host's stack; a GPU program keeps "
                        "its buffers in device memory");
        return WalkResult::interrupt();
      }
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op))
        buffers.push_back(op);
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return failure();
    for (Operation *op : buffers) {
      OpBuilder b(op);
      DeviceOps ops{b, op->getLoc()};
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        alloc.replaceAllUsesWith(
            ops.alloc(alloc.getType(), alloc.getDynamicSizes()));
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        ops.dealloc(dealloc.getMemref());
      } else {
        auto copy = cast<memref::CopyOp>(op);
        ops.copy(copy.getTarget(), copy.getSource());
      }
      op->erase();
    }
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto function : module.getOps<func::FuncOp>()) {
      if (function.isDeclaration())
        continue;
      if (failed(placeBuffers(function)) ||
          failed(copyGlobals(function, symbols)))
        return signalPassFailure();
    }
  }
};

} // namespace
