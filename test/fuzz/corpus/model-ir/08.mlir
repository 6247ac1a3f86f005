func.func @from_storage_any_shape(%bytes: tensor<16x64xi8>) -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>> {
  %w = ternary.from_storage %bytes : tensor<16x64xi8> -> !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
  return %w : !ternary.packed<16x256, tq2, #ternary.row_interleave<4>>
}
