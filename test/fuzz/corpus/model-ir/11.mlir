func.func @quantize(%x: tensor<?x512xbf16>, %y: tensor<4x16xf32>) {
  %q, %s = ternary.quantize %x : tensor<?x512xbf16> -> tensor<?x512xi8>, tensor<?xf32>
  %q2, %s2 = ternary.quantize %y {eps = 1.0e-3 : f32} : tensor<4x16xf32> -> tensor<4x16xi8>, tensor<4xf32>
  return
}
