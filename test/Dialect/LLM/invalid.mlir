// RUN: trilm-opt %s -split-input-file -verify-diagnostics

func.func @weight_bits(%b: tensor<?xi8>) {
  // expected-error @+1 {{'llm.weight' op element type 'i1' is not a whole number of bytes}}
  %0 = llm.weight %b[0] : tensor<?xi8> -> tensor<8xi1>
  return
}

// -----

func.func @weight_negative_offset(%b: tensor<?xi8>) {
  // expected-error @+1 {{'llm.weight' op offset must be non-negative, got -64}}
  %0 = llm.weight %b[-64] : tensor<?xi8> -> tensor<8xf32>
  return
}

// -----

func.func @weight_misaligned(%b: tensor<?xi8>) {
  // expected-error @+1 {{'llm.weight' op offset 66 is not a multiple of the 4-byte elements of 'tensor<8xf32>'}}
  %0 = llm.weight %b[66] : tensor<?xi8> -> tensor<8xf32>
  return
}

// -----

func.func @weight_layer_without_stride(%b: tensor<?xi8>, %l: index) {
  // expected-error @+1 {{'llm.weight' op layer and layer_stride must be given together}}
  %0 = "llm.weight"(%b, %l) <{offset = 0 : i64}> : (tensor<?xi8>, index) -> tensor<8xf32>
  return
}

// -----

func.func @weight_zero_stride(%b: tensor<?xi8>, %l: index) {
  // expected-error @+1 {{'llm.weight' op layer_stride must be positive, got 0}}
  %0 = llm.weight %b[0 + %l * 0] : tensor<?xi8> -> tensor<8xf32>
  return
}

// -----

func.func @weight_misaligned_stride(%b: tensor<?xi8>, %l: index) {
  // expected-error @+1 {{'llm.weight' op layer_stride 130 is not a multiple of the 4-byte elements of 'tensor<8xf32>'}}
  %0 = llm.weight %b[0 + %l * 130] : tensor<?xi8> -> tensor<8xf32>
  return
}

// -----

func.func @weight_past_end(%b: tensor<90xi8>) {
  // expected-error @+1 {{'llm.weight' op views bytes [64, 96) of a buffer of 90 bytes}}
  %0 = llm.weight %b[64] : tensor<90xi8> -> tensor<8xf32>
  return
}

// -----

func.func @embedding_table_type(%t: tensor<300x64xi8>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'llm.embedding' op operand #0 must be 2D tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %0 = llm.embedding %t[%ids] : tensor<300x64xi8>, tensor<?xi32> -> tensor<?x64xf32>
  return
}

// -----

func.func @embedding_width(%t: tensor<300x64xf16>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'llm.embedding' op result width 32 does not match the table width 64}}
  %0 = llm.embedding %t[%ids] : tensor<300x64xf16>, tensor<?xi32> -> tensor<?x32xf32>
  return
}

// -----

func.func @embedding_dynamic_width(%t: tensor<300x?xf16>, %ids: tensor<?xi32>) {
  // expected-error @+1 {{'llm.embedding' op table width must be static}}
  %0 = llm.embedding %t[%ids] : tensor<300x?xf16>, tensor<?xi32> -> tensor<?x64xf32>
  return
}

// -----

func.func @embedding_rows(%t: tensor<300x64xf16>, %ids: tensor<3xi32>) {
  // expected-error @+1 {{'llm.embedding' op result has 4 rows for 3 tokens}}
  %0 = llm.embedding %t[%ids] : tensor<300x64xf16>, tensor<3xi32> -> tensor<4x64xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'llm.rms_norm' op weight of size 32 does not match the input width 64}}
  %0 = llm.rms_norm %x, %w : tensor<?x64xf32>, tensor<32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_dynamic(%x: tensor<?x?xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'llm.rms_norm' op input width must be static}}
  %0 = llm.rms_norm %x, %w : tensor<?x?xf32>, tensor<32xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'llm.rms_norm' op epsilon must be positive and finite, got 0}}
  %0 = llm.rms_norm %x, %w {epsilon = 0.0 : f32} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_result(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'llm.rms_norm' op failed to verify that all of {input, result} have same type}}
  %0 = llm.rms_norm %x, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf16>
  return
}

// -----

func.func @rope_odd_head(%x: tensor<?x63xf32>, %s: index) {
  // expected-error @+1 {{'llm.rope' op head_dim must be positive and even, got 21}}
  %0 = llm.rope rotate_half %x, %s {head_dim = 21 : i64, theta = 1.0e4 : f32} : tensor<?x63xf32>
  return
}

// -----

func.func @rope_width(%x: tensor<?x100xf32>, %s: index) {
  // expected-error @+1 {{'llm.rope' op input width 100 is not a multiple of head_dim 64}}
  %0 = llm.rope rotate_half %x, %s {head_dim = 64 : i64, theta = 1.0e4 : f32} : tensor<?x100xf32>
  return
}

// -----

func.func @rope_dynamic_width(%x: tensor<?x?xf32>, %s: index) {
  // expected-error @+1 {{'llm.rope' op input width must be static}}
  %0 = llm.rope rotate_half %x, %s {head_dim = 64 : i64, theta = 1.0e4 : f32} : tensor<?x?xf32>
  return
}

// -----

func.func @rope_theta(%x: tensor<?x64xf32>, %s: index) {
  // expected-error @+1 {{'llm.rope' op theta must be positive and finite, got -1}}
  %0 = llm.rope rotate_half %x, %s {head_dim = 64 : i64, theta = -1.0 : f32} : tensor<?x64xf32>
  return
}

// -----

func.func @rope_scaling(%x: tensor<?x64xf32>, %s: index) {
  // expected-error @+1 {{rope scaling factor must be positive and finite, got 0}}
  %0 = llm.rope rotate_half %x, %s {head_dim = 64 : i64, theta = 1.0e4 : f32, scaling = #llm.rope_scaling<linear, 0.0 : f32>} : tensor<?x64xf32>
  return
}

// -----

func.func @rope_style(%x: tensor<?x64xf32>, %s: index) {
  // expected-error @+1 {{expected one of [rotate_half, interleaved] for which elements of a head rotate together, got: sideways}}
  %0 = llm.rope sideways %x, %s {head_dim = 64 : i64, theta = 1.0e4 : f32} : tensor<?x64xf32>
  return
}

// -----

func.func @attention_dynamic_cache(%q: tensor<?x64xf32>, %k: tensor<?x64xf32>, %c: tensor<?x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op the value cache's kv_heads and head_dim dimensions (0 and 2) must be static}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x16x16xf32>, tensor<?x16x16xf32>
  return
}

// -----

func.func @attention_no_heads(%q: tensor<?x64xf32>, %k: tensor<?x0xf32>, %c: tensor<0x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op the caches must have at least one kv head and a positive head_dim}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x64xf32>, tensor<?x0xf32>, tensor<0x16x16xf32>, tensor<0x16x16xf32>
  return
}

// -----

func.func @attention_query_width(%q: tensor<?x40xf32>, %k: tensor<?x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op query width 40 is not a multiple of head_dim 16 (the value cache's dimension 2)}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x40xf32>, tensor<?x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_dynamic_query(%q: tensor<?x?xf32>, %k: tensor<?x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op query and key widths must be static}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x?xf32>, tensor<?x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_groups(%q: tensor<?x48xf32>, %k: tensor<?x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op 3 query heads are not a multiple of 2 kv heads}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x48xf32>, tensor<?x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_key_width(%q: tensor<?x64xf32>, %k: tensor<?x16xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op key and value width 16 does not match the caches' 2 kv heads of 16}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<?x64xf32>, tensor<?x16xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_rows(%q: tensor<3x64xf32>, %k: tensor<4x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op query has 3 rows but key and value have 4}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<3x64xf32>, tensor<4x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_overflow(%q: tensor<32x64xf32>, %k: tensor<32x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op 32 new rows do not fit in a cache of 16}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s : tensor<32x64xf32>, tensor<32x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %c: tensor<2x16x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op scale must be positive and finite, got 0}}
  %0:3 = llm.attention %q, %k, %k, %c, %c, %s {scale = 0.0 : f32} : tensor<?x64xf32>, tensor<?x32xf32>, tensor<2x16x16xf32>, tensor<2x16x16xf32>
  return
}

// -----

func.func @attention_cache_types(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %kc: tensor<2x16x8xf16>, %vc: tensor<2x8x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op the caches hold 'f16' keys but 'f32' values}}
  %0:3 = llm.attention %q, %k, %k, %kc, %vc, %s : tensor<?x64xf32>, tensor<?x32xf32>, tensor<2x16x8xf16>, tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_key_layout(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %kc: tensor<2x8x16xf32>, %vc: tensor<2x8x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op the key cache 'tensor<2x8x16xf32>' is not kv_heads x head_dim x positions for the value cache 'tensor<2x8x16xf32>'}}
  %0:3 = llm.attention %q, %k, %k, %kc, %vc, %s : tensor<?x64xf32>, tensor<?x32xf32>, tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return
}

// -----

func.func @attention_positions(%q: tensor<?x64xf32>, %k: tensor<?x32xf32>, %kc: tensor<2x16x8xf32>, %vc: tensor<2x9x16xf32>, %s: index) {
  // expected-error @+1 {{'llm.attention' op the key cache holds 8 positions but the value cache 9}}
  %0:3 = llm.attention %q, %k, %k, %kc, %vc, %s : tensor<?x64xf32>, tensor<?x32xf32>, tensor<2x16x8xf32>, tensor<2x9x16xf32>
  return
}

// -----

func.func @lm_head_dynamic(%x: tensor<?x64xf32>, %w: tensor<?x64xf16>) {
  // expected-error @+1 {{'llm.lm_head' op weight must have a static shape}}
  %0 = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<?x64xf16> -> tensor<?x300xf32>
  return
}

// -----

func.func @lm_head_width(%x: tensor<?x64xf32>, %w: tensor<300x32xf16>) {
  // expected-error @+1 {{'llm.lm_head' op weight width 32 does not match the input width 64}}
  %0 = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x32xf16> -> tensor<?x300xf32>
  return
}

// -----

func.func @lm_head_vocab(%x: tensor<?x64xf32>, %w: tensor<300x64xf16>) {
  // expected-error @+1 {{'llm.lm_head' op result has 200 columns for a vocabulary of 300}}
  %0 = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x200xf32>
  return
}

// -----

func.func @lm_head_rows(%x: tensor<4x64xf32>, %w: tensor<300x64xf16>) {
  // expected-error @+1 {{'llm.lm_head' op result has 1 rows for 4 input rows (use `last` for fewer)}}
  %0 = llm.lm_head %x, %w : tensor<4x64xf32>, tensor<300x64xf16> -> tensor<1x300xf32>
  return
}

// -----

func.func @lm_head_last_rows(%x: tensor<4x64xf32>, %w: tensor<300x64xf16>, %r: index) {
  // expected-error @+1 {{'llm.lm_head' op result has 5 rows but the input only 4}}
  %0 = llm.lm_head %x, %w last %r : tensor<4x64xf32>, tensor<300x64xf16> -> tensor<5x300xf32>
  return
}

// -----

func.func @layers_count(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'llm.layers' op count must be positive, got 0}}
  %0 = llm.layers 0 (%l) iter_args(%h = %x) : tensor<?x64xf32> {
    llm.yield %h : tensor<?x64xf32>
  }
  return
}

// -----

func.func @layers_yield(%x: tensor<?x64xf32>, %y: tensor<?x32xf32>) {
  %0 = llm.layers 2 (%l) iter_args(%h = %x) : tensor<?x64xf32> {
    // expected-error @+1 {{'llm.yield' op yields 'tensor<?x32xf32>' but the layers carry 'tensor<?x64xf32>'}}
    llm.yield %y : tensor<?x32xf32>
  }
  return
}

// -----

func.func @layers_arguments(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'llm.layers' op body must take the layer index (index) and one argument per iter_arg}}
  %0 = "llm.layers"(%x) <{count = 2 : i64}> ({
  ^bb0(%h: tensor<?x64xf32>):
    llm.yield %h : tensor<?x64xf32>
  }) : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @layers_argument_type(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'llm.layers' op body argument 1 has type 'tensor<4x64xf32>' but its iter_arg 'tensor<?x64xf32>'}}
  %0 = "llm.layers"(%x) <{count = 2 : i64}> ({
  ^bb0(%l: index, %h: tensor<4x64xf32>):
    llm.yield %x : tensor<?x64xf32>
  }) : (tensor<?x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @layers_results(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'llm.layers' op result types 'tensor<4x64xf32>' do not match the iter_args 'tensor<?x64xf32>'}}
  %0 = "llm.layers"(%x) <{count = 2 : i64}> ({
  ^bb0(%l: index, %h: tensor<?x64xf32>):
    llm.yield %h : tensor<?x64xf32>
  }) : (tensor<?x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @yield_outside(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{'llm.yield' op expects parent op 'llm.layers'}}
  llm.yield %x : tensor<?x64xf32>
}
