//===- LLMToCPU.h - CPU lowering of llm ops ---------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_LLMTOCPU_LLMTOCPU_H
#define TRILM_CONVERSION_LLMTOCPU_LLMTOCPU_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTLLMTOCPU
#include "trilm/Conversion/Passes.h.inc"

/// Fusions that must see llm ops before they are lowered one by one: an
/// RMSNorm feeding `ternary.quantize` becomes one pass that never stores the
/// normalised rows.
void populateLLMToCPUFusionPatterns(mlir::RewritePatternSet &patterns);

/// Vectorised and threaded lowerings of attention and the output
/// projection; the reference patterns for the other llm ops.
void populateLLMToCPUPatterns(mlir::RewritePatternSet &patterns);

} // namespace trilm

#endif // TRILM_CONVERSION_LLMTOCPU_LLMTOCPU_H
