/*===- trilm-c/ModelABI.h - What compiled models export ------------*- C -*-===*\
|*                                                                            *|
|* Part of trilm: an MLIR compiler for ternary language models.               *|
|*                                                                            *|
|* Every model compiled by trilm-compile exports the i64 array                *|
|* `trilm_model_config`, laid out as below, the C wrappers of                 *|
|* `trilm_prefill` and `trilm_decode`, and, when its weights are embedded,    *|
|* `trilm_weights`. Shared by the model builder and the runtime.              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TRILM_C_MODELABI_H
#define TRILM_C_MODELABI_H

/** The version of the entry points and of the config layout; the runtime
 *  refuses models of other versions. */
#define TRILM_MODEL_ABI_VERSION 5

enum trilm_model_config_field {
  TRILM_CONFIG_ABI_VERSION,
  TRILM_CONFIG_VOCAB_SIZE,
  TRILM_CONFIG_HIDDEN_SIZE,
  TRILM_CONFIG_NUM_LAYERS,
  TRILM_CONFIG_NUM_HEADS,
  TRILM_CONFIG_NUM_KV_HEADS,
  TRILM_CONFIG_HEAD_DIM,
  TRILM_CONFIG_MAX_POSITIONS,
  TRILM_CONFIG_INT8_ACTIVATIONS,
  TRILM_CONFIG_BOS_TOKEN_ID,
  TRILM_CONFIG_EOS_TOKEN_ID,
  /** Bytes of one KV-cache element: 4 (f32) or 2 (f16). */
  TRILM_CONFIG_KV_CACHE_ELEMENT_BYTES,
  /** Size of the weights buffer the entry points read. */
  TRILM_CONFIG_WEIGHTS_BYTES,
  /** 1: the weights are a file of that size, memory-mapped by the runtime;
   *  0: the model defines them as the global `trilm_weights`. */
  TRILM_CONFIG_EXTERNAL_WEIGHTS,
  /** A digest of the model's configuration, weights layout and weights:
   *  the weights file written with the model records the same value, so
   *  that the runtime refuses the weights of any other model. */
  TRILM_CONFIG_WEIGHTS_DIGEST,
  /** Bytes of weights that evaluating one token reads: every decoder
   *  layer's, the final norm and lm_head (the embedding row is
   *  negligible). */
  TRILM_CONFIG_DECODE_WEIGHT_BYTES,
  /** Where the entry points compute (a trilm_model_device): on the CPU, or
   *  on an NVIDIA GPU, where every buffer they take (tokens, caches, logits,
   *  weights) is device memory. */
  TRILM_CONFIG_DEVICE,
  TRILM_CONFIG_NUM_FIELDS
};

enum trilm_model_device {
  TRILM_DEVICE_CPU = 0,
  /** The model also exports the functions of trilm-c/CUDA.h, through
   *  which the runtime owns its device buffers. */
  TRILM_DEVICE_CUDA = 1,
};

/** A weights buffer starts with a 64-byte header: this magic, the 8-byte
 *  little-endian TRILM_CONFIG_WEIGHTS_DIGEST of its model, zeros; then the
 *  weights at the 64-byte aligned offsets the model's code reads them
 *  from. */
/** A model also exports the NUL-terminated string `trilm_model_cpu_features`:
 *  the CPU features its code was compiled for, LLVM names separated by
 *  commas ("avx2,fma,avx512f,..."), which the runtime requires of its host
 *  before it runs the model's code. */

#define TRILM_WEIGHTS_MAGIC "TRILMWTS"
#define TRILM_WEIGHTS_DIGEST_OFFSET 8
#define TRILM_WEIGHTS_HEADER_BYTES 64
#define TRILM_WEIGHTS_ALIGNMENT 64

#endif /* TRILM_C_MODELABI_H */
