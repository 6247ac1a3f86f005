//===- TernaryOps.td - Ternary operations ------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARYOPS_TD
#define TRILM_DIALECT_TERNARY_IR_TERNARYOPS_TD

include "trilm/Dialect/Ternary/IR/TernaryTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class Ternary_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ternary_Dialect, mnemonic, traits>;

def Ternary_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def Ternary_TritTensor : RankedTensorOf<[I8]>;

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

def Ternary_ConstantOp : Ternary_Op<"constant", [ConstantLike, Pure]> {
  let summary = "packed ternary weights known at compile time";
  let description = [{
    Materialises a `!ternary.packed` value from its bytes. The attribute is an
    `i8` elements attribute whose type is the storage type of the result. Use a
    `dense_resource` blob for real models: resources are written to bytecode as
    raw bytes and never pass through the textual form of the elements. The
    verifier checks the size of the bytes, not each code (that would read
    gigabytes on every verification): producers use the packing library,
    whose decoder rejects invalid codes, and the value of an invalid code
    (TQ2 code 3, a TQ1 byte the encoder never writes) is undefined.

    ```mlir
    %w = ternary.constant dense_resource<layer0_q> : tensor<512x128xi8>
           -> !ternary.packed<512x512, tq2>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Ternary_PackedType:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// FromStorageOp
//===----------------------------------------------------------------------===//

def Ternary_FromStorageOp : Ternary_Op<"from_storage", [Pure]> {
  let summary = "packed ternary weights from their storage bytes";
  let description = [{
    Reinterprets an `i8` tensor holding already packed bytes (in the scheme
    and layout of the result type) as a `!ternary.packed` value: how weights
    that live outside the module, in a memory-mapped file, enter it. The
    operand's type must be the storage type of the result. No code is
    checked: invalid codes give undefined values, as for `ternary.constant`.

    ```mlir
    %w = ternary.from_storage %bytes : tensor<512x128xi8>
           -> !ternary.packed<512x512, tq2>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$storage);
  let results = (outs Ternary_PackedType:$result);
  let assemblyFormat = [{
    $storage attr-dict `:` type($storage) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

def Ternary_PackOp : Ternary_Op<"pack", [Pure]> {
  let summary = "packs an N x K tensor of trits";
  let description = [{
    Packs a tensor of `i8` trits into the scheme and layout of the result
    type. Elements must be -1, 0 or +1: the verifier rejects a constant
    operand holding anything else, and the packed value is undefined for such
    run-time values (which is what lets `unpack(pack(x))` fold to `x`).
    Packing a constant folds to a `ternary.constant` holding a resource blob.

    ```mlir
    %w = ternary.pack %trits : tensor<64x300xi8> -> !ternary.packed<64x300, tq1>
    ```
  }];
  let arguments = (ins Ternary_TritTensor:$trits);
  let results = (outs Ternary_PackedType:$result);
  let assemblyFormat = [{
    $trits attr-dict `:` type($trits) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

def Ternary_UnpackOp : Ternary_Op<"unpack", [Pure]> {
  let summary = "unpacks ternary weights into trits or scaled floats";
  let description = [{
    Without scales, yields the `i8` trits (-1, 0, +1) of the matrix. With
    scales, yields `trit * scale` as floats, where the scale of element
    (n, k) is `scales[group of n, group of k]` for the given groups.

    `unpack(pack(x))` folds to `x`. Lowerings of `ternary.matmul` never need
    this op; it exists for tests, debugging and fallbacks.

    ```mlir
    %t = ternary.unpack %w : !ternary.packed<8x256, tq2> -> tensor<8x256xi8>
    %f = ternary.unpack %w groups #ternary.scale_groups<n = [4]>
           scales(%s : tensor<2x1xf32>)
           : !ternary.packed<8x256, tq2> -> tensor<8x256xf32>
    ```
  }];
  let arguments = (ins Ternary_PackedType:$weights,
                       Optional<Ternary_FloatTensor>:$scales,
                       OptionalAttr<Ternary_ScaleGroupsAttr>:$groups);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $weights (`groups` qualified($groups)^ `scales` `(` $scales `:` type($scales) `)`)?
    attr-dict
    `:` qualified(type($weights)) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Value":$weights)>
  ];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def Ternary_QuantizeOp : Ternary_Op<"quantize", [Pure]> {
  let summary = "per-row absmax int8 quantisation of activations";
  let description = [{
    For each row m of an M x K float tensor, computes
    `scale[m] = max(max_k |x[m, k]|, eps) / 127` and
    `q[m, k] = round_half_to_even(x[m, k] / scale[m])`, which lies in
    [-127, 127]. `x ~= q * scale`. This is BitNet b1.58's activation
    quantisation; `eps` (default 1e-5) keeps all-zero rows finite.

    ```mlir
    %q, %s = ternary.quantize %x : tensor<?x512xf32> -> tensor<?x512xi8>, tensor<?xf32>
    ```
  }];
  let arguments = (ins Ternary_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$eps);
  let results = (outs Ternary_TritTensor:$quantized,
                      RankedTensorOf<[F32]>:$scales);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($quantized) `,` type($scales)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

def Ternary_MatmulOp : Ternary_Op<"matmul", [Pure]> {
  let summary = "activations times transposed packed ternary weights";
  let description = [{
    Computes `result[m, n] = sum_k x[m, k] * t[n, k] * s(n, k)` for activations
    `x` (M x K), packed trits `t` (N x K) and scales `s` grouped by `groups`.
    Each group's contribution is accumulated separately and then scaled:

      result[m, n] = sum_g scales[group(n), g] * sum_{k in K-group g} x[m, k] * t[n, k]

    which is the exact TriLM form `scale * (sum of x where t = +1 - sum of x
    where t = -1)`.

    Activation modes:
    - float (`f32`, `f16`, `bf16` activations): partial sums are `f32`.
    - int8 (`i8` activations with `act_scales`, one `f32` per row, from
      `ternary.quantize`): partial sums are exact `i32`, and
      `result[m, n] = act_scales[m] * sum_g scales[group(n), g] * float(acc_g)`.

    M may be dynamic; N and K are those of the weight type.

    ```mlir
    %y = ternary.matmul %x, %w groups #ternary.scale_groups<k = [1536]>
           scales(%s : tensor<1x2xf32>)
           : tensor<?x3072xf32>, !ternary.packed<512x3072, tq2> -> tensor<?x512xf32>
    %z = ternary.matmul %q act_scales(%as : tensor<?xf32>), %w
           groups #ternary.scale_groups<k = [1536]> scales(%s : tensor<1x2xf32>)
           : tensor<?x3072xi8>, !ternary.packed<512x3072, tq2> -> tensor<?x512xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Optional<RankedTensorOf<[F32]>>:$act_scales,
                       Ternary_PackedType:$weights,
                       Ternary_FloatTensor:$scales,
                       Ternary_ScaleGroupsAttr:$groups);
  let results = (outs Ternary_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`act_scales` `(` $act_scales^ `:` type($act_scales) `)`)? `,`
    $weights `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` attr-dict
    `:` type($input) `,` qualified(type($weights)) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// True when the activations are int8 with per-row scales.
    bool isInt8() { return static_cast<bool>(getActScales()); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// CPU kernel ops: PrepareActivationsOp, TileMatmulOp
//===----------------------------------------------------------------------===//

def Ternary_PrepareActivationsOp : Ternary_Op<"prepare_activations", [Pure]> {
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
      (digit n of byte j at `64n + j`, zero where the digit is padding).

    Float activations become f32; i8 stay i8 and `block_sums` (one i32 per
    row and prepared block) is returned for kernels that multiply unsigned
    codes and subtract the activation sums.

    ```mlir
    %p, %sums = ternary.prepare_activations %q groups #ternary.scale_groups<k = [300]>
                  scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Ternary_ScaleGroupsAttr:$groups,
                       Ternary_PackingSchemeAttr:$scheme);
  let results = (outs AnyRankedTensor:$prepared,
                      Optional<RankedTensorOf<[I32]>>:$block_sums);
  let assemblyFormat = [{
    $input `groups` qualified($groups) `scheme` `` $scheme attr-dict
    `:` type($input) `->` type($prepared) (`,` type($block_sums)^)?
  }];
  let extraClassDeclaration = [{
    /// Prepared positions per block: 256 for tq2, 320 for tq1.
    static int64_t getPositionsPerBlock(PackingScheme scheme);
    /// Blocks in the prepared activations of a matrix with `cols` columns.
    static int64_t getNumPreparedBlocks(ScaleGroupsAttr groups, int64_t cols);
  }];
  let hasVerifier = 1;
}

def Ternary_TileMatmulOp : Ternary_Op<"tile_matmul",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "one register tile of a ternary matmul, for the CPU kernels";
  let description = [{
    Computes the outputs of `ternary.matmul` for activation rows
    `act_row .. act_row + A - 1` and weight rows `row .. row + R - 1` as an
    A x R vector, from activations prepared by `ternary.prepare_activations`.
    Rows past the end (M or N) repeat the last row, so that a tile never
    reads out of bounds; their results are meant to be dropped.

    `int8_dot` names the int8 dot-product instructions the lowering uses;
    with unsigned codes (every kind but `neon_dotprod`) i8 activations need
    `block_sums`. i8 activations need `act_scales`, which are applied.

    ```mlir
    %t = ternary.tile_matmul %p block_sums(%sums : tensor<?x4xi32>)
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
                       Ternary_FloatTensor:$scales,
                       Index:$act_row,
                       Index:$row,
                       Ternary_ScaleGroupsAttr:$groups,
                       Ternary_Int8DotKind:$int8_dot);
  let results = (outs VectorOfRankAndType<[2], [F32]>:$result);
  let assemblyFormat = [{
    $prepared (`block_sums` `(` $block_sums^ `:` type($block_sums) `)`)?
    (`act_scales` `(` $act_scales^ `:` type($act_scales) `)`)? `,`
    $weights `[` $act_row `,` $row `]` `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` `dot` $int8_dot attr-dict
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

//===----------------------------------------------------------------------===//
// Dot4Op
//===----------------------------------------------------------------------===//

def Ternary_Dot4Op : Ternary_Op<"dot4", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "lane-grouped int8 dot product, as CPU kernels use it";
  let description = [{
    `result[i] = acc[i] + sum_{j < 4} lhs[4i + j] * rhs[4i + j]` in i32, where
    `rhs` is signed and `lhs` is unsigned with `unsigned_lhs`, signed
    otherwise. This is x86 `vpdpbusd` (unsigned lhs) and AArch64 `sdot`
    (signed): the fused CPU kernels emit it at the vector level, where it is
    free of side effects and survives bufferization, and
    `ternary-lower-kernel-ops` turns it into the instruction named by `kind`, or
    into portable vector arithmetic for `generic`.

    ```mlir
    %r = ternary.dot4 avx512_vnni unsigned_lhs %acc, %codes, %x
           : vector<64xi8> -> vector<16xi32>
    ```
  }];
  let arguments = (ins Ternary_Int8DotKind:$kind, UnitAttr:$unsigned_lhs,
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

def Ternary_TritsToF32Op : Ternary_Op<"trits_to_f32", [Pure,
    AllShapesMatch<["fields", "result"]>]> {
  let summary = "2-bit codes in i32 lanes to f32 trits, as CPU kernels use it";
  let description = [{
    `result[i] = float(((fields[i] >> shift) & 3) - 1)`: the 2-bit code at
    bit `shift` of each lane, as the trit -1.0, 0.0 or +1.0 (code 3 gives an
    unspecified value). The float kernels emit it at the vector level;
    `ternary-lower-kernel-ops` turns it into one table permute (`vpermps`,
    indexed by 4 bits of the lane) for `avx512_vnni` targets, or into shift,
    mask and convert.

    ```mlir
    %t = ternary.trits_to_f32 avx512_vnni %lanes shift 4 : vector<16xi32> -> vector<16xf32>
    ```
  }];
  let arguments = (ins Ternary_Int8DotKind:$kind,
                       VectorOfRankAndType<[1], [I32]>:$fields,
                       I64Attr:$shift);
  let results = (outs VectorOfRankAndType<[1], [F32]>:$result);
  let assemblyFormat = [{
    $kind $fields `shift` $shift attr-dict `:` type($fields) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYOPS_TD
