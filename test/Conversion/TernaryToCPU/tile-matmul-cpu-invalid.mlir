// RUN: trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu" -ternary-select-kernels-cpu="lookup-tables=true" -ternary-tile-matmul-cpu -verify-diagnostics

// The kernel configuration asks for trit triples, but nothing re-laid the
// weights (a function argument): a clear error, not the tiles.
func.func @not_relaid(%x: tensor<1x256xi8>, %as: tensor<1xf32>, %w: !ternary.packed<64x256, tq1>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  // expected-error @+1 {{'ternary.matmul' op has weights of type '!ternary.packed<64x256, tq1>', not #ternary.trit_triples as its kernel configuration asks: ternary-relayout-weights could not re-lay them}}
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xi8>, !ternary.packed<64x256, tq1> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
