// REQUIRES: ptxas
// RUN: trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80,sm_90" \
// RUN:   --gpu-module-to-binary="format=isa" --trilm-pack-cuda-fatbin | FileCheck %s
// RUN: trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80,sm_90" \
// RUN:   --gpu-module-to-binary="format=isa" --trilm-pack-cuda-fatbin=embed-ptx=false \
// RUN:   | FileCheck %s --check-prefix=NO-PTX
// RUN: trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80" --gpu-module-to-binary="format=isa" \
// RUN:   | not trilm-opt --trilm-pack-cuda-fatbin=toolkit=%t.none 2>&1 | FileCheck %s --check-prefix=NO-TOOLKIT
// RUN: trilm-opt %s --trilm-attach-cuda-targets="chips=sm_80" --gpu-module-to-binary="format=bin" \
// RUN:   | not trilm-opt --trilm-pack-cuda-fatbin 2>&1 | FileCheck %s --check-prefix=NOT-PTX

// The PTX of both chips becomes one fatbin object (cubins for sm_80 and
// sm_90, and sm_90's PTX), recorded under the newest chip.
// CHECK: gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, properties = {{.*}}, "{{.*}}">]
// CHECK-NOT: #gpu.object
// NO-PTX: gpu.binary @kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90"
// NO-TOOLKIT: error: cannot run {{.*}}none/bin/ptxas: set the toolkit option or $CUDA_ROOT to the CUDA toolkit
// NOT-PTX: error: expects the PTX of NVVM targets (gpu-module-to-binary{format=isa})
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @noop() attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }
}
