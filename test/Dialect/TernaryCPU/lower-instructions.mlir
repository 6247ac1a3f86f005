// RUN: trilm-opt %s -ternary-cpu-lower-instructions -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @lower
// CHECK-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<64xi8>, %[[ACC4:.*]]: vector<4xi32>, %[[C:.*]]: vector<16xi8>)
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[A]], %[[B]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"(%[[ACC4]], %[[C]], %[[C]])
// CHECK: arm_neon.intr.sdot %[[ACC4]], %[[C]], %[[C]] : vector<16xi8>, vector<16xi8> to vector<4xi32>
// CHECK: %[[U:.*]] = arith.extui %[[A]] : vector<64xi8> to vector<64xi32>
// CHECK: %[[S:.*]] = arith.extsi %[[B]] : vector<64xi8> to vector<64xi32>
// CHECK: %[[P:.*]] = arith.muli %[[U]], %[[S]] : vector<64xi32>
// CHECK: %[[G:.*]] = vector.shape_cast %[[P]] : vector<64xi32> to vector<16x4xi32>
// CHECK: vector.multi_reduction <add>, %[[G]], %[[ACC]] [1] : vector<16x4xi32> to vector<16xi32>
// CHECK: arith.extsi %[[C]] : vector<16xi8> to vector<16xi32>
// CHECK-NOT: ternary_cpu.dot4
func.func @lower(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>, %acc4: vector<4xi32>, %c: vector<16xi8>)
    -> (vector<16xi32>, vector<4xi32>, vector<4xi32>, vector<16xi32>, vector<4xi32>) {
  %0 = ternary_cpu.dot4 avx512_vnni unsigned_lhs %acc, %a, %b : vector<64xi8> -> vector<16xi32>
  %1 = ternary_cpu.dot4 avx_vnni unsigned_lhs %acc4, %c, %c : vector<16xi8> -> vector<4xi32>
  %2 = ternary_cpu.dot4 neon_dotprod %acc4, %c, %c : vector<16xi8> -> vector<4xi32>
  %3 = ternary_cpu.dot4 generic unsigned_lhs %acc, %a, %b : vector<64xi8> -> vector<16xi32>
  %4 = ternary_cpu.dot4 generic %acc4, %c, %c : vector<16xi8> -> vector<4xi32>
  return %0, %1, %2, %3, %4 : vector<16xi32>, vector<4xi32>, vector<4xi32>, vector<16xi32>, vector<4xi32>
}

// -----

// On AVX-512 a 2-bit field becomes one table permute: the index is the
// nibble holding the field (shift 6: lanes >> 4, field at bit 2 of it).
// CHECK-LABEL: func.func @trits
// CHECK-SAME: (%[[L:.*]]: vector<16xi32>)
// CHECK: %[[T:.*]] = arith.constant dense<[-1.000000e+00, -1.000000e+00, -1.000000e+00, -1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00, {{.*}}]> : vector<16xf32>
// CHECK: %[[I:.*]] = arith.shrui %[[L]], %{{.*}} : vector<16xi32>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%[[T]], %[[I]]) : (vector<16xf32>, vector<16xi32>) -> vector<16xf32>
// CHECK: %[[S:.*]] = arith.shrui %[[L]], %{{.*}} : vector<16xi32>
// CHECK: %[[C:.*]] = arith.andi %[[S]], %{{.*}} : vector<16xi32>
// CHECK: %[[M:.*]] = arith.subi %[[C]], %{{.*}} : vector<16xi32>
// CHECK: arith.sitofp %[[M]] : vector<16xi32> to vector<16xf32>
func.func @trits(%l: vector<16xi32>) -> (vector<16xf32>, vector<16xf32>) {
  %0 = ternary_cpu.trits_to_f32 avx512_vnni %l shift 6 : vector<16xi32> -> vector<16xf32>
  %1 = ternary_cpu.trits_to_f32 generic %l shift 4 : vector<16xi32> -> vector<16xf32>
  return %0, %1 : vector<16xf32>, vector<16xf32>
}

// -----

// vpermb and vpermw on AVX-512 VBMI; otherwise one extraction per lane.
// CHECK-LABEL: func.func @lookup
// CHECK-SAME: (%[[T:.*]]: vector<64xi8>, %[[I:.*]]: vector<64xi8>,
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.qi.512"(%[[T]], %[[I]]) : (vector<64xi8>, vector<64xi8>) -> vector<64xi8>
// CHECK: %[[LANE:.*]] = vector.extract %[[I]][0] : i8 from vector<64xi8>
// CHECK: %[[MASKED:.*]] = arith.andi %[[LANE]], %{{.*}} : i8
// CHECK: %[[POS:.*]] = arith.index_castui %[[MASKED]] : i8 to index
// CHECK: vector.extract %[[T]][%[[POS]]] : i8 from vector<64xi8>
// CHECK: vector.from_elements
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.permvar.hi.512"(%{{.*}}, %{{.*}}) : (vector<32xi16>, vector<32xi16>) -> vector<32xi16>
// CHECK: %[[WLANE:.*]] = vector.extract %{{.*}}[0] : i16 from vector<32xi16>
// CHECK: arith.andi %[[WLANE]], %{{.*}} : i16
// CHECK-NOT: ternary_cpu.lookup
func.func @lookup(%t: vector<64xi8>, %i: vector<64xi8>, %wt: vector<32xi16>, %wi: vector<32xi16>)
    -> (vector<64xi8>, vector<64xi8>, vector<32xi16>, vector<32xi16>) {
  %0 = ternary_cpu.lookup avx512_vbmi %t[%i] : vector<64xi8>
  %1 = ternary_cpu.lookup generic %t[%i] : vector<64xi8>
  %2 = ternary_cpu.lookup avx512_vbmi %wt[%wi] : vector<32xi16>
  %3 = ternary_cpu.lookup generic %wt[%wi] : vector<32xi16>
  return %0, %1, %2, %3 : vector<64xi8>, vector<64xi8>, vector<32xi16>, vector<32xi16>
}
