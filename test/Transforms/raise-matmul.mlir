// RUN: trilm-opt %s -ternary-raise-matmul -split-input-file | FileCheck %s
// RUN: trilm-opt %s -ternary-raise-matmul=packing=tq1 -split-input-file | FileCheck %s --check-prefix=TQ1

// One scale for the whole matrix; B given as N x K (transposed-B maps).
// CHECK-LABEL: func.func @per_tensor_transposed_b
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[S:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1xf32>
// CHECK-DAG: %[[W:.*]] = ternary.constant dense_resource<{{.*}}> : tensor<3x64xi8> -> !ternary.packed<3x4, tq2>
// CHECK: %[[Y:.*]] = ternary.matmul %[[X]], %[[W]] groups #ternary.scale_groups<tensor> scales(%[[S]] : tensor<1x1xf32>) : tensor<?x4xf32>, !ternary.packed<3x4, tq2> -> tensor<?x3xf32>
// CHECK-NOT: linalg.matmul
// CHECK-NOT: arith.constant dense<{{\[}}[5.0
// CHECK: return %[[Y]]
// TQ1-LABEL: func.func @per_tensor_transposed_b
// TQ1: ternary.constant dense_resource<{{.*}}> : tensor<3x52xi8> -> !ternary.packed<3x4, tq1>
func.func @per_tensor_transposed_b(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[0.5, 0.0, -0.5, 0.5], [0.0, 0.0, 0.5, -0.5], [-0.5, -0.5, 0.0, 0.0]]> : tensor<3x4xf32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x4xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty(%m) : tensor<?x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x4xf32>, tensor<3x4xf32>) outs(%init : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

// Column-parallel shards: the scale changes along the output rows (N). B is
// K x N here, so N is its second dimension. Rows 0-1 use 0.25, rows 2-3 0.125;
// row 1 is all zero and takes either group.
// CHECK-LABEL: func.func @groups_along_n
// CHECK-DAG: arith.constant dense<{{\[}}[2.500000e-01], [1.250000e-01]]> : tensor<2x1xf32>
// CHECK: ternary.matmul {{.*}} groups #ternary.scale_groups<n = [2]> scales({{.*}} : tensor<2x1xf32>) : tensor<2x3xf16>, !ternary.packed<4x3, tq2> -> tensor<2x4xf32>
func.func @groups_along_n(%x: tensor<2x3xf16>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[0.25, 0.0, 0.125, -0.125], [-0.25, 0.0, 0.0, 0.125], [0.25, 0.0, -0.125, 0.0]]> : tensor<3x4xf16>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf16>, tensor<3x4xf16>) outs(%init : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Row-parallel shards: the scale changes along K at 3 (not a multiple of any
// block size).
// CHECK-LABEL: func.func @groups_along_k
// CHECK-DAG: arith.constant dense<{{\[}}[2.000000e+00, 3.000000e+00]]> : tensor<1x2xf32>
// CHECK: ternary.matmul {{.*}} groups #ternary.scale_groups<k = [3]> scales({{.*}} : tensor<1x2xf32>)
func.func @groups_along_k(%x: tensor<1x5xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[2.0, -2.0, 2.0, 3.0, 0.0], [0.0, 2.0, 0.0, -3.0, 3.0]]> : tensor<2x5xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<1x5xf32>, tensor<2x5xf32>) outs(%init : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Both: a 2 x 2 grid of scales. A zero hides where the K shard starts in row 0
// (column 2 is zero), so the splits found per row differ and are merged.
// CHECK-LABEL: func.func @grid
// CHECK-DAG: arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [4.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK: ternary.matmul {{.*}} groups #ternary.scale_groups<n = [2], k = [2]> scales({{.*}} : tensor<2x2xf32>)
func.func @grid(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = arith.constant dense<[[1.0, -1.0, 0.0, 2.0],
                              [1.0, 0.0, 2.0, -2.0],
                              [-4.0, 4.0, 8.0, 8.0],
                              [0.0, 4.0, -8.0, 0.0]]> : tensor<4x4xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x4xf32>) -> tensor<1x4xf32>
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<1x4xf32>, tensor<4x4xf32>) outs(%init : tensor<1x4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// A matmul that accumulates into a live tensor keeps the addition.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: (%{{.*}}: tensor<1x2xf32>, %[[ACC:.*]]: tensor<1x2xf32>)
// CHECK: %[[Y:.*]] = ternary.matmul
// CHECK: linalg.add ins(%[[Y]], %[[ACC]] : tensor<1x2xf32>, tensor<1x2xf32>) outs(%[[ACC]] : tensor<1x2xf32>)
func.func @accumulate(%x: tensor<1x2xf32>, %acc: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, -1.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
