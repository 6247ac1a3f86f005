//===- TernaryCPUOps.td - CPU kernel operations ------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUOPS_TD
#define TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUOPS_TD

include "trilm/Dialect/TernaryCPU/IR/TernaryCPUAttrs.td"
include "trilm/Dialect/Ternary/IR/TernaryTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class TernaryCPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<TernaryCPU_Dialect, mnemonic, traits>;

def TernaryCPU_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// CPU kernel ops: PrepareActivationsOp, TileMatmulOp, PanelMatmulOp
//===----------------------------------------------------------------------===//

def TernaryCPU_PrepareActivationsOp : TernaryCPU_Op<"prepare_activations", [Pure]> {
  let summary = "activations arranged for the fused CPU kernels";
  let description = [{
    Rearranges the M x K activations of a `ternary.matmul` so that the fused
    kernels read them with plain vector loads, once per call:

    - each K scale group of `groups` gets its own run of whole 256-trit
      blocks, holding the group's activations and zeros elsewhere (group
      boundaries need not align with blocks);
    - within a block the activations are reordered to the order in which
      the packed bytes of `scheme` decode: 256 positions for tq2 (byte
      `32h + j`, bits `2l` hold element `128h + 32l + j`), 320 for tq1
      (digit n of byte j at `64n + j`, zero where the digit is padding);
    - with `triple_order` (tq1 weights stored as `#ternary.trit_triples`,
      which the panel kernel decodes in K order), element `52c + j` at
      `64c + j` for `j < 52`, zero elsewhere.

    Float activations become f32; i8 stay i8 and `block_sums` (one i32 per
    row and prepared block) is returned for kernels that multiply unsigned
    codes and subtract the activation sums.

    ```mlir
    %p, %sums = ternary_cpu.prepare_activations %q groups #ternary.scale_groups<k = [300]>
                  scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Ternary_ScaleGroupsAttr:$groups,
                       Ternary_PackingSchemeAttr:$scheme,
                       UnitAttr:$triple_order);
  let results = (outs AnyRankedTensor:$prepared,
                      Optional<RankedTensorOf<[I32]>>:$block_sums);
  let assemblyFormat = [{
    $input `groups` qualified($groups) `scheme` `` $scheme
    (`triple_order` $triple_order^)? attr-dict
    `:` type($input) `->` type($prepared) (`,` type($block_sums)^)?
  }];
  let extraClassDeclaration = [{
    /// Prepared positions per block: 256 for tq2, 320 for tq1.
    static int64_t getPositionsPerBlock(::trilm::ternary::PackingScheme scheme);
    /// Blocks in the prepared activations of a matrix with `cols` columns.
    static int64_t getNumPreparedBlocks(::trilm::ternary::ScaleGroupsAttr groups,
                                        int64_t cols);
  }];
  let hasVerifier = 1;
}

def TernaryCPU_TileMatmulOp : TernaryCPU_Op<"tile_matmul",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "one register tile of a ternary matmul, for the CPU kernels";
  let description = [{
    Computes the outputs of `ternary.matmul` for activation rows
    `act_row .. act_row + A - 1` and weight rows `row .. row + R - 1` as an
    A x R vector, from activations prepared by `ternary_cpu.prepare_activations`.
    Rows past the end (M or N) repeat the last row, so that a tile never
    reads out of bounds; their results are meant to be dropped.

    `int8_dot` names the int8 dot-product instructions the lowering uses;
    with unsigned codes (every kind but `neon_dotprod`) i8 activations need
    `block_sums`. i8 activations need `act_scales`, which are applied. With
    `prefetch`, each block's weight bytes are prefetched that many bytes
    ahead in the weights' storage (`ternary_cpu.prefetch`).

    ```mlir
    %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<?x4xi32>)
           act_scales(%as : tensor<?xf32>), %w [%m, %n]
           groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>)
           dot avx512_vnni
           : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$prepared,
                       Optional<RankedTensorOf<[I32]>>:$block_sums,
                       Optional<RankedTensorOf<[F32]>>:$act_scales,
                       Ternary_PackedType:$weights,
                       TernaryCPU_FloatTensor:$scales,
                       Index:$act_row,
                       Index:$row,
                       Ternary_ScaleGroupsAttr:$groups,
                       TernaryCPU_Int8DotKindAttr:$int8_dot,
                       OptionalAttr<I64Attr>:$prefetch_bytes);
  let results = (outs VectorOfRankAndType<[2], [F32]>:$result);
  let assemblyFormat = [{
    $prepared (`block_sums` `(` $block_sums^ `:` type($block_sums) `)`)?
    (`act_scales` `(` $act_scales^ `:` type($act_scales) `)`)? `,`
    $weights `[` $act_row `,` $row `]` `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` `dot` $int8_dot
    (`prefetch` $prefetch_bytes^)? attr-dict
    `:` type($prepared) `,` qualified(type($weights)) `->` type($result)
  }];
  let extraClassDeclaration = [{
    bool isInt8() { return static_cast<bool>(getActScales()); }
    /// Activation rows of the tile.
    int64_t getTileActRows() { return getResult().getType().getDimSize(0); }
    /// Weight rows of the tile.
    int64_t getTileRows() { return getResult().getType().getDimSize(1); }
  }];
  let hasVerifier = 1;
}

def TernaryCPU_PanelMatmulOp : TernaryCPU_Op<"panel_matmul",
    [Pure, AllTypesMatch<["dest", "result"]>]> {
  let summary = "a strip of weight rows of an int8 ternary matmul, by the "
                "panel kernel";
  let description = [{
    Writes into `dest` (R x C, C at most `panel_rows`) the outputs of an
    int8 `ternary.matmul` for activation rows `act_row .. act_row + R - 1`
    and weight rows `row .. row + C - 1`, from activations prepared by
    `ternary_cpu.prepare_activations`. Weight rows past N repeat row N - 1,
    so that a strip never reads out of bounds.

    The lowering decodes the `panel_rows` weight rows once into a panel of
    codes (trit + 1) in the prepared activations' order, 4 positions of
    every row per group, then takes `act_rows` activation rows at a time:
    each 4-position group of a row is broadcast and multiplied with the
    panel's codes of 16 weight rows by one `int8_dot` dot product, so that
    neither decoding nor horizontal sums are left in the inner loop.
    `block_sums` remove the codes' offset, then the scales of each K group
    and `act_scales` are applied as in `ternary_cpu.tile_matmul`.

    Weights stored as `#ternary.trit_triples` take panels of 64 rows (one
    group of the layout), decoded by `lookup` byte lookups of each index's
    digits, from activations prepared in `triple_order`.

    ```mlir
    %r = ternary_cpu.panel_matmul %p block_sums(%sums : tensor<?x4xi32>)
           act_scales(%as : tensor<?xf32>), %w [%m, %n]
           groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>)
           dot avx512_vnni panel_rows 32 act_rows 12 into %dest
           : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$prepared,
                       RankedTensorOf<[I32]>:$block_sums,
                       RankedTensorOf<[F32]>:$act_scales,
                       Ternary_PackedType:$weights,
                       TernaryCPU_FloatTensor:$scales,
                       RankedTensorOf<[F32]>:$dest,
                       Index:$act_row,
                       Index:$row,
                       Ternary_ScaleGroupsAttr:$groups,
                       TernaryCPU_Int8DotKindAttr:$int8_dot,
                       I64Attr:$panel_rows,
                       I64Attr:$act_rows,
                       OptionalAttr<TernaryCPU_ByteLookupKindAttr>:$byte_lookup);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $prepared `block_sums` `(` $block_sums `:` type($block_sums) `)`
    `act_scales` `(` $act_scales `:` type($act_scales) `)` `,`
    $weights `[` $act_row `,` $row `]` `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` `dot` $int8_dot
    `panel_rows` $panel_rows `act_rows` $act_rows
    (`lookup` $byte_lookup^)? `into` $dest attr-dict
    `:` type($prepared) `,` qualified(type($weights)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TernaryCPU_PrepareTablesOp : TernaryCPU_Op<"prepare_tables", [Pure]> {
  let summary = "activation sums of every weight triple, for table lookups";
  let description = [{
    For i8 activations and weights stored as `#ternary.trit_triples`: each
    K scale group of `groups` gets its own run of whole 256-trit blocks (as
    in `ternary_cpu.prepare_activations`), each block 87 triples of
    activations (zeros past the block's 256). Per row and triple
    `(a0, a1, a2)` there are 64 bytes: the 27 sums
    `T[v] = sum_i (digit_i(v) - 1) * a_i` (digit i of v in base 3, least
    significant first) as i16 lanes 0..26, zeros in lanes 27..31. A weight
    triple's index then looks its contribution up with one 16-bit lookup.

    ```mlir
    %tables = ternary_cpu.prepare_tables %q groups(#ternary.scale_groups<k = [300]>)
                : tensor<?x700xi8> -> tensor<?x22272xi8>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input,
                       Ternary_ScaleGroupsAttr:$groups);
  let results = (outs RankedTensorOf<[I8]>:$tables);
  let assemblyFormat = [{
    $input `groups` `(` qualified($groups) `)` attr-dict `:` type($input)
    `->` type($tables)
  }];
  let extraClassDeclaration = [{
    /// Table bytes per prepared block: 87 triples of 64 bytes.
    static int64_t getBytesPerBlock();
  }];
  let hasVerifier = 1;
}

def TernaryCPU_TableMatmulOp : TernaryCPU_Op<"table_matmul", [Pure]> {
  let summary = "groups of 32 weight rows of an int8 GEMV, by table lookups";
  let description = [{
    Computes the outputs of an int8 `ternary.matmul` for activation row
    `act_row` and weight rows `row .. row + R - 1` (`row` a multiple of 32;
    R a multiple of 32 up to 256, whole groups of the layout) as a 1 x R
    vector, from weights stored as `#ternary.trit_triples` and the tables of
    `ternary_cpu.prepare_tables`. Groups past N repeat the last group, so
    that a tile never reads out of bounds. Per word of three triples the
    lowering loads the three tables once for all groups; per group it loads
    the 32 rows' words, shifts them for the second and third triple, looks
    each up in its table (`ternary_cpu.lookup` with `byte_lookup`, whose
    16-bit lookup reads the low 5 bits) and adds the i16 sums;
    the sums are widened to i32 every half block,
    and the scales of each K group and `act_scales` are applied as in
    `ternary_cpu.tile_matmul`. With `prefetch`, the weight bytes are
    prefetched that many bytes ahead.

    ```mlir
    %t = ternary_cpu.table_matmul %tables act_scales(%as : tensor<?xf32>),
           %w [%m, %n] groups #ternary.scale_groups<k = [300]>
           scales(%s : tensor<1x2xf32>) lookup avx512_vbmi
           : tensor<?x22272xi8>, !ternary.packed<128x700, tq1, #ternary.trit_triples>
           -> vector<1x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$tables,
                       RankedTensorOf<[F32]>:$act_scales,
                       Ternary_PackedType:$weights,
                       TernaryCPU_FloatTensor:$scales,
                       Index:$act_row,
                       Index:$row,
                       Ternary_ScaleGroupsAttr:$groups,
                       TernaryCPU_ByteLookupKindAttr:$byte_lookup,
                       OptionalAttr<I64Attr>:$prefetch_bytes);
  let results = (outs VectorOfRankAndType<[2], [F32]>:$result);
  let assemblyFormat = [{
    $tables `act_scales` `(` $act_scales `:` type($act_scales) `)` `,`
    $weights `[` $act_row `,` $row `]` `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` `lookup` $byte_lookup
    (`prefetch` $prefetch_bytes^)? attr-dict
    `:` type($tables) `,` qualified(type($weights)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

def TernaryCPU_LookupOp : TernaryCPU_Op<"lookup", [Pure,
    AllTypesMatch<["table", "indices", "result"]>]> {
  let summary = "each lane of a 512-bit vector looked up in a table of lanes";
  let description = [{
    `result[i] = table[indices[i] mod L]` for the L lanes of a 64 x i8 or
    32 x i16 vector. This is x86 `vpermb` (AVX-512 VBMI) and `vpermw`
    (AVX-512 BW): the lookup-table kernels emit it at the vector level and
    `ternary-cpu-lower-instructions` turns it into the instruction of
    `kind`, or into one extraction per lane for `generic`.

    ```mlir
    %r = ternary_cpu.lookup avx512_vbmi %table[%indices] : vector<32xi16>
    ```
  }];
  let arguments = (ins TernaryCPU_ByteLookupKindAttr:$kind,
                       AnyTypeOf<[VectorOfLengthAndType<[64], [I8]>,
                                  VectorOfLengthAndType<[32], [I16]>]>:$table,
                       AnyTypeOf<[VectorOfLengthAndType<[64], [I8]>,
                                  VectorOfLengthAndType<[32], [I16]>]>:$indices);
  let results = (outs AnyTypeOf<[VectorOfLengthAndType<[64], [I8]>,
                                 VectorOfLengthAndType<[32], [I16]>]>:$result);
  let assemblyFormat = [{
    $kind $table `[` $indices `]` attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Dot4Op
//===----------------------------------------------------------------------===//

def TernaryCPU_Dot4Op : TernaryCPU_Op<"dot4", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "lane-grouped int8 dot product, as CPU kernels use it";
  let description = [{
    `result[i] = acc[i] + sum_{j < 4} lhs[4i + j] * rhs[4i + j]` in i32, where
    `rhs` is signed and `lhs` is unsigned with `unsigned_lhs`, signed
    otherwise. This is x86 `vpdpbusd` (unsigned lhs) and AArch64 `sdot`
    (signed): the fused CPU kernels emit it at the vector level, where it is
    free of side effects and survives bufferization, and
    `ternary-cpu-lower-instructions` turns it into the instruction named by `kind`, or
    into portable vector arithmetic for `generic`.

    ```mlir
    %r = ternary_cpu.dot4 avx512_vnni unsigned_lhs %acc, %codes, %x
           : vector<64xi8> -> vector<16xi32>
    ```
  }];
  let arguments = (ins TernaryCPU_Int8DotKindAttr:$kind, UnitAttr:$unsigned_lhs,
                       VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$lhs,
                       VectorOfRankAndType<[1], [I8]>:$rhs);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $kind (`unsigned_lhs` $unsigned_lhs^)? $acc `,` $lhs `,` $rhs attr-dict
    `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// TritsToF32Op
//===----------------------------------------------------------------------===//

def TernaryCPU_TritsToF32Op : TernaryCPU_Op<"trits_to_f32", [Pure,
    AllShapesMatch<["fields", "result"]>]> {
  let summary = "2-bit codes in i32 lanes to f32 trits, as CPU kernels use it";
  let description = [{
    `result[i] = float(((fields[i] >> shift) & 3) - 1)`: the 2-bit code at
    bit `shift` of each lane, as the trit -1.0, 0.0 or +1.0 (code 3 gives an
    unspecified value). The float kernels emit it at the vector level;
    `ternary-cpu-lower-instructions` turns it into one table permute (`vpermps`,
    indexed by 4 bits of the lane) for `avx512_vnni` targets, or into shift,
    mask and convert.

    ```mlir
    %t = ternary_cpu.trits_to_f32 avx512_vnni %lanes shift 4 : vector<16xi32> -> vector<16xf32>
    ```
  }];
  let arguments = (ins TernaryCPU_Int8DotKindAttr:$kind,
                       VectorOfRankAndType<[1], [I32]>:$fields,
                       I64Attr:$shift);
  let results = (outs VectorOfRankAndType<[1], [F32]>:$result);
  let assemblyFormat = [{
    $kind $fields `shift` $shift attr-dict `:` type($fields) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// PrefetchOp
//===----------------------------------------------------------------------===//

// No memory effects are declared: an op that only reads would be dead
// without uses, and a prefetch has none.
def TernaryCPU_PrefetchOp : TernaryCPU_Op<"prefetch"> {
  let summary = "asks the cache for the line holding one element of a tensor";
  let description = [{
    A hint with no result: the cache line that holds
    `source[indices]` is fetched ahead of its use, into every cache level.
    Memory-bound kernels issue it a fixed distance ahead of their reads,
    which keeps more DRAM reads in flight than the hardware prefetchers
    alone. The indices must be in bounds. It reads no value, so it orders
    nothing on tensors; it bufferizes to `memref.prefetch` on the tensor's
    buffer.

    ```mlir
    ternary_cpu.prefetch %weights[%position] : tensor<65536xi8>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$source, Variadic<Index>:$indices);
  let assemblyFormat = [{
    $source `[` $indices `]` attr-dict `:` type($source)
  }];
  let hasVerifier = 1;
}

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUOPS_TD
