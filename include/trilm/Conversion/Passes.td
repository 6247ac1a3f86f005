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

def ConvertTernaryToCPU : Pass<"convert-ternary-to-cpu"> {
  let summary = "Fused, tiled and vectorised CPU lowering of ternary.matmul";
  let description = [{
    Lowers `ternary.matmul` to a loop nest that never materialises unpacked
    weights: `scf.forall` over tiles of `rows` output rows (the unit of
    thread parallelism), then over activation rows, K scale groups and
    256-trit blocks. Each packed block is loaded once per activation row as a
    vector, decoded in registers (2-bit: shifts and masks; 1.6-bit: the
    multiply-and-shift base-3 trick on 16-bit lanes) and accumulated:

    - int8 activations: exact i32 dot products of the codes (trit + 1) with
      the activations, corrected by the per-block activation sums, with the
      instruction selected by `int8-dot` (x86 `vpdpbusd`, AArch64 `sdot`, or
      portable vector ops);
    - float activations: decoded trits converted to f32 and fused
      multiply-added.

    Activations are prepared once per call: reordered within each block to
    the order in which the packed bytes decode, split into K scale groups
    with zeros outside each group (so group boundaries need not align with
    blocks), and, for int8, summed per block. Scales are applied once per
    group and output row, as `ternary.matmul` defines. Row-major and
    `#ternary.row_interleave` weights are read in place; the other ternary
    ops (and matmuls on layouts the kernel does not know) get the reference
    lowering.
  }];
  let options = [
    Option<"triple", "triple", "std::string", /*default=*/"\"\"",
           "Target triple (default: the host's)">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"generic\"",
           "Target CPU, or native for the host CPU and its features">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "Target features, LLVM style: +avx512vnni,+avx512vl,...">,
    Option<"rowsPerTile", "rows", "int64_t", /*default=*/"0",
           "Output rows per tile (register blocking along N), 1 to 16; 0 "
           "picks it from the target">,
    Option<"int8Dot", "int8-dot", "std::string", /*default=*/"\"auto\"",
           "int8 dot-product instructions: auto (from the target), generic, "
           "avx512_vnni, avx_vnni or neon_dotprod">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // TRILM_CONVERSION_PASSES_TD
