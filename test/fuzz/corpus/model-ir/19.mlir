func.func @weight_of_strided_buffer(%buffer: tensor<?xi8>) -> tensor<4xf32> {
  %c = arith.constant 4 : index
  %n = tensor.dim %buffer, %c : tensor<?xi8>
  %s = tensor.extract_slice %buffer[0] [%n] [2] : tensor<?xi8> to tensor<?xi8>
  %w = llm.weight %s[0] : tensor<?xi8> -> tensor<4xf32>
  return %w : tensor<4xf32>
}
