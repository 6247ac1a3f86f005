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

/// Lowers a module of ternary, linalg, tensor, arith and func ops through the
/// reference lowering to the LLVM dialect, ready for mlir-runner or the
/// ExecutionEngine.
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
      llvm::cl::desc("Target features, LLVM style (+avx512vnni,...)"),
      llvm::cl::init("")};
  Option<bool> threads{*this, "threads",
                       llvm::cl::desc("Run tiles of output rows on OpenMP "
                                      "threads (OMP_NUM_THREADS at run time)"),
                       llvm::cl::init(true)};
  Option<std::string> int8Dot{
      *this, "int8-dot",
      llvm::cl::desc("int8 dot-product instructions: auto (from the target), "
                     "generic, avx512_vnni, avx_vnni or neon_dotprod"),
      llvm::cl::init("auto")};
  Option<int64_t> rows{*this, "rows",
                       llvm::cl::desc("Output rows per tile (0: from the "
                                      "target)"),
                       llvm::cl::init(0)};
  Option<int64_t> l2CacheKiB{
      *this, "l2-cache-kib",
      llvm::cl::desc("L2 cache per core in KiB for the cache blocks (0: from "
                     "the target)"),
      llvm::cl::init(0)};
};

/// The rows the CPU pipeline interleaves constant weights by (1: none):
/// importers that store weights outside constants lay them out alike.
int64_t getWeightInterleaveRows(const CPUPipelineOptions &options);

/// Lowers ternary ops with the fused CPU kernels, then like the reference
/// pipeline to the LLVM dialect (OpenMP dialect for threads).
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// Registers the named pipelines (`trilm-reference-pipeline`,
/// `trilm-cpu-pipeline`).
void registerPipelines();

} // namespace trilm

#endif // TRILM_PIPELINES_PIPELINES_H
