// RUN: trilm-opt %s | trilm-opt | FileCheck %s

// CHECK-LABEL: func.func @tensors
// CHECK: ternary_gpu.matmul ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x600xf16>, tensor<40x192xi8>, tensor<2x2xf32>) outs(%{{.*}} : tensor<?x40xf32>) weights(!ternary.packed<40x600, tq2>) groups #ternary.scale_groups<n = [17], k = [300]> config #ternary_gpu.matmul_config<warps = 3, row_tiles = 1, blocks_per_step = 1> -> tensor<?x40xf32>
func.func @tensors(%x: tensor<?x600xf16>, %w: tensor<40x192xi8>, %s: tensor<2x2xf32>, %init: tensor<?x40xf32>) -> tensor<?x40xf32> {
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<?x600xf16>, tensor<40x192xi8>, tensor<2x2xf32>) outs(%init : tensor<?x40xf32>) weights(!ternary.packed<40x600, tq2>) groups #ternary.scale_groups<n = [17], k = [300]> config #ternary_gpu.matmul_config<warps = 3, row_tiles = 1, blocks_per_step = 1> -> tensor<?x40xf32>
  return %r : tensor<?x40xf32>
}

// CHECK-LABEL: func.func @memrefs
// CHECK: ternary_gpu.matmul ins({{.*}} : memref<4x256xf16>, memref<16x64xi8>, memref<1x1xbf16>) outs(%{{.*}} : memref<4x16xf32>)
// CHECK-NOT: ->
func.func @memrefs(%x: memref<4x256xf16>, %w: memref<16x64xi8>, %s: memref<1x1xbf16>, %y: memref<4x16xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<4x256xf16>, memref<16x64xi8>, memref<1x1xbf16>) outs(%y : memref<4x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1>
  return
}
