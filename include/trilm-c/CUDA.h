/*===- CUDA.h - trilm's GPU runtime on the CUDA driver API --------*- C -*-===*
 *
 * Part of trilm: an MLIR compiler for ternary language models.
 *
 * Code that trilm compiles for CUDA calls the `mgpu*` functions that MLIR's
 * `gpu-to-llvm` lowering emits (module load, kernel launch, streams); this
 * library implements them on the CUDA driver API, which it loads with
 * dlopen, so that nothing needs a GPU or a driver to build or link. Without
 * a driver or a GPU, the first use records one clear error line, and every
 * later call does nothing. The driver is libcuda.so.1, or the library that
 * the environment variable TRILM_CUDA_DRIVER names.
 *
 * Launches go to one stream per process. They are synchronous (the
 * generated code waits for each) unless trilm_cuda_set_async(1) is called:
 * then they queue and trilm_cuda_synchronize() waits for them.
 *
 *===----------------------------------------------------------------------===*/

#ifndef TRILM_C_CUDA_H
#define TRILM_C_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Loads the driver and makes the first GPU's primary context current.
 * Returns 0 on success, -1 with trilm_cuda_error() set otherwise. */
int trilm_cuda_init(void);

/* The first error since the process started, or NULL: one line, such as
 * "no CUDA driver: libcuda.so.1 could not be loaded (...)". */
const char *trilm_cuda_error(void);

/* The GPU's name and compute capability (major * 10 + minor), after a
 * successful trilm_cuda_init(). */
const char *trilm_cuda_device_name(void);
int trilm_cuda_compute_capability(void);

/* Device memory; NULL / -1 on error (see trilm_cuda_error()). */
void *trilm_cuda_malloc(size_t bytes);
void trilm_cuda_free(void *device);
int trilm_cuda_copy_to_device(void *device, const void *host, size_t bytes);
int trilm_cuda_copy_to_host(void *host, const void *device, size_t bytes);
int trilm_cuda_copy_device(void *to, const void *from, size_t bytes);
/* Sets `bytes` bytes of device memory to `value`; -1 on error. */
int trilm_cuda_memset(void *device, int value, size_t bytes);

/* Queue launches (1) or wait for each (0, the default). */
void trilm_cuda_set_async(int async);
/* Waits for everything queued; 0 on success. */
int trilm_cuda_synchronize(void);

/* GPU time between two marks on the stream, in milliseconds: start, queue
 * work, then stop (which waits for it). Returns a negative value on error. */
int trilm_cuda_timer_start(void);
float trilm_cuda_timer_stop(void);

/* Records the launches queued from now on (in asynchronous mode) into a
 * graph instead of running them; trilm_cuda_capture_end returns it, or NULL
 * on error. Launching a graph runs all its kernels without the host's cost
 * per launch (a runtime that replays a decoding step; benchmarks). */
int trilm_cuda_capture_begin(void);
void *trilm_cuda_capture_end(void);
int trilm_cuda_graph_launch(void *graph);
void trilm_cuda_graph_destroy(void *graph);

#ifdef __cplusplus
}
#endif

#endif /* TRILM_C_CUDA_H */
