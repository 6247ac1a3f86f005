// RUN: trilm-opt %s -canonicalize -ternary-relayout-weights="remarks=true" -split-input-file -verify-diagnostics | FileCheck %s
// RUN: trilm-opt %s -canonicalize -ternary-relayout-weights="storage=true" -split-input-file | FileCheck %s --check-prefix=STORAGE

#config = #ternary_cpu.matmul_config<rows = 2, act_rows = 1, block_rows = 2, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.row_interleave<2>>

// Rows 0 and 1 (codes 0x56 0x55 0x54 0x56 ... and 0x55 0x55 0x56 0x54 ...)
// become one storage row: block 0 of row 0, then block 0 of row 1.
// CHECK-LABEL: func.func @interleave
// CHECK: %[[W:.*]] = ternary.constant dense_resource<[[BLOB:.*]]> : tensor<1x128xi8> -> !ternary.packed<2x4, tq2, #ternary.row_interleave<2>>
// CHECK: ternary.matmul %{{.*}}, %[[W]] {{.*}} : tensor<1x4xf32>, !ternary.packed<2x4, tq2, #ternary.row_interleave<2>> -> tensor<1x2xf32>
// CHECK: [[BLOB]]: "0x08000000565554565555
// CHECK-SAME: 55555556545555
func.func @interleave(%x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> tensor<1x2xf32> {
  %t = arith.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>
  %w = ternary.pack %t : tensor<2x4xi8> -> !ternary.packed<2x4, tq2>
  %c = ternary.unpack %w : !ternary.packed<2x4, tq2> -> tensor<2x4xi8>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #config} : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Weights read from outside the module change type only when asked: their
// writer must follow it.
// CHECK-LABEL: func.func @storage
// CHECK: ternary.from_storage %{{.*}} : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
// STORAGE-LABEL: func.func @storage
// STORAGE: ternary.from_storage %{{.*}} : tensor<2x64xi8> -> !ternary.packed<2x4, tq2, #ternary.row_interleave<2>>
func.func @storage(%bytes: tensor<2x64xi8>, %x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> tensor<1x2xf32> {
  %w = ternary.from_storage %bytes : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 2, act_rows = 1, block_rows = 2, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.row_interleave<2>>} : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @odd_rows(%x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> tensor<1x3xf32> {
  // expected-remark @+1 {{weights keep their layout: row_interleave<2> needs a number of rows divisible by 2, got 3}}
  %w = ternary.constant dense<85> : tensor<3x64xi8> -> !ternary.packed<3x4, tq2>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 2, act_rows = 1, block_rows = 2, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.row_interleave<2>>} : tensor<1x4xf32>, !ternary.packed<3x4, tq2> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

func.func @returned() -> !ternary.packed<2x4, tq2> {
  // expected-remark @+1 {{weights keep their layout: 'func.return' uses them and expects their type unchanged}}
  %w = ternary.constant dense<85> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  return %w : !ternary.packed<2x4, tq2>
}

// -----

func.func @unconfigured(%x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> tensor<1x2xf32> {
  // expected-remark @+1 {{weights keep their layout: a matmul using them has no kernel_config}}
  %w = ternary.constant dense<85> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

func.func @disagreeing(%x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  // expected-remark @+1 {{weights keep their layout: their matmuls ask for different layouts}}
  %w = ternary.constant dense<85> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 2, act_rows = 1, block_rows = 2, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.row_interleave<2>>} : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  %z = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 1, act_rows = 1, block_rows = 1, block_act_rows = 1, streams = 1, int8_dot = generic>} : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  return %y, %z : tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// Codes are verified with the constant; padding trits (beyond K) only when
// the rows are unpacked here.
func.func @nonzero_padding(%x: tensor<1x4xf32>, %s: tensor<1x1xf32>) -> tensor<1x2xf32> {
  // expected-remark @+1 {{weights keep their layout: byte 4 (row 0, block 0, qs[4]): padding trit for element 4 (beyond k = 4) is not zero}}
  %w = ternary.constant dense<86> : tensor<2x64xi8> -> !ternary.packed<2x4, tq2>
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 2, act_rows = 1, block_rows = 2, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.row_interleave<2>>} : tensor<1x4xf32>, !ternary.packed<2x4, tq2> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
