//===- Runtime.cpp - The C API for compiled TriLM models ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A compiled model is a shared library (or an executable linked with the
// model's object file) exporting `trilm_model_config` and the C wrappers of
// `trilm_prefill` and `trilm_decode`, which take memref descriptors.
//
//===----------------------------------------------------------------------===//

#include "trilm-c/Runtime.h"

#include "trilm/Model/ModelABI.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

// Weak, so that the runtime works with models compiled without OpenMP; a
// model built with it brings libomp along.
extern "C" void omp_set_num_threads(int) __attribute__((weak));
extern "C" int omp_get_max_threads(void) __attribute__((weak));

namespace {

using namespace trilm::model;

template <typename T, int Rank>
struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

using EntryPoint = void (*)(MemRef<int32_t, 1> *tokens, int64_t start,
                            MemRef<float, 3> *keyCache,
                            MemRef<float, 3> *valueCache,
                            MemRef<float, 2> *logits);

trilm_status fail(trilm_error *error, trilm_status status, const char *format,
                  ...) {
  if (error) {
    va_list args;
    va_start(args, format);
    vsnprintf(error->message, sizeof(error->message), format, args);
    va_end(args);
  }
  return status;
}

template <typename T, int Rank>
MemRef<T, Rank> describe(T *data, const int64_t (&sizes)[Rank]) {
  MemRef<T, Rank> memref{data, data, 0, {}, {}};
  int64_t stride = 1;
  for (int i = Rank - 1; i >= 0; --i) {
    memref.sizes[i] = sizes[i];
    memref.strides[i] = stride;
    stride *= sizes[i];
  }
  return memref;
}

} // namespace

struct trilm_model {
  void *library;
  bool ownsLibrary;
  trilm_model_info info;
  EntryPoint prefill;
  EntryPoint decode;
};

struct trilm_context {
  trilm_model *model;
  int64_t length;
  int32_t threads;
  int64_t position;
  float *keyCache;
  float *valueCache;
};

extern "C" {

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
  }
  return "unknown status";
}

trilm_status trilm_model_open(const char *path, trilm_model **model,
                              trilm_error *error) {
  if (!model)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT, "model is NULL");
  *model = nullptr;
  // NULL: the model was linked into this program.
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return fail(error, TRILM_ERROR_IO, "cannot load %s: %s",
                path ? path : "the program", dlerror());
  auto *config =
      static_cast<const int64_t *>(dlsym(library, "trilm_model_config"));
  auto prefill =
      reinterpret_cast<EntryPoint>(dlsym(library, "_mlir_ciface_trilm_prefill"));
  auto decode =
      reinterpret_cast<EntryPoint>(dlsym(library, "_mlir_ciface_trilm_decode"));
  if (!config || !prefill || !decode) {
    dlclose(library);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s is not a model compiled by trilm-compile (no "
                "trilm_model_config, trilm_prefill or trilm_decode)",
                path ? path : "the program");
  }
  if (config[kConfigABIVersion] != kModelABIVersion) {
    dlclose(library);
    return fail(error, TRILM_ERROR_INVALID_MODEL,
                "%s has model ABI version %lld; this runtime reads version %lld",
                path ? path : "the program",
                static_cast<long long>(config[kConfigABIVersion]),
                static_cast<long long>(kModelABIVersion));
  }
  auto *result = new (std::nothrow) trilm_model;
  if (!result) {
    dlclose(library);
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  result->library = library;
  result->prefill = prefill;
  result->decode = decode;
  result->info = trilm_model_info{
      config[kConfigVocabSize],       config[kConfigHiddenSize],
      config[kConfigNumLayers],       config[kConfigNumHeads],
      config[kConfigNumKVHeads],      config[kConfigHeadDim],
      config[kConfigMaxPositions],    config[kConfigInt8Activations],
      config[kConfigBosTokenId],      config[kConfigEosTokenId]};
  *model = result;
  return TRILM_OK;
}

void trilm_model_free(trilm_model *model) {
  if (!model)
    return;
  dlclose(model->library);
  delete model;
}

trilm_model_info trilm_model_get_info(const trilm_model *model) {
  return model->info;
}

trilm_status trilm_context_create(trilm_model *model, int64_t context_length,
                                  int32_t threads, trilm_context **context,
                                  trilm_error *error) {
  if (!model || !context)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT, "model or context is NULL");
  *context = nullptr;
  const trilm_model_info &info = model->info;
  if (context_length == 0)
    context_length = info.max_positions;
  if (context_length < 1 || context_length > info.max_positions)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "context length %lld is outside 1 to %lld (the model's "
                "max_position_embeddings)",
                static_cast<long long>(context_length),
                static_cast<long long>(info.max_positions));
  if (threads < 0)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "thread count %d is negative", threads);
  auto *result = new (std::nothrow) trilm_context{};
  if (!result)
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY, "out of memory");
  size_t cacheFloats = static_cast<size_t>(info.num_layers) * context_length *
                       info.num_kv_heads * info.head_dim;
  result->keyCache = static_cast<float *>(calloc(cacheFloats, sizeof(float)));
  result->valueCache =
      static_cast<float *>(calloc(cacheFloats, sizeof(float)));
  if (!result->keyCache || !result->valueCache) {
    trilm_context_free(result);
    return fail(error, TRILM_ERROR_OUT_OF_MEMORY,
                "cannot allocate a KV cache of %zu bytes",
                2 * cacheFloats * sizeof(float));
  }
  result->model = model;
  result->length = context_length;
  result->threads = threads;
  result->position = 0;
  *context = result;
  return TRILM_OK;
}

void trilm_context_free(trilm_context *context) {
  if (!context)
    return;
  free(context->keyCache);
  free(context->valueCache);
  delete context;
}

void trilm_context_reset(trilm_context *context) { context->position = 0; }

int64_t trilm_context_position(const trilm_context *context) {
  return context->position;
}

trilm_status trilm_context_eval(trilm_context *context, const int32_t *tokens,
                                int64_t count, float *logits,
                                trilm_error *error) {
  if (!context || !tokens || !logits)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "context, tokens or logits is NULL");
  if (count < 1)
    return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                "token count %lld is not positive",
                static_cast<long long>(count));
  const trilm_model_info &info = context->model->info;
  if (count > context->length - context->position)
    return fail(error, TRILM_ERROR_CONTEXT_FULL,
                "%lld tokens do not fit: the context holds %lld of %lld",
                static_cast<long long>(count),
                static_cast<long long>(context->position),
                static_cast<long long>(context->length));
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= info.vocab_size)
      return fail(error, TRILM_ERROR_INVALID_ARGUMENT,
                  "token %lld (at index %lld) is outside the vocabulary of "
                  "%lld",
                  static_cast<long long>(tokens[i]), static_cast<long long>(i),
                  static_cast<long long>(info.vocab_size));

  int64_t kvWidth = info.num_kv_heads * info.head_dim;
  auto tokenRef =
      describe(const_cast<int32_t *>(tokens), {count});
  auto keys = describe(context->keyCache,
                       {info.num_layers, context->length, kvWidth});
  auto values = describe(context->valueCache,
                         {info.num_layers, context->length, kvWidth});
  auto logitRef = describe(logits, {count, info.vocab_size});

  int previousThreads = 0;
  if (context->threads > 0 && omp_set_num_threads && omp_get_max_threads) {
    previousThreads = omp_get_max_threads();
    omp_set_num_threads(context->threads);
  }
  EntryPoint entry = count == 1 ? context->model->decode
                                : context->model->prefill;
  entry(&tokenRef, context->position, &keys, &values, &logitRef);
  if (previousThreads > 0)
    omp_set_num_threads(previousThreads);
  context->position += count;
  return TRILM_OK;
}

} // extern "C"
