//===- Checkpoint.cpp - Hugging Face TriLM checkpoints --------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// Opens a checkpoint directory: config.json, then either model.safetensors
// or the shards that model.safetensors.index.json lists. Every file is
// mapped and its header validated once, up front, so getTensor is a lookup.
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include "trilm/Support/Files.h"
#include "trilm/Support/JSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <algorithm>

using namespace trilm::import;
using namespace trilm::import::detail;

struct Checkpoint::Impl {
  std::string dir;
  std::vector<SafeTensorsFile> files;
  struct Location {
    TensorView view;
    /// Index into `files`, to name the file in errors.
    size_t file;
  };
  llvm::StringMap<Location> tensors;

  /// Maps every tensor of `file` (a model.safetensors).
  void addAllTensors(SafeTensorsFile file);
  /// Maps the tensors that model.safetensors.index.json at `indexPath`
  /// lists, opening each shard it names once.
  llvm::Error addIndexedTensors(llvm::StringRef indexPath);
};

Checkpoint::Checkpoint() = default;
Checkpoint::~Checkpoint() = default;

static std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

void Checkpoint::Impl::addAllTensors(SafeTensorsFile file) {
  size_t fileIndex = files.size();
  for (TensorView &view : file.tensors)
    tensors.try_emplace(view.name, Location{view, fileIndex});
  files.push_back(std::move(file));
}

llvm::Error Checkpoint::Impl::addIndexedTensors(llvm::StringRef indexPath) {
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      trilm::mapRegularFile(indexPath);
  if (!buffer)
    return buffer.takeError();
  llvm::Expected<std::vector<IndexEntry>> entries =
      parseSafeTensorsIndex((*buffer)->getBuffer(), indexPath);
  if (!entries)
    return entries.takeError();

  // Each shard is opened once; its tensors are found by name.
  llvm::StringMap<size_t> fileIndexByName;
  std::vector<llvm::StringMap<size_t>> tensorIndexByFile;
  for (const auto &[name, fileName] : *entries) {
    auto [it, isNew] = fileIndexByName.try_emplace(fileName, files.size());
    if (isNew) {
      std::string path = joinPath(dir, fileName);
      if (!llvm::sys::fs::exists(path))
        return failure(indexPath + ": weight_map puts tensor '" + name +
                       "' in " + fileName + ", which does not exist");
      llvm::Expected<SafeTensorsFile> file = openSafeTensors(path);
      if (!file)
        return file.takeError();
      files.push_back(std::move(*file));
      llvm::StringMap<size_t> &byName = tensorIndexByFile.emplace_back();
      for (auto [tensorIndex, view] : llvm::enumerate(files.back().tensors))
        byName.try_emplace(view.name, tensorIndex);
    }
    size_t fileIndex = it->second;
    auto found = tensorIndexByFile[fileIndex].find(name);
    if (found == tensorIndexByFile[fileIndex].end())
      return failure(indexPath + ": weight_map puts tensor '" + name + "' in " +
                     fileName + ", which does not contain it");
    tensors.try_emplace(
        name, Location{files[fileIndex].tensors[found->second], fileIndex});
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<Checkpoint>>
Checkpoint::open(llvm::StringRef dir) {
  if (!llvm::sys::fs::exists(dir))
    return failure("checkpoint directory " + dir + " does not exist");
  if (!llvm::sys::fs::is_directory(dir))
    return failure("checkpoint " + dir + " is not a directory");
  std::string configPath = joinPath(dir, "config.json");
  if (!llvm::sys::fs::exists(configPath))
    return failure("checkpoint directory " + dir + " has no config.json");

  std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
  {
    llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
        trilm::mapRegularFile(configPath);
    if (!buffer)
      return buffer.takeError();
    llvm::Expected<LlamaConfig> config =
        parseLlamaConfig((*buffer)->getBuffer(), configPath);
    if (!config)
      return config.takeError();
    checkpoint->config = *config;
  }

  checkpoint->impl = std::make_unique<Impl>();
  Impl &impl = *checkpoint->impl;
  impl.dir = dir.str();
  // As Hugging Face loaders do, the index wins when both exist.
  std::string indexPath = joinPath(dir, "model.safetensors.index.json");
  std::string singlePath = joinPath(dir, "model.safetensors");
  if (llvm::sys::fs::exists(indexPath)) {
    if (llvm::Error error = impl.addIndexedTensors(indexPath))
      return std::move(error);
  } else if (llvm::sys::fs::exists(singlePath)) {
    llvm::Expected<SafeTensorsFile> file = openSafeTensors(singlePath);
    if (!file)
      return file.takeError();
    impl.addAllTensors(std::move(*file));
  } else {
    return failure("no model.safetensors or model.safetensors.index.json in " +
                   dir);
  }
  return std::move(checkpoint);
}

bool Checkpoint::hasTensor(llvm::StringRef name) const {
  return impl->tensors.contains(name);
}

llvm::Expected<TensorView> Checkpoint::getTensor(llvm::StringRef name) const {
  auto it = impl->tensors.find(name);
  if (it == impl->tensors.end())
    return failure("checkpoint " + impl->dir + " has no tensor '" + name + "'");
  return it->second.view;
}

llvm::Expected<TensorView>
Checkpoint::getTensor(llvm::StringRef name,
                      llvm::ArrayRef<int64_t> shape) const {
  auto it = impl->tensors.find(name);
  if (it == impl->tensors.end())
    return getTensor(name);
  const Impl::Location &location = it->second;
  if (llvm::ArrayRef<int64_t>(location.view.shape) != shape)
    return failure(impl->files[location.file].path + ": tensor '" + name +
                   "' has shape " + formatShape(location.view.shape) +
                   ", config.json implies " + formatShape(shape));
  return location.view;
}
