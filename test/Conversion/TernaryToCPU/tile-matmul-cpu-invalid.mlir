// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=int8-dot=avx3 2>&1 | FileCheck %s --check-prefix=DOT
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=rows=17 2>&1 | FileCheck %s --check-prefix=ROWS
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=act-rows=-1 2>&1 | FileCheck %s --check-prefix=ACTROWS
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=l2-cache-kib=-4 2>&1 | FileCheck %s --check-prefix=L2
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=triple=sparc-sun-solaris 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu=triple=foo-bar-baz 2>&1 | FileCheck %s --check-prefix=TRIPLE
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu="triple=x86_64-linux-gnu cpu=pentium9" 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu="triple=x86_64-linux-gnu features=+avx9000" 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not trilm-opt %s -ternary-tile-matmul-cpu="triple=aarch64-linux-gnu features=dotprod" 2>&1 | FileCheck %s --check-prefix=SIGN

// DOT: error: unknown int8-dot 'avx3'; expected auto, generic, avx512_vnni, avx_vnni or neon_dotprod
// ROWS: error: rows must be between 1 and 16, got 17
// ACTROWS: error: act-rows must be between 1 and 16, got -1
// L2: error: l2-cache-kib must be between 1 and 1048576 (0: from the target), got -4
// ARCH: error: unsupported target 'sparc-sun-solaris': trilm generates code for x86-64 and AArch64
// TRIPLE: error: unknown target triple 'foo-bar-baz'
// CPU: error: unknown cpu 'pentium9' for target 'x86_64-unknown-linux-gnu'
// FEATURE: error: unknown feature 'avx9000' for target 'x86_64-unknown-linux-gnu'
// SIGN: error: feature 'dotprod' must start with '+' or '-' (for example +avx512vnni)
func.func @f() {
  return
}
