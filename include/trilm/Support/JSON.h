//===- JSON.h - JSON input with a nesting limit -----------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The JSON files trilm reads (config.json, safetensors headers and indexes,
// tokenizer.json) are parsed through this, on LLVMSupport only.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_SUPPORT_JSON_H
#define TRILM_SUPPORT_JSON_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace trilm {

/// The deepest nesting of arrays and objects parseJSON accepts: the files it
/// reads nest a few levels, and llvm::json recurses once per level.
constexpr int kMaxJSONDepth = 64;

/// Parses JSON text; an error is one line without a file name: "invalid JSON
/// at line L: msg", or a nesting deeper than kMaxJSONDepth (rejected before
/// parsing, so that hostile input cannot exhaust the stack).
llvm::Expected<llvm::json::Value> parseJSON(llvm::StringRef text);

} // namespace trilm

#endif // TRILM_SUPPORT_JSON_H
