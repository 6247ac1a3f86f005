/*===- trilm-c/Runtime.h - Running compiled TriLM models ------------*- C -*-===*\
|*                                                                            *|
|* Part of trilm: an MLIR compiler for ternary language models.               *|
|*                                                                            *|
|* The C API of libtrilm_runtime: open a model compiled by trilm-compile      *|
|* (--emit=lib), create contexts (a KV cache and a thread count each),        *|
|* evaluate tokens and read logits.                                           *|
|*                                                                            *|
|* There is no global state: every function reports failure through its      *|
|* return code and, when `error` is not NULL, a one-line message. Several     *|
|* contexts may be used at once, from different threads; one context must     *|
|* not be used by two threads at the same time.                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TRILM_C_RUNTIME_H
#define TRILM_C_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trilm_status {
  TRILM_OK = 0,
  /** The model file cannot be opened or loaded. */
  TRILM_ERROR_IO = 1,
  /** The file is not a trilm model, or of another ABI version. */
  TRILM_ERROR_INVALID_MODEL = 2,
  /** A NULL pointer, a size out of range or a token outside the vocabulary. */
  TRILM_ERROR_INVALID_ARGUMENT = 3,
  /** The tokens do not fit in the rest of the context. */
  TRILM_ERROR_CONTEXT_FULL = 4,
  TRILM_ERROR_OUT_OF_MEMORY = 5,
  /** The model runs on a GPU and there is no usable one (no driver, no
   *  device, no kernels for it), or the GPU failed. */
  TRILM_ERROR_DEVICE = 6,
} trilm_status;

/** A failure's message, filled in by the function that failed. */
typedef struct trilm_error {
  char message[512];
} trilm_error;

typedef struct trilm_model trilm_model;
typedef struct trilm_context trilm_context;

/** The shape of a model, as its config.json gave it. */
typedef struct trilm_model_info {
  int64_t vocab_size;
  int64_t hidden_size;
  int64_t num_layers;
  int64_t num_heads;
  int64_t num_kv_heads;
  int64_t head_dim;
  int64_t max_positions;
  int64_t int8_activations;
  int64_t bos_token_id; /* -1 when the checkpoint names none */
  int64_t eos_token_id; /* -1 when the checkpoint names none */
} trilm_model_info;

/** A short, static description of `status`. */
const char *trilm_status_string(trilm_status status);

/** Loads the shared library `path` written by trilm-compile --emit=lib
 *  (NULL: a model linked into this program; a path without a slash names a
 *  file in the working directory, as in a shell). A model compiled with
 *  --weights=external maps its weights from `path` without a trailing .so,
 *  plus .weights (model.so: model.weights; the program's path plus .weights
 *  for a linked model), and refuses a weights file written for another
 *  model. */
trilm_status trilm_model_open(const char *path, trilm_model **model,
                              trilm_error *error);
/** The same with the external weights file named explicitly; naming one
 *  for a model that embeds its weights is an error. */
trilm_status trilm_model_open_with_weights(const char *path,
                                           const char *weights_path,
                                           trilm_model **model,
                                           trilm_error *error);
void trilm_model_free(trilm_model *model);
/** The model's shape; all zeros for NULL. */
trilm_model_info trilm_model_get_info(const trilm_model *model);
/** Bytes that evaluating one token at context position `position` reads:
 *  the weights of every layer and of lm_head, and the keys and values of
 *  positions 0 to `position`. Decoding is memory-bound, so this over the
 *  time per token is the read bandwidth it achieves. 0 for NULL or a
 *  negative position. */
int64_t trilm_model_bytes_per_token(const trilm_model *model,
                                    int64_t position);

/** The most threads a context runs on. */
#define TRILM_MAX_THREADS 1024

/** A context of `context_length` positions (at most the model's maximum;
 *  0 takes the maximum) that runs on `threads` threads (0: the OpenMP
 *  default; at most TRILM_MAX_THREADS). */
trilm_status trilm_context_create(trilm_model *model, int64_t context_length,
                                  int32_t threads, trilm_context **context,
                                  trilm_error *error);
void trilm_context_free(trilm_context *context);
/** Forgets every evaluated token (nothing for NULL). */
void trilm_context_reset(trilm_context *context);
/** How many tokens the context holds; -1 for NULL. */
int64_t trilm_context_position(const trilm_context *context);

/** Appends `count` tokens and writes their logits to `logits`
 *  (count x vocab_size floats, row-major). One token runs the decoding
 *  (GEMV) code; several run the prompt (GEMM) code. */
trilm_status trilm_context_eval(trilm_context *context, const int32_t *tokens,
                                int64_t count, float *logits,
                                trilm_error *error);

/** The same, writing only the last token's logits (vocab_size floats), which
 *  is all that generation needs: the lm_head then runs for one token. */
trilm_status trilm_context_eval_last(trilm_context *context,
                                     const int32_t *tokens, int64_t count,
                                     float *logits, trilm_error *error);

#ifdef __cplusplus
}
#endif

#endif /* TRILM_C_RUNTIME_H */
