//===- StopStrings.cpp - Ending generated text at stop strings ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Runner/StopStrings.h"

#include <algorithm>
#include <optional>

using namespace trilm::runner;

/// Where the first stop string starts in `text`, if one occurs.
static std::optional<size_t> findStop(llvm::StringRef text,
                                      const std::vector<std::string> &stops) {
  std::optional<size_t> first;
  for (const std::string &stop : stops) {
    size_t at = text.find(stop);
    if (at != llvm::StringRef::npos && (!first || at < *first))
      first = at;
  }
  return first;
}

/// How much of `text`'s end could be the start of a stop string.
static size_t stopPrefixLength(llvm::StringRef text,
                               const std::vector<std::string> &stops) {
  size_t longest = 0;
  for (const std::string &stop : stops)
    for (size_t length = std::min(stop.size() - 1, text.size()); length > 0;
         --length)
      if (text.ends_with(llvm::StringRef(stop).take_front(length))) {
        longest = std::max(longest, length);
        break;
      }
  return longest;
}

std::string StopStrings::push(llvm::StringRef text) {
  if (hasStopped)
    return {};
  held += text;
  if (std::optional<size_t> stop = findStop(held, stops)) {
    hasStopped = true;
    std::string out = held.substr(0, *stop);
    held.clear();
    return out;
  }
  size_t keep = stopPrefixLength(held, stops);
  std::string out = held.substr(0, held.size() - keep);
  held.erase(0, held.size() - keep);
  return out;
}

std::string StopStrings::finish() {
  std::string out = std::move(held);
  held.clear();
  if (std::optional<size_t> stop = findStop(out, stops)) {
    out.resize(*stop);
    hasStopped = true;
  }
  return out;
}
