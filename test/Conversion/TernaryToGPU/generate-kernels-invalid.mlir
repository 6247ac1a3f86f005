// RUN: trilm-opt %s --ternary-gpu-generate-kernels -split-input-file -verify-diagnostics

func.func @allocated(%x: memref<1x256xf16>, %w: memref<16x64xi8>, %s: memref<1x1xf32>) {
  %y = memref.alloc() : memref<1x16xf32>
  // expected-error @+1 {{'ternary_gpu.matmul' op GPU kernels read device memory: a function argument or a gpu.alloc (run trilm-gpu-device-buffers first), got}}
  ternary_gpu.matmul ins(%x, %w, %s : memref<1x256xf16>, memref<16x64xi8>, memref<1x1xf32>) outs(%y : memref<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

func.func @strided(%x: memref<1x256xf16, strided<[512, 1]>>, %w: memref<16x64xi8>, %s: memref<1x1xf32>, %y: memref<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op GPU kernels read contiguous buffers in the default memory space, got 'memref<1x256xf16, strided<[512, 1]>>'}}
  ternary_gpu.matmul ins(%x, %w, %s : memref<1x256xf16, strided<[512, 1]>>, memref<16x64xi8>, memref<1x1xf32>) outs(%y : memref<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

func.func @tensors(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>, %y: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'ternary_gpu.matmul' op kernels are generated after bufferization}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

// K groups of 100 trits: 20 of them cut blocks, more than the prompt kernel
// tells apart.
func.func @many_cut_groups(%x: memref<?x2000xf16>, %w: memref<16x512xi8>, %s: memref<1x20xf32>, %y: memref<?x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op the prompt kernel takes at most 16 K scale groups when they cut 256-trit blocks; use a configuration without prompt_rows}}
  ternary_gpu.matmul ins(%x, %w, %s : memref<?x2000xf16>, memref<16x512xi8>, memref<1x20xf32>) outs(%y : memref<?x16xf32>) weights(!ternary.packed<16x2000, tq2>) groups #ternary.scale_groups<k = block 100> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1, prompt_rows = 16, prompt_stages = 2>
  return
}
