//===- FuzzLlamaConfig.cpp - Fuzz target: config.json ---------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any text as config.json: an error, or a config within the limits that
// every later size computation assumes.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/HuggingFace/Checkpoint.h"

#include <cstdlib>

using namespace trilm::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  llvm::Expected<LlamaConfig> config = parseLlamaConfig(text, "config.json");
  if (!config) {
    llvm::consumeError(config.takeError());
    return 0;
  }
  // What the weights planner and the KV-cache types rely on.
  const LlamaConfig &c = *config;
  bool positive = c.vocabSize > 0 && c.hiddenSize > 0 &&
                  c.intermediateSize > 0 && c.numLayers > 0 &&
                  c.numHeads > 0 && c.numKVHeads > 0 && c.headDim > 0 &&
                  c.maxPositions > 0 && c.modelParallel > 0;
  if (!positive || c.headDim % 2 != 0 || c.numHeads % c.numKVHeads != 0 ||
      c.numLayers > 4096 || c.headDim > 1024 || c.hiddenSize > (1 << 16))
    std::abort();
  return 0;
}
