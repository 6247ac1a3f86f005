// --help lists the tool's own options, not every option libLLVM registers.
// RUN: trilm-compile --help | FileCheck %s
// RUN: trilm-bench --help | FileCheck %s --check-prefix=BENCH

// CHECK: USAGE: trilm-compile [options]
// CHECK-NOT: amdgpu
// CHECK: trilm-compile options:
// CHECK: --emit=<value>
// CHECK-NOT: amdgpu

// BENCH: USAGE: trilm-bench [options] <bandwidth | matmul>
// BENCH-NOT: amdgpu
// BENCH: --shapes=<string>
// BENCH-NOT: amdgpu
