func.func @pack_unpack(%t: tensor<4x300xi8>, %s: tensor<2x1xf16>) -> (tensor<4x300xi8>, tensor<4x300xf32>) {
  %w = ternary.pack %t : tensor<4x300xi8> -> !ternary.packed<4x300, tq1>
  %u = ternary.unpack %w : !ternary.packed<4x300, tq1> -> tensor<4x300xi8>
  %f = ternary.unpack %w groups #ternary.scale_groups<n = [2]> scales(%s : tensor<2x1xf16>) : !ternary.packed<4x300, tq1> -> tensor<4x300xf32>
  return %u, %f : tensor<4x300xi8>, tensor<4x300xf32>
}
