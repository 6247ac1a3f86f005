func.func @prefetch(%w: tensor<64x256xi8>, %i: index) {
  ternary_cpu.prefetch %w[%i, %i] : tensor<64x256xi8>
  return
}
