// RUN: trilm-opt %s -split-input-file -verify-diagnostics \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   | FileCheck %s

// A weight is a view of the weights buffer at its offset: no copy.
// CHECK-LABEL: func.func @weight_view
// CHECK-SAME: (%[[B:.*]]: memref<?xi8>, %[[L:.*]]: index)
// CHECK: %[[C:.*]] = arith.constant 4096 : index
// CHECK: %[[STRIDE:.*]] = arith.constant 8192 : index
// CHECK: %[[SCALED:.*]] = arith.muli %[[L]], %[[STRIDE]]
// CHECK: %[[OFF:.*]] = arith.addi %[[C]], %[[SCALED]]
// CHECK: %[[V:.*]] = memref.view %[[B]][%[[OFF]]][] : memref<?xi8> to memref<64xf32>
// CHECK-NOT: memref.copy
// CHECK: return %[[V]]
func.func @weight_view(%buffer: tensor<?xi8>, %layer: index) -> tensor<64xf32> {
  %w = llm.weight %buffer[4096 + %layer * 8192] : tensor<?xi8> -> tensor<64xf32>
  return %w : tensor<64xf32>
}

// -----

func.func @weight_of_strided_buffer(%buffer: tensor<?xi8>) -> tensor<4xf32> {
  %c = arith.constant 4 : index
  %n = tensor.dim %buffer, %c : tensor<?xi8>
  %s = tensor.extract_slice %buffer[0] [%n] [2] : tensor<?xi8> to tensor<?xi8>
  // expected-error @+2 {{failed to bufferize op}}
  // expected-error @+1 {{'llm.weight' op needs a contiguous weights buffer (an identity-layout memref), got 'memref<?xi8, strided<[2]>>'}}
  %w = llm.weight %s[0] : tensor<?xi8> -> tensor<4xf32>
  return %w : tensor<4xf32>
}
