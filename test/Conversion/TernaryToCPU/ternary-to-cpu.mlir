// RUN: trilm-opt %s -convert-ternary-to-cpu -split-input-file | FileCheck %s
// RUN: trilm-opt %s -convert-ternary-to-cpu="rows=8 int8-dot=avx512_vnni" -split-input-file | FileCheck %s --check-prefix=VNNI

// The weights are read block by block as vectors and decoded in registers:
// no tensor of unpacked weights (37 x 700) exists anywhere.
// CHECK-LABEL: func.func @int8_tq2
// CHECK-SAME: %[[W:[^:]*]]: tensor<37x192xi8>
// CHECK-NOT: 37x700x
// CHECK: scf.forall (%{{.*}}) in (10)
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read %[[W]]{{.*}} : tensor<37x192xi8>, vector<64xi8>
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<32xi16>
// CHECK: arith.shrui {{.*}} : vector<32xi16>
// CHECK: arith.andi {{.*}} : vector<64xi8>
// CHECK: ternary.dot4 generic unsigned_lhs {{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: vector.reduction <add>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: 37x700x
// VNNI-LABEL: func.func @int8_tq2
// VNNI: scf.forall (%{{.*}}) in (5)
// VNNI: ternary.dot4 avx512_vnni unsigned_lhs {{.*}} : vector<64xi8> -> vector<16xi32>
func.func @int8_tq2(%x: tensor<?x700xi8>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<2x2xf32>) -> tensor<?x37xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<n = [20], k = [300]> scales(%s : tensor<2x2xf32>) : tensor<?x700xi8>, !ternary.packed<37x700, tq2> -> tensor<?x37xf32>
  return %y : tensor<?x37xf32>
}

// -----

// 1.6-bit: the 48 qs and 4 qh bytes are read into one 64-byte vector and
// decoded digit by digit on bytes (q * 3 by adds, the digit by two compares);
// float activations are fused multiply-added.
// CHECK-LABEL: func.func @float_tq1
// CHECK-NOT: 8x300x
// CHECK: %[[QS:.*]] = vector.transfer_read {{.*}} : tensor<8x104xi8>, vector<48xi8>
// CHECK: %[[LOW:.*]] = vector.insert_strided_slice %[[QS]], {{.*}} {offsets = [0], strides = [1]} : vector<48xi8> into vector<64xi8>
// CHECK: %[[QH:.*]] = vector.transfer_read {{.*}} : tensor<8x104xi8>, vector<4xi8>
// CHECK: %[[BYTES:.*]] = vector.insert_strided_slice %[[QH]], %[[LOW]] {offsets = [48], strides = [1]} : vector<4xi8> into vector<64xi8>
// CHECK: arith.cmpi uge, %[[BYTES]], {{.*}} : vector<64xi8>
// CHECK: arith.sitofp {{.*}} : vector<64xi8> to vector<64xf32>
// CHECK: vector.fma {{.*}} : vector<64xf32>
// CHECK-NOT: 8x300x
func.func @float_tq1(%x: tensor<2x300xf16>, %w: !ternary.packed<8x300, tq1>, %s: tensor<1x1xf32>) -> tensor<2x8xf16> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x300xf16>, !ternary.packed<8x300, tq1> -> tensor<2x8xf16>
  return %y : tensor<2x8xf16>
}
