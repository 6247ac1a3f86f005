// RUN: trilm-opt %s --trilm-gpu-map-loops | FileCheck %s

// The innermost dimension is spread over 256 threads per block, along the
// grid's x; the outer one along y. Iterations past the end are guarded.
// CHECK-LABEL: func.func @elementwise(
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       memref.load
// CHECK:       memref.store
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
func.func @elementwise(%m: index, %in: memref<?x1000xf32>, %out: memref<?x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c1000) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<?x1000xf32>
    memref.store %x, %out[%i, %j] : memref<?x1000xf32>
    scf.reduce
  }
  return
}

// A dimension shorter than a block gets a block of its length.
// CHECK-LABEL: func.func @short_rows(
// CHECK-NOT: arith.constant 256
// CHECK: %[[STEP:.*]] = arith.muli %{{.*}}, %c16{{.*}} : index
// CHECK: scf.parallel {{.*}} step (%{{.*}}, %[[STEP]])
func.func @short_rows(%m: index, %in: memref<?x16xf32>, %out: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %c16) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<?x16xf32>
    memref.store %x, %out[%i, %j] : memref<?x16xf32>
    scf.reduce
  }
  return
}

// A loop nest that only reduces becomes one thread's work.
// CHECK-LABEL: func.func @serial(
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.for
// CHECK:       memref.load
// CHECK:   } {mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
func.func @serial(%in: memref<64xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %k = %c0 to %c64 step %c1 {
    %x = memref.load %in[%k] : memref<64xf32>
    %acc = memref.load %out[] : memref<f32>
    %sum = arith.addf %acc, %x : f32
    memref.store %sum, %out[] : memref<f32>
  }
  return
}

// Four dimensions: the outermost runs sequentially in each thread.
// CHECK-LABEL: func.func @four_dims(
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_z, {{.*}}>, #gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
func.func @four_dims(%out: memref<2x3x4x5xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%a, %b, %c, %d) = (%c0, %c0, %c0, %c0) to (%c2, %c3, %c4, %c5) step (%c1, %c1, %c1, %c1) {
    memref.store %zero, %out[%a, %b, %c, %d] : memref<2x3x4x5xf32>
    scf.reduce
  }
  return
}
