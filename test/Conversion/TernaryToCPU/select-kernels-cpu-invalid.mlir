// RUN: not trilm-opt %s -ternary-select-kernels-cpu 2>&1 | FileCheck %s --check-prefix=NOTARGET
// RUN: not trilm-opt %s -trilm-attach-cpu-target -ternary-select-kernels-cpu=rows=17 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not trilm-opt %s -trilm-attach-cpu-target -ternary-select-kernels-cpu=act-rows=-1 2>&1 | FileCheck %s --check-prefix=ACTROWS
// RUN: not trilm-opt %s -trilm-attach-cpu-target -ternary-select-kernels-cpu=prefetch-bytes=70000 2>&1 | FileCheck %s --check-prefix=PREFETCH
// RUN: not trilm-opt %s -trilm-attach-cpu-target -ternary-select-kernels-cpu=panel-min-act-rows=-2 2>&1 | FileCheck %s --check-prefix=PANEL
// RUN: not trilm-opt %s -trilm-attach-cpu-target=l2-cache-kib=-4 2>&1 | FileCheck %s --check-prefix=L2
// RUN: not trilm-opt %s -trilm-attach-cpu-target=triple=sparc-sun-solaris 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: not trilm-opt %s -trilm-attach-cpu-target=triple=foo-bar-baz 2>&1 | FileCheck %s --check-prefix=TRIPLE
// RUN: not trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not trilm-opt %s -trilm-attach-cpu-target="triple=x86_64-linux-gnu features=+avx9000" 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not trilm-opt %s -trilm-attach-cpu-target="triple=aarch64-linux-gnu features=dotprod" 2>&1 | FileCheck %s --check-prefix=SIGN
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu 2>&1 | FileCheck %s --check-prefix=NOCONFIG
// RUN: not trilm-opt %s -trilm-attach-cpu-target -ternary-select-kernels-cpu=lookup-tables=2 2>&1 | FileCheck %s --check-prefix=TABLES

// NOTARGET: error: the module records no target (llvm.target): attach one with trilm-attach-cpu-target
// ROWS: error: rows must be between 1 and 16 (0: from the target), got 17
// ACTROWS: error: act-rows must be between 1 and 16 (0: from the target), got -1
// PREFETCH: error: prefetch-bytes must be between 0 and 65536 (-1: from the target), got 70000
// PANEL: error: panel-min-act-rows must be at least 0 (-1: from the target), got -2
// L2: error: l2-cache-kib must be between 1 and 1048576 (0: the host's or 1024), got -4
// ARCH: error: unsupported target 'sparc-sun-solaris': trilm generates code for x86-64 and AArch64
// TRIPLE: error: unknown target triple 'foo-bar-baz'
// CPU: error: unknown cpu 'pentium9' for target 'x86_64-unknown-linux-gnu'
// FEATURE: error: unknown feature 'avx9000' for target 'x86_64-unknown-linux-gnu'
// SIGN: error: feature 'dotprod' must start with '+' or '-' (for example +avx512vnni)
// TABLES: error: lookup-tables must be 1 (on), 0 (off) or -1 (from the target), got 2
// NOCONFIG: error: 'ternary.matmul' op has no CPU kernel configuration: run ternary-select-kernels-cpu first
func.func @f(%x: tensor<1x256xf32>, %w: !ternary.packed<8x256, tq2>, %s: tensor<1x1xf32>) -> tensor<1x8xf32> {
  %y = ternary.matmul %x, %w groups #ternary.scale_groups<tensor> scales(%s : tensor<1x1xf32>) : tensor<1x256xf32>, !ternary.packed<8x256, tq2> -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}
