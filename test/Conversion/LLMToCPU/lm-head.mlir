// RUN: trilm-opt %s -convert-llm-to-cpu | FileCheck %s

// Vocabulary tiles run on threads; each of a group's 4 rows reads its own
// stream of the weight, prefetched ahead (in bounds: clamped to the last
// element and wrapped into the rows that follow), and multiply-adds 16
// lanes at a time into its own accumulator.
// CHECK-LABEL: func.func @lm_head
// CHECK-SAME: %[[W:[^:]*]]: tensor<300x64xf16>
// CHECK: scf.forall
// CHECK: scf.for
// CHECK: %[[BYTE:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.divui %[[BYTE]], %{{.*}} : index
// CHECK: %[[COL:.*]] = arith.remui %[[BYTE]], %{{.*}} : index
// CHECK: ternary_cpu.prefetch %[[W]][%[[ROW]], %[[COL]]] : tensor<300x64xf16>
// CHECK: vector.fma {{.*}} : vector<16xf32>
// CHECK-COUNT-3: ternary_cpu.prefetch %[[W]]
// CHECK: scf.forall.in_parallel
func.func @lm_head(%x: tensor<?x64xf32>, %w: tensor<300x64xf16>) -> tensor<?x300xf32> {
  %y = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %y : tensor<?x300xf32>
}
