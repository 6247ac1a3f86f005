//===- TernaryGPUOps.td - GPU kernel operations ------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUOPS_TD
#define TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUOPS_TD

include "trilm/Dialect/TernaryGPU/IR/TernaryGPUAttrs.td"
include "trilm/Dialect/Ternary/IR/TernaryTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class TernaryGPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<TernaryGPU_Dialect, mnemonic, traits>;

def TernaryGPU_Shaped : AnyTypeOf<[AnyRankedTensor, AnyMemRef]>;

def TernaryGPU_MatmulOp : TernaryGPU_Op<"matmul", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "a ternary matmul on its weights' storage bytes, for the GPU kernels";
  let description = [{
    Computes what `ternary.matmul` computes (`init` is overwritten):

      init[m, n] = sum_g scales[group(n), g] * sum_{k in K-group g} input[m, k] * t[n, k]

    for f16 activations `input` (M x K), the trits `t` of `weights` (an
    N x K `!ternary.packed` type) held in `storage` (its storage type's
    bytes) and f32 results, in destination style, on tensors or (after
    bufferization) on memrefs. `config` is the kernel's tile decomposition.
    The GPU kernels read row-major weights, 2-bit (`tq2`) or 1.6-bit
    (`tq1`).

    ```mlir
    %y = ternary_gpu.matmul
           ins(%x, %w, %s : tensor<?x512xf16>, tensor<64x128xi8>, tensor<1x1xf32>)
           outs(%init : tensor<?x64xf32>)
           weights(!ternary.packed<64x512, tq2>) groups #ternary.scale_groups<tensor>
           config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 1>
           -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins TernaryGPU_Shaped:$input,
                       TernaryGPU_Shaped:$storage,
                       TernaryGPU_Shaped:$scales,
                       TernaryGPU_Shaped:$init,
                       TypeAttrOf<Ternary_PackedType>:$weights,
                       Ternary_ScaleGroupsAttr:$groups,
                       TernaryGPU_MatmulConfigAttr:$config);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `ins` `(` $input `,` $storage `,` $scales `:` type($input) `,`
      type($storage) `,` type($scales) `)`
    `outs` `(` $init `:` type($init) `)`
    `weights` `(` $weights `)` `groups` qualified($groups)
    `config` qualified($config) attr-dict (`->` type($result)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    ::trilm::ternary::PackedType getPackedType() {
      return ::llvm::cast<::trilm::ternary::PackedType>(getWeights());
    }
  }];
  let hasVerifier = 1;
}

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUOPS_TD
