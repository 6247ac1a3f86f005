// trilm-compile picks the int8 instructions from the target and writes LLVM IR
// or object files in process.
// RUN: trilm-compile %s --target=x86_64 --cpu=znver4 --emit=llvm -o - | FileCheck %s --check-prefix=LLVM
// RUN: trilm-compile %s --target=x86_64 --cpu=znver4 -o %t.x86.o
// RUN: llvm-objdump -d %t.x86.o | FileCheck %s --check-prefix=X86
// RUN: llvm-nm --undefined-only %t.x86.o | FileCheck %s --check-prefix=UNDEF
// RUN: trilm-compile %s --target=x86_64 --cpu=x86-64-v3 --features=+avxvnni -o %t.avxvnni.o
// RUN: llvm-objdump -d %t.avxvnni.o | FileCheck %s --check-prefix=AVXVNNI
// RUN: trilm-compile %s --target=aarch64 --features=+neon,+dotprod --openmp=false -o %t.arm.o
// RUN: llvm-objdump -d %t.arm.o | FileCheck %s --check-prefix=ARM
// RUN: trilm-compile %s --target=aarch64 --openmp=false --emit=mlir | FileCheck %s --check-prefix=PORTABLE

// LLVM: define {{.*}} @gemv(
// LLVM: "target-cpu"="znver4"
// The object needs only libc and the OpenMP runtime (a GEMV this large is
// split between threads), no MLIR runtime library.
// UNDEF-NOT: {{memrefCopy|_mlir_}}
// UNDEF: __kmpc_fork_call
// UNDEF-NOT: {{memrefCopy|_mlir_}}
// X86: <gemv>:
// X86: vpdpbusd {{.*}}%zmm
// AVXVNNI: {vex} vpdpbusd
// ARM: <gemv>:
// ARM: sdot v{{[0-9]+}}.4s
// PORTABLE-NOT: llvm.aarch64.neon.sdot
// PORTABLE: llvm.func @gemv
func.func @gemv(%x: tensor<1x512xi8>, %as: tensor<1xf32>, %w: !ternary.packed<1024x512, tq1>, %s: tensor<1x1xf32>) -> tensor<1x1024xf32> {
  %y = ternary.matmul %x act_scales(%as : tensor<1xf32>), %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x512xi8>, !ternary.packed<1024x512, tq1> -> tensor<1x1024xf32>
  return %y : tensor<1x1024xf32>
}
