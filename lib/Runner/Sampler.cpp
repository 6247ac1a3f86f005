//===- Sampler.cpp - Choosing the next token from logits ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Runner/Sampler.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace trilm::runner;

llvm::Error SamplerOptions::validate() const {
  auto error = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (!(temperature >= 0) || !std::isfinite(temperature))
    return error("--temp must be 0 or more, got " + llvm::formatv("{0}", temperature).str());
  if (topK < 0)
    return error("--top-k must be 0 (all) or more, got " + llvm::Twine(topK));
  if (!(topP > 0 && topP <= 1))
    return error("--top-p must be in (0, 1], got " + llvm::formatv("{0}", topP).str());
  if (!(minP >= 0 && minP < 1))
    return error("--min-p must be in [0, 1), got " + llvm::formatv("{0}", minP).str());
  if (!(repeatPenalty > 0) || !std::isfinite(repeatPenalty))
    return error("--repeat-penalty must be positive, got " +
                 llvm::formatv("{0}", repeatPenalty).str());
  if (repeatLastN < 0)
    return error("--repeat-last-n must be 0 or more, got " +
                 llvm::Twine(repeatLastN));
  return llvm::Error::success();
}

double Sampler::uniform() {
  // The top 53 bits as a double in [0, 1): the same on every platform.
  return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

int32_t Sampler::sample(llvm::ArrayRef<float> logits,
                        llvm::ArrayRef<int32_t> history) {
  candidates.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    candidates[i] = {logits[i], static_cast<int32_t>(i)};

  if (options.repeatPenalty != 1.0f && options.repeatLastN > 0) {
    llvm::DenseSet<int32_t> recent;
    size_t count = std::min<size_t>(history.size(), options.repeatLastN);
    for (int32_t token : history.take_back(count))
      if (token >= 0 && static_cast<size_t>(token) < candidates.size() &&
          recent.insert(token).second) {
        float &logit = candidates[token].first;
        logit = logit > 0 ? logit / options.repeatPenalty
                          : logit * options.repeatPenalty;
      }
  }

  // Most likely first; ties by id, so that the order is deterministic.
  auto byLogit = [](const std::pair<float, int32_t> &a,
                    const std::pair<float, int32_t> &b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  if (options.temperature == 0.0f)
    return std::min_element(candidates.begin(), candidates.end(), byLogit)
        ->second;

  size_t kept = candidates.size();
  if (options.topK > 0 && static_cast<size_t>(options.topK) < kept) {
    kept = options.topK;
    std::partial_sort(candidates.begin(), candidates.begin() + kept,
                      candidates.end(), byLogit);
  } else {
    std::sort(candidates.begin(), candidates.end(), byLogit);
  }
  candidates.resize(kept);

  // Probabilities of the kept tokens at temperature 1 for the truncations.
  std::vector<double> probabilities(kept);
  double sum = 0;
  for (size_t i = 0; i < kept; ++i)
    sum += probabilities[i] =
        std::exp(static_cast<double>(candidates[i].first - candidates[0].first));
  for (double &p : probabilities)
    p /= sum;
  if (options.topP < 1.0f) {
    double cumulative = 0;
    size_t i = 0;
    while (i < kept && cumulative < options.topP)
      cumulative += probabilities[i++];
    kept = std::max<size_t>(i, 1);
  }
  if (options.minP > 0.0f) {
    size_t i = 1;
    while (i < kept && probabilities[i] >= options.minP * probabilities[0])
      ++i;
    kept = i;
  }

  // Temperature, then one draw.
  std::vector<double> weights(kept);
  double total = 0;
  for (size_t i = 0; i < kept; ++i)
    total += weights[i] = std::exp(static_cast<double>(
        (candidates[i].first - candidates[0].first) / options.temperature));
  double target = uniform() * total;
  for (size_t i = 0; i < kept; ++i) {
    target -= weights[i];
    if (target < 0)
      return candidates[i].second;
  }
  return candidates[kept - 1].second;
}
