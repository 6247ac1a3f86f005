// RUN: trilm-opt %s -split-input-file -verify-diagnostics

func.func @interleaved(%x: tensor<1x256xf16>, %w: tensor<4x256xi8>, %s: tensor<1x1xf32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op GPU kernels read row-major weights, got '!ternary.packed<16x256, tq2, #ternary.row_interleave<4>>'}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<4x256xi8>, tensor<1x1xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2, #ternary.row_interleave<4>>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return
}

// -----

func.func @f32_activations(%x: tensor<1x256xf32>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op input must be M x 256 f16 activations, got 'tensor<1x256xf32>'}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf32>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return
}

// -----

func.func @init_rows(%x: tensor<2x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>, %y: tensor<3x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op init must be M x 16 f32 with the input's M, got 'tensor<3x16xf32>'}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<2x256xf16>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%y : tensor<3x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<3x16xf32>
  return
}

// -----

func.func @storage_shape(%x: tensor<1x256xf16>, %w: tensor<16x32xi8>, %s: tensor<1x1xf32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op storage must have the shape and type of 'tensor<16x64xi8>', got 'tensor<16x32xi8>'}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x32xi8>, tensor<1x1xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return
}

// -----

func.func @scales_shape(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x2xf32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op scales shape [1, 2] does not match the [1, 1] scale groups of a 16x256 matrix}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x64xi8>, tensor<1x2xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return
}

// -----

func.func @mixed(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>, %y: memref<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op operands must be all tensors or all memrefs}}
  ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%y : memref<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

func.func @no_result(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op on tensors, the op returns one tensor}}
  ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x64xi8>, tensor<1x1xf32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1>
  return
}

// -----

func.func @scale_type(%x: tensor<1x256xf16>, %w: tensor<16x64xi8>, %s: tensor<1x1xi32>, %y: tensor<1x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op scales must be f32, f16 or bf16, got 'i32'}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<1x256xf16>, tensor<16x64xi8>, tensor<1x1xi32>) outs(%y : tensor<1x16xf32>) weights(!ternary.packed<16x256, tq2>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1> -> tensor<1x16xf32>
  return
}

// -----

// expected-error @+1 {{warps must be between 1 and 32, got 33}}
func.func @warps() attributes {config = #ternary_gpu.matmul_config<warps = 33, row_tiles = 1, blocks_per_step = 1>} {
  return
}

// -----

// expected-error @+1 {{blocks_per_step must be between 1 and 8, got 0}}
func.func @blocks_per_step() attributes {config = #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 0>} {
  return
}

// -----

// expected-error @+1 {{row_tiles must divide warps 8, got 3}}
func.func @row_tiles() attributes {config = #ternary_gpu.matmul_config<warps = 8, row_tiles = 3, blocks_per_step = 1>} {
  return
}

// -----

// expected-error @+1 {{prompt_rows must be 16, 32, 48 or 64, got 24}}
func.func @prompt_rows() attributes {config = #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 24, prompt_stages = 4>} {
  return
}

// -----

// expected-error @+1 {{prompt_stages must be between 2 and 8, got 1}}
func.func @prompt_stages() attributes {config = #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 64, prompt_stages = 1>} {
  return
}

// -----

// expected-error @+1 {{prompt_stages 6 of 64 rows need 55296 bytes of shared memory, more than 49152}}
func.func @prompt_shared_memory() attributes {config = #ternary_gpu.matmul_config<warps = 8, row_tiles = 1, blocks_per_step = 1, prompt_rows = 64, prompt_stages = 6>} {
  return
}

// -----

func.func @prompt_tq1(%x: tensor<16x256xf16>, %w: tensor<16x52xi8>, %s: tensor<1x1xf32>, %y: tensor<16x16xf32>) {
  // expected-error @+1 {{'ternary_gpu.matmul' op the prompt kernel reads 2-bit (tq2) weights; '!ternary.packed<16x256, tq1>' takes a configuration without prompt_rows}}
  %r = ternary_gpu.matmul ins(%x, %w, %s : tensor<16x256xf16>, tensor<16x52xi8>, tensor<1x1xf32>) outs(%y : tensor<16x16xf32>) weights(!ternary.packed<16x256, tq1>) groups #ternary.scale_groups<tensor> config #ternary_gpu.matmul_config<warps = 1, row_tiles = 1, blocks_per_step = 1, prompt_rows = 16, prompt_stages = 2> -> tensor<16x16xf32>
  return
}
