//===- TernaryGPUAttrs.td - GPU kernel attributes ----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD
#define TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD

include "trilm/Dialect/TernaryGPU/IR/TernaryGPUDialect.td"
include "mlir/IR/AttrTypeBase.td"

def TernaryGPU_MatmulConfigAttr : AttrDef<TernaryGPU_Dialect, "MatmulConfig"> {
  let mnemonic = "matmul_config";
  let summary = "how the GPU kernel computes one ternary matmul";
  let description = [{
    The tile decomposition of the tensor-core kernel (`mma.sync` m16n8k16,
    f16 in, f32 accumulate): a thread block owns 16 weight rows and 8
    activation rows; its `warps` warps split the 256-trit blocks of K between
    them (warp `w` takes blocks `w`, `w + warps`, ...), `blocks_per_step` at
    a time, whose weight loads are all issued before any of them is used so
    that enough bytes are in flight to cover the memory latency; the warps'
    partial sums are added through shared memory.

    Example: `#ternary_gpu.matmul_config<warps = 8, blocks_per_step = 2>`
  }];
  let parameters = (ins "int64_t":$warps, "int64_t":$blocksPerStep);
  let assemblyFormat = "`<` `warps` `=` $warps `,` `blocks_per_step` `=` $blocksPerStep `>`";
  let genVerifyDecl = 1;
}

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD
