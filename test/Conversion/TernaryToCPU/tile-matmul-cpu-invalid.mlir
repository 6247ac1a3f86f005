// RUN: trilm-opt %s -ternary-tile-matmul-cpu -verify-diagnostics

// A kernel configuration that asks for trit triples where nothing re-laid
// the weights: a clear error, not the tiles.
func.func @not_relaid(%x: tensor<1x256xi8>, %as: tensor<1xf32>, %w: !ternary.packed<64x256, tq1>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  // expected-error @+1 {{'ternary.matmul' op has weights of type '!ternary.packed<64x256, tq1>', not #ternary.trit_triples as its kernel configuration asks: ternary-relayout-weights could not re-lay them}}
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) {kernel_config = #ternary_cpu.matmul_config<rows = 64, act_rows = 1, block_rows = 64, block_act_rows = 1, streams = 1, int8_dot = generic, weight_layout = #ternary.trit_triples>} : tensor<1x256xi8>, !ternary.packed<64x256, tq1> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
