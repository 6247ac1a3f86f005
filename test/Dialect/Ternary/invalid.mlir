// RUN: trilm-opt %s -split-input-file -verify-diagnostics

func.func @constant_wrong_storage() {
  // expected-error @+1 {{'ternary.constant' op value of type 'tensor<2x63xi8>' does not match the storage type 'tensor<2x64xi8>' of '!ternary.packed<2x100, tq2>'}}
  %0 = ternary.constant dense<1> : tensor<2x63xi8> -> !ternary.packed<2x100, tq2>
  return
}

// -----

func.func @from_storage_wrong_type(%bytes: tensor<2x52xi8>) {
  // expected-error @+1 {{'ternary.from_storage' op storage of type 'tensor<2x52xi8>' holds 104 bytes but '!ternary.packed<2x256, tq2>' takes 128 ('tensor<2x64xi8>')}}
  %0 = ternary.from_storage %bytes : tensor<2x52xi8> -> !ternary.packed<2x256, tq2>
  return
}

// -----

func.func @constant_short_blob() {
  // expected-error @+1 {{'ternary.constant' op resource blob 'short' holds 4 bytes but 'tensor<1x64xi8>' needs 64}}
  %0 = ternary.constant dense_resource<short> : tensor<1x64xi8> -> !ternary.packed<1x256, tq2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short: "0x0100000055555555"
    }
  }
#-}

// -----

// A tq2 code 3 would be computed as a trit of +2 by every lowering.
func.func @constant_tq2_code_3() {
  // expected-error @+1 {{'ternary.constant' op packed bytes hold a code no packer produces: byte 0 (block 0, qs[0]) has value 255 with invalid 2-bit code 3}}
  %0 = ternary.constant dense<-1> : tensor<1x64xi8> -> !ternary.packed<1x256, tq2>
  return
}

// -----

func.func @constant_tq1_byte() {
  %0 = ternary.constant dense<0> : tensor<1x52xi8> -> !ternary.packed<1x256, tq1>
  // expected-error @+1 {{'ternary.constant' op packed bytes hold a code no packer produces: byte 0 (block 0, qs[0]) has value 1, which the TQ1 encoder never produces}}
  %1 = ternary.constant dense<1> : tensor<1x52xi8> -> !ternary.packed<1x256, tq1>
  return
}

// -----

func.func @from_storage_of_a_bad_constant() {
  %bytes = arith.constant dense_resource<code3> : tensor<1x64xi8>
  // expected-error @+1 {{'ternary.from_storage' op packed bytes hold a code no packer produces: byte 2 (block 0, qs[2])}}
  %0 = ternary.from_storage %bytes : tensor<1x64xi8> -> !ternary.packed<1x256, tq2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      code3: "0x0100000055550355555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555555"
    }
  }
#-}

// -----

func.func @pack_short_blob() {
  %t = arith.constant dense_resource<short_trits> : tensor<2x256xi8>
  // expected-error @+1 {{'ternary.pack' op resource blob 'short_trits' holds 4 bytes but 'tensor<2x256xi8>' needs 512}}
  %0 = ternary.pack %t : tensor<2x256xi8> -> !ternary.packed<2x256, tq2>
  return
}

{-#
  dialect_resources: {
    builtin: {
      short_trits: "0x0100000001000000"
    }
  }
#-}

// -----

// A 64Ki x 64Ki splat is checked through its one value, not 4 Gi of them.
func.func @pack_huge_non_ternary_splat() {
  %t = arith.constant dense<2> : tensor<65536x65536xi8>
  // expected-error @+1 {{'ternary.pack' op constant trits hold 2 at [0, 0]; trits must be -1, 0 or +1}}
  %0 = ternary.pack %t : tensor<65536x65536xi8> -> !ternary.packed<65536x65536, tq2>
  return
}

// -----

func.func @pack_shape(%t: tensor<4x299xi8>) {
  // expected-error @+1 {{'ternary.pack' op trits shape [4, 299] does not match the packed matrix [4, 300]}}
  %0 = ternary.pack %t : tensor<4x299xi8> -> !ternary.packed<4x300, tq1>
  return
}

// -----

func.func @pack_non_ternary_constant() {
  %t = arith.constant dense<[[1, 0], [2, -1]]> : tensor<2x2xi8>
  // expected-error @+1 {{'ternary.pack' op constant trits hold 2 at [1, 0]; trits must be -1, 0 or +1}}
  %0 = ternary.pack %t : tensor<2x2xi8> -> !ternary.packed<2x2, tq2>
  return
}

// -----

func.func @pack_element_type(%t: tensor<2x2xi32>) {
  // expected-error @+1 {{'ternary.pack' op operand #0 must be ranked tensor of 8-bit signless integer values}}
  %0 = ternary.pack %t : tensor<2x2xi32> -> !ternary.packed<2x2, tq2>
  return
}

// -----

func.func @unpack_shape(%w: !ternary.packed<4x300, tq2>) {
  // expected-error @+1 {{'ternary.unpack' op result shape [300, 4] does not match the packed matrix [4, 300]}}
  %0 = ternary.unpack %w : !ternary.packed<4x300, tq2> -> tensor<300x4xi8>
  return
}

// -----

func.func @unpack_trits_type(%w: !ternary.packed<4x300, tq2>) {
  // expected-error @+1 {{'ternary.unpack' op result must have i8 elements when unpacking trits, got 'f32'}}
  %0 = ternary.unpack %w : !ternary.packed<4x300, tq2> -> tensor<4x300xf32>
  return
}

// -----

func.func @unpack_scaled_type(%w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.unpack' op result must have f32, f16 or bf16 elements when unpacking with scales, got 'i8'}}
  %0 = ternary.unpack %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : !ternary.packed<4x300, tq2> -> tensor<4x300xi8>
  return
}

// -----

func.func @unpack_scales_without_groups(%w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.unpack' op scales given without scale groups}}
  %0 = "ternary.unpack"(%w, %s) : (!ternary.packed<4x300, tq2>, tensor<1x1xf32>) -> tensor<4x300xf32>
  return
}

// -----

func.func @unpack_groups_without_scales(%w: !ternary.packed<4x300, tq2>) {
  // expected-error @+1 {{'ternary.unpack' op scale groups given without scales}}
  %0 = "ternary.unpack"(%w) {groups = #ternary.scale_groups<tensor>} : (!ternary.packed<4x300, tq2>) -> tensor<4x300xi8>
  return
}

// -----

func.func @unpack_scales_shape(%w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.unpack' op scales shape [1, 1] does not match the [2, 1] scale groups of a 4x300 matrix}}
  %0 = ternary.unpack %w groups #ternary.scale_groups<n = [2]> scales(%s : tensor<1x1xf32>) : !ternary.packed<4x300, tq2> -> tensor<4x300xf32>
  return
}

// -----

func.func @split_outside(%w: !ternary.packed<4x300, tq2>, %s: tensor<1x2xf32>) {
  // expected-error @+1 {{'ternary.unpack' op scale group split 300 along k is outside the 300 columns}}
  %0 = ternary.unpack %w groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) : !ternary.packed<4x300, tq2> -> tensor<4x300xf32>
  return
}

// -----

func.func @split_outside_rows(%x: tensor<1x300xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<2x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op scale group split 7 along n is outside the 4 rows}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<n = [7]> scales(%s : tensor<2x1xf32>) : tensor<1x300xf32>, !ternary.packed<4x300, tq2> -> tensor<1x4xf32>
  return
}

// -----

func.func @quantize_shape(%x: tensor<4x16xf32>) {
  // expected-error @+1 {{'ternary.quantize' op quantized shape [4, 8] does not match the input shape [4, 16]}}
  %q, %s = ternary.quantize %x : tensor<4x16xf32> -> tensor<4x8xi8>, tensor<4xf32>
  return
}

// -----

func.func @quantize_scales(%x: tensor<4x16xf32>) {
  // expected-error @+1 {{'ternary.quantize' op scales shape [16] must be [4]}}
  %q, %s = ternary.quantize %x : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<16xf32>
  return
}

// -----

func.func @quantize_rank(%x: tensor<16xf32>) {
  // expected-error @+1 {{'ternary.quantize' op input must be a 2-D tensor (rows x K), got rank 1}}
  %q, %s = ternary.quantize %x : tensor<16xf32> -> tensor<16xi8>, tensor<16xf32>
  return
}

// -----

func.func @quantize_eps(%x: tensor<4x16xf32>) {
  // expected-error @+1 {{'ternary.quantize' op eps must be positive, got 0}}
  %q, %s = ternary.quantize %x {eps = 0.0 : f32} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4xf32>
  return
}

// -----

func.func @matmul_k(%x: tensor<2x128xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op input shape [2, 128] must be [M, 300] to match the 4x300 weights}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x128xf32>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_result(%x: tensor<?x300xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op result shape [3, 4] must be [?, 4]}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x300xf32>, !ternary.packed<4x300, tq2> -> tensor<3x4xf32>
  return
}

// -----

func.func @matmul_int8_without_scales(%x: tensor<2x300xi8>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op i8 activations need act_scales (one f32 per row)}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x300xi8>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_act_scales_shape(%x: tensor<2x300xi8>, %as: tensor<3xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op act_scales shape [3] must be [2]}}
  %0 = ternary.matmul %x act_scales(%as : tensor<3xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x300xi8>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_float_with_act_scales(%x: tensor<2x300xf32>, %as: tensor<2xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op act_scales are only allowed with i8 activations}}
  %0 = ternary.matmul %x act_scales(%as : tensor<2xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x300xf32>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_element_type(%x: tensor<2x300xi32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op activations must be f32, f16, bf16 or i8, got 'i32'}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<2x300xi32>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_scales_shape(%x: tensor<2x300xf32>, %w: !ternary.packed<4x300, tq2>, %s: tensor<1x1xf32>) {
  // expected-error @+1 {{'ternary.matmul' op scales shape [1, 1] does not match the [4, 2] scale groups of a 4x300 matrix}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<n = block 1, k = block 256> scales(%s : tensor<1x1xf32>) : tensor<2x300xf32>, !ternary.packed<4x300, tq2> -> tensor<2x4xf32>
  return
}

// -----

// Block 1 along K = 2^40 would enumerate 2^40 groups.
func.func @matmul_too_many_groups(%x: tensor<1x1099511627776xf32>, %w: !ternary.packed<1x1099511627776, tq2>, %s: tensor<1x1099511627776xf32>) {
  // expected-error @+1 {{'ternary.matmul' op 1099511627776 scale groups along k exceed the limit of 1048576}}
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<k = block 1> scales(%s : tensor<1x1099511627776xf32>) : tensor<1x1099511627776xf32>, !ternary.packed<1x1099511627776, tq2> -> tensor<1x1xf32>
  return
}
