//===- FuzzSafeTensors.cpp - Fuzz target: safetensors files ---------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any bytes as a safetensors file: parsing either fails with an error or
// hands out views whose every element can be read (AddressSanitizer checks
// that they stay inside the input).
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include <algorithm>
#include <vector>

using namespace trilm::import;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<std::vector<TensorView>> tensors =
      detail::parseSafeTensors(llvm::ArrayRef<uint8_t>(data, size), "fuzz");
  if (!tensors) {
    llvm::consumeError(tensors.takeError());
    return 0;
  }
  std::vector<float> values;
  for (const TensorView &view : *tensors) {
    // A view's extent is its byte range (validated), so this reads at most
    // the input's size.
    values.resize(static_cast<size_t>(view.numElements()));
    view.read(0, values);
    if (!values.empty())
      (void)view.at(view.numElements() - 1);
  }
  return 0;
}
