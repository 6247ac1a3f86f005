// RUN: trilm-opt %s --convert-ternary-to-gpu -split-input-file -verify-diagnostics

func.func @int8(%q: tensor<1x256xi8>, %as: tensor<1xf32>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.from_storage %w : tensor<16x64xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op int8 activations are not supported by the GPU kernels yet; they take f16 activations}}
  %r = ternary.matmul %q act_scales(%as : tensor<1xf32>), %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xi8>, !ternary.packed<16x256, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

func.func @f32_activations(%x: tensor<1x256xf32>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.from_storage %w : tensor<16x64xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op GPU kernels take f16 activations, got 'f32' (round-activations rounds them)}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf32>, !ternary.packed<16x256, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

func.func @f16_result(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf16> {
  %p = ternary.from_storage %w : tensor<16x64xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op GPU kernels write f32 results, got 'f16'}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf16>, !ternary.packed<16x256, tq2> -> tensor<1x16xf16>
  return %r : tensor<1x16xf16>
}

// -----

func.func @interleaved(%x: tensor<1x256xf16>, %w: tensor<4x256xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.from_storage %w : tensor<4x256xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  // expected-error @+1 {{'ternary.matmul' op GPU kernels read row-major weights, got layout #ternary.row_interleave<4>}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf16>, !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

func.func @computed(%x: tensor<1x256xf16>, %t: tensor<16x256xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.pack %t : tensor<16x256xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op GPU kernels read weights from ternary.from_storage or ternary.constant, not computed ones}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf16>, !ternary.packed<16x256, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

func.func @storage_shape(%x: tensor<1x256xf16>, %w: tensor<32x32xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.from_storage %w : tensor<32x32xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op GPU kernels need the weights' bytes in their storage shape 'tensor<16x64xi8>'}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf16>, !ternary.packed<16x256, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}

// -----

func.func @cpu_config(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>) -> tensor<1x16xf32> {
  %p = ternary.from_storage %w : tensor<16x64xi8> -> !ternary.packed<16x256, tq2>
  // expected-error @+1 {{'ternary.matmul' op has a kernel_config for another target: #ternary_cpu.matmul_config}}
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 4, block_act_rows = 1, streams = 1, int8_dot = generic>} : tensor<1x256xf16>, !ternary.packed<16x256, tq2> -> tensor<1x16xf32>
  return %r : tensor<1x16xf32>
}
