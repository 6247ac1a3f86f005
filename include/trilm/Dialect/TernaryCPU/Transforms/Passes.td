//===- Passes.td - CPU kernel dialect passes ---------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_TD
#define TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernaryCPULowerInstructions : Pass<"ternary-cpu-lower-instructions"> {
  let summary = "Turn the CPU kernels' vector-level ops into instructions";
  let description = [{
    Lowers each `ternary_cpu.dot4` according to its kind: `neon_dotprod` to
    `arm_neon.intr.sdot`; `avx512_vnni` and `avx_vnni` to the `vpdpbusd`
    LLVM intrinsics (128, 256 or 512 bits: the x86vector dialect has no
    unsigned-by-signed dot product); `generic` to widening multiplies and a
    lane-group reduction in the vector dialect. Lowers each
    `ternary_cpu.trits_to_f32` to one `vpermps` table lookup (the
    `permvar.sf.512` intrinsic) for `avx512_vnni`, or to shift, mask and
    convert. Run it after bufferization: intrinsic calls are not side-effect
    free as far as bufferization knows.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::arm_neon::ArmNeonDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // TRILM_DIALECT_TERNARYCPU_TRANSFORMS_PASSES_TD
