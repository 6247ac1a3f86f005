// RUN: trilm-opt %s --trilm-gpu-merge-kernel-modules | FileCheck %s

// Every kernel ends in the first gpu.module; a clashing name is renamed and
// its launch follows.
// CHECK: gpu.module @first {
// CHECK:   gpu.func @scale(
// CHECK:   gpu.func @copy(
// CHECK:   gpu.func @scale_0(
// CHECK: }
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @host(
// CHECK: gpu.launch_func @first::@scale
// CHECK: gpu.launch_func @first::@copy
// CHECK: gpu.launch_func @first::@scale_0
module attributes {gpu.container_module} {
  gpu.module @first {
    gpu.func @scale(%x: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @second {
    gpu.func @copy(%x: memref<4xf32>) kernel { gpu.return }
  }
  gpu.module @third {
    gpu.func @scale(%x: memref<4xf32>) kernel { gpu.return }
  }
  func.func @host(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @second::@copy blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @third::@scale blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
}
