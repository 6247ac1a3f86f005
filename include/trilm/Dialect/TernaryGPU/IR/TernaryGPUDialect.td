//===- TernaryGPUDialect.td - GPU kernel dialect -----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUDIALECT_TD
#define TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUDIALECT_TD

include "mlir/IR/OpBase.td"

def TernaryGPU_Dialect : Dialect {
  let name = "ternary_gpu";
  let cppNamespace = "::trilm::ternary_gpu";
  let summary = "The GPU kernels of ternary matmuls";
  let description = [{
    The level below `ternary.matmul` on NVIDIA GPUs: a matmul in destination
    style on the weights' storage bytes, with the kernel configuration the
    GPU strategy chose, which bufferizes and then becomes a `gpu.func` kernel
    (built from `gpu`, `nvgpu`, `vector` and `arith` ops) and its
    `gpu.launch_func` (`ternary-gpu-generate-kernels`).
  }];
  let dependentDialects = ["::trilm::ternary::TernaryDialect"];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUDIALECT_TD
