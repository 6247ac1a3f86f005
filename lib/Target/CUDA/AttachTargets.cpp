//===- AttachTargets.cpp - The NVIDIA chips of the GPU kernels ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CUDA/Passes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

namespace trilm::cuda {
#define GEN_PASS_DEF_TRILMATTACHCUDATARGETS
#include "trilm/Target/CUDA/Passes.h.inc"
} // namespace trilm::cuda

using namespace mlir;

namespace {

/// The chips trilm's kernels are built for, with the oldest PTX version (times
/// ten) that knows each.
struct Chip {
  llvm::StringLiteral name;
  int64_t minimumPTX;
};
constexpr Chip kChips[] = {
    {"sm_80", 70}, {"sm_86", 71}, {"sm_89", 78}, {"sm_90", 78}};

struct TrilmAttachCUDATargetsPass
    : public trilm::cuda::impl::TrilmAttachCUDATargetsBase<
          TrilmAttachCUDATargetsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Attribute> targets;
    llvm::StringSet<> seen;
    SmallVector<StringRef> names;
    llvm::SplitString(chips, names, ",");
    if (names.empty()) {
      module.emitError("name at least one chip (sm_80, sm_86, sm_89, sm_90)");
      return signalPassFailure();
    }
    for (StringRef name : names) {
      name = name.trim();
      const Chip *chip = llvm::find_if(
          kChips, [&](const Chip &known) { return known.name == name; });
      if (chip == std::end(kChips)) {
        module.emitError("unsupported chip '")
            << name << "': the GPU kernels are built for sm_80, sm_86, "
                       "sm_89 and sm_90";
        return signalPassFailure();
      }
      if (!seen.insert(name).second) {
        module.emitError("chip '") << name << "' is named twice";
        return signalPassFailure();
      }
      if (ptxVersion < chip->minimumPTX) {
        module.emitError("PTX ")
            << ptxVersion / 10 << "." << ptxVersion % 10 << " cannot target "
            << name << ": it needs PTX " << chip->minimumPTX / 10 << "."
            << chip->minimumPTX % 10 << " or newer";
        return signalPassFailure();
      }
      targets.push_back(NVVM::NVVMTargetAttr::get(
          &getContext(), /*optLevel=*/3, "nvptx64-nvidia-cuda", name,
          "+ptx" + std::to_string(ptxVersion)));
    }
    ArrayAttr targetsAttr = ArrayAttr::get(&getContext(), targets);
    module.walk([&](gpu::GPUModuleOp kernels) {
      kernels.setTargetsAttr(targetsAttr);
    });
  }
};

} // namespace
