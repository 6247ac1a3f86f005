//===- Pipelines.h - Named trilm pass pipelines -----------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_PIPELINES_PIPELINES_H
#define TRILM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace trilm {

/// Lowers a module of llm, ternary, linalg, tensor, arith and func ops
/// through the reference lowerings to the LLVM dialect, ready for
/// mlir-runner or the ExecutionEngine.
void buildReferencePipeline(mlir::OpPassManager &pm);

/// Options of `trilm-cpu-pipeline`.
struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<std::string> triple{*this, "triple",
                             llvm::cl::desc("Target triple (default: host)"),
                             llvm::cl::init("")};
  Option<std::string> cpu{*this, "cpu",
                          llvm::cl::desc("Target CPU, or native"),
                          llvm::cl::init("generic")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("Target features, LLVM style (+avx512vnni,...); the "
                     "kernels use the int8 instructions they allow"),
      llvm::cl::init("")};
  Option<int64_t> l2CacheKiB{
      *this, "l2-cache-kib",
      llvm::cl::desc("L2 cache per core in KiB for the cache blocks (0: the "
                     "host's for native, else 1024)"),
      llvm::cl::init(0)};
  Option<int64_t> rows{*this, "rows",
                       llvm::cl::desc("Output rows per tile (0: from the "
                                      "target)"),
                       llvm::cl::init(0)};
  Option<int64_t> actRows{*this, "act-rows",
                          llvm::cl::desc("Activation rows per tile (0: from "
                                         "the register budget)"),
                          llvm::cl::init(0)};
  Option<int64_t> prefetchBytes{
      *this, "prefetch-bytes",
      llvm::cl::desc("How far ahead a GEMV prefetches its weights in bytes "
                     "(0: none; -1: from the target)"),
      llvm::cl::init(-1)};
  Option<int64_t> panelMinActRows{
      *this, "panel-min-act-rows",
      llvm::cl::desc("The fewest activation rows an int8 GEMM takes the "
                     "panel kernel for (0: never; -1: from the target)"),
      llvm::cl::init(-1)};
  Option<int64_t> lookupTables{
      *this, "lookup-tables",
      llvm::cl::desc("Store int8 1.6-bit weights as trit triples and "
                     "multiply them by table lookups (1: on, 0: off, -1: "
                     "from the target)"),
      llvm::cl::init(-1)};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run tiles of output rows on OpenMP "
                                      "threads (OMP_NUM_THREADS at run time)"),
                       llvm::cl::init(true)};
};

/// The CPU strategy: records the target in the module, chooses every
/// matmul's kernel and puts the weights in the layouts chosen; with
/// `relayoutStorage`, also the weights that come from outside the module
/// (`ternary.from_storage`), whose writer must then follow their types.
void buildCPUStrategyPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &options,
                              bool relayoutStorage = false);

/// After the strategy: llm and ternary ops to vectorised, threaded code,
/// bufferization, and the LLVM dialect (OpenMP for threads).
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &options);

/// Records the CPU target on the module (trilm-attach-cpu-target): the
/// strategy's first step, and, for a GPU model, its host's target.
void buildHostTargetPipeline(mlir::OpPassManager &pm,
                             const CPUPipelineOptions &options);

/// The strategy and the lowering: `trilm-cpu-pipeline`.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// Options of `trilm-gpu-pipeline`.
struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chips{
      *this, "chips",
      llvm::cl::desc("NVIDIA chips, comma-separated: sm_80, sm_86, sm_89, "
                     "sm_90"),
      llvm::cl::init("sm_80")};
  Option<int64_t> ptxVersion{
      *this, "ptx-version",
      llvm::cl::desc("PTX ISA version times ten (80: PTX 8.0)"),
      llvm::cl::init(80)};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the kernels are embedded as: fatbin (a cubin per "
                     "chip by the toolkit's ptxas, and the newest chip's PTX), "
                     "isa (the first chip's PTX, compiled by the driver when "
                     "loaded) or bin (the first chip's cubin)"),
      llvm::cl::init("fatbin")};
  Option<bool> embedPTX{
      *this, "embed-ptx",
      llvm::cl::desc("With format=fatbin, also embed the newest chip's PTX, "
                     "which newer GPUs compile when loading it"),
      llvm::cl::init(true)};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("The CUDA toolkit whose ptxas and fatbinary make cubins "
                     "(default: $CUDA_ROOT, else /usr/local/cuda)"),
      llvm::cl::init("")};
  Option<int64_t> warps{*this, "warps",
                        llvm::cl::desc("Warps per thread block of the matmul "
                                       "kernels (0: from the shape)"),
                        llvm::cl::init(0)};
  Option<bool> roundActivations{
      *this, "round-activations",
      llvm::cl::desc("Round f32 matmul activations to f16 for the kernels "
                     "(whole models)"),
      llvm::cl::init(false)};
  Option<int64_t> rowTiles{
      *this, "row-tiles",
      llvm::cl::desc("Tiles of 16 weight rows per thread block (0: from the "
                     "shape)"),
      llvm::cl::init(0)};
  Option<int64_t> blocksPerStep{
      *this, "blocks-per-step",
      llvm::cl::desc("Blocks whose loads a warp issues at once (0: from the "
                     "shape)"),
      llvm::cl::init(0)};
};

/// The GPU lowering: ternary matmuls to generated tensor-core kernels, the
/// other llm ops through the reference lowering to loops mapped onto blocks
/// and threads, every buffer in device memory, kernels to PTX (and cubin)
/// through NVVM embedded in the module, the host side to the LLVM dialect
/// calling the `mgpu*` runtime functions (lib/Runtime/CUDA.c implements them
/// on the driver API).
void buildGPUPipeline(mlir::OpPassManager &pm,
                      const GPUPipelineOptions &options);

/// Registers the named pipelines (`trilm-reference-pipeline`,
/// `trilm-cpu-pipeline`, `trilm-gpu-pipeline`).
void registerPipelines();

} // namespace trilm

#endif // TRILM_PIPELINES_PIPELINES_H
