//===- JSON.cpp - JSON input with a nesting limit -------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Support/JSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <optional>
#include <tuple>

using namespace trilm;

/// Rewrites an llvm::json::parse error ("[line:col, byte=N]: msg") as
/// "invalid JSON at line L: msg".
static std::string describeJSONError(llvm::Error error) {
  // llvm::json::ParseError has no accessors; its text is
  // "[LINE:COLUMN, byte=OFFSET]: MESSAGE".
  std::string text = llvm::toString(std::move(error));
  llvm::StringRef rest = text;
  llvm::StringRef line;
  if (rest.consume_front("[")) {
    std::tie(line, rest) = rest.split(':');
    size_t end = rest.find("]: ");
    if (!line.empty() && llvm::all_of(line, llvm::isDigit) &&
        end != llvm::StringRef::npos)
      return ("invalid JSON at line " + line + ": " + rest.drop_front(end + 3))
          .str();
  }
  return "invalid JSON: " + text;
}

/// The line of the first bracket that nests deeper than kMaxJSONDepth, if
/// any; brackets inside strings do not count.
static std::optional<int64_t> findExcessiveNesting(llvm::StringRef text) {
  int depth = 0;
  int64_t line = 1;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
    } else if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJSONDepth)
        return line;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::nullopt;
}

llvm::Expected<llvm::json::Value> trilm::parseJSON(llvm::StringRef text) {
  auto failure = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (std::optional<int64_t> line = findExcessiveNesting(text))
    return failure("invalid JSON at line " + llvm::Twine(*line) +
                   ": nested deeper than " + llvm::Twine(kMaxJSONDepth) +
                   " levels");
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(text);
  if (!value)
    return failure(describeJSONError(value.takeError()));
  return value;
}

