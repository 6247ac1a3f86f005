//===- TernaryCPUDialect.td - CPU kernel dialect -----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUDIALECT_TD
#define TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUDIALECT_TD

include "mlir/IR/OpBase.td"

def TernaryCPU_Dialect : Dialect {
  let name = "ternary_cpu";
  let cppNamespace = "::trilm::ternary_cpu";
  let summary = "The CPU kernels of ternary matmuls";
  let description = [{
    The level below `ternary.matmul` on CPUs: activations prepared for the
    fused kernels, register tiles of a matmul, and the vector-level
    instructions the kernels are built from (lane-grouped int8 dot
    products, 2-bit codes to f32 trits), which
    `ternary-cpu-lower-instructions` turns into `x86vector`, `arm_neon` or
    LLVM intrinsic operations for the target. Ops here are target-specific;
    the target-independent ones stay in `ternary`.
  }];
  let dependentDialects = ["::trilm::ternary::TernaryDialect"];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUDIALECT_TD
