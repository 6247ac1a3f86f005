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
#include <optional>

#include <sys/mman.h>
#include <unistd.h>

using namespace trilm::import;
using namespace trilm::import::detail;

namespace {

/// A Hugging Face checkpoint directory.
class SafeTensorsCheckpoint final : public Checkpoint {
public:
  static llvm::Expected<std::unique_ptr<Checkpoint>> open(llvm::StringRef dir);

  llvm::Expected<TensorView> getTensor(llvm::StringRef name) const override;
  llvm::Expected<TensorView>
  getTensor(llvm::StringRef name,
            llvm::ArrayRef<int64_t> shape) const override;
  bool hasTensor(llvm::StringRef name) const override;
  llvm::Error checkTernary(llvm::StringRef name, int64_t rows,
                           int64_t cols) const override;
  llvm::Expected<TernaryMatrix> getTernary(llvm::StringRef name, int64_t rows,
                                           int64_t cols, ShardAxis axis,
                                           Ternarize mode) const override;

private:
  /// The tensor `name` of any element type, with `shape` when given.
  llvm::Expected<TensorView>
  find(llvm::StringRef name,
       std::optional<llvm::ArrayRef<int64_t>> shape = std::nullopt) const;
  /// A view of `tensor` when it holds floats.
  llvm::Expected<TensorView> floating(llvm::Expected<TensorView> tensor) const;
  /// BitNet's packed weights: the U8 `name` and its `name`_scale.
  bool isPackedBitNet() const {
    return config.architecture == Architecture::BitNet &&
           config.bitnetWeights != BitNetWeights::Latent;
  }
  static std::string scaleName(llvm::StringRef name) {
    return (name + "_scale").str();
  }

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

} // namespace

Checkpoint::~Checkpoint() = default;

llvm::Expected<TernaryMatrix> Checkpoint::getTernary(llvm::StringRef name,
                                                     int64_t rows, int64_t cols,
                                                     ShardAxis axis,
                                                     Ternarize mode) const {
  llvm::Expected<TensorView> view = getTensor(name, {rows, cols});
  if (!view)
    return view.takeError();
  auto matrix = extractTernary(*view, config.modelParallel, axis, mode);
  releasePages(view->bytes);
  return matrix;
}

llvm::Error Checkpoint::checkTernary(llvm::StringRef name, int64_t rows,
                                    int64_t cols) const {
  return checkShape(name, {rows, cols});
}

llvm::Error Checkpoint::checkShape(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> shape) const {
  return getTensor(name, shape).takeError();
}

void trilm::import::releasePages(llvm::ArrayRef<uint8_t> bytes) {
  static const uintptr_t pageSize = sysconf(_SC_PAGESIZE);
  uintptr_t begin =
      llvm::alignTo(reinterpret_cast<uintptr_t>(bytes.data()), pageSize);
  uintptr_t end = llvm::alignDown(
      reinterpret_cast<uintptr_t>(bytes.data() + bytes.size()), pageSize);
  if (end > begin)
    madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

static std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

void SafeTensorsCheckpoint::addAllTensors(SafeTensorsFile file) {
  size_t fileIndex = files.size();
  for (TensorView &view : file.tensors)
    tensors.try_emplace(view.name, Location{view, fileIndex});
  files.push_back(std::move(file));
}

llvm::Error SafeTensorsCheckpoint::addIndexedTensors(llvm::StringRef indexPath) {
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
  return SafeTensorsCheckpoint::open(dir);
}

llvm::Expected<std::unique_ptr<Checkpoint>>
SafeTensorsCheckpoint::open(llvm::StringRef dir) {
  if (!llvm::sys::fs::exists(dir))
    return failure("checkpoint directory " + dir + " does not exist");
  if (!llvm::sys::fs::is_directory(dir))
    return failure("checkpoint " + dir + " is not a directory");
  std::string configPath = joinPath(dir, "config.json");
  if (!llvm::sys::fs::exists(configPath))
    return failure("checkpoint directory " + dir + " has no config.json");

  std::unique_ptr<SafeTensorsCheckpoint> checkpoint(
      new SafeTensorsCheckpoint());
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

  checkpoint->dir = dir.str();
  // As Hugging Face loaders do, the index wins when both exist.
  std::string indexPath = joinPath(dir, "model.safetensors.index.json");
  std::string singlePath = joinPath(dir, "model.safetensors");
  if (llvm::sys::fs::exists(indexPath)) {
    if (llvm::Error error = checkpoint->addIndexedTensors(indexPath))
      return std::move(error);
  } else if (llvm::sys::fs::exists(singlePath)) {
    llvm::Expected<SafeTensorsFile> file = openSafeTensors(singlePath);
    if (!file)
      return file.takeError();
    checkpoint->addAllTensors(std::move(*file));
  } else {
    return failure("no model.safetensors or model.safetensors.index.json in " +
                   dir);
  }
  return std::unique_ptr<Checkpoint>(std::move(checkpoint));
}

bool SafeTensorsCheckpoint::hasTensor(llvm::StringRef name) const {
  return tensors.contains(name);
}

llvm::Expected<TensorView>
SafeTensorsCheckpoint::find(llvm::StringRef name,
                            std::optional<llvm::ArrayRef<int64_t>> shape) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return failure("checkpoint " + dir + " has no tensor '" + name + "'");
  const Location &location = it->second;
  if (shape && llvm::ArrayRef<int64_t>(location.view.shape) != *shape)
    return failure(files[location.file].path + ": tensor '" + name +
                   "' has shape " + formatShape(location.view.shape) +
                   ", config.json implies " + formatShape(*shape));
  return location.view;
}

llvm::Expected<TensorView>
SafeTensorsCheckpoint::floating(llvm::Expected<TensorView> tensor) const {
  if (tensor && tensor->dtype == DType::U8)
    return failure("tensor '" + tensor->name +
                   "' is U8; trilm reads it as F16, BF16 or F32");
  return tensor;
}

llvm::Expected<TensorView>
SafeTensorsCheckpoint::getTensor(llvm::StringRef name) const {
  return floating(find(name));
}

llvm::Expected<TensorView>
SafeTensorsCheckpoint::getTensor(llvm::StringRef name,
                                 llvm::ArrayRef<int64_t> shape) const {
  return floating(find(name, shape));
}

llvm::Error SafeTensorsCheckpoint::checkTernary(llvm::StringRef name,
                                                int64_t rows,
                                                int64_t cols) const {
  if (!isPackedBitNet())
    return floating(find(name, {{rows, cols}})).takeError();
  if (rows % 4 != 0)
    return failure("tensor '" + name + "' has " + llvm::Twine(rows) +
                   " rows; packed BitNet weights have a multiple of 4");
  llvm::Expected<TensorView> packed = find(name, {{rows / 4, cols}});
  if (!packed)
    return packed.takeError();
  if (packed->dtype != DType::U8)
    return failure("tensor '" + name + "' is " + getDTypeName(packed->dtype) +
                   "; the quantization_config says BitNet weights are packed "
                   "as U8");
  llvm::Expected<TensorView> scale = floating(find(scaleName(name)));
  if (!scale)
    return scale.takeError();
  if (scale->numElements() != 1)
    return failure("tensor '" + scaleName(name) + "' has shape " +
                   formatShape(scale->shape) + "; a BitNet scale is one value");
  return llvm::Error::success();
}

llvm::Expected<TernaryMatrix>
SafeTensorsCheckpoint::getTernary(llvm::StringRef name, int64_t rows,
                                  int64_t cols, ShardAxis axis,
                                  Ternarize mode) const {
  if (config.architecture == Architecture::BitNet &&
      config.bitnetWeights == BitNetWeights::Latent)
    // The model ternarises its master weights per tensor in its forward
    // pass: absmean is its definition, not an approximation.
    return Checkpoint::getTernary(name, rows, cols, axis, Ternarize::AbsMean);
  if (!isPackedBitNet())
    return Checkpoint::getTernary(name, rows, cols, axis, mode);
  if (llvm::Error error = checkTernary(name, rows, cols))
    return std::move(error);
  TensorView packed = *find(name);
  auto matrix =
      unpackBitNetWeight(packed, *find(scaleName(name)), rows, cols,
                         config.bitnetWeights == BitNetWeights::PackedDividing);
  releasePages(packed.bytes);
  return matrix;
}
