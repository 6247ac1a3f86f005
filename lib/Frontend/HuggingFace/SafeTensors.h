//===- SafeTensors.h - safetensors file reader (private) --------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Internal to lib/Import: the safetensors parser that Checkpoint uses, and
// the error helper the importer's files share.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_IMPORT_SAFETENSORS_H
#define TRILM_LIB_IMPORT_SAFETENSORS_H

#include "trilm/Frontend/HuggingFace/Checkpoint.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace trilm::import::detail {

/// A one-line llvm::Error.
inline llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// "[2, 3]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// A memory-mapped safetensors file and the tensors in it; the views point
/// into `buffer`.
struct SafeTensorsFile {
  std::string path;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::vector<TensorView> tensors;
};

/// Parses and validates the header of a safetensors file held in `bytes`;
/// `path` prefixes errors. The views point into `bytes`.
llvm::Expected<std::vector<TensorView>>
parseSafeTensors(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef path);

/// One weight_map entry of model.safetensors.index.json.
struct IndexEntry {
  std::string tensor;
  std::string fileName;
  bool operator<(const IndexEntry &other) const {
    return std::tie(tensor, fileName) < std::tie(other.tensor, other.fileName);
  }
};

/// Parses model.safetensors.index.json text (`path` prefixes errors): the
/// weight_map's entries sorted by tensor name, each shard a relative path
/// that stays inside the checkpoint directory.
llvm::Expected<std::vector<IndexEntry>>
parseSafeTensorsIndex(llvm::StringRef json, llvm::StringRef path);

/// Memory-maps `path` and parses it.
llvm::Expected<SafeTensorsFile> openSafeTensors(llvm::StringRef path);

} // namespace trilm::import::detail

#endif // TRILM_LIB_IMPORT_SAFETENSORS_H
