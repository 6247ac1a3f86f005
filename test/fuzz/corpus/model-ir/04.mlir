func.func @lm_head(%x: tensor<?x64xf32>, %w: tensor<300x64xf16>, %rows: index) -> (tensor<?x300xf32>, tensor<?x300xf32>) {
  %all = llm.lm_head %x, %w : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  %last = llm.lm_head %x, %w last %rows : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %all, %last : tensor<?x300xf32>, tensor<?x300xf32>
}
