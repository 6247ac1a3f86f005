//===- FuzzGGUF.cpp - Fuzz target: GGUF files -----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any bytes: the GGUF reader returns a file or one error, never reads out of
// bounds; a parsed file's tensors lie inside the bytes.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/GGUF/GGUFFile.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<uint8_t> bytes(data, size);
  auto file = trilm::gguf::File::parse(bytes, "fuzz.gguf");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const trilm::gguf::Tensor &tensor : (*file)->getTensors()) {
    if (tensor.data.data() < data ||
        tensor.data.data() + tensor.data.size() > data + size)
      std::abort();
    trilm::gguf::BlockLayout layout = trilm::gguf::getBlockLayout(tensor.type);
    if (int64_t(tensor.data.size()) !=
        tensor.getNumElements() / layout.elements * layout.bytes)
      std::abort();
  }
  return 0;
}
