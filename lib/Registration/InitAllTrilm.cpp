//===- InitAllTrilm.cpp - Register all of trilm ---------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/InitAllTrilm.h"

#include "trilm/Conversion/Passes.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/LLM/Transforms/BufferizableOpInterfaceImpl.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"
#include "trilm/Dialect/TernaryCPU/Transforms/BufferizableOpInterfaceImpl.h"
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h"
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPU.h"
#include "trilm/Dialect/TernaryGPU/Transforms/BufferizableOpInterfaceImpl.h"
#include "trilm/Pipelines/Pipelines.h"
#include "trilm/Target/CPU/Passes.h"
#include "trilm/Target/CUDA/Passes.h"
#include "trilm/Transforms/Passes.h"

void trilm::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<llm::LLMDialect, ternary::TernaryDialect,
                  ternary_cpu::TernaryCPUDialect, ternary_gpu::TernaryGPUDialect>();
  llm::registerBufferizableOpInterfaceExternalModels(registry);
  ternary_cpu::registerBufferizableOpInterfaceExternalModels(registry);
  ternary_gpu::registerBufferizableOpInterfaceExternalModels(registry);
}

void trilm::registerAllPasses() {
  ternary::registerTernaryPasses();
  ternary_cpu::registerTernaryCPUPasses();
  registerTrilmConversionPasses();
  cpu::registerTrilmCPUTargetPasses();
  cuda::registerTrilmCUDATargetPasses();
  registerTrilmPasses();
  registerPipelines();
}
