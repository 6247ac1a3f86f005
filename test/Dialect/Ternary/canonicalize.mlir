// RUN: trilm-opt %s -canonicalize -split-input-file | FileCheck %s

// unpack(pack(x)) folds to x.
// CHECK-LABEL: func.func @unpack_of_pack
// CHECK-SAME: (%[[T:.*]]: tensor<4x300xi8>)
// CHECK-NEXT: return %[[T]]
func.func @unpack_of_pack(%t: tensor<4x300xi8>) -> tensor<4x300xi8> {
  %w = ternary.pack %t : tensor<4x300xi8> -> !ternary.packed<4x300, tq1>
  %u = ternary.unpack %w : !ternary.packed<4x300, tq1> -> tensor<4x300xi8>
  return %u : tensor<4x300xi8>
}

// -----

// Unpacking with scales does not fold away.
// CHECK-LABEL: func.func @scaled_unpack_of_pack
// CHECK: ternary.pack
// CHECK: ternary.unpack
func.func @scaled_unpack_of_pack(%t: tensor<4x300xi8>, %s: tensor<1x1xf32>) -> tensor<4x300xf32> {
  %w = ternary.pack %t : tensor<4x300xi8> -> !ternary.packed<4x300, tq1>
  %u = ternary.unpack %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : !ternary.packed<4x300, tq1> -> tensor<4x300xf32>
  return %u : tensor<4x300xf32>
}

// -----

// Packing a constant folds to a packed constant (a resource blob). Row 0 is
// +1, 0, -1, +1 then zero padding: codes 2, 1, 0, 2 in bytes 0-3 at bits 0-1,
// padding code 1 elsewhere: 0x56, 0x55, 0x54, 0x56, then 0x55. Row 1 starts
// at byte 64: 0, 0, +1, -1 -> 0x55, 0x55, 0x56, 0x54.
// CHECK-LABEL: func.func @pack_constant
// CHECK-NOT: ternary.pack %
// CHECK: %[[W:.*]] = ternary.constant dense_resource<[[BLOB:.*]]> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
// CHECK: return %[[W]]
// CHECK: [[BLOB]]: "0x08000000565554565555
// CHECK-SAME: 55555556545555
func.func @pack_constant() -> !ternary.packed<2x4, tq2> {
  %c = arith.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>
  %p = ternary.pack %c : tensor<2x4xi8> -> !ternary.packed<2x4, tq2>
  return %p : !ternary.packed<2x4, tq2>
}

// -----

// With row interleaving the blocks of rows 0 and 1 share one storage row.
// CHECK-LABEL: func.func @pack_constant_interleaved
// CHECK: ternary.constant dense_resource<{{.*}}> : tensor<1x128xi8> -> !ternary.packed<2x4, tq2, #ternary.row_interleave<2>>
func.func @pack_constant_interleaved() -> !ternary.packed<2x4, tq2, #ternary.row_interleave<2>> {
  %c = arith.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>
  %p = ternary.pack %c : tensor<2x4xi8> -> !ternary.packed<2x4, tq2, #ternary.row_interleave<2>>
  return %p : !ternary.packed<2x4, tq2, #ternary.row_interleave<2>>
}

// -----

// Trit triples: per 32 rows and block, 29 words of 64 bytes.
// CHECK-LABEL: func.func @pack_constant_triples
// CHECK: ternary.constant dense_resource<{{.*}}> : tensor<2x1856xi8> -> !ternary.packed<64x4, tq1, #ternary.trit_triples>
func.func @pack_constant_triples() -> !ternary.packed<64x4, tq1, #ternary.trit_triples> {
  %c = arith.constant dense<1> : tensor<64x4xi8>
  %p = ternary.pack %c : tensor<64x4xi8> -> !ternary.packed<64x4, tq1, #ternary.trit_triples>
  return %p : !ternary.packed<64x4, tq1, #ternary.trit_triples>
}
