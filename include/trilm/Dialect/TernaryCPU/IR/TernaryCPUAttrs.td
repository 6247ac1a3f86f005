//===- TernaryCPUAttrs.td - CPU kernel attributes ----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD
#define TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD

include "trilm/Dialect/TernaryCPU/IR/TernaryCPUDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "trilm/Dialect/Ternary/IR/TernaryInterfaces.td"

//===----------------------------------------------------------------------===//
// int8 dot-product instruction families
//===----------------------------------------------------------------------===//

def TernaryCPU_Int8DotGeneric : I32EnumAttrCase<"generic", 0>;
def TernaryCPU_Int8DotAVX512VNNI : I32EnumAttrCase<"avx512_vnni", 1>;
def TernaryCPU_Int8DotAVXVNNI : I32EnumAttrCase<"avx_vnni", 2>;
def TernaryCPU_Int8DotNeonDotProd : I32EnumAttrCase<"neon_dotprod", 3>;
def TernaryCPU_Int8DotKind : I32EnumAttr<"Int8DotKind",
    "int8 dot-product instructions a kernel is built around",
    [TernaryCPU_Int8DotGeneric, TernaryCPU_Int8DotAVX512VNNI, TernaryCPU_Int8DotAVXVNNI,
     TernaryCPU_Int8DotNeonDotProd]> {
  let cppNamespace = "::trilm::ternary_cpu";
  let genSpecializedAttr = 0;
}

def TernaryCPU_Int8DotKindAttr
    : EnumAttr<TernaryCPU_Dialect, TernaryCPU_Int8DotKind, "int8_dot"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// Table lookups within a vector
//===----------------------------------------------------------------------===//

def TernaryCPU_ByteLookupGeneric : I32EnumAttrCase<"generic", 0>;
def TernaryCPU_ByteLookupAVX512VBMI : I32EnumAttrCase<"avx512_vbmi", 1>;
def TernaryCPU_ByteLookupKind : I32EnumAttr<"ByteLookupKind",
    "instructions that look lanes up in a 64-byte table (vpermb, vpermw)",
    [TernaryCPU_ByteLookupGeneric, TernaryCPU_ByteLookupAVX512VBMI]> {
  let cppNamespace = "::trilm::ternary_cpu";
  let genSpecializedAttr = 0;
}

def TernaryCPU_ByteLookupKindAttr
    : EnumAttr<TernaryCPU_Dialect, TernaryCPU_ByteLookupKind, "byte_lookup"> {
  let assemblyFormat = "$value";
}

def TernaryCPU_ByteLookupParameter
    : EnumParameter<TernaryCPU_ByteLookupKind> {
  let defaultValue = "::trilm::ternary_cpu::ByteLookupKind::generic";
}

//===----------------------------------------------------------------------===//
// Kernel configuration
//===----------------------------------------------------------------------===//

def TernaryCPU_MatmulConfigAttr : AttrDef<TernaryCPU_Dialect, "MatmulConfig",
    [Ternary_KernelConfigAttrInterface]> {
  let mnemonic = "matmul_config";
  let summary = "how the CPU kernels compute one ternary.matmul";
  let description = [{
    The decision `ternary-select-kernels-cpu` makes for a `ternary.matmul`
    from the target in the IR (`llvm.target`, the L2 size in DLTI), and
    every later pass reads:

    - `rows` x `act_rows`: the register tile (output rows x activation rows)
      of each `ternary_cpu.tile_matmul`;
    - `block_rows`, `block_act_rows`: the cache blocks (output rows per
      thread task, activation rows per pass over them);
    - `streams`: how many parts of an output block a task reads at once,
      taking their tiles in turn, so that a memory-bound GEMV keeps several
      hardware prefetch streams busy (1: the tiles in order);
    - `prefetch_bytes`: how far ahead of its weight reads a tile asks for
      the weight bytes (`ternary_cpu.prefetch`), which keeps more DRAM reads
      in flight than the hardware prefetchers alone (0, the default: none);
    - `int8_dot`: the int8 dot-product instructions of the kernel;
    - `weight_layout`: the layout the weights are stored in for it
      (`ternary-relayout-weights` applies it, importers write it);
    - `byte_lookup`: the byte-table lookups of the lookup-table kernel
      (`ternary_cpu.table_matmul`), which GEMVs of 1.6-bit weights stored as
      `#ternary.trit_triples` use (default `generic`);
    - `panel_rows`, `panel_act_rows`, `panel_min_act_rows`: the panel
      kernel of int8 GEMMs (`ternary_cpu.panel_matmul`; 0, the default:
      none). Matmuls with at least `panel_min_act_rows` activation rows
      decode `panel_rows` weight rows at a time once into a panel of codes,
      which every `panel_act_rows` activation rows then multiply with
      broadcast activations; fewer rows take the register tiles.

    ```mlir
    #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 128,
        block_act_rows = 1, streams = 4, prefetch_bytes = 1024,
        int8_dot = avx512_vnni,
        weight_layout = #ternary.row_interleave<4>,
        panel_rows = 32, panel_act_rows = 12, panel_min_act_rows = 32>
    ```
  }];
  let parameters = (ins
    "int64_t":$rows,
    "int64_t":$act_rows,
    "int64_t":$block_rows,
    "int64_t":$block_act_rows,
    "int64_t":$streams,
    DefaultValuedParameter<"int64_t", "0">:$prefetch_bytes,
    EnumParameter<TernaryCPU_Int8DotKind>:$int8_dot,
    OptionalParameter<"::trilm::ternary::PackedLayoutAttrInterface">:$weight_layout,
    DefaultValuedParameter<"int64_t", "0">:$panel_rows,
    DefaultValuedParameter<"int64_t", "0">:$panel_act_rows,
    DefaultValuedParameter<"int64_t", "0">:$panel_min_act_rows,
    TernaryCPU_ByteLookupParameter:$byte_lookup);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD
