func.func @cpu_kernel_ops(%q: tensor<?x700xi8>, %as: tensor<?xf32>, %w: !ternary.packed<37x700, tq2>, %s: tensor<1x2xf32>,
                          %x: tensor<3x300xbf16>, %w1: !ternary.packed<8x300, tq1>, %s1: tensor<1x1xf16>, %i: index) {
  %p, %sums = ternary_cpu.prepare_activations %q groups #ternary.scale_groups<k = [300]> scheme tq2 : tensor<?x700xi8> -> tensor<?x1024xi8>, tensor<?x4xi32>
  %t = ternary_cpu.tile_matmul %p block_sums(%sums : tensor<?x4xi32>) act_scales(%as : tensor<?xf32>), %w[%i, %i] groups #ternary.scale_groups<k = [300]> scales(%s : tensor<1x2xf32>) dot avx512_vnni : tensor<?x1024xi8>, !ternary.packed<37x700, tq2> -> vector<2x4xf32>
  %f = ternary_cpu.prepare_activations %x groups #ternary.scale_groups<tensor> scheme tq1 : tensor<3x300xbf16> -> tensor<3x640xf32>
  %u = ternary_cpu.tile_matmul %f, %w1[%i, %i] groups #ternary.scale_groups<tensor> scales(%s1 : tensor<1x1xf16>) dot generic prefetch 512 : tensor<3x640xf32>, !ternary.packed<8x300, tq1> -> vector<1x8xf32>
  return
}
