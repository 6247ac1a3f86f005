// The generated kernels of the 1.1B and 3.9B TriLM layer shapes (q/k/v and
// gate/up stacked, shard scales as TriLM's) and of odd shapes assemble with
// the CUDA toolkit's ptxas for sm_80 and sm_90 without spilling; ptxas's
// figures (registers, shared memory) are in docs/gpu.md. ptxas prints the
// kernels in any order; none may spill.

// REQUIRES: ptxas
// RUN: trilm-opt %s --trilm-gpu-pipeline="chips=sm_80 format=isa" | %extract_ptx -o %t.sm_80.ptx
// RUN: %ptxas -arch=sm_80 -v %t.sm_80.ptx -o %t.sm_80.cubin 2>&1 \
// RUN:   | FileCheck %s --implicit-check-not="{{[1-9][0-9]* bytes spill}}"
// RUN: trilm-opt %s --trilm-gpu-pipeline="chips=sm_90 format=isa" | %extract_ptx -o %t.sm_90.ptx
// RUN: %ptxas -arch=sm_90 -v %t.sm_90.ptx -o %t.sm_90.cubin 2>&1 \
// RUN:   | FileCheck %s --implicit-check-not="{{[1-9][0-9]* bytes spill}}"

// CHECK-DAG: Compiling entry function 'matmul_40x600_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_17x256_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_33x333_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_100x1000_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_70x1792_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_48x1100_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_6144x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_2048x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_11264x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_2048x5632_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_9216x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_3072x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_18432x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_3072x9216_{{[0-9]+}}'
// 1.6-bit weights.
// CHECK-DAG: Compiling entry function 'matmul_tq1_40x600_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_tq1_2048x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_tq1_18432x3072_{{[0-9]+}}'
// The prompt kernels of every 2-bit case: K of one to three blocks, K not a
// multiple of 8, K groups cutting blocks, the layer shapes.
// CHECK-DAG: Compiling entry function 'matmul_prefill_40x600_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_17x256_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_33x333_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_48x1100_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_70x1792_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_100x1000_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_6144x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_2048x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_11264x2048_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_2048x5632_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_9216x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_3072x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_18432x3072_{{[0-9]+}}'
// CHECK-DAG: Compiling entry function 'matmul_prefill_3072x9216_{{[0-9]+}}'

func.func @odd_splits(%x: tensor<?x600xf16>, %w: tensor<40x192xi8>, %s: tensor<2x2xf32>, %y: memref<?x40xf32>) {
  %p = ternary.from_storage %w : tensor<40x192xi8> -> !ternary.packed<40x600, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [17], k = [300]> scales(%s : tensor<2x2xf32>) : tensor<?x600xf16>, !ternary.packed<40x600, tq2> -> tensor<?x40xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x40xf32>, memref<?x40xf32>) -> ()
  return
}

func.func @one_block(%x: tensor<?x256xf16>, %w: tensor<17x64xi8>, %s: tensor<1x1xf32>, %y: memref<?x17xf32>) {
  %p = ternary.from_storage %w : tensor<17x64xi8> -> !ternary.packed<17x256, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x256xf16>, !ternary.packed<17x256, tq2> -> tensor<?x17xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x17xf32>, memref<?x17xf32>) -> ()
  return
}

func.func @unaligned_k(%x: tensor<?x333xf16>, %w: tensor<33x128xi8>, %s: tensor<1x1xf16>, %y: memref<?x33xf32>) {
  %p = ternary.from_storage %w : tensor<33x128xi8> -> !ternary.packed<33x333, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf16>) : tensor<?x333xf16>, !ternary.packed<33x333, tq2> -> tensor<?x33xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x33xf32>, memref<?x33xf32>) -> ()
  return
}

func.func @gguf_blocks(%x: tensor<?x1000xf16>, %w: tensor<100x256xi8>, %s: tensor<100x4xf16>, %y: memref<?x100xf32>) {
  %p = ternary.from_storage %w : tensor<100x256xi8> -> !ternary.packed<100x1000, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = block 1, k = block 256> scales(%s : tensor<100x4xf16>) : tensor<?x1000xf16>, !ternary.packed<100x1000, tq2> -> tensor<?x100xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x100xf32>, memref<?x100xf32>) -> ()
  return
}

func.func @bf16_scales(%x: tensor<?x1792xf16>, %w: tensor<70x448xi8>, %s: tensor<2x3xbf16>, %y: memref<?x70xf32>) {
  %p = ternary.from_storage %w : tensor<70x448xi8> -> !ternary.packed<70x1792, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [35], k = [768, 1024]> scales(%s : tensor<2x3xbf16>) : tensor<?x1792xf16>, !ternary.packed<70x1792, tq2> -> tensor<?x70xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x70xf32>, memref<?x70xf32>) -> ()
  return
}

func.func @mid_block_splits(%x: tensor<?x1100xf16>, %w: tensor<48x320xi8>, %s: tensor<1x4xf32>, %y: memref<?x48xf32>) {
  %p = ternary.from_storage %w : tensor<48x320xi8> -> !ternary.packed<48x1100, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [100, 700, 701]> scales(%s : tensor<1x4xf32>) : tensor<?x1100xf16>, !ternary.packed<48x1100, tq2> -> tensor<?x48xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x48xf32>, memref<?x48xf32>) -> ()
  return
}

func.func @qkv_1b(%x: tensor<?x2048xf16>, %w: tensor<6144x512xi8>, %s: tensor<3x1xf32>, %y: memref<?x6144xf32>) {
  %p = ternary.from_storage %w : tensor<6144x512xi8> -> !ternary.packed<6144x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [2048, 4096]> scales(%s : tensor<3x1xf32>) : tensor<?x2048xf16>, !ternary.packed<6144x2048, tq2> -> tensor<?x6144xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x6144xf32>, memref<?x6144xf32>) -> ()
  return
}

func.func @o_1b(%x: tensor<?x2048xf16>, %w: tensor<2048x512xi8>, %s: tensor<1x2xf32>, %y: memref<?x2048xf32>) {
  %p = ternary.from_storage %w : tensor<2048x512xi8> -> !ternary.packed<2048x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [1024]> scales(%s : tensor<1x2xf32>) : tensor<?x2048xf16>, !ternary.packed<2048x2048, tq2> -> tensor<?x2048xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x2048xf32>, memref<?x2048xf32>) -> ()
  return
}

func.func @gate_up_1b(%x: tensor<?x2048xf16>, %w: tensor<11264x512xi8>, %s: tensor<2x1xf32>, %y: memref<?x11264xf32>) {
  %p = ternary.from_storage %w : tensor<11264x512xi8> -> !ternary.packed<11264x2048, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [5632]> scales(%s : tensor<2x1xf32>) : tensor<?x2048xf16>, !ternary.packed<11264x2048, tq2> -> tensor<?x11264xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x11264xf32>, memref<?x11264xf32>) -> ()
  return
}

func.func @down_1b(%x: tensor<?x5632xf16>, %w: tensor<2048x1408xi8>, %s: tensor<1x2xf32>, %y: memref<?x2048xf32>) {
  %p = ternary.from_storage %w : tensor<2048x1408xi8> -> !ternary.packed<2048x5632, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [2816]> scales(%s : tensor<1x2xf32>) : tensor<?x5632xf16>, !ternary.packed<2048x5632, tq2> -> tensor<?x2048xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x2048xf32>, memref<?x2048xf32>) -> ()
  return
}

func.func @qkv_4b(%x: tensor<?x3072xf16>, %w: tensor<9216x768xi8>, %s: tensor<3x1xf32>, %y: memref<?x9216xf32>) {
  %p = ternary.from_storage %w : tensor<9216x768xi8> -> !ternary.packed<9216x3072, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [3072, 6144]> scales(%s : tensor<3x1xf32>) : tensor<?x3072xf16>, !ternary.packed<9216x3072, tq2> -> tensor<?x9216xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x9216xf32>, memref<?x9216xf32>) -> ()
  return
}

func.func @o_4b(%x: tensor<?x3072xf16>, %w: tensor<3072x768xi8>, %s: tensor<1x1xf32>, %y: memref<?x3072xf32>) {
  %p = ternary.from_storage %w : tensor<3072x768xi8> -> !ternary.packed<3072x3072, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x3072xf16>, !ternary.packed<3072x3072, tq2> -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @gate_up_4b(%x: tensor<?x3072xf16>, %w: tensor<18432x768xi8>, %s: tensor<2x1xf32>, %y: memref<?x18432xf32>) {
  %p = ternary.from_storage %w : tensor<18432x768xi8> -> !ternary.packed<18432x3072, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [9216]> scales(%s : tensor<2x1xf32>) : tensor<?x3072xf16>, !ternary.packed<18432x3072, tq2> -> tensor<?x18432xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x18432xf32>, memref<?x18432xf32>) -> ()
  return
}

func.func @down_4b(%x: tensor<?x9216xf16>, %w: tensor<3072x2304xi8>, %s: tensor<1x2xf32>, %y: memref<?x3072xf32>) {
  %p = ternary.from_storage %w : tensor<3072x2304xi8> -> !ternary.packed<3072x9216, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [4608]> scales(%s : tensor<1x2xf32>) : tensor<?x9216xf16>, !ternary.packed<3072x9216, tq2> -> tensor<?x3072xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x3072xf32>, memref<?x3072xf32>) -> ()
  return
}

func.func @tq1_odd_splits(%x: tensor<?x600xf16>, %w: tensor<40x156xi8>, %s: tensor<2x2xf32>, %y: memref<?x40xf32>) {
  %p = ternary.from_storage %w : tensor<40x156xi8> -> !ternary.packed<40x600, tq1>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [17], k = [300]> scales(%s : tensor<2x2xf32>) : tensor<?x600xf16>, !ternary.packed<40x600, tq1> -> tensor<?x40xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x40xf32>, memref<?x40xf32>) -> ()
  return
}

func.func @tq1_o_1b(%x: tensor<?x2048xf16>, %w: tensor<2048x416xi8>, %s: tensor<1x2xf32>, %y: memref<?x2048xf32>) {
  %p = ternary.from_storage %w : tensor<2048x416xi8> -> !ternary.packed<2048x2048, tq1>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<k = [1024]> scales(%s : tensor<1x2xf32>) : tensor<?x2048xf16>, !ternary.packed<2048x2048, tq1> -> tensor<?x2048xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x2048xf32>, memref<?x2048xf32>) -> ()
  return
}

func.func @tq1_gate_up_4b(%x: tensor<?x3072xf16>, %w: tensor<18432x624xi8>, %s: tensor<2x1xf32>, %y: memref<?x18432xf32>) {
  %p = ternary.from_storage %w : tensor<18432x624xi8> -> !ternary.packed<18432x3072, tq1>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<n = [9216]> scales(%s : tensor<2x1xf32>) : tensor<?x3072xf16>, !ternary.packed<18432x3072, tq1> -> tensor<?x18432xf32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?x18432xf32>, memref<?x18432xf32>) -> ()
  return
}
