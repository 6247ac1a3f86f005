// RUN: trilm-opt %s --convert-llm-to-linalg --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @layers
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<?xi8>)
// CHECK: %[[R:.*]] = scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H:.*]] = %[[X]])
// CHECK:   %[[W:.*]] = llm.weight %[[B]][0 + %[[L]] * 256]
// CHECK:   linalg.generic {{.*}} ins(%[[H]], %{{.*}}, %[[W]] :
// CHECK:   scf.yield
// CHECK: return %[[R]]
func.func @layers(%x: tensor<?x64xf32>, %buffer: tensor<?xi8>) -> tensor<?x64xf32> {
  %r = llm.layers 3 (%layer) iter_args(%h = %x) : tensor<?x64xf32> {
    %w = llm.weight %buffer[0 + %layer * 256] : tensor<?xi8> -> tensor<64xf32>
    %n = llm.rms_norm %h, %w : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    llm.yield %n : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}

// -----

// The new rows go head-major into the caches, in their element type, then
// the scores are materialised, masked, normalised and contracted with the
// values.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: %[[KC:[^:]*]]: tensor<2x8x16xf16>, %[[VC:[^:]*]]: tensor<2x16x8xf16>, %[[S:.*]]: index
// CHECK: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape
// CHECK: %[[K:.*]] = linalg.generic {{.*}} ins(%[[ROWS]] : tensor<?x2x8xf32>) outs(%{{.*}} : tensor<2x8x?xf16>)
// CHECK: arith.truncf
// CHECK: %[[NEWK:.*]] = tensor.insert_slice %[[K]] into %[[KC]][0, 0, %[[S]]]
// CHECK: %[[V:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x?x8xf16>)
// CHECK: %[[NEWV:.*]] = tensor.insert_slice %[[V]] into %[[VC]][0, %[[S]], 0]
// CHECK: %[[SCORES:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: math.exp
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[OUT]] {{\[\[}}0], [1, 2, 3]]
// CHECK: return %[[FLAT]], %[[NEWK]], %[[NEWV]]
func.func @attention(%q: tensor<?x32xf32>, %k: tensor<?x16xf32>, %kc: tensor<2x8x16xf16>,
                     %vc: tensor<2x16x8xf16>, %start: index)
    -> (tensor<?x32xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>) {
  %o, %k2, %v2 = llm.attention %q, %k, %k, %kc, %vc, %start : tensor<?x32xf32>, tensor<?x16xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>
  return %o, %k2, %v2 : tensor<?x32xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>
}

// -----

// One static row (the decode entry point): the scores are built for a
// dynamic count, the result cast back.
// CHECK-LABEL: func.func @attention_one_row
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x32xf32>
// CHECK: %[[DYN:.*]] = tensor.cast %[[Q]] : tensor<1x32xf32> to tensor<?x32xf32>
// CHECK: tensor.expand_shape %[[DYN]] {{\[\[}}0], [1, 2, 3]] {{.*}} : tensor<?x32xf32> into tensor<?x2x2x8xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<?x2x2x8xf32> into tensor<?x32xf32>
// CHECK: tensor.cast %[[FLAT]] : tensor<?x32xf32> to tensor<1x32xf32>
func.func @attention_one_row(%q: tensor<1x32xf32>, %k: tensor<1x16xf32>, %kc: tensor<2x8x16xf16>,
                             %vc: tensor<2x16x8xf16>, %start: index)
    -> (tensor<1x32xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>) {
  %o, %k2, %v2 = llm.attention %q, %k, %k, %kc, %vc, %start : tensor<1x32xf32>, tensor<1x16xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>
  return %o, %k2, %v2 : tensor<1x32xf32>, tensor<2x8x16xf16>, tensor<2x16x8xf16>
}

// -----

// CHECK-LABEL: func.func @lm_head_last_rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<300x64xf16>, %[[R:.*]]: index)
// CHECK: %[[M:.*]] = tensor.dim %[[X]]
// CHECK: %[[FIRST:.*]] = arith.subi %[[M]], %[[R]]
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %[[X]][%[[FIRST]], 0] [%[[R]], 64] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[TAIL]], %[[W]] : tensor<?x64xf32>, tensor<300x64xf16>)
func.func @lm_head_last_rows(%x: tensor<?x64xf32>, %w: tensor<300x64xf16>, %r: index) -> tensor<?x300xf32> {
  %l = llm.lm_head %x, %w last %r : tensor<?x64xf32>, tensor<300x64xf16> -> tensor<?x300xf32>
  return %l : tensor<?x300xf32>
}
