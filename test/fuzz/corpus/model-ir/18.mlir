func.func @weight_view(%buffer: tensor<?xi8>, %layer: index) -> tensor<64xf32> {
  %w = llm.weight %buffer[4096 + %layer * 8192] : tensor<?xi8> -> tensor<64xf32>
  return %w : tensor<64xf32>
}
