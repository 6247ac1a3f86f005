// RUN: trilm-opt %s -ternary-raise-matmul="remarks=true max-groups=2" -split-input-file -verify-diagnostics

func.func @two_magnitudes_in_a_group(%x: tensor<1x4xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // B is K x N: each weight row (a column here) alternates 0.5 and 0.25.
  %w = arith.constant dense<[[0.5, 0.25], [0.25, 0.5], [0.5, 0.25], [0.25, 0.5]]> : tensor<4x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: the weights are not ternary: the nonzero magnitudes change at 3 positions along k, more than max-groups=2 allows}}
  %y = linalg.matmul ins(%x, %w : tensor<1x4xf32>, tensor<4x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @hidden_boundary(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // No row or column holds two magnitudes, so no boundary is visible: the
  // pass does not guess one and leaves the matmul alone.
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: the weights are not ternary: element [1, 1] has magnitude 2.000000e+00 but its scale group also holds 1.000000e+00}}
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @not_constant(%x: tensor<1x2xf32>, %w: tensor<2x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // expected-remark @+1 {{not raised to ternary.matmul: the weights are not a constant}}
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @not_finite(%x: tensor<1x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0x7F800000], [0.0, 1.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: the weights are not ternary: element [1, 0] is not finite}}
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @integer(%x: tensor<1x2xi8>, %init: tensor<1x2xi32>) -> tensor<1x2xi32> {
  %w = arith.constant dense<[[1, 0], [0, 1]]> : tensor<2x2xi8>
  // expected-remark @+1 {{not raised to ternary.matmul: its activations and result are not f32, f16 or bf16}}
  %y = linalg.matmul ins(%x, %w : tensor<1x2xi8>, tensor<2x2xi8>) outs(%init : tensor<1x2xi32>) -> tensor<1x2xi32>
  return %y : tensor<1x2xi32>
}

// -----

func.func @transposed_a(%x: tensor<2x1xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: its indexing maps are neither A x B nor A x B^T}}
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<2x1xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @buffers(%x: memref<1x2xf32>, %w: memref<2x2xf32>, %out: memref<1x2xf32>) {
  // expected-remark @+1 {{not raised to ternary.matmul: it works on buffers, not tensors}}
  linalg.matmul ins(%x, %w : memref<1x2xf32>, memref<2x2xf32>) outs(%out : memref<1x2xf32>)
  return
}

// -----

func.func @dynamic_k(%x: tensor<1x?xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: the activation or result shape is not [M, K] x [M, N] with the weights' static K and N}}
  %y = linalg.matmul ins(%x, %w : tensor<1x?xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @mixed_static_dynamic_m(%x: tensor<?x2xf32>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  // expected-remark @+1 {{not raised to ternary.matmul: the activation or result shape is not [M, K] x [M, N] with the weights' static K and N}}
  %y = linalg.matmul ins(%x, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @f16_resource(%x: tensor<1x2xf16>, %init: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense_resource<f16_weights> : tensor<2x2xf16>
  // expected-remark @+1 {{not raised to ternary.matmul: the weights are a constant the pass cannot read (dense f32, f16 or bf16 elements, or an f32 resource blob)}}
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf16>, tensor<2x2xf16>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      f16_weights: "0x02000000003C0000000000BC"
    }
  }
#-}
