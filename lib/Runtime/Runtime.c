//===- Runtime.c - The C API for compiled TriLM models --------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A compiled model is a shared library (or a program linked with the model's
// object file) exporting `trilm_model_config` and the C wrappers of
// `trilm_prefill` and `trilm_decode`, which take memref descriptors. Written
// in C so that it cross-compiles with nothing but a C toolchain.
//
//===----------------------------------------------------------------------===//

#include "trilm-c/Runtime.h"

#include "trilm-c/ModelABI.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

// The OpenMP thread-count functions, looked up in the model's library (which
// brings libomp along when it was compiled with OpenMP) rather than bound
// when the runtime loads, before any model has brought libomp in.
typedef void (*SetNumThreads)(int);
typedef int (*GetMaxThreads)(void);

// The memref descriptors of the entry points' arguments.
typedef struct {
  const int32_t *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} TokensRef;
typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} LogitsRef;
typedef struct {
  void *allocated, *aligned;
  int64_t offset, sizes[4], strides[4];
} CacheRef;

typedef struct {
  const uint8_t *allocated, *aligned;
  int64_t offset, sizes[1], strides[1];
} WeightsRef;

typedef void (*EntryPoint)(TokensRef *tokens, int64_t start, CacheRef *keys,
                           CacheRef *values, LogitsRef *logits,
                           WeightsRef *weights);

// The GPU runtime (trilm-c/CUDA.h) of a model compiled for CUDA, looked up
// in the model's library, which links it: this runtime needs no driver.
typedef struct {
  int (*init)(void);
  const char *(*error)(void);
  void *(*malloc)(size_t);
  void (*free)(void *);
  int (*memset)(void *, int, size_t);
  int (*copyToDevice)(void *, const void *, size_t);
  int (*copyToHost)(void *, const void *, size_t);
  int (*synchronize)(void);
  void (*setAsync)(int);
} CUDAFunctions;

struct trilm_model {
  void *library;
  /* The mapped external weights file, or NULL when they are embedded. */
  void *mapped;
  int64_t weightsBytes;
  /* What the entry points read: the mapped file or the model's
   * `trilm_weights`. */
  const uint8_t *weights;
  int64_t cacheElementBytes;
  int64_t decodeWeightBytes;
  trilm_model_info info;
  EntryPoint prefill;
  EntryPoint decode;
  /* NULL for models compiled without OpenMP. */
  SetNumThreads setNumThreads;
  GetMaxThreads getMaxThreads;
  /* Models compiled for CUDA: the GPU runtime and the weights uploaded. */
  int onGPU;
  CUDAFunctions cuda;
  void *deviceWeights;
};

struct trilm_context {
  trilm_model *model;
  int64_t length;
  int32_t threads;
  int64_t position;
  void *keyCache;
  void *valueCache;
  /* On a GPU the caches above are device memory, as are these buffers for
   * one call's tokens and logits (grown as calls need). */
  int32_t *deviceTokens;
  float *deviceLogits;
  int64_t deviceLogitRows;
};

static trilm_status fail(trilm_error *error, trilm_status status,
                         const char *format, ...) {
  if (error) {
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof(error->message), format, args);
    va_end(args);
  }
  return status;
}

static const char *describePath(const char *path) {
  return path ? path : "the program";
}

const char *trilm_status_string(trilm_status status) {
  switch (status) {
  case TRILM_OK:
    return "success";
  case TRILM_ERROR_IO:
    return "the model cannot be loaded";
  case TRILM_ERROR_INVALID_MODEL:
    return "not a trilm model of this runtime's version";
  case TRILM_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case TRILM_ERROR_CONTEXT_FULL:
    return "the context is full";
  case TRILM_ERROR_OUT_OF_MEMORY:
    return "out of memory";
  case TRILM_ERROR_DEVICE:
    return "no usable GPU, or the GPU failed";
  }
  return "unknown status";
}

/* Maps `path` and checks that it is the weights file the model was compiled
 * with: its size, magic and digest. */
static trilm_status mapWeights(const char *path, int64_t expectedBytes,
                               int64_t expectedDigest, void **weights,
                               trilm_error *error) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(error, TRILM_ERROR_IO, "cannot open the weights file %s",
                path);
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return fail(error, TRILM_ERROR_IO, "the weights file %s is not a regular "
                "file", path);
  }
  if (info.st_size != expectedBytes ||
      expectedBytes < TRILM_WEIGHTS_HEADER_BYTES) {
    close(fd);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "the weights file %s has %lld bytes; the model expects %lld",
                path, (long long)info.st_size, (long long)expectedBytes);
  }
  void *mapped = mmap(NULL, (size_t)expectedBytes, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED)
    return fail(error, TRILM_ERROR_IO, "cannot map the weights file %s", path);
  if (memcmp(mapped, TRILM_WEIGHTS_MAGIC, strlen(TRILM_WEIGHTS_MAGIC)) != 0) {
    munmap(mapped, (size_t)expectedBytes);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s is not a trilm weights file", path);
  }
  const uint8_t *digestBytes =
      (const uint8_t *)mapped + TRILM_WEIGHTS_DIGEST_OFFSET;
  uint64_t digest = 0;
  for (int i = 7; i >= 0; --i)
    digest = digest << 8 | digestBytes[i];
  if ((int64_t)digest != expectedDigest) {
    munmap(mapped, (size_t)expectedBytes);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "the weights file %s belongs to another model (digest "
                "%016llx; the model expects %016llx)",
                path, (unsigned long long)digest,
                (unsigned long long)expectedDigest);
  }
  *weights = mapped;
  return TRILM_OK;
}

/* Whether this machine has the CPU feature `name` (an LLVM name, as
 * trilm_model_cpu_features lists them): 1, 0, or -1 when the runtime does not
 * know the name. */
static int hostHasFeature(const char *name) {
#if defined(__x86_64__)
  __builtin_cpu_init();
#define FEATURE(text)                                                          \
  if (!strcmp(name, text))                                                     \
    return __builtin_cpu_supports(text) != 0;
  FEATURE("sse4.1") FEATURE("sse4.2") FEATURE("avx") FEATURE("avx2")
  FEATURE("fma") FEATURE("f16c") FEATURE("bmi") FEATURE("bmi2")
  FEATURE("avx512f") FEATURE("avx512bw") FEATURE("avx512dq")
  FEATURE("avx512vl") FEATURE("avx512cd") FEATURE("avx512vnni")
  FEATURE("avx512bf16") FEATURE("avx512fp16") FEATURE("avx512vbmi")
  FEATURE("avx512vbmi2") FEATURE("avxvnni")
#undef FEATURE
  // GCC 12's __builtin_cpu_supports does not know it: CPUID leaf 7, subleaf
  // 1, EDX bit 4 (the AVX state itself is what "avx" above checks).
  if (!strcmp(name, "avxvnniint8")) {
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (edx >> 4 & 1);
  }
#elif defined(__aarch64__)
  unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
  if (!strcmp(name, "neon"))
    return (hwcap & HWCAP_ASIMD) != 0;
  if (!strcmp(name, "dotprod"))
    return (hwcap & HWCAP_ASIMDDP) != 0;
  if (!strcmp(name, "fullfp16"))
    return (hwcap & HWCAP_ASIMDHP) != 0;
  if (!strcmp(name, "sve"))
    return (hwcap & HWCAP_SVE) != 0;
  if (!strcmp(name, "i8mm"))
    return (hwcap2 & HWCAP2_I8MM) != 0;
  if (!strcmp(name, "bf16"))
    return (hwcap2 & HWCAP2_BF16) != 0;
#endif
  return -1;
}

/* Checks that this machine has every CPU feature the model was compiled
 * for, before any of its code runs: otherwise the first call would die of an
 * illegal instruction. */
static trilm_status checkCPUFeatures(void *library, const char *path,
                                     trilm_error *error) {
  const char *features = (const char *)dlsym(library, "trilm_model_cpu_features");
  if (!features)
    return TRILM_OK;
  char missing[256] = "";
  const char *cursor = features;
  while (*cursor) {
    size_t length = strcspn(cursor, ",");
    char name[64];
    if (length > 0 && length < sizeof(name)) {
      memcpy(name, cursor, length);
      name[length] = 0;
      if (hostHasFeature(name) != 1 &&
          strlen(missing) + length + 2 < sizeof(missing)) {
        if (*missing)
          strcat(missing, ",");
        strcat(missing, name);
      }
    }
    cursor += length + (cursor[length] == ',');
  }
  if (*missing)
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s was compiled for CPU features this machine lacks: %s",
                describePath(path), missing);
  return TRILM_OK;
}

#if defined(__x86_64__)
#define HOST_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_ELF_MACHINE EM_AARCH64
#endif

/* Checks that the file `path` is a whole 64-bit ELF shared library for this
 * machine before dlopen maps it: a truncated one would fault (SIGBUS) on
 * first touch instead of failing. */
static trilm_status checkLibraryFile(const char *path, trilm_error *error) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(error, TRILM_ERROR_IO, "cannot load %s: cannot open it", path);
  struct stat info;
  Elf64_Ehdr header;
  trilm_status status = TRILM_OK;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    status = fail(error, TRILM_ERROR_IO, "cannot load %s: not a regular file",
                  path);
  } else if (pread(fd, &header, sizeof(header), 0) != sizeof(header) ||
             memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
             header.e_ident[EI_CLASS] != ELFCLASS64 ||
             header.e_type != ET_DYN ||
             header.e_phentsize != sizeof(Elf64_Phdr)) {
    status = fail(error, TRILM_ERROR_INVALID_MODEL,
                  "%s is not a 64-bit ELF shared library", path);
#ifdef HOST_ELF_MACHINE
  } else if (header.e_machine != HOST_ELF_MACHINE) {
    status = fail(error, TRILM_ERROR_INVALID_MODEL,
                  "%s was compiled for another architecture (ELF machine "
                  "%u)",
                  path, (unsigned)header.e_machine);
#endif
  } else {
    uint64_t size = (uint64_t)info.st_size;
    uint64_t tableEnd = header.e_phoff + (uint64_t)header.e_phnum *
                                             sizeof(Elf64_Phdr);
    if (header.e_phoff > size || tableEnd > size)
      status = fail(error, TRILM_ERROR_INVALID_MODEL,
                    "%s is truncated: its program headers end past its %llu "
                    "bytes",
                    path, (unsigned long long)size);
    for (unsigned i = 0; status == TRILM_OK && i < header.e_phnum; ++i) {
      Elf64_Phdr segment;
      off_t at = (off_t)(header.e_phoff + i * sizeof(Elf64_Phdr));
      if (pread(fd, &segment, sizeof(segment), at) != sizeof(segment) ||
          segment.p_offset > size || segment.p_filesz > size - segment.p_offset)
        status = fail(error, TRILM_ERROR_INVALID_MODEL,
                      "%s is truncated: segment %u ends past its %llu bytes",
                      path, i, (unsigned long long)size);
    }
  }
  close(fd);
  return status;
}

/* `library` without a trailing .so, plus .weights: what trilm-compile
 * --weights=external writes next to it; for the model linked into this
 * program (NULL), the program's path plus .weights. */
static char *defaultWeightsPath(const char *library) {
  char program[4096];
  if (!library) {
    ssize_t length = readlink("/proc/self/exe", program, sizeof(program) - 1);
    if (length < 0)
      return NULL;
    program[length] = 0;
    library = program;
  }
  size_t length = strlen(library);
  if (library != program && length > 3 &&
      strcmp(library + length - 3, ".so") == 0)
    length -= 3;
  char *path = malloc(length + sizeof(".weights"));
  if (path) {
    memcpy(path, library, length);
    strcpy(path + length, ".weights");
  }
  return path;
}

/* dlopen searches the library path for a name without a slash; a model named
 * so is a file in the working directory. */
static char *libraryFilePath(const char *path) {
  int hasSlash = strchr(path, '/') != NULL;
  char *result = malloc(strlen(path) + 3);
  if (result)
    sprintf(result, "%s%s", hasSlash ? "" : "./", path);
  return result;
}

/* Looks up the model's GPU runtime, starts it and uploads the weights. */
static trilm_status openOnGPU(trilm_model *model, const char *path,
                              trilm_error *error) {
  struct {
    void **slot;
    const char *name;
  } entries[] = {
      {(void **)&model->cuda.init, "trilm_cuda_init"},
      {(void **)&model->cuda.error, "trilm_cuda_error"},
      {(void **)&model->cuda.malloc, "trilm_cuda_malloc"},
      {(void **)&model->cuda.free, "trilm_cuda_free"},
      {(void **)&model->cuda.memset, "trilm_cuda_memset"},
      {(void **)&model->cuda.copyToDevice, "trilm_cuda_copy_to_device"},
      {(void **)&model->cuda.copyToHost, "trilm_cuda_copy_to_host"},
      {(void **)&model->cuda.synchronize, "trilm_cuda_synchronize"},
      {(void **)&model->cuda.setAsync, "trilm_cuda_set_async"},
  };
  for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); ++i) {
    *entries[i].slot = dlsym(model->library, entries[i].name);
    if (!*entries[i].slot)
      return fail(error, TRILM_ERROR_INVALID_MODEL,
                  "%s is compiled for CUDA but lacks the GPU runtime (%s)",
                  describePath(path), entries[i].name);
  }
  model->onGPU = 1;
  // The kernels' modules were loaded when the library was: an error then
  // (no kernels for this GPU) is reported here too.
  if (model->cuda.init() != 0 || model->cuda.error())
    return fail(error, TRILM_ERROR_DEVICE, "%s runs on an NVIDIA GPU: %s",
                describePath(path), model->cuda.error());
  model->deviceWeights = model->cuda.malloc((size_t)model->weightsBytes);
  if (!model->deviceWeights ||
      model->cuda.copyToDevice(model->deviceWeights, model->weights,
                               (size_t)model->weightsBytes) != 0)
    return fail(error, TRILM_ERROR_DEVICE,
                "cannot upload the %lld bytes of weights of %s to the GPU: %s",
                (long long)model->weightsBytes, describePath(path),
                model->cuda.error());
  // Launches queue; each call waits once, for its logits.
  model->cuda.setAsync(1);
  return TRILM_OK;
}

trilm_status trilm_model_open(const char *path, trilm_model **model,
                              trilm_error *error) {
  return trilm_model_open_with_weights(path, NULL, model, error);
}

trilm_status trilm_model_open_with_weights(const char *path,
                                           const char *weights_path,
                                           trilm_model **model,
                                           trilm_error *error) {
  if (!model)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT, "model is NULL");
  *model = NULL;
  // NULL: the model was linked into this program (export its symbols with
  // -rdynamic).
  char *file = NULL;
  if (path) {
    file = libraryFilePath(path);
    if (!file)
      return fail(error, TRILM_ERROR_OUT_OF_MEMORY, "out of memory");
    trilm_status status = checkLibraryFile(file, error);
    if (status != TRILM_OK) {
      free(file);
      return status;
    }
  }
  void *library = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  free(file);
  if (!library)
    return fail(error, TRILM_ERROR_IO, "cannot load %s: %s",
                describePath(path), dlerror());
  const int64_t *config = (const int64_t *)dlsym(library, "trilm_model_config");
  EntryPoint prefill =
      (EntryPoint)dlsym(library, "_mlir_ciface_trilm_prefill");
  EntryPoint decode = (EntryPoint)dlsym(library, "_mlir_ciface_trilm_decode");
  if (!config || !prefill || !decode) {
    dlclose(library);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s is not a model compiled by trilm-compile (no "
                "trilm_model_config, trilm_prefill or trilm_decode)",
                describePath(path));
  }
  // The config lives in the library: read it before dlclose unmaps it.
  long long abiVersion = (long long)config[TRILM_CONFIG_ABI_VERSION];
  if (abiVersion != TRILM_MODEL_ABI_VERSION) {
    dlclose(library);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s has model ABI version %lld; this runtime reads version %d",
                describePath(path), abiVersion, TRILM_MODEL_ABI_VERSION);
  }
  trilm_status featureStatus = checkCPUFeatures(library, path, error);
  if (featureStatus != TRILM_OK) {
    dlclose(library);
    return featureStatus;
  }
  trilm_model *result = calloc(1, sizeof(trilm_model));
  if (!result) {
    dlclose(library);
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  result->library = library;
  result->weightsBytes = config[TRILM_CONFIG_WEIGHTS_BYTES];
  result->cacheElementBytes = config[TRILM_CONFIG_KV_CACHE_ELEMENT_BYTES];
  result->decodeWeightBytes = config[TRILM_CONFIG_DECODE_WEIGHT_BYTES];
  if (result->cacheElementBytes != 2 && result->cacheElementBytes != 4) {
    long long bytes = (long long)result->cacheElementBytes;
    trilm_model_free(result);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s has KV-cache elements of %lld bytes; expected 2 or 4",
                describePath(path), bytes);
  }
  result->setNumThreads = (SetNumThreads)dlsym(library, "omp_set_num_threads");
  result->getMaxThreads = (GetMaxThreads)dlsym(library, "omp_get_max_threads");
  if (!config[TRILM_CONFIG_EXTERNAL_WEIGHTS]) {
    if (weights_path) {
      trilm_model_free(result);
      return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                  "%s embeds its weights; a weights file (%s) does not apply",
                  describePath(path), weights_path);
    }
    result->weights = (const uint8_t *)dlsym(library, "trilm_weights");
    if (!result->weights) {
      trilm_model_free(result);
      return fail(error, TRILM_ERROR_INVALID_MODEL,
                  "%s has neither embedded weights (trilm_weights) nor an "
                  "external weights file",
                  describePath(path));
    }
  } else {
    char *derived = NULL;
    if (!weights_path) {
      derived = defaultWeightsPath(path);
      weights_path = derived;
    }
    trilm_status status =
        weights_path
            ? mapWeights(weights_path, result->weightsBytes,
                         config[TRILM_CONFIG_WEIGHTS_DIGEST], &result->mapped,
                         error)
            : fail(error, TRILM_ERROR_IO,
                   "cannot name the weights file of %s", describePath(path));
    free(derived);
    if (status != TRILM_OK) {
      trilm_model_free(result);
      return status;
    }
    result->weights = result->mapped;
  }
  if (config[TRILM_CONFIG_DEVICE] == TRILM_DEVICE_CUDA) {
    trilm_status status = openOnGPU(result, path, error);
    if (status != TRILM_OK) {
      trilm_model_free(result);
      return status;
    }
  } else if (config[TRILM_CONFIG_DEVICE] != TRILM_DEVICE_CPU) {
    long long device = (long long)config[TRILM_CONFIG_DEVICE];
    trilm_model_free(result);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s computes on device kind %lld, which this runtime does not "
                "know",
                describePath(path), device);
  }
  result->prefill = prefill;
  result->decode = decode;
  result->info = (trilm_model_info){
      .vocab_size = config[TRILM_CONFIG_VOCAB_SIZE],
      .hidden_size = config[TRILM_CONFIG_HIDDEN_SIZE],
      .num_layers = config[TRILM_CONFIG_NUM_LAYERS],
      .num_heads = config[TRILM_CONFIG_NUM_HEADS],
      .num_kv_heads = config[TRILM_CONFIG_NUM_KV_HEADS],
      .head_dim = config[TRILM_CONFIG_HEAD_DIM],
      .max_positions = config[TRILM_CONFIG_MAX_POSITIONS],
      .int8_activations = config[TRILM_CONFIG_INT8_ACTIVATIONS],
      .bos_token_id = config[TRILM_CONFIG_BOS_TOKEN_ID],
      .eos_token_id = config[TRILM_CONFIG_EOS_TOKEN_ID]};
  *model = result;
  return TRILM_OK;
}

void trilm_model_free(trilm_model *model) {
  if (!model)
    return;
  if (model->deviceWeights)
    model->cuda.free(model->deviceWeights);
  if (model->mapped)
    munmap(model->mapped, (size_t)model->weightsBytes);
  dlclose(model->library);
  free(model);
}

trilm_model_info trilm_model_get_info(const trilm_model *model) {
  if (!model)
    return (trilm_model_info){0};
  return model->info;
}

int64_t trilm_model_bytes_per_token(const trilm_model *model,
                                    int64_t position) {
  if (!model || position < 0)
    return 0;
  const trilm_model_info *info = &model->info;
  /* Keys and values of every layer and kv head, positions 0..position. */
  int64_t cache = 2 * info->num_layers * info->num_kv_heads * info->head_dim *
                  (position + 1) * model->cacheElementBytes;
  return model->decodeWeightBytes + cache;
}

trilm_status trilm_context_create(trilm_model *model, int64_t context_length,
                                  int32_t threads, trilm_context **context,
                                  trilm_error *error) {
  if (!model || !context)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "model or context is NULL");
  *context = NULL;
  const trilm_model_info *info = &model->info;
  if (context_length == 0)
    context_length = info->max_positions;
  if (context_length < 1 || context_length > info->max_positions)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "context length %lld is outside 1 to %lld (the model's "
                "max_position_embeddings)",
                (long long)context_length, (long long)info->max_positions);
  if (threads < 0)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "thread count %d is negative", threads);
  if (threads > TRILM_MAX_THREADS)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "thread count %d exceeds %d", threads, TRILM_MAX_THREADS);
  // Each of the two caches: layers x kv heads x positions x head_dim.
  size_t cacheBytes = 1;
  int64_t extents[] = {info->num_layers, info->num_kv_heads, context_length,
                       info->head_dim, model->cacheElementBytes};
  for (size_t i = 0; i < sizeof(extents) / sizeof(extents[0]); ++i)
    if (extents[i] < 0 ||
        __builtin_mul_overflow(cacheBytes, (size_t)extents[i], &cacheBytes) ||
        cacheBytes > (size_t)INT64_MAX / 2)
      return fail(error, TRILM_ERROR_OUT_OF_MEMORY,
                  "a KV cache of %lld positions exceeds the address space",
                  (long long)context_length);
  trilm_context *result = calloc(1, sizeof(trilm_context));
  if (!result)
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY, "out of memory");
  result->model = model;
  if (model->onGPU) {
    result->keyCache = model->cuda.malloc(cacheBytes);
    result->valueCache = model->cuda.malloc(cacheBytes);
    result->deviceTokens =
        model->cuda.malloc((size_t)context_length * sizeof(int32_t));
    if (!result->keyCache || !result->valueCache || !result->deviceTokens ||
        model->cuda.memset(result->keyCache, 0, cacheBytes) != 0 ||
        model->cuda.memset(result->valueCache, 0, cacheBytes) != 0) {
      trilm_context_free(result);
      return fail(error, TRILM_ERROR_DEVICE,
                  "cannot allocate a KV cache of %zu bytes on the GPU: %s",
                  2 * cacheBytes, model->cuda.error());
    }
  } else {
    result->keyCache = calloc(1, cacheBytes);
    result->valueCache = calloc(1, cacheBytes);
  }
  if (!result->keyCache || !result->valueCache) {
    trilm_context_free(result);
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY,
                "cannot allocate a KV cache of %zu bytes", 2 * cacheBytes);
  }
  result->length = context_length;
  result->threads = threads;
  *context = result;
  return TRILM_OK;
}

void trilm_context_free(trilm_context *context) {
  if (!context)
    return;
  const trilm_model *model = context->model;
  if (model && model->onGPU) {
    model->cuda.free(context->keyCache);
    model->cuda.free(context->valueCache);
    model->cuda.free(context->deviceTokens);
    model->cuda.free(context->deviceLogits);
  } else {
    free(context->keyCache);
    free(context->valueCache);
  }
  free(context);
}

void trilm_context_reset(trilm_context *context) {
  if (context)
    context->position = 0;
}

int64_t trilm_context_position(const trilm_context *context) {
  return context ? context->position : -1;
}

/* Values: layers x kv heads x positions x head dim; keys (`transposed`):
 * layers x kv heads x head dim x positions. */
static CacheRef describeCache(void *data, const trilm_model_info *info,
                              int64_t length, int transposed) {
  int64_t heads = info->num_kv_heads, dim = info->head_dim;
  int64_t inner = transposed ? length : dim, outer = transposed ? dim : length;
  return (CacheRef){data, data, 0, {info->num_layers, heads, outer, inner},
                    {heads * length * dim, length * dim, inner, 1}};
}

/* evaluate() for a model on a GPU: the tokens go to the device, the entry
 * point runs on device buffers, and the logits come back. */
static trilm_status evaluateOnGPU(trilm_context *context,
                                  const int32_t *tokens, int64_t count,
                                  float *logits, int64_t logitRows,
                                  trilm_error *error) {
  const trilm_model *model = context->model;
  const CUDAFunctions *cuda = &model->cuda;
  const trilm_model_info *info = &model->info;
  size_t logitBytes = (size_t)(logitRows * info->vocab_size) * sizeof(float);
  if (logitRows > context->deviceLogitRows) {
    cuda->free(context->deviceLogits);
    context->deviceLogits = cuda->malloc(logitBytes);
    context->deviceLogitRows = context->deviceLogits ? logitRows : 0;
    if (!context->deviceLogits)
      return fail(error, TRILM_ERROR_DEVICE,
                  "cannot allocate %zu bytes of logits on the GPU: %s",
                  logitBytes, cuda->error());
  }
  if (cuda->copyToDevice(context->deviceTokens, tokens,
                         (size_t)count * sizeof(int32_t)) != 0)
    return fail(error, TRILM_ERROR_DEVICE, "the GPU failed: %s",
                cuda->error());
  TokensRef tokenRef = {context->deviceTokens, context->deviceTokens, 0,
                        {count}, {1}};
  CacheRef keys = describeCache(context->keyCache, info, context->length, 1);
  CacheRef values =
      describeCache(context->valueCache, info, context->length, 0);
  LogitsRef logitRef = {context->deviceLogits, context->deviceLogits, 0,
                        {logitRows, info->vocab_size},
                        {info->vocab_size, 1}};
  WeightsRef weights = {model->deviceWeights, model->deviceWeights, 0,
                        {model->weightsBytes}, {1}};
  EntryPoint entry = count == 1 ? model->decode : model->prefill;
  entry(&tokenRef, context->position, &keys, &values, &logitRef, &weights);
  if (cuda->synchronize() != 0 || cuda->error() ||
      cuda->copyToHost(logits, context->deviceLogits, logitBytes) != 0)
    return fail(error, TRILM_ERROR_DEVICE, "the GPU failed: %s",
                cuda->error());
  context->position += count;
  return TRILM_OK;
}

/* Evaluates `count` tokens and writes the logits of the last `logitRows`. */
static trilm_status evaluate(trilm_context *context, const int32_t *tokens,
                             int64_t count, float *logits, int64_t logitRows,
                             trilm_error *error) {
  if (!context || !tokens || !logits)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "context, tokens or logits is NULL");
  if (count < 1)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "token count %lld is not positive", (long long)count);
  const trilm_model_info *info = &context->model->info;
  if (count > context->length - context->position)
    return fail(error, TRILM_ERROR_CONTEXT_FULL,
                "%lld tokens do not fit: the context holds %lld of %lld",
                (long long)count, (long long)context->position,
                (long long)context->length);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= info->vocab_size)
      return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                  "token %lld (at index %lld) is outside the vocabulary of "
                  "%lld",
                  (long long)tokens[i], (long long)i,
                  (long long)info->vocab_size);

  const trilm_model *model = context->model;
  if (model->onGPU)
    return evaluateOnGPU(context, tokens, count, logits, logitRows, error);
  TokensRef tokenRef = {tokens, tokens, 0, {count}, {1}};
  CacheRef keys = describeCache(context->keyCache, info, context->length, 1);
  CacheRef values =
      describeCache(context->valueCache, info, context->length, 0);
  LogitsRef logitRef = {logits, logits, 0, {logitRows, info->vocab_size},
                        {info->vocab_size, 1}};

  // The thread count is set on the calling thread only and restored, so
  // contexts used from different threads do not disturb each other.
  int previousThreads = 0;
  if (context->threads > 0 && model->setNumThreads && model->getMaxThreads) {
    previousThreads = model->getMaxThreads();
    model->setNumThreads(context->threads);
  }
  EntryPoint entry = count == 1 ? model->decode : model->prefill;
  WeightsRef weights = {model->weights, model->weights, 0,
                        {model->weightsBytes}, {1}};
  entry(&tokenRef, context->position, &keys, &values, &logitRef, &weights);
  if (previousThreads > 0)
    model->setNumThreads(previousThreads);
  context->position += count;
  return TRILM_OK;
}

trilm_status trilm_context_eval(trilm_context *context, const int32_t *tokens,
                                int64_t count, float *logits,
                                trilm_error *error) {
  return evaluate(context, tokens, count, logits, count, error);
}

trilm_status trilm_context_eval_last(trilm_context *context,
                                     const int32_t *tokens, int64_t count,
                                     float *logits, trilm_error *error) {
  return evaluate(context, tokens, count, logits, 1, error);
}
