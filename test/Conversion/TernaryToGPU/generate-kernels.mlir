// RUN: trilm-opt %s --ternary-gpu-generate-kernels -split-input-file | FileCheck %s

// Two matmuls of one shape and configuration share a kernel; the launch
// covers 16 weight rows and 8 activation rows per block, and skips M = 0.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @two_launches
// CHECK-SAME: (%[[X:.*]]: memref<?x600xf16>, %[[W:.*]]: memref<40x192xi8>, %[[S:.*]]: memref<2x2xf32>, %[[Y:.*]]: memref<?x40xf32>, %[[X2:.*]]: memref<3x600xf16>, %[[Y2:.*]]: memref<3x40xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[X]], %{{.*}}
// CHECK: scf.if
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[M]], %{{.*}}
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_40x600_0 blocks in (%{{.*}}, %[[TILES]], %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%[[X]] : memref<?x600xf16>, %[[W]] : memref<40x192xi8>, %[[S]] : memref<2x2xf32>, %[[Y]] : memref<?x40xf32>)
// CHECK: %[[CX:.*]] = memref.cast %[[X2]] : memref<3x600xf16> to memref<?x600xf16>
// CHECK: %[[CY:.*]] = memref.cast %[[Y2]] : memref<3x40xf32> to memref<?x40xf32>
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_40x600_0 {{.*}} args(%[[CX]] : memref<?x600xf16>, %[[W]] : memref<40x192xi8>, %[[S]] : memref<2x2xf32>, %[[CY]] : memref<?x40xf32>)
// CHECK-NOT: ternary_gpu.matmul
// CHECK: gpu.module @ternary_gpu_kernels
// CHECK: gpu.func @matmul_40x600_0(%{{.*}}: memref<?x600xf16>, %{{.*}}: memref<40x192xi8>, %{{.*}}: memref<2x2xf32>, %{{.*}}: memref<?x40xf32>) workgroup(%{{.*}} : memref<384xf32, #gpu.address_space<workgroup>>) kernel attributes {known_block_size = array<i32: 96, 1, 1>, nvvm.maxnreg = 255 : i32}
// The weights: one 16-byte load per row pair and block.
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<40x192xi8>, vector<16xi8>
// Blocks inside one group read unmasked activations; those cut by the
// split at 300 or the end of K read masked ones.
// CHECK: scf.if
// CHECK-COUNT-16: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: scf.for
// CHECK: vector.maskedload
// CHECK-COUNT-16: nvgpu.mma.sync
// The warps' sums meet in shared memory.
// CHECK: gpu.barrier
// CHECK-NOT: gpu.func
func.func @two_launches(%x: memref<?x600xf16>, %w: memref<40x192xi8>, %s: memref<2x2xf32>, %y: memref<?x40xf32>, %x2: memref<3x600xf16>, %y2: memref<3x40xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x600xf16>, memref<40x192xi8>, memref<2x2xf32>) outs(%y : memref<?x40xf32>) weights(!ternary.packed<40x600, tq2>) groups #ternary.scale_groups<n = [17], k = [300]> config #ternary_gpu.matmul_config<warps = 3, row_tiles = 1, blocks_per_step = 1>
  ternary_gpu.matmul ins(%x2, %w, %s : memref<3x600xf16>, memref<40x192xi8>, memref<2x2xf32>) outs(%y2 : memref<3x40xf32>) weights(!ternary.packed<40x600, tq2>) groups #ternary.scale_groups<n = [17], k = [300]> config #ternary_gpu.matmul_config<warps = 3, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

// 1.6-bit weights: per row and block four gathered words (three from qs,
// one from qh, each through prmt), 16 mma steps of base-3 digits.
// CHECK-LABEL: func.func @tq1
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_tq1_16x512_0
// CHECK: gpu.func @matmul_tq1_16x512_0(
// CHECK-COUNT-8: nvvm.prmt
// CHECK: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK-COUNT-16: nvgpu.mma.sync
func.func @tq1(%x: memref<?x512xf16>, %w: memref<16x104xi8>, %s: memref<1x1xf32>, %y: memref<?x16xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x512xf16>, memref<16x104xi8>, memref<1x1xf32>) outs(%y : memref<?x16xf32>) weights(!ternary.packed<16x512, tq1>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 1>
  return
}
