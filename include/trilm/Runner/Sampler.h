//===- Sampler.h - Choosing the next token from logits ----------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The sampler of trilm-run (and of the Python package): a repetition
// penalty, then top-k, top-p and min-p truncation, then temperature, then a
// draw from a seeded generator, in llama.cpp's order. Temperature 0 is
// greedy. The same seed gives the same tokens on every platform: the
// generator is std::mt19937_64 and its draws become probabilities by fixed
// arithmetic, not by a library distribution.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_RUNNER_SAMPLER_H
#define TRILM_RUNNER_SAMPLER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <random>
#include <vector>

namespace trilm::runner {

struct SamplerOptions {
  /// 0: always the most likely token.
  float temperature = 0.8f;
  /// Keep the k most likely tokens; 0 keeps all.
  int64_t topK = 40;
  /// Keep the most likely tokens whose probabilities sum to p; 1 keeps all.
  float topP = 0.95f;
  /// Drop tokens less likely than min_p times the most likely; 0 keeps all.
  float minP = 0.05f;
  /// Divide positive logits (multiply negative ones) of recent tokens by
  /// this; 1 disables it.
  float repeatPenalty = 1.0f;
  /// How many recent tokens the penalty looks at.
  int64_t repeatLastN = 64;
  uint64_t seed = 0;

  /// One line naming the first option out of range.
  llvm::Error validate() const;
};

class Sampler {
public:
  explicit Sampler(const SamplerOptions &options)
      : options(options), generator(options.seed) {}

  /// The next token after `history` given its logits.
  int32_t sample(llvm::ArrayRef<float> logits,
                 llvm::ArrayRef<int32_t> history);

private:
  /// A draw in [0, 1).
  double uniform();

  SamplerOptions options;
  std::mt19937_64 generator;
  std::vector<std::pair<float, int32_t>> candidates;
};

} // namespace trilm::runner

#endif // TRILM_RUNNER_SAMPLER_H
