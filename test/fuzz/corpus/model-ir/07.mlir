func.func @from_storage(%bytes: tensor<4x256xi8>) -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> {
  %0 = ternary.from_storage %bytes : tensor<4x256xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  return %0 : !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
}
