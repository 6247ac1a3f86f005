//===- GGUFFile.h - GGUF (llama.cpp) model files ----------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A reader of GGUF v2/v3 files: metadata key-value pairs and tensor
// descriptions, every count, length, shape and offset checked against the
// file before use, so that a malformed file is one error line, never an
// over-read. Plain C++ on LLVMSupport (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_FRONTEND_GGUF_GGUFFILE_H
#define TRILM_FRONTEND_GGUF_GGUFFILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace trilm::gguf {

/// The ggml tensor types trilm reads (their numbers in the file format).
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
};

/// Elements per block and bytes per block of a tensor type.
struct BlockLayout {
  int64_t elements;
  int64_t bytes;
};
BlockLayout getBlockLayout(TensorType type);
llvm::StringRef getTypeName(TensorType type);

/// A metadata value: a scalar, a string or an array of one of them.
struct Value;
using Array = std::vector<Value>;
struct Value {
  std::variant<uint64_t, int64_t, double, bool, std::string, Array> data;

  std::optional<int64_t> getInteger() const;
  std::optional<double> getFloat() const;
  std::optional<llvm::StringRef> getString() const;
  const Array *getArray() const;
};

struct Tensor {
  std::string name;
  /// Dimensions as GGUF lists them: the first varies fastest (a row).
  std::vector<int64_t> dims;
  TensorType type;
  /// The tensor's bytes, inside the file.
  llvm::ArrayRef<uint8_t> data;

  int64_t getNumElements() const;
};

class File {
public:
  /// Maps and parses `path`.
  static llvm::Expected<std::unique_ptr<File>> open(llvm::StringRef path);
  /// Parses `bytes`, which must outlive the File; `name` prefixes errors.
  static llvm::Expected<std::unique_ptr<File>>
  parse(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name);

  uint32_t getVersion() const { return version; }
  const Value *lookup(llvm::StringRef key) const;
  llvm::ArrayRef<std::pair<std::string, Value>> getMetadata() const {
    return metadata;
  }
  llvm::ArrayRef<Tensor> getTensors() const { return tensors; }
  const Tensor *findTensor(llvm::StringRef name) const;

private:
  File() = default;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  uint32_t version = 0;
  std::vector<std::pair<std::string, Value>> metadata;
  std::vector<Tensor> tensors;
};

} // namespace trilm::gguf

#endif // TRILM_FRONTEND_GGUF_GGUFFILE_H
