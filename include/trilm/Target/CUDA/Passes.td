//===- Passes.td - CUDA target passes ----------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CUDA_PASSES_TD
#define TRILM_TARGET_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def TrilmAttachCUDATargets : Pass<"trilm-attach-cuda-targets", "::mlir::ModuleOp"> {
  let summary = "Record the NVIDIA chips the GPU kernels are compiled for";
  let description = [{
    Checks the chips (a comma-separated list of sm_80, sm_86, sm_89 and
    sm_90: the chips with `mma.sync` m16n8k16 and `cp.async` that trilm's
    kernels are built and tested for) and the PTX version, and attaches one
    `#nvvm.target` per chip, in the order given, to every `gpu.module`. An
    unknown chip, a repeated one or a PTX version the chip cannot take is an
    error naming it.
  }];
  let options = [
    Option<"chips", "chips", "std::string", /*default=*/"\"sm_80\"",
           "Comma-separated chips: sm_80, sm_86, sm_89, sm_90">,
    Option<"ptxVersion", "ptx-version", "int64_t", /*default=*/"80",
           "PTX ISA version times ten (80: PTX 8.0)">,
  ];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect"];
}

def TrilmPackCUDAFatbin : Pass<"trilm-pack-cuda-fatbin", "::mlir::ModuleOp"> {
  let summary = "Pack the PTX of every chip into one fatbin per GPU module";
  let description = [{
    After `gpu-module-to-binary{format=isa}`, each `gpu.binary` holds one PTX
    object per chip. This pass assembles each with the CUDA toolkit's
    `ptxas` for its chip and packs the cubins, and the PTX of the newest chip
    for chips newer than all of them, with `fatbinary` into one fatbin
    object: the driver then loads the cubin of the GPU it runs on. Without
    the toolkit, or when a tool fails, it is an error with the tool's
    message.
  }];
  let options = [
    Option<"toolkit", "toolkit", "std::string", /*default=*/"\"\"",
           "The CUDA toolkit (default: $CUDA_ROOT, else /usr/local/cuda)">,
    Option<"embedPTX", "embed-ptx", "bool", /*default=*/"true",
           "Also pack the newest chip's PTX, for newer chips">,
  ];
}

#endif // TRILM_TARGET_CUDA_PASSES_TD
