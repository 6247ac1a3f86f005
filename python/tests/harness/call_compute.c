/* Calls a compiled @compute() -> memref<M x N x i32> through its C interface
   and prints the elements, for running trilm's kernels under qemu. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  int32_t *allocated;
  int32_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} MemRef2DI32;

void _mlir_ciface_compute(MemRef2DI32 *result);

int main(void) {
  MemRef2DI32 result;
  _mlir_ciface_compute(&result);
  for (int64_t i = 0; i < result.sizes[0]; ++i)
    for (int64_t j = 0; j < result.sizes[1]; ++j)
      printf("%" PRId32 "\n",
             result.aligned[result.offset + i * result.strides[0] +
                            j * result.strides[1]]);
  free(result.allocated);
  return 0;
}
