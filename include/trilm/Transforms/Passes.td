//===- Passes.td - trilm's dialect-independent passes ------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TRANSFORMS_PASSES_TD
#define TRILM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TrilmLoopInvariantSizes : Pass<"trilm-loop-invariant-sizes"> {
  let summary = "Sizes of loop-carried tensors that the loop keeps, from outside the loop";
  let description = [{
    Replaces `tensor.dim` of an `scf.for` iter_arg by the same `tensor.dim`
    of its initial value when value bounds prove that every iteration keeps
    that size (the hidden state and caches a layer loop carries). Temporaries
    sized from it then no longer depend on the loop: loop-invariant code
    motion takes them out, and bufferization allocates them once per call
    rather than once per layer.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

#endif // TRILM_TRANSFORMS_PASSES_TD
