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
    verifier checks the size of the bytes and that every code is one the
    packer writes (no TQ2 code 3, no TQ1 byte outside the encoder's image),
    with a word-wise scan; padding trits beyond K are checked where rows are
    unpacked. `ternary.from_storage` of a constant is verified alike.

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
    operand holds as many bytes as the result's storage type, in any static
    shape (so that a layout can be chosen after the bytes are named: the
    bytes are then the storage in that layout, row by row). No code is
    checked: invalid codes give undefined values, as for `ternary.constant`.

    ```mlir
    %w = ternary.from_storage %bytes : tensor<512x128xi8>
           -> !ternary.packed<512x512, tq2>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I8]>:$storage);
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

    `kernel_config`, set by a target's kernel selection
    (`ternary-select-kernels-cpu`), records how the matmul is to be computed;
    it does not change what is computed.

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
                       Ternary_ScaleGroupsAttr:$groups,
                       OptionalAttr<Ternary_KernelConfigAttrInterface>:$kernel_config);
  let results = (outs Ternary_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`act_scales` `(` $act_scales^ `:` type($act_scales) `)`)? `,`
    $weights `groups` qualified($groups)
    `scales` `(` $scales `:` type($scales) `)` attr-dict
    `:` type($input) `,` qualified(type($weights)) `->` type($result)
  }];
  let builders = [
    // Without a kernel configuration: what frontends build.
    OpBuilder<(ins "::mlir::Type":$result, "::mlir::Value":$input,
                   "::mlir::Value":$act_scales, "::mlir::Value":$weights,
                   "::mlir::Value":$scales, "ScaleGroupsAttr":$groups), [{
      build($_builder, $_state, result, input, act_scales, weights, scales,
            groups, /*kernel_config=*/nullptr);
    }]>
  ];
  let extraClassDeclaration = [{
    /// True when the activations are int8 with per-row scales.
    bool isInt8() { return static_cast<bool>(getActScales()); }
  }];
  let hasVerifier = 1;
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYOPS_TD
