// RUN: trilm-opt %s --trilm-gpu-map-loops -split-input-file -verify-diagnostics

// A value read from memory that steers the host code cannot be read on the
// GPU.
func.func @host_bound(%sizes: memref<1xindex>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{'memref.load' op reads memory for the host's own use (its results steer the host code); a GPU program cannot}}
  %n = memref.load %sizes[%c0] : memref<1xindex>
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %out[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
