func.func @elementwise(%table: tensor<300x64xbf16>, %tokens: tensor<?xi32>,
                       %w: tensor<64xf16>, %start: index) -> tensor<?x64xf32> {
  %x = llm.embedding %table[%tokens] : tensor<300x64xbf16>, tensor<?xi32> -> tensor<?x64xf32>
  %n = llm.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : tensor<?x64xf32>, tensor<64xf16> -> tensor<?x64xf32>
  %r = llm.rope rotate_half %n, %start {head_dim = 16 : i64, theta = 1.0e4 : f32} : tensor<?x64xf32>
  %s = llm.rope interleaved %r, %start {head_dim = 64 : i64, theta = 5.0e5 : f32, scaling = #llm.rope_scaling<linear, 4.0 : f32>} : tensor<?x64xf32>
  %g = llm.gated_activation silu %s, %n : tensor<?x64xf32>
  %h = llm.gated_activation relu2 %g, %n : tensor<?x64xf32>
  return %h : tensor<?x64xf32>
}
