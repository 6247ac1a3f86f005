func.func @layers(%x: tensor<?x64xf32>, %buffer: tensor<?xi8>) -> tensor<?x64xf32> {
  %r = llm.layers 3 (%layer) iter_args(%h = %x) : tensor<?x64xf32> {
    %w = llm.weight %buffer[0 + %layer * 256] : tensor<?xi8> -> tensor<64xf32>
    %n = llm.rms_norm %h, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    llm.yield %n : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}
