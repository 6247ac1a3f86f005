//===- TernaryGPUAttrs.td - GPU kernel attributes ----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD
#define TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD

include "trilm/Dialect/TernaryGPU/IR/TernaryGPUDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "trilm/Dialect/Ternary/IR/TernaryInterfaces.td"

def TernaryGPU_MatmulConfigAttr : AttrDef<TernaryGPU_Dialect, "MatmulConfig",
    [DeclareAttrInterfaceMethods<Ternary_KernelConfigAttrInterface>]> {
  let mnemonic = "matmul_config";
  let summary = "how the GPU kernel computes one ternary matmul";
  let description = [{
    The tile decomposition of the tensor-core kernel (`mma.sync` m16n8k16,
    f16 in, f32 accumulate), the GPU strategy's decision for one
    `ternary.matmul` (its `kernel_config`): a thread block of `warps` warps
    owns `row_tiles` tiles of 16 weight rows and 8 activation rows; the
    `warps / row_tiles` warps of a tile split the 256-trit blocks of K
    between them (split `s` of `S` takes blocks `s`, `s + S`, ...),
    `blocks_per_step` at a time: the loads of a step are issued together,
    and those of the next step before the current one is computed, so that
    enough bytes are in flight to cover the memory latency. The splits'
    partial sums are added through shared memory. The weights stay
    row-major.

    Example: `#ternary_gpu.matmul_config<warps = 8, row_tiles = 2, blocks_per_step = 2>`
  }];
  let parameters = (ins "int64_t":$warps, "int64_t":$rowTiles,
                        "int64_t":$blocksPerStep);
  let assemblyFormat = [{
    `<` `warps` `=` $warps `,` `row_tiles` `=` $rowTiles `,`
    `blocks_per_step` `=` $blocksPerStep `>`
  }];
  let extraClassDeclaration = [{
    /// Warps that split the K blocks of one row tile.
    int64_t getSplits() const { return getWarps() / getRowTiles(); }
  }];
  let genVerifyDecl = 1;
}

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD
