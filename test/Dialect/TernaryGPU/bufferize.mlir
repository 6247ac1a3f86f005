// RUN: trilm-opt %s --eliminate-empty-tensors \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   | FileCheck %s

// The matmul writes the destination in place and never reads it: no
// allocation and no copy.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[X:.*]]: memref<?x256xf16>, %[[W:.*]]: memref<16x64xi8>, %[[S:.*]]: memref<1x1xf32>, %[[Y:.*]]: memref<?x16xf32>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: ternary_gpu.matmul ins(%[[X]], %[[W]], %[[S]] : {{.*}}) outs(%[[Y]] : memref<?x16xf32>)
func.func @in_place(%x: memref<?x256xf16>, %w: memref<16x64xi8>, %s: memref<1x1xf32>, %y: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf16> to tensor<?x256xf16>
  %wt = bufferization.to_tensor %w restrict : memref<16x64xi8> to tensor<16x64xi8>
  %st = bufferization.to_tensor %s restrict : memref<1x1xf32> to tensor<1x1xf32>
  %m = tensor.dim %xt, %c0 : tensor<?x256xf16>
  %init = tensor.empty(%m) : tensor<?x16xf32>
  %r = ternary_gpu.matmul ins(%xt, %wt, %st : tensor<?x256xf16>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%init : tensor<?x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<?x16xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x16xf32>, memref<?x16xf32>) -> ()
  return
}
