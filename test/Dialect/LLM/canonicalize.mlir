// RUN: trilm-opt %s --canonicalize | FileCheck %s

// Logits of the last row: only that row is normalised.
// CHECK-LABEL: func.func @norm_last_rows_only
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[G:.*]]: tensor<64xf32>, %[[W:.*]]: tensor<300x64xf16>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]]
// CHECK: %[[FIRST:.*]] = arith.subi %[[M]], %{{.*}}
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %[[X]][%[[FIRST]], 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<1x64xf32>
// CHECK: %[[N:.*]] = llm.rms_norm %[[TAIL]], %[[G]] : tensor<1x64xf32>
// CHECK: llm.lm_head %[[N]], %[[W]] : tensor<1x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
func.func @norm_last_rows_only(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %w: tensor<300x64xf16>) -> tensor<?x300xf32> {
  %c1 = arith.constant 1 : index
  %n = llm.rms_norm %x, %g : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l = llm.lm_head %n, %w last %c1 : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %l : tensor<?x300xf32>
}

// A norm with other users stays whole.
// CHECK-LABEL: func.func @norm_used_elsewhere
// CHECK: llm.lm_head %{{.*}}, %{{.*}} last
func.func @norm_used_elsewhere(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %w: tensor<300x64xf16>, %r: index) -> (tensor<?x300xf32>, tensor<?x64xf32>) {
  %n = llm.rms_norm %x, %g : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %l = llm.lm_head %n, %w last %r : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %l, %n : tensor<?x300xf32>, tensor<?x64xf32>
}
