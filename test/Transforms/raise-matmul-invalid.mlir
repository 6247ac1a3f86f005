// RUN: trilm-opt %s -ternary-raise-matmul -split-input-file -verify-diagnostics

// A weight blob shorter than its type is malformed IR; the pass refuses to
// read past its end.
func.func @short_weights(%x: tensor<1x4xf32>, %init: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense_resource<short_weights> : tensor<4x4xf32>
  // expected-error @+1 {{weights: resource blob 'short_weights' holds 8 bytes but 'tensor<4x4xf32>' needs 64}}
  %0 = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x4xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      short_weights: "0x040000000000803F000080BF"
    }
  }
#-}
