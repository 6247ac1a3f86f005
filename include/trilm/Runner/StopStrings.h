//===- StopStrings.h - Ending generated text at stop strings ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_RUNNER_STOPSTRINGS_H
#define TRILM_RUNNER_STOPSTRINGS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace trilm::runner {

/// Streams generated text, ending it before the first stop string: text that
/// could be the start of a stop string is held back until the next piece
/// decides, so that no part of a stop string is ever emitted.
class StopStrings {
public:
  explicit StopStrings(std::vector<std::string> stops)
      : stops(std::move(stops)) {}

  /// Adds decoded text; returns what can be emitted now. After a stop
  /// string appears, returns the text before it and stopped() is true.
  std::string push(llvm::StringRef text);
  /// The text still held back, cut at a stop string; call once at the end.
  std::string finish();
  bool stopped() const { return hasStopped; }

private:
  std::vector<std::string> stops;
  std::string held;
  bool hasStopped = false;
};

} // namespace trilm::runner

#endif // TRILM_RUNNER_STOPSTRINGS_H
