// RUN: trilm-opt %s | FileCheck %s
// Round trip of every op, type and attribute, through text and bytecode.
// RUN: trilm-opt %s | trilm-opt | FileCheck %s
// RUN: trilm-opt %s -emit-bytecode | trilm-opt | FileCheck %s

// CHECK-LABEL: func.func @types
// CHECK-SAME: !ternary.packed<3072x9216, tq2>
// CHECK-SAME: !ternary.packed<512x1280, tq1>
// CHECK-SAME: !ternary.packed<8x300, tq2, #ternary.row_interleave<4>>
func.func @types(%a: !ternary.packed<3072x9216, tq2>,
                 %b: !ternary.packed<512x1280, tq1>,
                 %c: !ternary.packed<8x300, tq2, #ternary.row_interleave<4>>) {
  return
}

// CHECK-LABEL: func.func @from_storage
// CHECK: ternary.from_storage %{{.*}} : tensor<4x256xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
func.func @from_storage(%bytes: tensor<4x256xi8>) -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> {
  %0 = ternary.from_storage %bytes : tensor<4x256xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  return %0 : !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
}

// The bytes of a storage tensor of another shape, read in the result's layout.
// CHECK-LABEL: func.func @from_storage_any_shape
// CHECK: ternary.from_storage %{{.*}} : tensor<16x64xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
func.func @from_storage_any_shape(%bytes: tensor<16x64xi8>) -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> {
  %w = ternary.from_storage %bytes : tensor<16x64xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  return %w : !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
}

// CHECK-LABEL: func.func @constant
// CHECK: ternary.constant dense<1> : tensor<2x64xi8> -> !ternary.packed<2x100, tq2>
// CHECK: ternary.constant dense_resource<blob> : tensor<1x104xi8> -> !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>
func.func @constant() -> (!ternary.packed<2x100, tq2>, !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>) {
  %0 = ternary.constant dense<1> : tensor<2x64xi8> -> !ternary.packed<2x100, tq2>
  %1 = ternary.constant dense_resource<blob> : tensor<1x104xi8> -> !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>
  return %0, %1 : !ternary.packed<2x100, tq2>, !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>
}

// CHECK-LABEL: func.func @pack_unpack
// CHECK: %[[W:.*]] = ternary.pack %{{.*}} : tensor<4x300xi8> -> !ternary.packed<4x300, tq1>
// CHECK: ternary.unpack %[[W]] : !ternary.packed<4x300, tq1> -> tensor<4x300xi8>
// CHECK: ternary.unpack %[[W]] groups #ternary.scale_groups<n = [2]> scales(%{{.*}} : tensor<2x1xf16>) : !ternary.packed<4x300, tq1> -> tensor<4x300xf32>
func.func @pack_unpack(%t: tensor<4x300xi8>, %s: tensor<2x1xf16>) -> (tensor<4x300xi8>, tensor<4x300xf32>) {
  %w = ternary.pack %t : tensor<4x300xi8> -> !ternary.packed<4x300, tq1>
  %u = ternary.unpack %w : !ternary.packed<4x300, tq1> -> tensor<4x300xi8>
  %f = ternary.unpack %w groups #ternary.scale_groups<n = [2]> scales(%s : tensor<2x1xf16>) : !ternary.packed<4x300, tq1> -> tensor<4x300xf32>
  return %u, %f : tensor<4x300xi8>, tensor<4x300xf32>
}

// CHECK-LABEL: func.func @quantize
// CHECK: ternary.quantize %{{.*}} : tensor<?x512xbf16> -> tensor<?x512xi8>, tensor<?xf32>
// CHECK: ternary.quantize %{{.*}} {eps = 1.000000e-03 : f32} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4xf32>
func.func @quantize(%x: tensor<?x512xbf16>, %y: tensor<4x16xf32>) {
  %q, %s = ternary.quantize %x : tensor<?x512xbf16> -> tensor<?x512xi8>, tensor<?xf32>
  %q2, %s2 = ternary.quantize %y {eps = 1.0e-3 : f32} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4xf32>
  return
}

// CHECK-LABEL: func.func @matmul
// CHECK: ternary.matmul %{{.*}}, %{{.*}} groups #ternary.scale_groups<tensor> scales(%{{.*}} : tensor<1x1xf32>) : tensor<?x1536xf16>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
// CHECK: ternary.matmul %{{.*}}, %{{.*}} groups #ternary.scale_groups<n = [448]> scales(%{{.*}} : tensor<2x1xf32>) : tensor<7x1536xbf16>, !ternary.packed<896x1536, tq2> -> tensor<7x896xbf16>
// CHECK: ternary.matmul %{{.*}} act_scales(%{{.*}} : tensor<?xf32>), %{{.*}} groups #ternary.scale_groups<k = [512, 1024]> scales(%{{.*}} : tensor<1x3xf32>) : tensor<?x1536xi8>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
// CHECK: ternary.matmul %{{.*}}, %{{.*}} groups #ternary.scale_groups<n = block 1, k = block 256> scales(%{{.*}} : tensor<896x6xf16>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
// CHECK: ternary.matmul %{{.*}}, %{{.*}} groups #ternary.scale_groups<n = [448], k = [768]> scales(%{{.*}} : tensor<2x2xf32>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
func.func @matmul(%x: tensor<?x1536xf16>, %xb: tensor<7x1536xbf16>, %q: tensor<?x1536xi8>, %as: tensor<?xf32>,
                  %xf: tensor<?x1536xf32>, %w: !ternary.packed<896x1536, tq2>,
                  %s1: tensor<1x1xf32>, %s2: tensor<2x1xf32>, %s3: tensor<1x3xf32>, %s4: tensor<896x6xf16>, %s5: tensor<2x2xf32>) {
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s1 : tensor<1x1xf32>) : tensor<?x1536xf16>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %1 = ternary.matmul %xb, %w groups #ternary.scale_groups<n = [448]> scales(%s2 : tensor<2x1xf32>) : tensor<7x1536xbf16>, !ternary.packed<896x1536, tq2> -> tensor<7x896xbf16>
  %2 = ternary.matmul %q act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<k = [512, 1024]> scales(%s3 : tensor<1x3xf32>) : tensor<?x1536xi8>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %3 = ternary.matmul %xf, %w groups #ternary.scale_groups<n = block 1, k = block 256> scales(%s4 : tensor<896x6xf16>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %4 = ternary.matmul %xf, %w groups #ternary.scale_groups<k = [768], n = [448]> scales(%s5 : tensor<2x2xf32>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  return
}

// -----

// Verifying a pack of a huge splat, or groups whose block exceeds the
// matrix, neither materialises nor enumerates anything.
// CHECK-LABEL: func.func @huge_splat_and_block
func.func @huge_splat_and_block(%x: tensor<1x256xf32>, %w: !ternary.packed<4x256, tq2>, %s: tensor<1x1xf32>) -> tensor<1x4xf32> {
  %t = arith.constant dense<1> : tensor<65536x65536xi8>
  %p = ternary.pack %t : tensor<65536x65536xi8> -> !ternary.packed<65536x65536, tq2>
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<k = block 4611686018427387904> scales(%s : tensor<1x1xf32>) : tensor<1x256xf32>, !ternary.packed<4x256, tq2> -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @from_storage_triples
// CHECK: ternary.from_storage %{{.*}} : tensor<4x3712xi8> -> !ternary.packed<128x300, tq1, #ternary.trit_triples>
func.func @from_storage_triples(%bytes: tensor<4x3712xi8>) -> !ternary.packed<128x300, tq1, #ternary.trit_triples> {
  %0 = ternary.from_storage %bytes : tensor<4x3712xi8> -> !ternary.packed<128x300, tq1, #ternary.trit_triples>
  return %0 : !ternary.packed<128x300, tq1, #ternary.trit_triples>
}
