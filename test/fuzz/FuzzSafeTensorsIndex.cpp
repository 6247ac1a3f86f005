//===- FuzzSafeTensorsIndex.cpp - Fuzz target: safetensors indexes --------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any text as model.safetensors.index.json: an error, or entries whose shard
// paths stay inside the checkpoint directory.
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace trilm::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto entries = detail::parseSafeTensorsIndex(text, "fuzz");
  if (!entries) {
    llvm::consumeError(entries.takeError());
    return 0;
  }
  // The property the importer relies on: no accepted shard escapes.
  for (const detail::IndexEntry &entry : *entries)
    for (llvm::StringRef component :
         llvm::make_range(llvm::sys::path::begin(entry.fileName),
                          llvm::sys::path::end(entry.fileName)))
      if (component == ".." || llvm::sys::path::is_absolute(entry.fileName))
        std::abort();
  return 0;
}
