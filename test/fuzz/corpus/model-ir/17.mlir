func.func @kernel_config(%x: tensor<1x256xf32>, %w: !ternary.packed<64x256, tq2>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 4, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 4, prefetch_bytes = 2048, int8_dot = avx512_vnni, weight_layout = #ternary.row_interleave<4>>} : tensor<1x256xf32>, !ternary.packed<64x256, tq2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
