//===- Passes.td - trilm conversion passes -----------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_PASSES_TD
#define TRILM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTernaryToLinalg : Pass<"convert-ternary-to-linalg"> {
  let summary = "Reference lowering of the ternary dialect to linalg, tensor and arith";
  let description = [{
    Lowers every `ternary` op to upstream dialects in the most direct way:
    packed values become their `i8` storage tensors, `ternary.constant`
    becomes `arith.constant`, unpacking decodes each trit with integer
    arithmetic in a `linalg.generic`, and `ternary.matmul` becomes one
    contraction per K scale group over unpacked trits (exact `i32` sums in int8
    mode) followed by the scaled sum of the groups.

    This lowering favours obviousness over speed: it is the semantic oracle
    against which the fused CPU and GPU lowerings are tested. Layouts other
    than row-major and `#ternary.row_interleave` are rejected.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // TRILM_CONVERSION_PASSES_TD
