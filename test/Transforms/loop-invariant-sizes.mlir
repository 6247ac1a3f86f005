// RUN: trilm-opt %s -trilm-loop-invariant-sizes -split-input-file | FileCheck %s

// Each iteration keeps the carried tensor's rows: their count comes from the
// initial value, outside the loop.
// CHECK-LABEL: func.func @kept
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %{{.*}}
// CHECK: scf.for
// CHECK: tensor.empty(%[[ROWS]]) : tensor<?x64xf32>
func.func @kept(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x) -> tensor<?x64xf32> {
    %rows = tensor.dim %h, %c0 : tensor<?x64xf32>
    %e = tensor.empty(%rows) : tensor<?x64xf32>
    %y = linalg.add ins(%h, %h : tensor<?x64xf32>, tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) -> tensor<?x64xf32>
    scf.yield %y : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}

// -----

// A loop that drops a row each time keeps its own count.
// CHECK-LABEL: func.func @shrinking
// CHECK: scf.for {{.*}} iter_args(%[[H:.*]] = %{{.*}})
// CHECK: tensor.dim %[[H]]
func.func @shrinking(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%h = %x) -> tensor<?x64xf32> {
    %rows = tensor.dim %h, %c0 : tensor<?x64xf32>
    %fewer = arith.subi %rows, %c1 : index
    %s = tensor.extract_slice %h[0, 0] [%fewer, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
    scf.yield %s : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}
