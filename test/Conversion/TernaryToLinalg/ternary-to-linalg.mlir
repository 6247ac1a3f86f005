// RUN: trilm-opt %s -convert-ternary-to-linalg -split-input-file | FileCheck %s

// Packed values become their i8 storage tensors, across function boundaries.
// CHECK-LABEL: func.func @signature
// CHECK-SAME: (%[[W:.*]]: tensor<8x52xi8>) -> tensor<8x52xi8>
// CHECK-NEXT: return %[[W]] : tensor<8x52xi8>
func.func @signature(%w: !ternary.packed<8x100, tq1>) -> !ternary.packed<8x100, tq1> {
  return %w : !ternary.packed<8x100, tq1>
}

// -----

// Weights from storage bytes are those bytes.
// CHECK-LABEL: func.func @from_storage
// CHECK-SAME: (%[[BYTES:.*]]: tensor<8x52xi8>) -> tensor<8x52xi8>
// CHECK-NEXT: return %[[BYTES]]
func.func @from_storage(%bytes: tensor<8x52xi8>) -> !ternary.packed<8x256, tq1> {
  %w = ternary.from_storage %bytes : tensor<8x52xi8> -> !ternary.packed<8x256, tq1>
  return %w : !ternary.packed<8x256, tq1>
}

// -----

// CHECK-LABEL: func.func @constant
// CHECK: %[[C:.*]] = arith.constant dense<85> : tensor<2x64xi8>
// CHECK: return %[[C]]
func.func @constant() -> !ternary.packed<2x4, tq2> {
  %0 = ternary.constant dense<85> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  return %0 : !ternary.packed<2x4, tq2>
}

// -----

// Packing writes [rows, blocks, bytes] and collapses it to the storage shape.
// CHECK-LABEL: func.func @pack
// CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2x64xi8>)
// CHECK: tensor.extract %{{.*}} : tensor<4x300xi8>
// CHECK: %[[S:.*]] = tensor.collapse_shape %[[P]] {{\[}}[0], [1, 2]] : tensor<4x2x64xi8> into tensor<4x128xi8>
// CHECK: return %[[S]]
func.func @pack(%t: tensor<4x300xi8>) -> !ternary.packed<4x300, tq2> {
  %w = ternary.pack %t : tensor<4x300xi8> -> !ternary.packed<4x300, tq2>
  return %w : !ternary.packed<4x300, tq2>
}

// -----

// Interleaved storage is brought back to row-major before decoding.
// CHECK-LABEL: func.func @unpack_interleaved
// CHECK-SAME: (%[[W:.*]]: tensor<2x208xi8>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[W]] {{\[}}[0], [1, 2, 3]] output_shape [2, 2, 2, 52]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[E]] : tensor<2x2x2x52xi8>) {{.*}} permutation = [0, 2, 1, 3]
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1], [2, 3]] : tensor<2x2x2x52xi8> into tensor<4x104xi8>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x400xi8>)
// CHECK: tensor.extract %[[R]]
func.func @unpack_interleaved(%w: !ternary.packed<4x400, tq1, #ternary.row_interleave<2>>) -> tensor<4x400xi8> {
  %t = ternary.unpack %w : !ternary.packed<4x400, tq1, #ternary.row_interleave<2>> -> tensor<4x400xi8>
  return %t : tensor<4x400xi8>
}

// -----

// Scaled unpack multiplies each trit by the scale of its group.
// CHECK-LABEL: func.func @unpack_scaled
// CHECK: %[[T:.*]] = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[T]] : tensor<4x300xi8>) outs(%{{.*}} : tensor<4x300xf16>)
// CHECK: tensor.extract %{{.*}} : tensor<2x2xf32>
// CHECK: arith.mulf
// CHECK: arith.truncf
func.func @unpack_scaled(%w: !ternary.packed<4x300, tq2>, %s: tensor<2x2xf32>) -> tensor<4x300xf16> {
  %f = ternary.unpack %w groups #ternary.scale_groups<n = [1], k = block 256> scales(%s : tensor<2x2xf32>) : !ternary.packed<4x300, tq2> -> tensor<4x300xf16>
  return %f : tensor<4x300xf16>
}

// -----

// One exact contraction per K group, then the scaled sum of the groups.
// CHECK-LABEL: func.func @matmul_int8
// CHECK-SAME: (%[[X:.*]]: tensor<?x300xi8>, %[[AS:.*]]: tensor<?xf32>
// CHECK: %[[T:.*]] = linalg.generic
// CHECK: %[[X0:.*]] = tensor.extract_slice %[[X]][0, 0] [%{{.*}}, 100] [1, 1]
// CHECK: %[[T0:.*]] = tensor.extract_slice %[[T]][0, 0] [5, 100] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X0]], %[[T0]] : tensor<?x100xi8>, tensor<5x100xi8>) outs(%{{.*}} : tensor<?x5xi32>)
// CHECK: arith.muli {{.*}} : i32
// CHECK: tensor.extract_slice %[[X]][0, 100] [%{{.*}}, 200] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[AS]] : tensor<?x5xf32>, tensor<?xf32>)
// CHECK-NOT: ternary.
func.func @matmul_int8(%x: tensor<?x300xi8>, %as: tensor<?xf32>, %w: !ternary.packed<5x300, tq1>, %s: tensor<1x2xf32>) -> tensor<?x5xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<k = [100]> scales(%s : tensor<1x2xf32>) : tensor<?x300xi8>, !ternary.packed<5x300, tq1> -> tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}

// -----

// CHECK-LABEL: func.func @quantize
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: arith.divf
// CHECK: math.roundeven
// CHECK: arith.fptosi {{.*}} : f32 to i8
func.func @quantize(%x: tensor<?x64xf16>) -> (tensor<?x64xi8>, tensor<?xf32>) {
  %q, %s = ternary.quantize %x : tensor<?x64xf16> -> tensor<?x64xi8>, tensor<?xf32>
  return %q, %s : tensor<?x64xi8>, tensor<?xf32>
}

// -----

// Storage bytes of another shape are reshaped (a view) to the layout's.
// CHECK-LABEL: func.func @from_storage_reshaped
// CHECK-SAME: (%[[B:.*]]: tensor<16x64xi8>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[B]] {{\[\[}}0, 1]] : tensor<16x64xi8> into tensor<1024xi8>
// CHECK: %[[S:.*]] = tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [4, 256] : tensor<1024xi8> into tensor<4x256xi8>
// CHECK: return %[[S]] : tensor<4x256xi8>
func.func @from_storage_reshaped(%bytes: tensor<16x64xi8>) -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> {
  %w = ternary.from_storage %bytes : tensor<16x64xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  return %w : !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
}

// -----

// A matmul of no rows computes nothing: its result is an empty tensor.
// CHECK-LABEL: func.func @zero_rows
// CHECK-NOT: linalg
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0x4xf32>
// CHECK: return %[[E]]
func.func @zero_rows(%x: tensor<0x256xf32>, %w: !ternary.packed<4x256, tq2>, %s: tensor<1x1xf32>) -> tensor<0x4xf32> {
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<0x256xf32>, !ternary.packed<4x256, tq2> -> tensor<0x4xf32>
  return %0 : tensor<0x4xf32>
}
