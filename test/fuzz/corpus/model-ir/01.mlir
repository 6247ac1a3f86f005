func.func @weights(%buffer: tensor<?xi8>, %layer: index) -> (tensor<300x64xf16>, tensor<64xf32>) {
  %table = llm.weight %buffer[64] : tensor<?xi8> -> tensor<300x64xf16>
  %norm = llm.weight %buffer[4096 + %layer * 8192] : tensor<?xi8> -> tensor<64xf32>
  return %table, %norm : tensor<300x64xf16>, tensor<64xf32>
}
