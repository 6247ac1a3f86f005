// RUN: trilm-opt %s -ternary-relayout-weights="storage=true" | FileCheck %s

// Nothing to relayout, and no ternary op has loaded the dialect whose
// attributes the pass creates.
// CHECK-LABEL: func.func @no_ternary
// CHECK: arith.addf
func.func @no_ternary(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
