//===- Pipelines.cpp - Named trilm pass pipelines -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Pipelines/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"
#include "trilm/Conversion/TernaryToLinalg/TernaryToLinalg.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;

// Spelled as a textual pipeline so it reads like the mlir-opt command a user
// would otherwise type, one upstream pass per line.
static constexpr const char *kReferenceToLLVM =
    "convert-ternary-to-linalg,"
    "canonicalize,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,"
    "convert-bufferization-to-memref,"
    "func.func(convert-linalg-to-loops),"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "convert-to-llvm,"
    "reconcile-unrealized-casts";

void trilm::buildReferencePipeline(OpPassManager &pm) {
  if (failed(parsePassPipeline(kReferenceToLLVM, pm)))
    llvm::report_fatal_error("trilm-reference-pipeline does not parse");
}

void trilm::registerPipelines() {
  PassPipelineRegistration<>(
      "trilm-reference-pipeline",
      "Lower ternary ops through the reference lowering (unpack + linalg) "
      "and upstream passes to the LLVM dialect",
      buildReferencePipeline);
}
