// RUN: trilm-opt %s --trilm-gpu-device-buffers | FileCheck %s

memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// Allocations, copies and constant tables of a host function go to device
// memory, each operation waited for.
// CHECK-LABEL: func.func @buffers(
// CHECK-SAME: %[[N:.*]]: index, %[[OUT:.*]]: memref<?xf32>, %[[TABLE_OUT:.*]]: memref<4xf32>)
// CHECK: %[[HOST:.*]] = memref.get_global @table
// CHECK: %[[W0:.*]] = gpu.wait async
// CHECK: %[[TABLE:.*]], %[[W1:.*]] = gpu.alloc async [%[[W0]]] () : memref<4xf32>
// CHECK: gpu.wait [%[[W1]]]
// CHECK: %[[W2:.*]] = gpu.wait async
// CHECK: %[[W3:.*]] = gpu.memcpy async [%[[W2]]] %[[TABLE]], %[[HOST]]
// CHECK: gpu.wait [%[[W3]]]
// CHECK: %[[BUF:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] (%[[N]]) : memref<?xf32>
// CHECK: gpu.memcpy async [%{{.*}}] %[[OUT]], %[[BUF]]
// CHECK: gpu.memcpy async [%{{.*}}] %[[TABLE_OUT]], %[[TABLE]]
// CHECK: gpu.dealloc async [%{{.*}}] %[[BUF]]
// CHECK: gpu.dealloc async [%{{.*}}] %[[TABLE]]
// CHECK-NEXT: gpu.wait
// CHECK-NEXT: return
// CHECK-NOT: memref.alloc
func.func @buffers(%n: index, %out: memref<?xf32>, %table_out: memref<4xf32>) {
  %buf = memref.alloc(%n) : memref<?xf32>
  memref.copy %buf, %out : memref<?xf32> to memref<?xf32>
  %table = memref.get_global @table : memref<4xf32>
  memref.copy %table, %table_out : memref<4xf32> to memref<4xf32>
  memref.dealloc %buf : memref<?xf32>
  return
}
