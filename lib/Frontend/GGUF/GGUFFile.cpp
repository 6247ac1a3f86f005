//===- GGUFFile.cpp - GGUF (llama.cpp) model files ------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The format (llama.cpp's gguf.md): "GGUF", a uint32 version, uint64 tensor
// and metadata counts, the metadata (key string, uint32 type, value), the
// tensor infos (name, uint32 rank, uint64 dims, uint32 type, uint64 offset),
// then the data from the next multiple of general.alignment (32 by default),
// tensor offsets counted from there. Little-endian throughout.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/GGUF/GGUFFile.h"

#include "trilm/Support/Files.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>

using namespace trilm::gguf;

namespace {

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Arrays inside arrays are legal GGUF but no model uses more than this.
constexpr int kMaxArrayDepth = 4;
/// llama.cpp's limit on tensor rank.
constexpr uint32_t kMaxDims = 4;
/// Strings (keys, tensor names, vocabulary entries) longer than this are
/// refused rather than trusted.
constexpr uint64_t kMaxStringBytes = uint64_t(1) << 24;

enum ValueType : uint32_t {
  kUInt8 = 0,
  kInt8 = 1,
  kUInt16 = 2,
  kInt16 = 3,
  kUInt32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUInt64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

/// Bounds-checked little-endian reads from the file's bytes.
class Reader {
public:
  Reader(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name)
      : bytes(bytes), name(name.str()) {}

  uint64_t offset() const { return position; }
  uint64_t remaining() const { return bytes.size() - position; }

  llvm::Error error(const llvm::Twine &what) const {
    return failure(name + ": " + what + " (at byte " + llvm::Twine(position) +
                   ")");
  }

  template <typename T> llvm::Expected<T> read(llvm::StringRef what) {
    if (remaining() < sizeof(T))
      return error("the file ends inside " + what);
    T value;
    std::memcpy(&value, bytes.data() + position, sizeof(T));
    position += sizeof(T);
    return value;
  }

  llvm::Expected<std::string> readString(llvm::StringRef what) {
    auto length = read<uint64_t>(what);
    if (!length)
      return length.takeError();
    if (*length > kMaxStringBytes)
      return error(what + " is " + llvm::Twine(*length) +
                   " bytes long, more than the " +
                   llvm::Twine(kMaxStringBytes) + " allowed");
    if (*length > remaining())
      return error("the file ends inside " + what);
    std::string value(reinterpret_cast<const char *>(bytes.data() + position),
                      *length);
    position += *length;
    return value;
  }

  llvm::Expected<Value> readValue(uint32_t type, llvm::StringRef key,
                                  int depth);

private:
  llvm::ArrayRef<uint8_t> bytes;
  std::string name;
  uint64_t position = 0;
};

template <typename T>
llvm::Expected<Value> integer(Reader &reader, llvm::StringRef key) {
  auto value = reader.read<T>("the value of " + key.str());
  if (!value)
    return value.takeError();
  if constexpr (std::is_signed_v<T>)
    return Value{int64_t(*value)};
  else
    return Value{uint64_t(*value)};
}

llvm::Expected<Value> Reader::readValue(uint32_t type, llvm::StringRef key,
                                        int depth) {
  switch (type) {
  case kUInt8:
    return integer<uint8_t>(*this, key);
  case kInt8:
    return integer<int8_t>(*this, key);
  case kUInt16:
    return integer<uint16_t>(*this, key);
  case kInt16:
    return integer<int16_t>(*this, key);
  case kUInt32:
    return integer<uint32_t>(*this, key);
  case kInt32:
    return integer<int32_t>(*this, key);
  case kUInt64:
    return integer<uint64_t>(*this, key);
  case kInt64:
    return integer<int64_t>(*this, key);
  case kFloat32: {
    auto value = read<float>("the value of " + key.str());
    if (!value)
      return value.takeError();
    return Value{double(*value)};
  }
  case kFloat64: {
    auto value = read<double>("the value of " + key.str());
    if (!value)
      return value.takeError();
    return Value{*value};
  }
  case kBool: {
    auto value = read<uint8_t>("the value of " + key.str());
    if (!value)
      return value.takeError();
    if (*value > 1)
      return error("boolean " + key + " is " + llvm::Twine(unsigned(*value)));
    return Value{*value == 1};
  }
  case kString: {
    auto value = readString("the value of " + key.str());
    if (!value)
      return value.takeError();
    return Value{std::move(*value)};
  }
  case kArray: {
    if (depth >= kMaxArrayDepth)
      return error("array " + key + " nests more than " +
                   llvm::Twine(kMaxArrayDepth) + " deep");
    auto elementType = read<uint32_t>("the array type of " + key.str());
    if (!elementType)
      return elementType.takeError();
    auto count = read<uint64_t>("the array length of " + key.str());
    if (!count)
      return count.takeError();
    // Every element takes at least one byte: a count beyond what is left
    // is malformed, and checking it first bounds the allocation.
    if (*count > remaining())
      return error("array " + key + " claims " + llvm::Twine(*count) +
                   " elements, more than the file holds");
    Array elements;
    elements.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
      auto element = readValue(*elementType, key, depth + 1);
      if (!element)
        return element.takeError();
      elements.push_back(std::move(*element));
    }
    return Value{std::move(elements)};
  }
  default:
    return error("metadata " + key + " has unknown value type " +
                 llvm::Twine(type));
  }
}

bool isKnownType(uint32_t type) {
  switch (static_cast<TensorType>(type)) {
  case TensorType::F32:
  case TensorType::F16:
  case TensorType::Q8_0:
  case TensorType::BF16:
  case TensorType::TQ1_0:
  case TensorType::TQ2_0:
    return true;
  }
  return false;
}

} // namespace

BlockLayout trilm::gguf::getBlockLayout(TensorType type) {
  switch (type) {
  case TensorType::F32:
    return {1, 4};
  case TensorType::F16:
  case TensorType::BF16:
    return {1, 2};
  case TensorType::Q8_0:
    return {32, 34};
  case TensorType::TQ1_0:
    return {256, 54};
  case TensorType::TQ2_0:
    return {256, 66};
  }
  llvm_unreachable("unknown tensor type");
}

llvm::StringRef trilm::gguf::getTypeName(TensorType type) {
  switch (type) {
  case TensorType::F32:
    return "F32";
  case TensorType::F16:
    return "F16";
  case TensorType::Q8_0:
    return "Q8_0";
  case TensorType::BF16:
    return "BF16";
  case TensorType::TQ1_0:
    return "TQ1_0";
  case TensorType::TQ2_0:
    return "TQ2_0";
  }
  llvm_unreachable("unknown tensor type");
}

std::optional<int64_t> Value::getInteger() const {
  if (auto *value = std::get_if<int64_t>(&data))
    return *value;
  if (auto *value = std::get_if<uint64_t>(&data))
    if (*value <= uint64_t(INT64_MAX))
      return int64_t(*value);
  return std::nullopt;
}

std::optional<double> Value::getFloat() const {
  if (auto *value = std::get_if<double>(&data))
    return *value;
  if (std::optional<int64_t> value = getInteger())
    return double(*value);
  return std::nullopt;
}

std::optional<llvm::StringRef> Value::getString() const {
  if (auto *value = std::get_if<std::string>(&data))
    return llvm::StringRef(*value);
  return std::nullopt;
}

const Array *Value::getArray() const { return std::get_if<Array>(&data); }

int64_t Tensor::getNumElements() const {
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= dim;
  return count;
}

llvm::Expected<std::unique_ptr<File>> File::open(llvm::StringRef path) {
  auto buffer = trilm::mapRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  llvm::ArrayRef<uint8_t> bytes(
      reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
      (*buffer)->getBufferSize());
  auto file = parse(bytes, path);
  if (!file)
    return file.takeError();
  (*file)->buffer = std::move(*buffer);
  return file;
}

llvm::Expected<std::unique_ptr<File>>
File::parse(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name) {
  Reader reader(bytes, name);
  auto magic = reader.read<uint32_t>("the magic number");
  if (!magic)
    return magic.takeError();
  if (std::memcmp(bytes.data(), "GGUF", 4) != 0)
    return failure(name + ": not a GGUF file (no GGUF magic number)");
  auto version = reader.read<uint32_t>("the version");
  if (!version)
    return version.takeError();
  if (*version != 2 && *version != 3)
    return failure(name + ": GGUF version " + llvm::Twine(*version) +
                   " is not supported (2 and 3 are)");
  auto tensorCount = reader.read<uint64_t>("the tensor count");
  if (!tensorCount)
    return tensorCount.takeError();
  auto metadataCount = reader.read<uint64_t>("the metadata count");
  if (!metadataCount)
    return metadataCount.takeError();
  // A key-value pair takes at least 12 bytes, a tensor info at least 24.
  if (*metadataCount > reader.remaining() / 12)
    return reader.error(llvm::Twine(*metadataCount) +
                        " metadata entries cannot fit in the file");
  if (*tensorCount > reader.remaining() / 24)
    return reader.error(llvm::Twine(*tensorCount) +
                        " tensors cannot fit in the file");

  std::unique_ptr<File> file(new File());
  file->version = *version;
  llvm::StringSet<> keys;
  for (uint64_t i = 0; i < *metadataCount; ++i) {
    auto key = reader.readString("a metadata key");
    if (!key)
      return key.takeError();
    if (!keys.insert(*key).second)
      return reader.error("metadata key " + *key + " appears twice");
    auto type = reader.read<uint32_t>("the type of " + *key);
    if (!type)
      return type.takeError();
    auto value = reader.readValue(*type, *key, 0);
    if (!value)
      return value.takeError();
    file->metadata.emplace_back(std::move(*key), std::move(*value));
  }

  uint64_t alignment = 32;
  if (const Value *value = file->lookup("general.alignment")) {
    std::optional<int64_t> given = value->getInteger();
    if (!given || *given <= 0 || !llvm::isPowerOf2_64(*given) ||
        *given > 65536)
      return failure(name + ": general.alignment must be a power of two up "
                            "to 65536");
    alignment = *given;
  }

  struct Info {
    uint64_t offset, bytes;
  };
  std::vector<Info> infos;
  llvm::StringSet<> names;
  for (uint64_t i = 0; i < *tensorCount; ++i) {
    Tensor tensor;
    auto tensorName = reader.readString("a tensor name");
    if (!tensorName)
      return tensorName.takeError();
    tensor.name = std::move(*tensorName);
    if (!names.insert(tensor.name).second)
      return reader.error("tensor " + tensor.name + " appears twice");
    auto rank = reader.read<uint32_t>("the rank of " + tensor.name);
    if (!rank)
      return rank.takeError();
    if (*rank == 0 || *rank > kMaxDims)
      return reader.error("tensor " + tensor.name + " has rank " +
                          llvm::Twine(*rank) + "; 1 to 4 are allowed");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < *rank; ++d) {
      auto dim = reader.read<uint64_t>("the shape of " + tensor.name);
      if (!dim)
        return dim.takeError();
      // Dimensions and their product stay below 2^48 elements: no
      // overflow in byte counts, far beyond any model.
      if (*dim == 0 || *dim >= (uint64_t(1) << 48) ||
          elements > (uint64_t(1) << 48) / *dim)
        return reader.error("tensor " + tensor.name +
                            " has a zero or too large dimension");
      elements *= *dim;
      tensor.dims.push_back(int64_t(*dim));
    }
    auto type = reader.read<uint32_t>("the type of " + tensor.name);
    if (!type)
      return type.takeError();
    if (!isKnownType(*type))
      return reader.error("tensor " + tensor.name + " has ggml type " +
                          llvm::Twine(*type) +
                          ", which trilm does not read (F32, F16, BF16, "
                          "Q8_0, TQ1_0 and TQ2_0 it does)");
    tensor.type = static_cast<TensorType>(*type);
    BlockLayout layout = getBlockLayout(tensor.type);
    if (tensor.dims[0] % layout.elements != 0)
      return reader.error("tensor " + tensor.name + " has rows of " +
                          llvm::Twine(tensor.dims[0]) + " elements, not a "
                          "multiple of the " + getTypeName(tensor.type) +
                          " block of " + llvm::Twine(layout.elements));
    auto offset = reader.read<uint64_t>("the offset of " + tensor.name);
    if (!offset)
      return offset.takeError();
    if (*offset % alignment != 0)
      return reader.error("tensor " + tensor.name + " starts at offset " +
                          llvm::Twine(*offset) + ", not a multiple of the " +
                          "alignment " + llvm::Twine(alignment));
    infos.push_back({*offset, elements / layout.elements * layout.bytes});
    file->tensors.push_back(std::move(tensor));
  }

  uint64_t dataStart = llvm::alignTo(reader.offset(), alignment);
  uint64_t size = bytes.size();
  for (size_t i = 0; i < infos.size(); ++i) {
    const Info &info = infos[i];
    if (dataStart > size || info.offset > size - dataStart ||
        info.bytes > size - dataStart - info.offset)
      return failure(name + ": tensor " + file->tensors[i].name +
                     " extends past the end of the file");
    file->tensors[i].data =
        bytes.slice(dataStart + info.offset, info.bytes);
  }
  return file;
}

const Value *File::lookup(llvm::StringRef key) const {
  for (const auto &[name, value] : metadata)
    if (name == key)
      return &value;
  return nullptr;
}

const Tensor *File::findTensor(llvm::StringRef name) const {
  for (const Tensor &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}
