// RUN: trilm-opt %s --convert-ternary-to-gpu=round-activations | FileCheck %s

// f32 activations are rounded to f16 for the kernel; results stay f32.
// CHECK-LABEL: func.func @f32_activations
// CHECK-SAME: (%[[X:.*]]: tensor<?x256xf32>,
// CHECK: %[[H:.*]] = arith.truncf %[[X]] : tensor<?x256xf32> to tensor<?x256xf16>
// CHECK: %[[M:.*]] = tensor.dim %[[H]], %{{.*}} : tensor<?x256xf16>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[M]]) : tensor<?x16xf32>
// CHECK: ternary_gpu.matmul ins(%[[H]], %{{.*}}, %{{.*}} : tensor<?x256xf16>, {{.*}}) outs(%[[INIT]] : tensor<?x16xf32>)
func.func @f32_activations(%x: tensor<?x256xf32>, %w: tensor<16x64xi8>, %s: tensor<1x1xf32>) -> tensor<?x16xf32> {
  %p = ternary.from_storage %w : tensor<16x64xi8> -> !ternary.packed<16x256, tq2>
  %r = ternary.matmul %x, %p groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<?x256xf32>, !ternary.packed<16x256, tq2> -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
