//===- TargetPasses.cpp - The CPU target in the module --------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CPU/Passes.h"

#include "trilm/Target/CPU/CPUTarget.h"

namespace trilm::cpu {
#define GEN_PASS_DEF_TRILMATTACHCPUTARGET
#define GEN_PASS_DEF_TRILMFINALIZECPUMODULE
#include "trilm/Target/CPU/Passes.h.inc"
} // namespace trilm::cpu

using namespace mlir;
using namespace trilm::cpu;

namespace {

struct TrilmAttachCPUTargetPass
    : public trilm::cpu::impl::TrilmAttachCPUTargetBase<
          TrilmAttachCPUTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    llvm::Expected<CPUTarget> target = CPUTarget::get(triple, cpu, features);
    if (!target) {
      getOperation()->emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    if (l2CacheKiB < 0 || l2CacheKiB > (int64_t(1) << 20)) {
      getOperation()->emitError()
          << "l2-cache-kib must be between 1 and 1048576 (0: the host's or "
             "1024), got "
          << static_cast<int64_t>(l2CacheKiB);
      return signalPassFailure();
    }
    if (l2CacheKiB != 0)
      target->l2CacheBytes = l2CacheKiB * 1024;
    target->attachTo(getOperation());
  }
};

struct TrilmFinalizeCPUModulePass
    : public trilm::cpu::impl::TrilmFinalizeCPUModuleBase<
          TrilmFinalizeCPUModulePass> {
  void runOnOperation() override {
    getOperation()->removeAttr(DLTIDialect::kTargetSystemDescAttrName);
  }
};

} // namespace
