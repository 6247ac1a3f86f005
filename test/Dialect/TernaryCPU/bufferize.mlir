// RUN: trilm-opt %s \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   | FileCheck %s

// A prefetch becomes memref.prefetch of its tensor's buffer. It reads no
// value, so a later in-place write needs no copy.
// CHECK-LABEL: func.func @prefetch
// CHECK-SAME: (%[[W:.*]]: memref<64x256xi8>, %[[I:.*]]: index, %[[V:.*]]: i8)
// CHECK-NOT: memref.alloc
// CHECK: memref.prefetch %[[W]][%[[I]], %[[I]]], read, locality<3>, data : memref<64x256xi8>
// CHECK: memref.store %[[V]], %[[W]][%[[I]], %[[I]]]
// CHECK: return %[[W]]
func.func @prefetch(%w: tensor<64x256xi8> {bufferization.writable = true}, %i: index, %v: i8) -> tensor<64x256xi8> {
  ternary_cpu.prefetch %w[%i, %i] : tensor<64x256xi8>
  %r = tensor.insert %v into %w[%i, %i] : tensor<64x256xi8>
  return %r : tensor<64x256xi8>
}
