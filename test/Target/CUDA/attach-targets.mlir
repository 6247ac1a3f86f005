// RUN: trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80,sm_90 ptx-version=80" | FileCheck %s
// RUN: not trilm-opt %s --trilm-attach-cuda-targets="chips=sm_75" 2>&1 | FileCheck %s --check-prefix=BAD-CHIP
// RUN: not trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80,sm_80" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not trilm-opt %s --trilm-attach-cuda-targets="chips=sm_90 ptx-version=71" 2>&1 | FileCheck %s --check-prefix=OLD-PTX
// RUN: not trilm-opt %s --trilm-attach-cuda-targets="chips=" 2>&1 | FileCheck %s --check-prefix=NONE

// One target per chip, in order, on every GPU module.
// CHECK: gpu.module @kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// CHECK: gpu.module @more [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// BAD-CHIP: error: unsupported chip 'sm_75': the GPU kernels are built for sm_80, sm_86, sm_89 and sm_90
// TWICE: error: chip 'sm_80' is named twice
// OLD-PTX: error: PTX 7.1 cannot target sm_90: it needs PTX 7.8 or newer
// NONE: error: name at least one chip (sm_80, sm_86, sm_89, sm_90)
module attributes {gpu.container_module} {
  gpu.module @kernels {
  }
  gpu.module @more {
  }
}
