//===- ModelFile.h - An ONNX model file and its tensors ---------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_FRONTEND_ONNX_MODELFILE_H
#define TRILM_LIB_FRONTEND_ONNX_MODELFILE_H

#include "trilm/Frontend/ONNX/ONNXImport.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <memory>
#include <string>
#include <vector>

namespace trilm::onnx_import::detail {

/// A parsed ONNX model whose IR version and default-domain opset trilm
/// imports.
class ModelFile {
public:
  static llvm::Expected<Model> open(llvm::StringRef path);

  const onnx::ModelProto &getModel() const { return model; }
  const onnx::GraphProto &getGraph() const { return model.graph(); }
  /// "`path`: `message`".
  llvm::Error error(const llvm::Twine &message) const;
  /// The f32 values of `tensor`: inline, or in an external data file that
  /// must lie inside the model's directory.
  llvm::Expected<std::vector<float>>
  readTensor(const onnx::TensorProto &tensor) const;

private:
  ModelFile() = default;
  onnx::ModelProto model;
  std::string path, directory;
};

} // namespace trilm::onnx_import::detail

#endif // TRILM_LIB_FRONTEND_ONNX_MODELFILE_H
