// RUN: trilm-opt %s --ternary-gpu-generate-kernels -split-input-file | FileCheck %s

// A configuration with prompt_rows: the prompt kernel computes M >= 16
// (chosen at run time for a dynamic M), the decoding kernel the rest; a
// static M below 16 (whose configuration has no prompt kernel) launches the
// same decoding kernel.
// CHECK-LABEL: func.func @prompt_and_decode
// CHECK-SAME: (%[[X:.*]]: memref<?x1024xf16>, %[[W:.*]]: memref<100x256xi8>, %[[S:.*]]: memref<1x2xf32>, %[[Y:.*]]: memref<?x100xf32>, %[[X1:.*]]: memref<1x1024xf16>, %[[Y1:.*]]: memref<1x100xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[X]], %{{.*}}
// CHECK: scf.if
// CHECK: %[[PROMPT:.*]] = arith.cmpi uge, %[[M]], %{{.*}}
// CHECK: scf.if %[[PROMPT]] {
// CHECK:   %[[ACT_BLOCKS:.*]] = arith.ceildivui %{{.*}}, %c64
// CHECK:   gpu.launch_func @ternary_gpu_kernels::@matmul_prefill_100x1024_0 blocks in (%c2, %[[ACT_BLOCKS]], %{{.*}}) threads in (%c128, %{{.*}}, %{{.*}}) args(%[[X]] : memref<?x1024xf16>, %[[W]] : memref<100x256xi8>, %[[S]] : memref<1x2xf32>, %[[Y]] : memref<?x100xf32>)
// CHECK: } else {
// CHECK:   gpu.launch_func @ternary_gpu_kernels::@matmul_100x1024_0
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_100x1024_0
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.module @ternary_gpu_kernels
// CHECK: gpu.func @matmul_100x1024_0(
// The prompt kernel: two stage rings in shared memory, 16-byte aligned.
// CHECK: gpu.func @matmul_prefill_100x1024_0(%{{.*}}: memref<?x1024xf16>, %{{.*}}: memref<100x256xi8>, %{{.*}}: memref<1x2xf32>, %{{.*}}: memref<?x100xf32>) workgroup(%[[ACTS:.*]] : memref<4x64x64xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[WEIGHTS:.*]] : memref<4x64x16xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel attributes {known_block_size = array<i32: 128, 1, 1>, nvvm.maxnreg = 255 : i32}
// Three stages in flight before the loop, one commit group each.
// CHECK-COUNT-3: nvgpu.device_async_create_group
// CHECK: scf.for
// CHECK:   scf.if
// CHECK:     nvgpu.device_async_copy {{.*}}, %[[ACTS]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:     nvgpu.device_async_copy {{.*}}, %[[WEIGHTS]][{{.*}}], 8 :
// CHECK:   nvgpu.device_async_create_group
// CHECK:   nvgpu.device_async_wait %{{.*}} {numGroups = 3 : i32}
// CHECK:   gpu.barrier
// CHECK:   nvvm.prmt
// CHECK:   nvgpu.ldmatrix %[[ACTS]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK-COUNT-2: nvgpu.mma.sync
// CHECK:   gpu.barrier
// Two K groups: each group's sums scaled into the totals when it ends.
// CHECK:   scf.if
// CHECK:     memref.load %{{.*}} : memref<1x2xf32>
// CHECK: } {loop_annotation = #{{.*}}}
func.func @prompt_and_decode(%x: memref<?x1024xf16>, %w: memref<100x256xi8>, %s: memref<1x2xf32>, %y: memref<?x100xf32>, %x1: memref<1x1024xf16>, %y1: memref<1x100xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x1024xf16>, memref<100x256xi8>, memref<1x2xf32>) outs(%y : memref<?x100xf32>) weights(!ternary.packed<100x1024, tq2>) groups #ternary.scale_groups<k = [512]> config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 1, prompt_rows = 64, prompt_stages = 4>
  ternary_gpu.matmul ins(%x1, %w, %s : memref<1x1024xf16>, memref<100x256xi8>, memref<1x2xf32>) outs(%y1 : memref<1x100xf32>) weights(!ternary.packed<100x1024, tq2>) groups #ternary.scale_groups<k = [512]> config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

// Without prompt_rows every batch launches the decoding kernel.
// CHECK-LABEL: func.func @decoding_only
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_100x1024_0
// CHECK-NOT: matmul_prefill
func.func @decoding_only(%x: memref<?x1024xf16>, %w: memref<100x256xi8>, %s: memref<1x1xf32>, %y: memref<?x100xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x1024xf16>, memref<100x256xi8>, memref<1x1xf32>) outs(%y : memref<?x100xf32>) weights(!ternary.packed<100x1024, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

// A K group bound (300) cuts block 1: it is streamed once per group, so 4
// streamed blocks of 4 quarters; the trits outside the stream's group are
// masked in the A fragments. 32 activation rows, 3 stages in flight.
// CHECK-LABEL: func.func @cut_block
// CHECK: gpu.launch_func @ternary_gpu_kernels::@matmul_prefill_40x600_0
// CHECK: gpu.func @matmul_prefill_40x600_0({{.*}}) workgroup(%[[ACTS:.*]] : memref<3x32x64xf16, #gpu.address_space<workgroup>> {{.*}}, %{{.*}} : memref<3x64x16xi8, #gpu.address_space<workgroup>>
// CHECK-COUNT-2: nvgpu.device_async_create_group
// CHECK: %[[STAGES:.*]] = arith.constant 16 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[STAGES]]
// CHECK:   nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK:   %[[MASK:.*]] = arith.andi %{{.*}}, %{{.*}} : vector<2xi1>
// CHECK:   arith.select %[[MASK]], %{{.*}}, %{{.*}} : vector<2xi1>, vector<2xf16>
// CHECK:   nvgpu.mma.sync
func.func @cut_block(%x: memref<?x600xf16>, %w: memref<40x192xi8>, %s: memref<1x2xf32>, %y: memref<?x40xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x600xf16>, memref<40x192xi8>, memref<1x2xf32>) outs(%y : memref<?x40xf32>) weights(!ternary.packed<40x600, tq2>) groups #ternary.scale_groups<k = [300]> config #ternary_gpu.matmul_config<warps = 4, row_tiles = 1, blocks_per_step = 1, prompt_rows = 32, prompt_stages = 3>
  return
}

// -----

// K = 333: activation rows are not 16-byte aligned, so the prompt kernel
// stages them with masked loads and stores, not cp.async; the weights still
// stream by cp.async.
// CHECK-LABEL: gpu.func @matmul_prefill_33x333_0
// CHECK-SAME: workgroup(%[[ACTS:.*]] : memref<2x16x64xf16, {{.*}}, %[[WEIGHTS:.*]] : memref<2x64x16xi8,
// CHECK-NOT: nvgpu.device_async_copy {{.*}}, %[[ACTS]]
// CHECK: vector.maskedload %{{.*}} : memref<?x333xf16>, vector<8xi1>, vector<8xf16> into vector<8xf16>
// CHECK: vector.store %{{.*}}, %[[ACTS]]
// CHECK-NOT: nvgpu.device_async_copy {{.*}}, %[[ACTS]]
// CHECK: nvgpu.device_async_copy {{.*}}, %[[WEIGHTS]]
func.func @unaligned_k(%x: memref<?x333xf16>, %w: memref<33x128xi8>, %s: memref<1x1xf32>, %y: memref<?x33xf32>) {
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x333xf16>, memref<33x128xi8>, memref<1x1xf32>) outs(%y : memref<?x33xf32>) weights(!ternary.packed<33x333, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1, prompt_rows = 16, prompt_stages = 2>
  return
}
