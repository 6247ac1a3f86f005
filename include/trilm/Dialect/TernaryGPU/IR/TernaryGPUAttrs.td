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

    With `prompt_rows` and `prompt_stages`, batches of 16 or more activation
    rows (decided at run time) use the prompt kernel instead: a thread block
    of 4 warps owns 64 weight rows and `prompt_rows` activation rows (16,
    32, 48 or 64), and streams K through shared memory a quarter block per
    stage, `prompt_stages` stages in flight. Without them every batch uses
    the decoding decomposition.

    Examples:
    `#ternary_gpu.matmul_config<warps = 8, row_tiles = 2, blocks_per_step = 2>`,
    `#ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 4, prompt_rows = 64, prompt_stages = 4>`
  }];
  let parameters = (ins "int64_t":$warps, "int64_t":$rowTiles,
                        "int64_t":$blocksPerStep,
                        DefaultValuedParameter<"int64_t", "0">:$promptRows,
                        DefaultValuedParameter<"int64_t", "0">:$promptStages);
  let assemblyFormat = [{
    `<` `warps` `=` $warps `,` `row_tiles` `=` $rowTiles `,`
    `blocks_per_step` `=` $blocksPerStep
    (`,` `prompt_rows` `=` $promptRows^ `,` `prompt_stages` `=` $promptStages)?
    `>`
  }];
  let extraClassDeclaration = [{
    /// Warps that split the K blocks of one row tile.
    int64_t getSplits() const { return getWarps() / getRowTiles(); }
    /// Whether batches of kPrefillMinRows rows or more use the prompt kernel.
    bool hasPromptKernel() const { return getPromptRows() > 0; }
  }];
  let builders = [
    AttrBuilder<(ins "int64_t":$warps, "int64_t":$rowTiles,
                     "int64_t":$blocksPerStep), [{
      return $_get($_ctxt, warps, rowTiles, blocksPerStep, 0, 0);
    }]>
  ];
  let genVerifyDecl = 1;
}

#endif // TRILM_DIALECT_TERNARYGPU_IR_TERNARYGPUATTRS_TD
