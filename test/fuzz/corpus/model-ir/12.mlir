func.func @matmul(%x: tensor<?x1536xf16>, %xb: tensor<7x1536xbf16>, %q: tensor<?x1536xi8>, %as: tensor<?xf32>,
                  %xf: tensor<?x1536xf32>, %w: !ternary.packed<896x1536, tq2>,
                  %s1: tensor<1x1xf32>, %s2: tensor<2x1xf32>, %s3: tensor<1x3xf32>, %s4: tensor<896x6xf16>, %s5: tensor<2x2xf32>) {
  %0 = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s1 : tensor<1x1xf32>) : tensor<?x1536xf16>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %1 = ternary.matmul %xb, %w groups #ternary.scale_groups<n = [448]> scales(%s2 : tensor<2x1xf32>) : tensor<7x1536xbf16>, !ternary.packed<896x1536, tq2> -> tensor<7x896xbf16>
  %2 = ternary.matmul %q act_scales(%as : tensor<?xf32>), %w groups #ternary.scale_groups<k = [512, 1024]> scales(%s3 : tensor<1x3xf32>) : tensor<?x1536xi8>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %3 = ternary.matmul %xf, %w groups #ternary.scale_groups<n = block 1, k = block 256> scales(%s4 : tensor<896x6xf16>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  %4 = ternary.matmul %xf, %w groups #ternary.scale_groups<k = [768], n = [448]> scales(%s5 : tensor<2x2xf32>) : tensor<?x1536xf32>, !ternary.packed<896x1536, tq2> -> tensor<?x896xf32>
  return
}
