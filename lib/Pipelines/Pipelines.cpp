//===- Pipelines.cpp - Named trilm pass pipelines -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "trilm/Conversion/Passes.h"
#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h"
#include "trilm/Target/CPU/Passes.h"
#include "trilm/Target/CUDA/CUDATarget.h"
#include "trilm/Target/CUDA/Passes.h"
#include "trilm/Transforms/Passes.h"

using namespace mlir;
using namespace trilm;

/// Tensors to buffers: function arguments become identity-layout memrefs,
/// and the strided copies that remain become loops (no runtime library).
static void addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.allowReturnAllocsFromLoops = true;
  options.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(options));
  // Temporaries whose size does not change from one layer to the next are
  // allocated once, not once per layer (and per page fault).
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createMemRefCopyToLinalg());
}

/// Buffers, vectors and loops to the LLVM dialect.
static void addLLVMLowering(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(ternary_cpu::createTernaryCPULowerInstructions());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void trilm::buildReferencePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertLLMToLinalg());
  pm.addPass(createConvertTernaryToLinalg());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  addBufferization(pm);
  addLLVMLowering(pm);
}

void trilm::buildHostTargetPipeline(OpPassManager &pm,
                                   const CPUPipelineOptions &options) {
  cpu::TrilmAttachCPUTargetOptions target;
  target.triple = options.triple;
  target.cpu = options.cpu;
  target.features = options.features;
  target.l2CacheKiB = options.l2CacheKiB;
  pm.addPass(cpu::createTrilmAttachCPUTarget(target));
}

void trilm::buildCPUStrategyPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options,
                                     bool relayoutStorage) {
  buildHostTargetPipeline(pm, options);
  TernarySelectKernelsCPUOptions kernels;
  kernels.rowsPerTile = options.rows;
  kernels.actRowsPerTile = options.actRows;
  kernels.prefetchBytes = options.prefetchBytes;
  kernels.panelMinActRowsOption = options.panelMinActRows;
  kernels.lookupTables = options.lookupTables;
  kernels.relayoutStorage = relayoutStorage;
  pm.addPass(createTernarySelectKernelsCPU(kernels));
  ternary::TernaryRelayoutWeightsOptions relayout;
  relayout.relayoutStorage = relayoutStorage;
  pm.addPass(ternary::createTernaryRelayoutWeights(relayout));
}

void trilm::buildCPULoweringPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertLLMToCPU());
  pm.addPass(createTernaryTileMatmulCPU());
  pm.addPass(createConvertTernaryToCPU());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  // One table of rotary angles per call, not per rope and layer; the
  // temporaries of the layer loop allocated once.
  pm.addPass(createCSEPass());
  pm.addPass(createTrilmLoopInvariantSizes());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  addBufferization(pm);
  if (options.threads) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // The OpenMP region is wrapped in a memref.alloca_scope, which must be
    // lowered while its body is still a single block.
    pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  } else {
    pm.addPass(createForallToForLoopPass());
  }
  addLLVMLowering(pm);
  pm.addPass(cpu::createTrilmFinalizeCPUModule());
}

void trilm::buildCPUPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options) {
  buildCPUStrategyPipeline(pm, options);
  buildCPULoweringPipeline(pm, options);
}

void trilm::buildGPUPipeline(OpPassManager &pm,
                             const GPUPipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  // The model's other ops through the reference lowering, the matmuls to
  // their kernels.
  pm.addPass(createConvertLLMToLinalg());
  ConvertTernaryToGPUOptions kernels;
  kernels.warps = options.warps;
  kernels.rowTiles = options.rowTiles;
  kernels.blocksPerStep = options.blocksPerStep;
  kernels.roundActivations = options.roundActivations;
  // Unknown chips keep the default; trilm-attach-cuda-targets names them.
  if (auto chips = cuda::parseChips(options.chips, options.ptxVersion))
    kernels.multiprocessors = cuda::mostMultiprocessors(*chips);
  else
    llvm::consumeError(chips.takeError());
  pm.addPass(createConvertTernaryToGPU(kernels));
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  addBufferization(pm);
  // Every buffer in device memory, every memory access in a kernel.
  pm.addPass(createTrilmGPUDeviceBuffers());
  pm.addPass(createTernaryGPUGenerateKernels());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createTrilmGPUMapLoops());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createTrilmGPUMergeKernelModules());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());

  cuda::TrilmAttachCUDATargetsOptions targets;
  targets.chips = options.chips;
  targets.ptxVersion = options.ptxVersion;
  pm.addPass(cuda::createTrilmAttachCUDATargets(targets));
  OpPassManager &kernelsPm = pm.nest<gpu::GPUModuleOp>();
  kernelsPm.addPass(createSCFToControlFlowPass());
  kernelsPm.addPass(createConvertNVGPUToNVVMPass());
  kernelsPm.addPass(createConvertGpuOpsToNVVMOps());
  kernelsPm.addPass(createCanonicalizerPass());
  kernelsPm.addPass(createCSEPass());
  kernelsPm.addPass(createReconcileUnrealizedCastsPass());

  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createGpuToLLVMConversionPass());
  // A fatbin is packed from every chip's PTX; the other formats are the
  // first chip's object as upstream makes it.
  bool fatbin = options.format == "fatbin";
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = fatbin ? std::string("isa") : options.format.getValue();
  // Also where libdevice is linked from, for the kernels' math functions.
  binary.toolkitPath = cuda::toolkitPath(options.toolkit);
  pm.addPass(createGpuModuleToBinaryPass(binary));
  if (fatbin) {
    cuda::TrilmPackCUDAFatbinOptions pack;
    pack.toolkit = options.toolkit;
    pack.embedPTX = options.embedPTX;
    pm.addPass(cuda::createTrilmPackCUDAFatbin(pack));
  }
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void trilm::registerPipelines() {
  PassPipelineRegistration<>(
      "trilm-reference-pipeline",
      "Lower llm and ternary ops through the reference lowerings and "
      "upstream passes to the LLVM dialect",
      buildReferencePipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "trilm-cpu-pipeline",
      "Record the CPU target, choose the kernels and lower llm and ternary "
      "ops with the fused, tiled, vectorised CPU kernels to the LLVM dialect",
      buildCPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "trilm-gpu-pipeline",
      "Generate GPU kernels for ternary matmuls and the other llm ops and "
      "lower them to PTX/cubin embedded in the module, the host side to the "
      "LLVM dialect",
      buildGPUPipeline);
}
