//===- Passes.h - trilm's dialect-independent passes ------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TRANSFORMS_PASSES_H
#define TRILM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace trilm {

#define GEN_PASS_DECL
#include "trilm/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trilm/Transforms/Passes.h.inc"

} // namespace trilm

#endif // TRILM_TRANSFORMS_PASSES_H
