// RUN: not trilm-opt %s -ternary-raise-matmul=packing=tq3 2>&1 | FileCheck %s

// The packing is one of the dialect's schemes.
// CHECK: for the --packing option: Cannot find option named 'tq3'!
func.func @f() {
  return
}
