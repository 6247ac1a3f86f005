// The int8 kernels compile to the dot-product instruction of each target.
//
// RUN: trilm-opt %s --trilm-cpu-pipeline="threads=false triple=x86_64-linux-gnu cpu=x86-64-v4 features=+avx512vnni" \
// RUN: | mlir-translate --mlir-to-llvmir \
// RUN: | llc -O3 -mtriple=x86_64-linux-gnu -mcpu=x86-64-v4 -mattr=+avx512vnni \
// RUN: | FileCheck %s --check-prefix=AVX512
// RUN: trilm-opt %s --trilm-cpu-pipeline="threads=false triple=x86_64-linux-gnu cpu=x86-64-v3 features=+avxvnni" \
// RUN: | mlir-translate --mlir-to-llvmir \
// RUN: | llc -O3 -mtriple=x86_64-linux-gnu -mcpu=x86-64-v3 -mattr=+avxvnni \
// RUN: | FileCheck %s --check-prefix=AVXVNNI
// RUN: trilm-opt %s --trilm-cpu-pipeline="threads=false triple=aarch64-linux-gnu features=+neon,+dotprod" \
// RUN: | mlir-translate --mlir-to-llvmir \
// RUN: | llc -O3 -mtriple=aarch64-linux-gnu -mattr=+neon,+dotprod \
// RUN: | FileCheck %s --check-prefix=NEON

// AVX512: vpdpbusd {{.*}}zmm
// AVXVNNI: {vex} vpdpbusd {{.*}}ymm
// NEON: sdot v{{[0-9]+}}.4s, v{{[0-9]+}}.16b, v{{[0-9]+}}.16b
func.func @gemv(%x: tensor<1x512xi8>, %as: tensor<1xf32>, %w: !ternary.packed<64x512, tq2>, %s: tensor<1x1xf32>) -> tensor<1x64xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x512xi8>, !ternary.packed<64x512, tq2> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
