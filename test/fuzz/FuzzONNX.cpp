//===- FuzzONNX.cpp - Fuzz target: ONNX models ----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any bytes, written to a file as trilm-compile reads one: the LLaMA
// recogniser and the graph importer return a result or one error, never
// crash; an imported module verifies.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/ONNX/ONNXImport.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path =
      "/tmp/trilm-fuzz-onnx-" + std::to_string(getpid()) + ".onnx";
  {
    std::error_code error;
    llvm::raw_fd_ostream file(path, error);
    if (error)
      std::abort();
    file.write(reinterpret_cast<const char *>(data), size);
  }
  auto model = trilm::onnx_import::openModel(path);
  llvm::sys::fs::remove(path);
  if (!model) {
    llvm::consumeError(model.takeError());
    return 0;
  }
  auto checkpoint = trilm::onnx_import::openLlamaCheckpoint(*model);
  if (!checkpoint)
    llvm::consumeError(checkpoint.takeError());
  if (!*model) // taken by the LLaMA recogniser
    return 0;
  mlir::MLIRContext context;
  auto module = trilm::onnx_import::importModel(context, *model);
  if (!module) {
    llvm::consumeError(module.takeError());
    return 0;
  }
  if (mlir::failed(mlir::verify(**module)))
    std::abort();
  return 0;
}
