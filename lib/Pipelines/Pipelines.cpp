//===- Pipelines.cpp - Named trilm pass pipelines -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Pipelines/Pipelines.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "trilm/Conversion/Passes.h"
#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Dialect/TernaryCPU/Transforms/Passes.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"

#include <mutex>

using namespace mlir;
using namespace trilm;

// Pipelines are spelled as text so that they read like the mlir-opt command a
// user would otherwise type, one upstream pass per line.
static constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "allow-return-allocs-from-loops "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "memref-copy-to-linalg";

static constexpr const char *kToLLVM =
    "func.func(convert-linalg-to-loops),"
    "ternary-cpu-lower-instructions,"
    "convert-vector-to-scf,"
    "func.func(lower-vector-multi-reduction),"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-vector-to-llvm,"
    "convert-to-llvm,"
    "reconcile-unrealized-casts";

static void addPipeline(OpPassManager &pm, const std::string &text) {
  // Textual pipelines are looked up in the pass registry: make sure every
  // pass they name is there, whatever the calling tool registered.
  static std::once_flag registered;
  std::call_once(registered, [] {
    mlir::registerAllPasses();
    ternary::registerTernaryPasses();
    ternary_cpu::registerTernaryCPUPasses();
    registerTrilmConversionPasses();
  });
  if (failed(parsePassPipeline(text, pm)))
    llvm::report_fatal_error(
        llvm::Twine("a built-in trilm pipeline does not parse: ") + text);
}

void trilm::buildReferencePipeline(OpPassManager &pm) {
  addPipeline(pm, llvm::formatv("canonicalize,convert-llm-to-linalg,"
                                "convert-ternary-to-linalg,"
                                "func.func(convert-elementwise-to-linalg),"
                                "canonicalize,{0},{1}",
                                kBufferize, kToLLVM)
                      .str());
}

int64_t trilm::getWeightInterleaveRows(const CPUPipelineOptions &options) {
  // Constant weights are stored with the tile's rows interleaved, so each
  // tile streams one contiguous run.
  int64_t tileRows = options.rows != 0 ? options.rows.getValue() : 4;
  return tileRows > 1 && llvm::isPowerOf2_64(tileRows) ? tileRows : 1;
}

void trilm::buildCPUPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options) {
  // The options are validated by ternary-tile-matmul-cpu itself, which gives
  // a diagnostic rather than a pipeline parse failure.
  if (int64_t rows = getWeightInterleaveRows(options); rows > 1)
    addPipeline(pm,
                llvm::formatv("ternary-relayout-weights{{rows={0}}", rows).str());
  addPipeline(pm, "canonicalize,convert-llm-to-cpu");
  std::string kernel =
      llvm::formatv("ternary-tile-matmul-cpu{{triple={0} cpu={1} "
                    "features={2} rows={3} int8-dot={4} l2-cache-kib={5}},"
                    "convert-ternary-to-cpu",
                    options.triple.getValue(), options.cpu.getValue(),
                    options.features.getValue(), options.rows.getValue(),
                    options.int8Dot.getValue(), options.l2CacheKiB.getValue())
          .str();
  const char *loops = options.threads
                          ? "scf-forall-to-parallel,convert-scf-to-openmp,"
                            // The OpenMP region is wrapped in a
                            // memref.alloca_scope, which must be lowered
                            // while its body is still a single block.
                            "finalize-memref-to-llvm"
                          : "scf-forall-to-for";
  addPipeline(pm, llvm::formatv("{0},func.func(convert-elementwise-to-linalg),"
                                "canonicalize,cse,{1},{2},{3}",
                                kernel, kBufferize, loops, kToLLVM)
                      .str());
}

void trilm::registerPipelines() {
  PassPipelineRegistration<>(
      "trilm-reference-pipeline",
      "Lower ternary ops through the reference lowering (unpack + linalg) "
      "and upstream passes to the LLVM dialect",
      buildReferencePipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "trilm-cpu-pipeline",
      "Lower ternary ops with the fused, tiled, vectorised CPU kernels to the "
      "LLVM dialect",
      buildCPUPipeline);
}
