// RUN: trilm-opt %s --convert-ternary-to-gpu -split-input-file | FileCheck %s
// RUN: trilm-opt %s --convert-ternary-to-gpu="warps=2 blocks-per-step=3" -split-input-file | FileCheck %s --check-prefix=FORCED
// RUN: trilm-opt %s --convert-ternary-to-gpu="multiprocessors=84" -split-input-file | FileCheck %s --check-prefix=SMALL-CHIP
// RUN: trilm-opt %s --convert-ternary-to-gpu="prompt-rows=32 prompt-stages=3" -split-input-file | FileCheck %s --check-prefix=PROMPT
// RUN: trilm-opt %s --convert-ternary-to-gpu="prompt-rows=-1" -split-input-file | FileCheck %s --check-prefix=NO-PROMPT

// 32 row tiles are few: 8 warps split K's 8 blocks, one block each. Batches
// of 16 rows or more take the prompt kernel: its 8 thread blocks of 64
// weight rows need 16 activation rows each to fill 132 SMs at a batch of 128.
// CHECK-LABEL: func.func @from_storage
// CHECK-SAME: (%[[X:.*]]: tensor<?x2048xf16>, %[[W:.*]]: tensor<512x512xi8>, %[[S:.*]]: tensor<1x2xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x2048xf16>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[M]]) : tensor<?x512xf32>
// CHECK: %[[R:.*]] = ternary_gpu.matmul ins(%[[X]], %[[W]], %[[S]] : tensor<?x2048xf16>, tensor<512x512xi8>, tensor<1x2xf32>) outs(%[[INIT]] : tensor<?x512xf32>) weights(!ternary.packed<512x2048, tq2>) groups #ternary.scale_groups<k = [1024]> config #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 16, prompt_stages = 4>
// CHECK: return %[[R]]
// FORCED-LABEL: func.func @from_storage
// FORCED: config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 3, prompt_rows = 16, prompt_stages = 4>
// PROMPT-LABEL: func.func @from_storage
// PROMPT: config #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 32, prompt_stages = 3>
// NO-PROMPT-LABEL: func.func @from_storage
// NO-PROMPT: config #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1>
func.func @from_storage(%x: tensor<?x2048xf16>, %w: tensor<512x512xi8>, %s: tensor<1x2xf32>) -> tensor<?x512xf32> {
  %p = ternary.from_storage %w : tensor<512x512xi8> -> !ternary.packed<512x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [1024]> scales(%s : tensor<1x2xf32>) : tensor<?x2048xf16>, !ternary.packed<512x2048, tq2> -> tensor<?x512xf32>
  return %r : tensor<?x512xf32>
}

// -----

// Constant weights become their storage bytes. One row tile: K's 36 blocks
// split over 8 warps, each streaming its 5 blocks two per step. One
// activation row: no prompt kernel.
// CHECK-LABEL: func.func @constant
// CHECK: %[[BYTES:.*]] = arith.constant dense<85> : tensor<16x2304xi8>
// CHECK: ternary_gpu.matmul ins(%{{.*}}, %[[BYTES]], %{{.*}} : {{.*}}) {{.*}} config #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 2> ->
func.func @constant(%x: tensor<1x9216xf16>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.constant dense<85> : tensor<16x2304xi8> -> !ternary.packed<16x9216, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x9216xf16>, !ternary.packed<16x9216, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

// A configuration the strategy recorded earlier is kept.
// CHECK-LABEL: func.func @recorded
// CHECK: config #ternary_gpu.matmul_config<warps = 4, row_tiles = 2, blocks_per_step = 2>
// FORCED-LABEL: func.func @recorded
// FORCED: config #ternary_gpu.matmul_config<warps = 4, row_tiles = 2, blocks_per_step = 2>
func.func @recorded(%x: tensor<1x2048xf16>, %w: tensor<64x512xi8>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  %p = ternary.from_storage %w : tensor<64x512xi8> -> !ternary.packed<64x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_gpu.matmul_config<warps = 4, row_tiles = 2, blocks_per_step = 2>} : tensor<1x2048xf16>, !ternary.packed<64x2048, tq2> -> tensor<1x64xf32>
  return %r : tensor<1x64xf32>
}

// -----

// Many row tiles: K is not split; 8 row tiles share a thread block, each
// warp streaming its row tile's 32 blocks two per step.
// CHECK-LABEL: func.func @many_rows
// CHECK: config #ternary_gpu.matmul_config<warps = 8, row_tiles = 8, blocks_per_step = 2> ->
// FORCED-LABEL: func.func @many_rows
// FORCED: config #ternary_gpu.matmul_config<warps = 2, row_tiles = 1, blocks_per_step = 3>
func.func @many_rows(%x: tensor<1x8192xf16>, %w: tensor<65536x2048xi8>, %s: tensor<1x1xf32>) -> tensor<1x65536xf32> {
  %p = ternary.from_storage %w : tensor<65536x2048xi8> -> !ternary.packed<65536x8192, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x8192xf16>, !ternary.packed<65536x8192, tq2> -> tensor<1x65536xf32>
  return %r : tensor<1x65536xf32>
}

// -----

// The decomposition follows the chip: 512 row tiles split K 8 ways on 132
// SMs (H200), 4 ways on 84 (sm_86's A40). 128 thread blocks of 64 weight
// rows fill either chip with 64 activation rows each at a batch of 128.
// CHECK-LABEL: func.func @per_chip
// CHECK: config #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 64, prompt_stages = 4>
// SMALL-CHIP-LABEL: func.func @per_chip
// SMALL-CHIP: config #ternary_gpu.matmul_config<warps = 4, row_tiles = 1, blocks_per_step = 2, prompt_rows = 64, prompt_stages = 4>
// FORCED-LABEL: func.func @per_chip
func.func @per_chip(%x: tensor<?x2048xf16>, %w: tensor<8192x512xi8>, %s: tensor<1x1xf32>) -> tensor<?x8192xf32> {
  %p = ternary.from_storage %w : tensor<8192x512xi8> -> !ternary.packed<8192x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x2048xf16>, !ternary.packed<8192x2048, tq2> -> tensor<?x8192xf32>
  return %r : tensor<?x8192xf32>
}

// -----

// 64 thread blocks of 64 weight rows: 32 activation rows each fill 132 SMs
// at a batch of 128, 64 rows fill 84. K of 2 blocks: 8 quarter blocks, 4 in
// flight.
// CHECK-LABEL: func.func @prompt_per_chip
// CHECK: config #ternary_gpu.matmul_config<warps = {{.*}}, prompt_rows = 32, prompt_stages = 4>
// SMALL-CHIP-LABEL: func.func @prompt_per_chip
// SMALL-CHIP: config #ternary_gpu.matmul_config<warps = {{.*}}, prompt_rows = 64, prompt_stages = 4>
func.func @prompt_per_chip(%x: tensor<?x512xf16>, %w: tensor<4096x128xi8>, %s: tensor<1x1xf32>) -> tensor<?x4096xf32> {
  %p = ternary.from_storage %w : tensor<4096x128xi8> -> !ternary.packed<4096x512, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x512xf16>, !ternary.packed<4096x512, tq2> -> tensor<?x4096xf32>
  return %r : tensor<?x4096xf32>
}

// -----

// 1.6-bit weights: the decoding kernel at every batch.
// CHECK-LABEL: func.func @tq1
// CHECK: config #ternary_gpu.matmul_config<warps = {{[0-9]+}}, row_tiles = {{[0-9]+}}, blocks_per_step = {{[0-9]+}}> ->
func.func @tq1(%x: tensor<?x512xf16>, %w: tensor<64x104xi8>, %s: tensor<1x1xf32>) -> tensor<?x64xf32> {
  %p = ternary.from_storage %w : tensor<64x104xi8> -> !ternary.packed<64x512, tq1>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x512xf16>, !ternary.packed<64x512, tq1> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// K groups of 100 trits cut 20 blocks' worth of bounds, more than the prompt
// kernel tells apart: the decoding kernel at every batch.
// CHECK-LABEL: func.func @many_cut_groups
// CHECK: config #ternary_gpu.matmul_config<warps = {{[0-9]+}}, row_tiles = {{[0-9]+}}, blocks_per_step = {{[0-9]+}}> ->
func.func @many_cut_groups(%x: tensor<?x2000xf16>, %w: tensor<64x512xi8>, %s: tensor<1x20xf32>) -> tensor<?x64xf32> {
  %p = ternary.from_storage %w : tensor<64x512xi8> -> !ternary.packed<64x2000, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = block 100> scales(%s : tensor<1x20xf32>) : tensor<?x2000xf16>, !ternary.packed<64x2000, tq2> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}
