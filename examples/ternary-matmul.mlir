// A 2 x 12 by 12 x 4 float matmul whose weights are ternary: every weight
// is 0 or +/- the scale of its shard along K (0.5 for k < 6, 0.25 after), as in
// a TriLM row-parallel layer. `ternary-raise-matmul` recovers the two scale
// groups and replaces the weights with packed trits.
func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  %x = arith.constant dense<[[-1.59, 0.28, -1.25, -1.61, 0.85, 0.26, 0.48, -0.01, 0.13, 1.11, -0.14, 1.69], [-0.55, -1.01, -1.28, 1.12, -1.67, -0.80, -0.02, -0.63, -0.20, 0.44, -1.71, 0.05]]> : tensor<2x12xf32>
  %w = arith.constant dense<
    [[0.00, -0.50, 0.00, 0.50], [-0.50, -0.50, 0.50, -0.50], [0.00, 0.50, -0.50, 0.50], [-0.50, -0.50, -0.50, 0.00], [0.00, -0.50, -0.50, -0.50], [0.50, 0.00, -0.50, 0.50], [-0.25, -0.25, 0.25, 0.25], [0.25, -0.25, 0.25, 0.25], [0.00, -0.25, -0.25, -0.25], [0.25, -0.25, 0.00, 0.00], [-0.25, 0.25, -0.25, 0.25], [0.00, 0.25, 0.25, -0.25]]> : tensor<12x4xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x12xf32>, tensor<12x4xf32>)
                     outs(%init : tensor<2x4xf32>) -> tensor<2x4xf32>
  %printable = tensor.cast %y : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%printable) : (tensor<*xf32>) -> ()
  return
}
