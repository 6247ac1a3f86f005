func.func @constant() -> (!ternary.packed<2x100, tq2>, !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>) {
  %0 = ternary.constant dense<1> : tensor<2x64xi8> -> !ternary.packed<2x100, tq2>
  %1 = ternary.constant dense_resource<blob> : tensor<1x104xi8> -> !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>
  return %0, %1 : !ternary.packed<2x100, tq2>, !ternary.packed<2x256, tq1, #ternary.row_interleave<2>>
}
