//===- LLMOps.td - Model-level operations ------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_LLM_IR_LLMOPS_TD
#define TRILM_DIALECT_LLM_IR_LLMOPS_TD

include "trilm/Dialect/LLM/IR/LLMAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class LLM_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLM_Dialect, mnemonic, traits>;

def LLM_FloatTensor : RankedTensorOf<[F32, F16, BF16]>;
def LLM_Activations : 2DTensorOf<[F32, F16, BF16]>;

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

def LLM_WeightOp : LLM_Op<"weight", [Pure]> {
  let summary = "a weight of the model, viewed in the weights buffer";
  let description = [{
    Views `sizeof(result)` bytes of the weights buffer as a tensor, starting
    at byte `offset`, plus `layer * layer_stride` for a per-layer weight
    inside `llm.layers`, whose layers all lay their weights out alike. The
    bytes are the tensor's elements in row-major order (packed ternary
    weights are their storage bytes: see `ternary.from_storage`).

    A model's weights are one buffer, embedded in the compiled model or
    memory-mapped from a file, so that gigabytes of weights never pass
    through the IR. The result is read-only.

    ```mlir
    %norm = llm.weight %weights[4096 + %layer * 1048576]
              : tensor<?xi8> -> tensor<512xf32>
    %embed = llm.weight %weights[64] : tensor<?xi8> -> tensor<300x512xf16>
    ```
  }];
  let arguments = (ins 1DTensorOf<[I8]>:$buffer,
                       Optional<Index>:$layer,
                       I64Attr:$offset,
                       OptionalAttr<I64Attr>:$layer_stride);
  let results = (outs AnyStaticShapeTensor:$result);
  let assemblyFormat = [{
    $buffer `[` $offset (`+` $layer^ `*` $layer_stride)? `]` attr-dict
    `:` type($buffer) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// Bytes the result takes in the buffer.
    int64_t getNumBytes();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

def LLM_EmbeddingOp : LLM_Op<"embedding", [Pure]> {
  let summary = "rows of an embedding table selected by token ids";
  let description = [{
    `result[i, :] = table[tokens[i], :]`, converted to the result's element
    type. Token ids outside the table give undefined rows: the runtime
    checks ids before it calls the model.

    ```mlir
    %x = llm.embedding %table[%tokens]
           : tensor<300x64xf16>, tensor<?xi32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins 2DTensorOf<[F32, F16, BF16]>:$table,
                       1DTensorOf<[I32, I64]>:$tokens);
  let results = (outs LLM_Activations:$result);
  let assemblyFormat = [{
    $table `[` $tokens `]` attr-dict `:` type($table) `,` type($tokens)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

def LLM_RMSNormOp : LLM_Op<"rms_norm", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "root-mean-square normalisation of each row, with a weight";
  let description = [{
    For each row x of the M x H input, in f32:
    `y = weight * (x * (1 / sqrt(mean(x^2) + epsilon)))`, as LLaMA (and
    transformers' `LlamaRMSNorm`) computes it.

    ```mlir
    %y = llm.rms_norm %x, %w {epsilon = 1.0e-05 : f32}
           : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins LLM_Activations:$input,
                       1DTensorOf<[F32, F16, BF16]>:$weight,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon);
  let results = (outs LLM_Activations:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight)
    `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

def LLM_RopeOp : LLM_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding of every head of every row";
  let description = [{
    Row `i` of the M x (heads * head_dim) input is the token at position
    `p = start + i` (divided by the factor of a linear `scaling`). Each head
    is rotated pairwise by the angles `p * theta^(-2j / head_dim)`, j from 0
    to head_dim / 2 - 1, computed in f32 as transformers does:

    - `rotate_half` (LLaMA in transformers, GPT-NeoX): element j pairs with
      element j + head_dim / 2,
      `y[j] = x[j] cos - x[j + d/2] sin`, `y[j + d/2] = x[j + d/2] cos + x[j] sin`;
    - `interleaved` (GPT-J, Meta's LLaMA, GGUF): element 2j pairs with 2j + 1.

    ```mlir
    %q = llm.rope rotate_half %x, %start {head_dim = 64 : i64, theta = 1.0e+04 : f32}
           : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins LLM_Activations:$input, Index:$start,
                       LLM_RopeStyleAttr:$style,
                       I64Attr:$head_dim,
                       F32Attr:$theta,
                       OptionalAttr<LLM_RopeScalingAttr>:$scaling);
  let results = (outs LLM_Activations:$result);
  let assemblyFormat = [{
    custom<BareEnum>($style) $input `,` $start attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def LLM_AttentionOp : LLM_Op<"attention", [Pure,
    AllTypesMatch<["query", "result"]>,
    AllTypesMatch<["key", "value"]>,
    AllTypesMatch<["key_cache", "new_key_cache"]>,
    AllTypesMatch<["value_cache", "new_value_cache"]>]> {
  let summary = "causal scaled dot-product attention over a KV cache";
  let description = [{
    Appends the M rows of `key` and `value` (kv_heads * head_dim wide) to the
    caches at positions `start` to `start + M - 1`, in the caches' element
    type, and attends: query row `i`, at position `start + i`, head `h`,
    sees positions 0 to `start + i` of kv head `g = h / (heads / kv_heads)`
    (MHA, GQA and MQA alike, in transformers' `repeat_kv` order):

        s[j]  = scale * sum_d q[i, h, d] * K[g, d, j]
        out[i, h, :] = sum_j softmax(s)[j] * V[g, j, :]

    The key cache is kv_heads x head_dim x C (each dimension's positions
    contiguous: the scores of consecutive positions are vector
    multiply-adds), the value cache kv_heads x C x head_dim (each position's
    values contiguous: the weighted sum is vector multiply-adds).

    in f32, where K and V are the updated caches (so new keys and values are
    read back rounded to the cache's element type). `scale` defaults to
    `1 / sqrt(head_dim)`. The results are the attention output
    (M x heads * head_dim) and the updated caches.

    ```mlir
    %o, %kc, %vc = llm.attention %q, %k, %v, %key_cache, %value_cache, %start
                     : tensor<?x256xf32>, tensor<?x128xf32>, tensor<2x64x512xf16>,
                       tensor<2x512x64xf16>
    ```
  }];
  let arguments = (ins LLM_Activations:$query,
                       LLM_Activations:$key,
                       LLM_Activations:$value,
                       3DTensorOf<[F32, F16, BF16]>:$key_cache,
                       3DTensorOf<[F32, F16, BF16]>:$value_cache,
                       Index:$start,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs LLM_Activations:$result,
                      3DTensorOf<[F32, F16, BF16]>:$new_key_cache,
                      3DTensorOf<[F32, F16, BF16]>:$new_value_cache);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $key_cache `,` $value_cache `,` $start
    attr-dict `:` type($query) `,` type($key) `,` type($key_cache) `,`
    type($value_cache)
  }];
  let extraClassDeclaration = [{
    int64_t getHeadDim() { return getValueCache().getType().getDimSize(2); }
    int64_t getNumKVHeads() { return getValueCache().getType().getDimSize(0); }
    int64_t getNumHeads() {
      return getQuery().getType().getDimSize(1) / getHeadDim();
    }
    /// The scale of the scores: the attribute, or 1 / sqrt(head_dim).
    float getScaleValue();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// GatedActivationOp
//===----------------------------------------------------------------------===//

def LLM_GatedActivationOp : LLM_Op<"gated_activation", [Pure,
    AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "the activation of a gated MLP: f(gate) * up";
  let description = [{
    Element-wise `f(gate) * up`, in f32, with `f` one of
    - `silu`: `x / (1 + exp(-x))` (SwiGLU: LLaMA, TriLM);
    - `relu2`: `max(x, 0)^2` (squared-ReLU GLU: BitNet b1.58).

    ```mlir
    %h = llm.gated_activation silu %gate, %up : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins LLM_ActivationFunctionAttr:$function,
                       LLM_Activations:$gate, LLM_Activations:$up);
  let results = (outs LLM_Activations:$result);
  let assemblyFormat = [{
    custom<BareEnum>($function) $gate `,` $up attr-dict `:` type($gate)
  }];
}

//===----------------------------------------------------------------------===//
// LMHeadOp
//===----------------------------------------------------------------------===//

def LLM_LMHeadOp : LLM_Op<"lm_head", [Pure]> {
  let summary = "the output projection to vocabulary logits";
  let description = [{
    `logits[r, v] = sum_k x[M - R + r, k] * weight[v, k]`, accumulated in
    f32: the logits of the last R rows of the M x hidden input, R being
    `rows` when given (generation wants one row, perplexity all of them),
    else M. The weight (vocab x hidden) is f32, f16 or bf16, and is not
    ternary in any TriLM or BitNet model.

    ```mlir
    %l = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
    %last = llm.lm_head %x, %w last %one
              : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
    ```
  }];
  let arguments = (ins LLM_Activations:$input,
                       2DTensorOf<[F32, F16, BF16]>:$weight,
                       Optional<Index>:$rows);
  let results = (outs 2DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight (`last` $rows^)? attr-dict `:` type($input) `,`
    type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// LayersOp
//===----------------------------------------------------------------------===//

def LLM_LayersOp : LLM_Op<"layers", [RecursiveMemoryEffects,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "the stack of decoder layers";
  let description = [{
    Applies the body once per layer, for layers 0 to `count - 1` in order.
    The body's first argument is the layer index, which selects the layer's
    weights (`llm.weight ... + %layer * stride`); the others carry the
    values that flow from one layer to the next (the hidden state, the KV
    caches), starting from `inits`. The results are the values the last
    layer yields.

    This is the form of a model whose layers share one structure (every
    TriLM, LLaMA and BitNet model): the code of a layer exists once,
    whatever the depth, so compile time and code size do not grow with it.
    The operations of the body are those of every layer; their locations
    name the layer's tensors with `*` for the index
    (`model.layers.*.self_attn.q_proj`).

    ```mlir
    %x, %kc, %vc = llm.layers 24 (%layer) iter_args(%h = %x0, %k = %kc0, %v = %vc0)
        : tensor<?x64xf32>, tensor<24x64x4x16xf32>, tensor<24x64x4x16xf32> {
      ...
      llm.yield %h2, %k2, %v2 : tensor<?x64xf32>, tensor<24x64x4x16xf32>, tensor<24x64x4x16xf32>
    }
    ```
  }];
  let arguments = (ins I64Attr:$count, Variadic<AnyType>:$inits);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "int64_t":$count, "::mlir::ValueRange":$inits)>
  ];
  let extraClassDeclaration = [{
    ::mlir::Block *getBodyBlock() { return &getBody().front(); }
    ::mlir::BlockArgument getLayerIndex() { return getBodyBlock()->getArgument(0); }
    ::mlir::Block::BlockArgListType getRegionIterArgs() {
      return getBodyBlock()->getArguments().drop_front();
    }
  }];
}

def LLM_YieldOp : LLM_Op<"yield", [Pure, ReturnLike, Terminator,
    HasParent<"LayersOp">]> {
  let summary = "the values one layer hands to the next";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
}

#endif // TRILM_DIALECT_LLM_IR_LLMOPS_TD
