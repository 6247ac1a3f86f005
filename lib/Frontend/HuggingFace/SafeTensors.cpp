//===- SafeTensors.cpp - safetensors file reader --------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON mapping each tensor name to its dtype, shape and byte range
// (data_offsets, relative to the end of the header), then the data. The
// header is validated completely up front, so that a view handed out later
// never reads outside the file.
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include "trilm/Support/Files.h"
#include "trilm/Support/JSON.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <tuple>

using namespace trilm::import;
using namespace trilm::import::detail;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

llvm::StringRef trilm::import::getDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  case DType::F32:
    return "F32";
  case DType::U8:
    return "U8";
  }
  llvm_unreachable("unknown DType");
}

int64_t trilm::import::getDTypeSize(DType dtype) {
  switch (dtype) {
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
    return 4;
  case DType::U8:
    return 1;
  }
  llvm_unreachable("unknown DType");
}

/// IEEE binary16 to binary32; exact for every input, subnormals, infinities
/// and NaN payloads included.
static float halfToFloat(uint16_t half) {
  uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  uint32_t exponent = (half >> 10) & 0x1f;
  uint32_t mantissa = half & 0x3ff;
  if (exponent == 0x1f)
    return llvm::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in f32.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  // Rebias the exponent from 15 to 127.
  return llvm::bit_cast<float>(sign | ((exponent + 112) << 23) |
                               (mantissa << 13));
}

/// bfloat16 is the top half of a binary32.
static float bfloat16ToFloat(uint16_t bits) {
  return llvm::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

//===----------------------------------------------------------------------===//
// TensorView
//===----------------------------------------------------------------------===//

int64_t TensorView::numElements() const {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

float TensorView::at(int64_t index) const {
  assert(index >= 0 && index < numElements() && "element out of range");
  const uint8_t *element = bytes.data() + index * getDTypeSize(dtype);
  switch (dtype) {
  case DType::F16:
    return halfToFloat(llvm::support::endian::read16le(element));
  case DType::BF16:
    return bfloat16ToFloat(llvm::support::endian::read16le(element));
  case DType::F32:
    return llvm::bit_cast<float>(llvm::support::endian::read32le(element));
  case DType::U8:
    return *element;
  }
  llvm_unreachable("unknown DType");
}

void TensorView::read(int64_t begin, llvm::MutableArrayRef<float> out) const {
  int64_t count = static_cast<int64_t>(out.size());
  assert(begin >= 0 && begin + count <= numElements() &&
         "elements out of range");
  // One switch per call rather than per element: this is the bulk path.
  const uint8_t *element = bytes.data() + begin * getDTypeSize(dtype);
  switch (dtype) {
  case DType::F16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = halfToFloat(llvm::support::endian::read16le(element + 2 * i));
    return;
  case DType::BF16:
    for (int64_t i = 0; i < count; ++i)
      out[i] =
          bfloat16ToFloat(llvm::support::endian::read16le(element + 2 * i));
    return;
  case DType::F32:
    for (int64_t i = 0; i < count; ++i)
      out[i] = llvm::bit_cast<float>(
          llvm::support::endian::read32le(element + 4 * i));
    return;
  case DType::U8:
    for (int64_t i = 0; i < count; ++i)
      out[i] = element[i];
    return;
  }
  llvm_unreachable("unknown DType");
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

std::string trilm::import::detail::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::interleave(
      shape, [&](int64_t extent) { text += std::to_string(extent); },
      [&] { text += ", "; });
  return text + "]";
}

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

namespace {

/// A validated header entry, before it becomes a view.
struct Entry {
  std::string name;
  DType dtype;
  llvm::SmallVector<int64_t, 2> shape;
  int64_t begin;
  int64_t end;
};

} // namespace

static std::optional<DType> parseDType(llvm::StringRef name) {
  if (name == "F16")
    return DType::F16;
  if (name == "BF16")
    return DType::BF16;
  if (name == "F32")
    return DType::F32;
  if (name == "U8")
    return DType::U8;
  return std::nullopt;
}

/// Validates one header entry against a data section of `dataSize` bytes.
static llvm::Expected<Entry> parseEntry(llvm::StringRef name,
                                        const llvm::json::Value &value,
                                        int64_t dataSize,
                                        llvm::StringRef path) {
  auto entryError = [&](const llvm::Twine &what) {
    return failure(path + ": tensor '" + name + "' " + what);
  };
  const llvm::json::Object *fields = value.getAsObject();
  if (!fields)
    return entryError("is not a JSON object");

  Entry entry;
  entry.name = name.str();

  const llvm::json::Value *dtypeValue = fields->get("dtype");
  if (!dtypeValue)
    return entryError("has no 'dtype'");
  std::optional<llvm::StringRef> dtypeName = dtypeValue->getAsString();
  if (!dtypeName)
    return entryError("has a 'dtype' that is not a string");
  std::optional<DType> dtype = parseDType(*dtypeName);
  if (!dtype)
    return entryError("has dtype " + *dtypeName +
                      "; trilm reads F16, BF16, F32 and (packed BitNet weights) U8");
  entry.dtype = *dtype;

  const llvm::json::Value *shapeValue = fields->get("shape");
  if (!shapeValue)
    return entryError("has no 'shape'");
  const llvm::json::Array *shapeArray = shapeValue->getAsArray();
  if (!shapeArray)
    return entryError("has a 'shape' that is not a list of integers");
  for (const llvm::json::Value &extent : *shapeArray) {
    std::optional<int64_t> integer = extent.getAsInteger();
    if (!integer)
      return entryError("has a 'shape' that is not a list of integers");
    entry.shape.push_back(*integer);
  }
  for (int64_t extent : entry.shape)
    if (extent < 0)
      return entryError("has a negative dimension in shape " +
                        formatShape(entry.shape));

  const llvm::json::Value *offsetsValue = fields->get("data_offsets");
  if (!offsetsValue)
    return entryError("has no 'data_offsets'");
  const llvm::json::Array *offsets = offsetsValue->getAsArray();
  std::optional<int64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = (*offsets)[0].getAsInteger();
    end = (*offsets)[1].getAsInteger();
  }
  if (!begin || !end || *begin < 0 || *end < 0)
    return entryError(
        "has 'data_offsets' that are not a pair of non-negative integers");
  entry.begin = *begin;
  entry.end = *end;
  std::string range = "[" + std::to_string(entry.begin) + ", " +
                      std::to_string(entry.end) + "]";
  if (entry.end < entry.begin)
    return entryError("has data_offsets " + range +
                      " that end before they begin");
  if (entry.end > dataSize)
    return entryError("has data_offsets " + range +
                      " beyond the end of the data section (" +
                      std::to_string(dataSize) + " bytes); truncated file?");

  // Overflow here means the shape cannot match any range inside the file.
  int64_t expectedBytes = getDTypeSize(entry.dtype);
  bool overflow = false;
  for (int64_t extent : entry.shape)
    overflow |= llvm::MulOverflow(expectedBytes, extent, expectedBytes) != 0;
  int64_t actualBytes = entry.end - entry.begin;
  if (overflow || actualBytes != expectedBytes)
    return entryError("has " + std::to_string(actualBytes) +
                      " bytes, but shape " + formatShape(entry.shape) + " of " +
                      getDTypeName(entry.dtype).str() + " needs " +
                      (overflow ? std::string("more than 2^63")
                                : std::to_string(expectedBytes)));
  return entry;
}

llvm::Expected<std::vector<TensorView>>
trilm::import::detail::parseSafeTensors(llvm::ArrayRef<uint8_t> bytes,
                                        llvm::StringRef path) {
  const int64_t fileSize = static_cast<int64_t>(bytes.size());
  if (fileSize < 8)
    return failure(path + ": file is " + llvm::Twine(fileSize) +
                   " bytes, too short for the 8-byte safetensors header "
                   "length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > static_cast<uint64_t>(fileSize - 8))
    return failure(path + ": header length " + llvm::Twine(headerSize) +
                   " runs past the end of the file (" + llvm::Twine(fileSize) +
                   " bytes); truncated file?");
  llvm::StringRef headerText(reinterpret_cast<const char *>(bytes.data()) + 8,
                             headerSize);
  llvm::ArrayRef<uint8_t> data = bytes.drop_front(8 + headerSize);
  const int64_t dataSize = static_cast<int64_t>(data.size());

  llvm::Expected<llvm::json::Value> header = trilm::parseJSON(headerText);
  if (!header)
    return failure(path + ": header: " + llvm::toString(header.takeError()));
  const llvm::json::Object *entries = header->getAsObject();
  if (!entries)
    return failure(path + ": header is not a JSON object");

  std::vector<Entry> parsed;
  parsed.reserve(entries->size());
  for (const auto &[key, value] : *entries) {
    llvm::StringRef name = key;
    if (name == "__metadata__")
      continue;
    llvm::Expected<Entry> entry = parseEntry(name, value, dataSize, path);
    if (!entry)
      return entry.takeError();
    parsed.push_back(std::move(*entry));
  }

  // json::Object is a hash map: sort for a deterministic order (and error
  // choice), by position in the file so that overlaps are neighbours.
  llvm::sort(parsed, [](const Entry &a, const Entry &b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const Entry *previous = nullptr;
  for (const Entry &entry : parsed) {
    if (entry.begin == entry.end)
      continue;
    if (previous && previous->end > entry.begin)
      return failure(path + ": tensors '" + previous->name + "' and '" +
                     entry.name + "' overlap in the data section");
    previous = &entry;
  }

  std::vector<TensorView> views;
  views.reserve(parsed.size());
  for (Entry &entry : parsed) {
    TensorView view;
    view.name = std::move(entry.name);
    view.dtype = entry.dtype;
    view.shape = std::move(entry.shape);
    view.bytes = data.slice(entry.begin, entry.end - entry.begin);
    views.push_back(std::move(view));
  }
  return views;
}

llvm::Expected<SafeTensorsFile>
trilm::import::detail::openSafeTensors(llvm::StringRef path) {
  // Memory-mapped and read-only: a 3.9B model's fp16 weights never need to be
  // resident at once.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer = trilm::mapRegularFile(path);
  if (!buffer)
    return buffer.takeError();
  SafeTensorsFile file;
  file.path = path.str();
  file.buffer = std::move(*buffer);
  llvm::ArrayRef<uint8_t> bytes(
      reinterpret_cast<const uint8_t *>(file.buffer->getBufferStart()),
      file.buffer->getBufferSize());
  llvm::Expected<std::vector<TensorView>> tensors =
      parseSafeTensors(bytes, path);
  if (!tensors)
    return tensors.takeError();
  file.tensors = std::move(*tensors);
  return file;
}

//===----------------------------------------------------------------------===//
// model.safetensors.index.json
//===----------------------------------------------------------------------===//

/// Whether the relative path `fileName` stays inside the directory it is
/// relative to: an index must not make the importer read other files.
static bool isInsideDirectory(llvm::StringRef fileName) {
  if (fileName.empty() || llvm::sys::path::is_absolute(fileName) ||
      llvm::sys::path::has_root_name(fileName))
    return false;
  return llvm::none_of(
      llvm::make_range(llvm::sys::path::begin(fileName),
                       llvm::sys::path::end(fileName)),
      [](llvm::StringRef component) { return component == ".."; });
}

llvm::Expected<std::vector<IndexEntry>>
trilm::import::detail::parseSafeTensorsIndex(llvm::StringRef json,
                                             llvm::StringRef path) {
  llvm::Expected<llvm::json::Value> index = trilm::parseJSON(json);
  if (!index)
    return failure(path + ": " + llvm::toString(index.takeError()));
  const llvm::json::Object *root = index->getAsObject();
  const llvm::json::Object *weightMap =
      root ? root->getObject("weight_map") : nullptr;
  if (!weightMap)
    return failure(path + ": no 'weight_map' object");
  if (weightMap->empty())
    return failure(path + ": 'weight_map' is empty");

  std::vector<IndexEntry> entries;
  for (const auto &[key, value] : *weightMap) {
    std::optional<llvm::StringRef> fileName = value.getAsString();
    if (!fileName)
      return failure(path + ": weight_map entry for tensor '" + key.str() +
                     "' is not a file name");
    entries.push_back({key.str(), fileName->str()});
  }
  // Sorted, so that which error is reported does not depend on hashing.
  llvm::sort(entries);
  for (const IndexEntry &entry : entries)
    if (!isInsideDirectory(entry.fileName))
      return failure(path + ": weight_map puts tensor '" + entry.tensor +
                     "' in " + entry.fileName +
                     ", outside the checkpoint directory");
  return entries;
}
