// RUN: not trilm-opt %s -ternary-raise-matmul=packing=tq3 2>&1 | FileCheck %s

// CHECK: error: unknown packing 'tq3'; expected tq2 or tq1
func.func @f() {
  return
}
