// Bad targets and inputs give one error line and a non-zero exit status.
// RUN: not trilm-compile %s --target=riscv64 2>&1 | FileCheck %s --check-prefix=ARCH
// RUN: not trilm-compile %s --target=x86_64 --cpu=pentium9 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: not trilm-compile %s --target=aarch64 --features=+avx512vnni 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not trilm-compile %t.missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: echo 'func.func @f( {' > %t.bad.mlir
// RUN: not trilm-compile %t.bad.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX

// ARCH: trilm-compile: error: unsupported target 'riscv64-unknown-linux-gnu': trilm generates code for x86-64 and AArch64
// CPU: trilm-compile: error: unknown cpu 'pentium9' for target 'x86_64-unknown-linux-gnu'
// FEATURE: trilm-compile: error: unknown feature 'avx512vnni' for target 'aarch64-unknown-linux-gnu'
// MISSING: trilm-compile: error: cannot open input file '{{.*}}missing.mlir'
// SYNTAX: bad.mlir:1:{{[0-9]+}}: error:
func.func @f() {
  return
}
