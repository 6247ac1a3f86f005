// RUN: trilm-opt %s --trilm-gpu-device-buffers -split-input-file -verify-diagnostics

func.func @stack(%out: memref<4xf32>) {
  // expected-error @+1 {{'memref.alloca' op allocates on the host's stack; a GPU program keeps its buffers in device memory}}
  %buf = memref.alloca() : memref<4xf32>
  memref.copy %buf, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

memref.global "private" @state : memref<4xf32> = dense<0.0>

func.func @mutable_global(%out: memref<4xf32>) {
  // expected-error @+1 {{'memref.get_global' op reads a global that is not constant; a GPU program keeps no state in host globals}}
  %state = memref.get_global @state : memref<4xf32>
  memref.copy %state, %out : memref<4xf32> to memref<4xf32>
  return
}
