//===- AttachTargets.cpp - The NVIDIA chips of the GPU kernels ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CUDA/Passes.h"

#include "trilm/Target/CUDA/CUDATarget.h"

namespace trilm::cuda {
#define GEN_PASS_DEF_TRILMATTACHCUDATARGETS
#include "trilm/Target/CUDA/Passes.h.inc"
} // namespace trilm::cuda

using namespace mlir;

namespace {

struct TrilmAttachCUDATargetsPass
    : public trilm::cuda::impl::TrilmAttachCUDATargetsBase<
          TrilmAttachCUDATargetsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto names = trilm::cuda::parseChips(chips, ptxVersion);
    if (!names) {
      module.emitError(llvm::toString(names.takeError()));
      return signalPassFailure();
    }
    SmallVector<Attribute> targets;
    for (StringRef name : *names)
      targets.push_back(NVVM::NVVMTargetAttr::get(
          &getContext(), /*optLevel=*/3, "nvptx64-nvidia-cuda", name,
          "+ptx" + std::to_string(ptxVersion)));
    ArrayAttr targetsAttr = ArrayAttr::get(&getContext(), targets);
    module.walk([&](gpu::GPUModuleOp kernels) {
      kernels.setTargetsAttr(targetsAttr);
    });
  }
};

} // namespace
