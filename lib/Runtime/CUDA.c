/*===- CUDA.c - trilm's GPU runtime on the CUDA driver API ----------------===*
 *
 * Part of trilm: an MLIR compiler for ternary language models.
 *
 * The driver is loaded with dlopen and its entry points looked up by name,
 * with the types declared here from the driver API's documented signatures,
 * so that neither the toolkit's headers nor libcuda are needed to build.
 *
 *===----------------------------------------------------------------------===*/

#include "trilm-c/CUDA.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef void *CUcontext;
typedef void *CUmodule;
typedef void *CUfunction;
typedef void *CUstream;
typedef void *CUevent;
typedef void *CUgraph;
typedef void *CUgraphExec;
typedef unsigned long long CUdeviceptr;

enum {
  kSuccess = 0,
  kErrorNoBinaryForGPU = 209,
  kAttributeComputeCapabilityMajor = 75,
  kAttributeComputeCapabilityMinor = 76,
  kCaptureModeRelaxed = 2,
};

static struct {
  CUresult (*init)(unsigned);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*memcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*memcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*memsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*memsetD32)(CUdeviceptr, unsigned, size_t);
  /* Stream-ordered allocation (CUDA 11.2 drivers and newer); NULL before. */
  CUresult (*memAllocAsync)(CUdeviceptr *, size_t, CUstream);
  CUresult (*memFreeAsync)(CUdeviceptr, CUstream);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*streamBeginCapture)(CUstream, int);
  CUresult (*streamEndCapture)(CUstream, CUgraph *);
  CUresult (*graphInstantiate)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*graphLaunch)(CUgraphExec, CUstream);
  CUresult (*graphExecDestroy)(CUgraphExec);
  CUresult (*graphDestroy)(CUgraph);
} cu;

static int initialized;   /* 1 after a successful init, -1 after a failure */
static char error[512];   /* the first error */
static char deviceName[256];
static int computeCapability;
static CUstream stream;
static CUevent timerStart, timerStop;
static int async;

static void setError(const char *message) {
  if (!error[0])
    snprintf(error, sizeof(error), "%s", message);
}

/* Records `what` failing with `result`; returns -1 so callers can return it. */
static int fail(const char *what, CUresult result) {
  char message[sizeof(error)];
  const char *reason = NULL;
  if (cu.getErrorString)
    cu.getErrorString(result, &reason);
  snprintf(message, sizeof(message), "CUDA error in %s: %s (%d)", what,
           reason ? reason : "unknown error", result);
  setError(message);
  return -1;
}

#define CHECK(what, call)                                                      \
  do {                                                                         \
    CUresult result_ = (call);                                                 \
    if (result_ != kSuccess)                                                   \
      return fail(what, result_);                                              \
  } while (0)

static int loadDriver(void) {
  /* TRILM_CUDA_DRIVER names another driver library (tests use it). */
  const char *path = getenv("TRILM_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    char message[sizeof(error)];
    snprintf(message, sizeof(message),
             "no CUDA driver: %s could not be loaded (%s); GPU models need an "
             "NVIDIA GPU and its driver",
             path, dlerror());
    setError(message);
    return -1;
  }
  struct {
    void **slot;
    const char *name;
  } entries[] = {
      {(void **)&cu.init, "cuInit"},
      {(void **)&cu.deviceGet, "cuDeviceGet"},
      {(void **)&cu.deviceGetName, "cuDeviceGetName"},
      {(void **)&cu.deviceGetAttribute, "cuDeviceGetAttribute"},
      {(void **)&cu.primaryCtxRetain, "cuDevicePrimaryCtxRetain"},
      {(void **)&cu.ctxSetCurrent, "cuCtxSetCurrent"},
      {(void **)&cu.moduleLoadData, "cuModuleLoadData"},
      {(void **)&cu.moduleUnload, "cuModuleUnload"},
      {(void **)&cu.moduleGetFunction, "cuModuleGetFunction"},
      {(void **)&cu.launchKernel, "cuLaunchKernel"},
      {(void **)&cu.streamCreate, "cuStreamCreate"},
      {(void **)&cu.streamSynchronize, "cuStreamSynchronize"},
      {(void **)&cu.memAlloc, "cuMemAlloc_v2"},
      {(void **)&cu.memFree, "cuMemFree_v2"},
      {(void **)&cu.memcpyHtoD, "cuMemcpyHtoD_v2"},
      {(void **)&cu.memcpyDtoH, "cuMemcpyDtoH_v2"},
      {(void **)&cu.memcpyDtoD, "cuMemcpyDtoD_v2"},
      {(void **)&cu.memcpy, "cuMemcpy"},
      {(void **)&cu.memsetD8, "cuMemsetD8_v2"},
      {(void **)&cu.memsetD32, "cuMemsetD32_v2"},
      {(void **)&cu.eventCreate, "cuEventCreate"},
      {(void **)&cu.eventRecord, "cuEventRecord"},
      {(void **)&cu.eventSynchronize, "cuEventSynchronize"},
      {(void **)&cu.eventElapsedTime, "cuEventElapsedTime"},
      {(void **)&cu.getErrorString, "cuGetErrorString"},
      {(void **)&cu.streamBeginCapture, "cuStreamBeginCapture_v2"},
      {(void **)&cu.streamEndCapture, "cuStreamEndCapture"},
      {(void **)&cu.graphInstantiate, "cuGraphInstantiateWithFlags"},
      {(void **)&cu.graphLaunch, "cuGraphLaunch"},
      {(void **)&cu.graphExecDestroy, "cuGraphExecDestroy"},
      {(void **)&cu.graphDestroy, "cuGraphDestroy"},
  };
  cu.memAllocAsync = dlsym(library, "cuMemAllocAsync");
  cu.memFreeAsync = dlsym(library, "cuMemFreeAsync");
  for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); ++i) {
    *entries[i].slot = dlsym(library, entries[i].name);
    if (!*entries[i].slot) {
      char message[sizeof(error)];
      snprintf(message, sizeof(message),
               "the CUDA driver lacks %s: it is too old for trilm",
               entries[i].name);
      setError(message);
      return -1;
    }
  }
  return 0;
}

static int initialize(void) {
  if (loadDriver() != 0)
    return -1;
  CUresult result = cu.init(0);
  if (result != kSuccess) {
    const char *reason = NULL;
    cu.getErrorString(result, &reason);
    char message[sizeof(error)];
    snprintf(message, sizeof(message), "no usable NVIDIA GPU: cuInit: %s (%d)",
             reason ? reason : "unknown error", result);
    setError(message);
    return -1;
  }
  CUdevice device;
  CUcontext context;
  int major = 0, minor = 0;
  CHECK("cuDeviceGet", cu.deviceGet(&device, 0));
  CHECK("cuDeviceGetName",
        cu.deviceGetName(deviceName, (int)sizeof(deviceName), device));
  CHECK("cuDeviceGetAttribute",
        cu.deviceGetAttribute(&major, kAttributeComputeCapabilityMajor, device));
  CHECK("cuDeviceGetAttribute",
        cu.deviceGetAttribute(&minor, kAttributeComputeCapabilityMinor, device));
  computeCapability = major * 10 + minor;
  CHECK("cuDevicePrimaryCtxRetain", cu.primaryCtxRetain(&context, device));
  CHECK("cuCtxSetCurrent", cu.ctxSetCurrent(context));
  CHECK("cuStreamCreate", cu.streamCreate(&stream, 0));
  CHECK("cuEventCreate", cu.eventCreate(&timerStart, 0));
  CHECK("cuEventCreate", cu.eventCreate(&timerStop, 0));
  return 0;
}

int trilm_cuda_init(void) {
  if (initialized == 0)
    initialized = initialize() == 0 ? 1 : -1;
  return initialized == 1 ? 0 : -1;
}

const char *trilm_cuda_error(void) { return error[0] ? error : NULL; }
const char *trilm_cuda_device_name(void) { return deviceName; }
int trilm_cuda_compute_capability(void) { return computeCapability; }

/* Every entry point after the first error does nothing. */
static int ready(void) { return trilm_cuda_init() == 0 && !error[0]; }

void *trilm_cuda_malloc(size_t bytes) {
  CUdeviceptr device = 0;
  if (!ready())
    return NULL;
  CUresult result = cu.memAlloc(&device, bytes ? bytes : 1);
  if (result != kSuccess) {
    char message[128];
    snprintf(message, sizeof(message), "cuMemAlloc of %zu bytes", bytes);
    fail(message, result);
    return NULL;
  }
  return (void *)(uintptr_t)device;
}

void trilm_cuda_free(void *device) {
  if (device && initialized == 1)
    cu.memFree((CUdeviceptr)(uintptr_t)device);
}

int trilm_cuda_copy_to_device(void *device, const void *host, size_t bytes) {
  if (!ready())
    return -1;
  CHECK("cuMemcpyHtoD",
        cu.memcpyHtoD((CUdeviceptr)(uintptr_t)device, host, bytes));
  return 0;
}

int trilm_cuda_copy_to_host(void *host, const void *device, size_t bytes) {
  if (!ready())
    return -1;
  CHECK("cuMemcpyDtoH",
        cu.memcpyDtoH(host, (CUdeviceptr)(uintptr_t)device, bytes));
  return 0;
}

int trilm_cuda_copy_device(void *to, const void *from, size_t bytes) {
  if (!ready())
    return -1;
  CHECK("cuMemcpyDtoD", cu.memcpyDtoD((CUdeviceptr)(uintptr_t)to,
                                      (CUdeviceptr)(uintptr_t)from, bytes));
  return 0;
}

int trilm_cuda_memset(void *device, int value, size_t bytes) {
  if (!ready())
    return -1;
  CHECK("cuMemsetD8", cu.memsetD8((CUdeviceptr)(uintptr_t)device,
                                  (unsigned char)value, bytes));
  return 0;
}

void trilm_cuda_set_async(int enabled) { async = enabled; }

int trilm_cuda_synchronize(void) {
  if (!ready())
    return -1;
  CHECK("cuStreamSynchronize (a kernel failed)", cu.streamSynchronize(stream));
  return 0;
}

int trilm_cuda_timer_start(void) {
  if (!ready())
    return -1;
  CHECK("cuEventRecord", cu.eventRecord(timerStart, stream));
  return 0;
}

float trilm_cuda_timer_stop(void) {
  float ms = 0;
  if (!ready())
    return -1;
  CUresult result = cu.eventRecord(timerStop, stream);
  if (result == kSuccess)
    result = cu.eventSynchronize(timerStop);
  if (result == kSuccess)
    result = cu.eventElapsedTime(&ms, timerStart, timerStop);
  if (result != kSuccess) {
    fail("timing events (a kernel failed)", result);
    return -1;
  }
  return ms;
}

struct Graph {
  CUgraph graph;
  CUgraphExec exec;
};

int trilm_cuda_capture_begin(void) {
  if (!ready())
    return -1;
  CHECK("cuStreamBeginCapture",
        cu.streamBeginCapture(stream, kCaptureModeRelaxed));
  return 0;
}

void *trilm_cuda_capture_end(void) {
  struct Graph *graph;
  CUresult result;
  if (!ready())
    return NULL;
  graph = calloc(1, sizeof(*graph));
  if (!graph) {
    setError("out of host memory for a CUDA graph");
    return NULL;
  }
  result = cu.streamEndCapture(stream, &graph->graph);
  if (result == kSuccess)
    result = cu.graphInstantiate(&graph->exec, graph->graph, 0);
  if (result != kSuccess) {
    fail("capturing a CUDA graph", result);
    trilm_cuda_graph_destroy(graph);
    return NULL;
  }
  return graph;
}

int trilm_cuda_graph_launch(void *handle) {
  struct Graph *graph = handle;
  if (!graph || !ready())
    return -1;
  CHECK("cuGraphLaunch", cu.graphLaunch(graph->exec, stream));
  return 0;
}

void trilm_cuda_graph_destroy(void *handle) {
  struct Graph *graph = handle;
  if (!graph)
    return;
  if (graph->exec)
    cu.graphExecDestroy(graph->exec);
  if (graph->graph)
    cu.graphDestroy(graph->graph);
  free(graph);
}

/*===----------------------------------------------------------------------===*
 * The functions MLIR's gpu-to-llvm lowering calls.
 *===----------------------------------------------------------------------===*/

void *mgpuModuleLoad(void *data, size_t size) {
  CUmodule module = NULL;
  (void)size;
  if (!ready())
    return NULL;
  CUresult result = cu.moduleLoadData(&module, data);
  if (result == kErrorNoBinaryForGPU) {
    char message[sizeof(error)];
    snprintf(message, sizeof(message),
             "the model's GPU code has no kernels for this GPU (%s, sm_%d): "
             "compile it for that chip",
             deviceName, computeCapability);
    setError(message);
    return NULL;
  }
  if (result != kSuccess) {
    fail("cuModuleLoadData", result);
    return NULL;
  }
  return module;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  (void)optLevel;
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  if (module && initialized == 1)
    cu.moduleUnload(module);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  CUfunction function = NULL;
  if (!module || !ready())
    return NULL;
  CUresult result = cu.moduleGetFunction(&function, module, name);
  if (result != kSuccess) {
    char message[sizeof(error)];
    snprintf(message, sizeof(message), "cuModuleGetFunction(%s)", name);
    fail(message, result);
    return NULL;
  }
  return function;
}

/* Device memory of the generated host code (a call's temporaries),
 * ordered on the process's one stream: the driver's pool makes the
 * allocation of each call cheap, and a buffer is freed after the kernels
 * queued before it. Without the stream-ordered allocator, the synchronous
 * one. */
void *mgpuMemAlloc(uint64_t bytes, void *unused, int8_t hostShared) {
  (void)unused;
  if (hostShared) {
    setError("host-shared GPU allocations are not supported");
    return NULL;
  }
  /* Started first, so that a buffer and its free use the same allocator. */
  if (!ready())
    return NULL;
  if (!cu.memAllocAsync)
    return trilm_cuda_malloc((size_t)bytes);
  CUdeviceptr device = 0;
  CUresult result = cu.memAllocAsync(&device, bytes ? bytes : 1, stream);
  if (result != kSuccess) {
    fail("cuMemAllocAsync", result);
    return NULL;
  }
  return (void *)(uintptr_t)device;
}

void mgpuMemFree(void *device, void *unused) {
  (void)unused;
  if (!device || initialized != 1)
    return;
  if (cu.memFreeAsync)
    cu.memFreeAsync((CUdeviceptr)(uintptr_t)device, stream);
  else
    trilm_cuda_free(device);
}

/* Either side may be host or device memory (unified addressing). */
void mgpuMemcpy(void *to, void *from, size_t bytes, void *unused) {
  (void)unused;
  if (!ready())
    return;
  CUresult result = cu.memcpy((CUdeviceptr)(uintptr_t)to,
                              (CUdeviceptr)(uintptr_t)from, bytes);
  if (result != kSuccess)
    fail("cuMemcpy", result);
}

void mgpuMemset32(void *device, unsigned value, size_t count, void *unused) {
  (void)unused;
  if (!ready())
    return;
  CUresult result =
      cu.memsetD32((CUdeviceptr)(uintptr_t)device, value, count);
  if (result != kSuccess)
    fail("cuMemsetD32", result);
}

void *mgpuStreamCreate(void) { return ready() ? stream : NULL; }

/* The process's stream lives as long as the process. */
void mgpuStreamDestroy(void *unused) { (void)unused; }

void mgpuStreamSynchronize(void *unused) {
  (void)unused;
  if (!async)
    trilm_cuda_synchronize();
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t sharedMemory, void *unused,
                      void **params, void **extra, size_t paramsCount) {
  (void)unused;
  (void)paramsCount;
  if (!function || !ready())
    return;
  CUresult result = cu.launchKernel(
      function, (unsigned)gridX, (unsigned)gridY, (unsigned)gridZ,
      (unsigned)blockX, (unsigned)blockY, (unsigned)blockZ,
      (unsigned)sharedMemory, stream, params, extra);
  if (result != kSuccess)
    fail("cuLaunchKernel", result);
}
