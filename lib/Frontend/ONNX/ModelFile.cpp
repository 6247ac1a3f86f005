//===- ModelFile.cpp - An ONNX model file and its tensors -----------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "ModelFile.h"

#include "trilm/Frontend/ONNX/ONNXImport.h"
#include "trilm/Support/Files.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace trilm::onnx_import::detail;

static llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Error ModelFile::error(const llvm::Twine &message) const {
  return failure(path + ": " + message);
}

static llvm::Error checkVersions(const ModelFile &file,
                                 const onnx::ModelProto &model) {
  if (model.ir_version() < 3 || model.ir_version() > 10)
    return file.error("IR version " + llvm::Twine(model.ir_version()) +
                      " is not supported (3 to 10 are)");
  bool found = false;
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") {
      found = true;
      if (opset.version() < trilm::onnx_import::kMinOpset ||
          opset.version() > trilm::onnx_import::kMaxOpset)
        return file.error("opset " + llvm::Twine(opset.version()) +
                          " is not supported (" +
                          llvm::Twine(trilm::onnx_import::kMinOpset) + " to " +
                          llvm::Twine(trilm::onnx_import::kMaxOpset) + " are)");
    }
  }
  if (!found)
    return file.error("imports no opset of the default domain");
  return llvm::Error::success();
}

void trilm::onnx_import::detail::ModelFileDeleter::operator()(
    ModelFile *file) const {
  delete file;
}

llvm::Expected<trilm::onnx_import::Model>
trilm::onnx_import::openModel(llvm::StringRef path) {
  return ModelFile::open(path);
}

llvm::Expected<trilm::onnx_import::Model>
ModelFile::open(llvm::StringRef path) {
  trilm::onnx_import::Model file(new ModelFile());
  file->path = path.str();
  file->directory = llvm::sys::path::parent_path(path).str();
  if (file->directory.empty())
    file->directory = ".";
  auto buffer = trilm::mapRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > INT32_MAX ||
      !file->model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return file->error("is not an ONNX model (its protobuf does not parse)");
  if (llvm::Error error = checkVersions(*file, file->model))
    return std::move(error);
  return std::move(file);
}

llvm::Expected<std::vector<float>>
ModelFile::readTensor(const onnx::TensorProto &tensor) const {
  auto tensorError = [&](const llvm::Twine &message) {
    return this->error("tensor '" + tensor.name() + "' " + message);
  };
  if (tensor.data_type() != onnx::TensorProto_DataType_FLOAT)
    return tensorError(
        "has element type " +
        onnx::TensorProto_DataType_Name(
            static_cast<onnx::TensorProto_DataType>(tensor.data_type())) +
        "; trilm imports FLOAT tensors");
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0 || (dim > 0 && count > (uint64_t(1) << 40) / dim))
      return tensorError("has an invalid shape");
    count *= dim;
  }
  std::vector<float> result(count);
  auto copyBytes = [&](llvm::StringRef bytes) -> llvm::Error {
    if (bytes.size() != count * sizeof(float))
      return tensorError("holds " + llvm::Twine(bytes.size()) + " bytes for " +
                         llvm::Twine(count) + " floats");
    std::memcpy(result.data(), bytes.data(), bytes.size());
    return llvm::Error::success();
  };
  if (tensor.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = UINT64_MAX;
    for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if ((entry.key() == "offset" &&
                llvm::StringRef(entry.value()).getAsInteger(10, offset)) ||
               (entry.key() == "length" &&
                llvm::StringRef(entry.value()).getAsInteger(10, length)))
        return tensorError("has an invalid external data " + entry.key());
    }
    // The data must stay inside the model's directory: no absolute path, no
    // "..", and no link that leads out.
    auto outside = [&] {
      return tensorError("has external data at '" + location +
                         "', outside the model's directory");
    };
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                            llvm::sys::path::end(location)),
                           ".."))
      return outside();
    llvm::SmallString<256> resolved(directory), real, root;
    llvm::sys::path::append(resolved, location);
    if (llvm::sys::fs::real_path(resolved, real) ||
        llvm::sys::fs::real_path(directory, root))
      return tensorError("has external data in '" + location +
                         "', which does not exist");
    if (!llvm::StringRef(real).starts_with((root + "/").str()))
      return outside();
    auto buffer = trilm::mapRegularFile(real);
    if (!buffer)
      return buffer.takeError();
    llvm::StringRef bytes = (*buffer)->getBuffer();
    if (length == UINT64_MAX)
      length = count * sizeof(float);
    if (offset > bytes.size() || length > bytes.size() - offset)
      return tensorError("has external data past the end of " + location);
    if (llvm::Error error = copyBytes(bytes.substr(offset, length)))
      return std::move(error);
    return result;
  }
  if (tensor.has_raw_data()) {
    if (llvm::Error error = copyBytes(tensor.raw_data()))
      return std::move(error);
    return result;
  }
  if (static_cast<uint64_t>(tensor.float_data_size()) != count)
    return tensorError("holds " + llvm::Twine(tensor.float_data_size()) +
                       " floats for its " + llvm::Twine(count) + " elements");
  std::copy(tensor.float_data().begin(), tensor.float_data().end(),
            result.begin());
  return result;
}
