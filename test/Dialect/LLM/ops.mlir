// RUN: trilm-opt %s | trilm-opt | FileCheck %s
// RUN: trilm-opt %s --mlir-print-op-generic | trilm-opt | FileCheck %s

// CHECK-LABEL: func.func @weights
func.func @weights(%buffer: tensor<?xi8>, %layer: index) -> (tensor<300x64xf16>, tensor<64xf32>) {
  // CHECK: llm.weight %{{.*}}[64] : tensor<?xi8> -> tensor<300x64xf16>
  %table = llm.weight %buffer[64] : tensor<?xi8> -> tensor<300x64xf16>
  // CHECK: llm.weight %{{.*}}[4096 + %{{.*}} * 8192] : tensor<?xi8> -> tensor<64xf32>
  %norm = llm.weight %buffer[4096 + %layer * 8192] : tensor<?xi8> -> tensor<64xf32>
  return %table, %norm : tensor<300x64xf16>, tensor<64xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%table: tensor<300x64xbf16>, %tokens: tensor<?xi32>,
                       %w: tensor<64xf16>, %start: index) -> tensor<?x64xf32> {
  // CHECK: llm.embedding %{{.*}}[%{{.*}}] : tensor<300x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  %x = llm.embedding %table[%tokens] : tensor<300x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  // CHECK: llm.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
  %n = llm.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xf16> -> tensor<?x64xf32>
  // CHECK: llm.rope rotate_half %{{.*}}, %{{.*}} {head_dim = 16 : i64, theta = 1.000000e+04 : f32} : tensor<?x64xf32>
  %r = llm.rope rotate_half %n, %start {head_dim = 16 : i64, theta = 1.0e4 : f32} : tensor<?x64xf32>
  // CHECK: llm.rope interleaved %{{.*}}, %{{.*}} {head_dim = 64 : i64, scaling = #llm.rope_scaling<linear, 4.000000e+00 : f32>, theta = 5.000000e+05 : f32}
  %s = llm.rope interleaved %r, %start {head_dim = 64 : i64, theta = 5.0e5 : f32, scaling = #llm.rope_scaling<linear, 4.0 : f32>} : tensor<?x64xf32>
  // CHECK: llm.gated_activation silu %{{.*}}, %{{.*}} : tensor<?x64xf32>
  %g = llm.gated_activation silu %s, %n : tensor<?x64xf32>
  // CHECK: llm.gated_activation relu2
  %h = llm.gated_activation relu2 %g, %n : tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x96xf32>, %kv: tensor<?x32xf32>,
                     %kc: tensor<2x16x128xf16>, %vc: tensor<2x128x16xf16>,
                     %start: index) -> (tensor<?x96xf32>, tensor<2x128x16xf16>) {
  // GQA: 6 query heads over 2 kv heads.
  // CHECK: %[[OUT:.*]], %[[K:.*]], %[[V:.*]] = llm.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x96xf32>, tensor<?x32xf32>, tensor<2x16x128xf16>, tensor<2x128x16xf16>
  %o, %k, %v = llm.attention %q, %kv, %kv, %kc, %vc, %start : tensor<?x96xf32>, tensor<?x32xf32>, tensor<2x16x128xf16>, tensor<2x128x16xf16>
  // CHECK: llm.attention {{.*}} {scale = 5.000000e-01 : f32}
  %o2, %k2, %v2 = llm.attention %o, %kv, %kv, %k, %v, %start {scale = 0.5 : f32} : tensor<?x96xf32>, tensor<?x32xf32>, tensor<2x16x128xf16>, tensor<2x128x16xf16>
  return %o2, %v2 : tensor<?x96xf32>, tensor<2x128x16xf16>
}

// CHECK-LABEL: func.func @lm_head
func.func @lm_head(%x: tensor<?x64xf32>, %w: tensor<300x64xf16>, %rows: index) -> (tensor<?x300xf32>, tensor<?x300xf32>) {
  // CHECK: llm.lm_head %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  %all = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  // CHECK: llm.lm_head %{{.*}}, %{{.*}} last %{{.*}} : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  %last = llm.lm_head %x, %w last %rows : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %all, %last : tensor<?x300xf32>, tensor<?x300xf32>
}

// CHECK-LABEL: func.func @layers
func.func @layers(%x: tensor<?x64xf32>, %buffer: tensor<?xi8>) -> tensor<?x64xf32> {
  // CHECK: %[[R:.*]] = llm.layers 3 (%[[L:.*]]) iter_args(%[[H:.*]] = %{{.*}}) : tensor<?x64xf32> {
  // CHECK:   llm.weight %{{.*}}[0 + %[[L]] * 256]
  // CHECK:   llm.yield %{{.*}} : tensor<?x64xf32>
  %r = llm.layers 3 (%layer) iter_args(%h = %x) : tensor<?x64xf32> {
    %w = llm.weight %buffer[0 + %layer * 256] : tensor<?xi8> -> tensor<64xf32>
    %n = llm.rms_norm %h, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    llm.yield %n : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}
