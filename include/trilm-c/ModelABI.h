/*===- trilm-c/ModelABI.h - What compiled models export ------------*- C -*-===*\
|*                                                                            *|
|* Part of trilm: an MLIR compiler for ternary language models.               *|
|*                                                                            *|
|* Every model compiled by trilm-compile exports the i64 array                *|
|* `trilm_model_config`, laid out as below, and the C wrappers of             *|
|* `trilm_prefill` and `trilm_decode`. Shared by the model builder and the    *|
|* runtime.                                                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef TRILM_C_MODELABI_H
#define TRILM_C_MODELABI_H

/** The version of the entry points and of the config layout; the runtime
 *  refuses models of other versions. */
#define TRILM_MODEL_ABI_VERSION 1

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
  /** Size of the external weights file; 0 when the weights are embedded. */
  TRILM_CONFIG_WEIGHTS_BYTES,
  TRILM_CONFIG_NUM_FIELDS
};

/** An external weights file starts with this magic, then the weights at the
 *  64-byte aligned offsets the model's code reads them from. */
#define TRILM_WEIGHTS_MAGIC "TRILMWTS"
#define TRILM_WEIGHTS_HEADER_BYTES 64
#define TRILM_WEIGHTS_ALIGNMENT 64

#endif /* TRILM_C_MODELABI_H */
