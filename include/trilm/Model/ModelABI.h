//===- ModelABI.h - What compiled models export to the runtime --*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Shared by the model builder and the runtime; plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_MODEL_MODELABI_H
#define TRILM_MODEL_MODELABI_H

#include <cstdint>

namespace trilm::model {

/// Version of the entry-point ABI; the runtime refuses other versions.
inline constexpr int64_t kModelABIVersion = 1;

/// Layout of the `trilm_model_config` i64 array every compiled model
/// exports, read by the runtime.
enum ModelConfigField : int64_t {
  kConfigABIVersion,
  kConfigVocabSize,
  kConfigHiddenSize,
  kConfigNumLayers,
  kConfigNumHeads,
  kConfigNumKVHeads,
  kConfigHeadDim,
  kConfigMaxPositions,
  kConfigInt8Activations,
  kConfigBosTokenId,
  kConfigEosTokenId,
  kConfigNumFields,
};

} // namespace trilm::model

#endif // TRILM_MODEL_MODELABI_H
