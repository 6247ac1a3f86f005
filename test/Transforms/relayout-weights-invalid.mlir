// RUN: not trilm-opt %s -ternary-relayout-weights=rows=3 2>&1 | FileCheck %s

// CHECK: error: row_interleave factor must be a power of two between 2 and 64, got 3
func.func @f() {
  return
}
