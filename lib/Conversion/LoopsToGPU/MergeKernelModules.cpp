//===- MergeKernelModules.cpp - Every GPU kernel in one gpu.module --------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/LoopsToGPU/LoopsToGPU.h"

namespace trilm {
#define GEN_PASS_DEF_TRILMGPUMERGEKERNELMODULES
#include "trilm/Conversion/Passes.h.inc"
} // namespace trilm

using namespace mlir;

namespace {

struct TrilmGPUMergeKernelModulesPass
    : public trilm::impl::TrilmGPUMergeKernelModulesBase<
          TrilmGPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto kernelModules = llvm::to_vector(module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.size() < 2)
      return;
    gpu::GPUModuleOp merged = kernelModules.front();
    SymbolTable mergedSymbols(merged);
    // (module, symbol) -> the symbol's name in the merged module.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp from : llvm::drop_begin(kernelModules)) {
      for (Operation &op :
           llvm::make_early_inc_range(from.getBody()->getOperations())) {
        auto name = op.getAttrOfType<StringAttr>(
            SymbolTable::getSymbolAttrName());
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        if (name)
          renamed[{from.getNameAttr(), name}] = mergedSymbols.insert(&op);
      }
      from.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find(
          {launch.getKernelModuleName(), launch.getKernelName()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

} // namespace
