//===- GGUFTest.cpp - The GGUF reader -------------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Files built here byte by byte (the format of llama.cpp's gguf.md): what a
// valid file holds, and one error line for each way a file can be broken.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/GGUF/GGUFFile.h"

#include "ErrorMatchers.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace trilm::gguf;

namespace {

/// Little-endian GGUF bytes.
struct Writer {
  std::vector<uint8_t> bytes;

  template <typename T> Writer &put(T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes.insert(bytes.end(), raw, raw + sizeof(T));
    return *this;
  }
  Writer &string(const std::string &text) {
    put<uint64_t>(text.size());
    bytes.insert(bytes.end(), text.begin(), text.end());
    return *this;
  }
  Writer &header(uint64_t tensors, uint64_t metadata, uint32_t version = 3) {
    bytes.insert(bytes.end(), {'G', 'G', 'U', 'F'});
    return put<uint32_t>(version).put<uint64_t>(tensors).put<uint64_t>(
        metadata);
  }
  Writer &tensor(const std::string &name, std::vector<uint64_t> dims,
                 uint32_t type, uint64_t offset) {
    string(name).put<uint32_t>(dims.size());
    for (uint64_t dim : dims)
      put<uint64_t>(dim);
    return put<uint32_t>(type).put<uint64_t>(offset);
  }
  Writer &align(size_t alignment = 32) {
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment);
    return *this;
  }
  Writer &data(size_t count, uint8_t value = 7) {
    bytes.insert(bytes.end(), count, value);
    return *this;
  }
};

llvm::Expected<std::unique_ptr<File>> parse(const Writer &writer) {
  return File::parse(writer.bytes, "m.gguf");
}

TEST(GGUF, ReadsMetadataAndTensors) {
  Writer w;
  w.header(2, 4)
      .string("general.architecture").put<uint32_t>(8).string("llama")
      .string("llama.block_count").put<uint32_t>(4).put<uint32_t>(30)
      .string("llama.rope.freq_base").put<uint32_t>(6).put<float>(500000.0f)
      .string("tokenizer.ggml.tokens").put<uint32_t>(9).put<uint32_t>(8)
      .put<uint64_t>(2).string("a").string("b")
      .tensor("blk.0.attn_q.weight", {512, 3}, 35, 0)
      .tensor("output_norm.weight", {4}, 0, 416)
      .align()
      .data(3 * 2 * 66, 1).align().data(16, 2);
  auto file = parse(w);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->getVersion(), 3u);
  EXPECT_EQ(*(*file)->lookup("general.architecture")->getString(), "llama");
  EXPECT_EQ(*(*file)->lookup("llama.block_count")->getInteger(), 30);
  EXPECT_EQ(*(*file)->lookup("llama.rope.freq_base")->getFloat(), 500000.0);
  const Array *tokens = (*file)->lookup("tokenizer.ggml.tokens")->getArray();
  ASSERT_TRUE(tokens && tokens->size() == 2);
  EXPECT_EQ(*(*tokens)[1].getString(), "b");
  const Tensor *q = (*file)->findTensor("blk.0.attn_q.weight");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, TensorType::TQ2_0);
  EXPECT_EQ(q->dims, (std::vector<int64_t>{512, 3}));
  EXPECT_EQ(q->data.size(), 3u * 2 * 66);
  EXPECT_EQ(q->data[0], 1);
  const Tensor *norm = (*file)->findTensor("output_norm.weight");
  ASSERT_TRUE(norm);
  EXPECT_EQ(norm->data.size(), 16u);
  EXPECT_EQ(norm->data[0], 2);
  EXPECT_EQ((*file)->findTensor("missing"), nullptr);
}

/// The one error of parsing `writer`'s bytes.
std::string errorOf(const Writer &writer) {
  auto file = parse(writer);
  if (file)
    return "parsed";
  return llvm::toString(file.takeError());
}

TEST(GGUF, MalformedFilesAreOneErrorEach) {
  Writer magic;
  magic.bytes = {'G', 'G', 'M', 'L', 3, 0, 0, 0};
  EXPECT_EQ(errorOf(magic), "m.gguf: not a GGUF file (no GGUF magic number)");

  Writer version;
  version.header(0, 0, 1);
  EXPECT_EQ(errorOf(version), "m.gguf: GGUF version 1 is not supported (2 and 3 are)");

  Writer empty;
  EXPECT_EQ(errorOf(empty), "m.gguf: the file ends inside the magic number (at byte 0)");

  Writer counts;
  counts.header(1ull << 40, 0);
  EXPECT_EQ(errorOf(counts),
            "m.gguf: 1099511627776 tensors cannot fit in the file (at byte 24)");

  Writer metadata;
  metadata.header(0, 1000);
  EXPECT_EQ(errorOf(metadata),
            "m.gguf: 1000 metadata entries cannot fit in the file (at byte 24)");

  Writer longString;
  longString.header(0, 1).put<uint64_t>(1ull << 60).data(8);
  EXPECT_EQ(errorOf(longString), "m.gguf: a metadata key is 1152921504606846976 "
                                 "bytes long, more than the 16777216 allowed (at byte 32)");

  Writer cutString;
  cutString.header(0, 1).put<uint64_t>(100).data(8);
  EXPECT_EQ(errorOf(cutString), "m.gguf: the file ends inside a metadata key (at byte 32)");

  Writer valueType;
  valueType.header(0, 1).string("k").put<uint32_t>(99).data(8);
  EXPECT_EQ(errorOf(valueType), "m.gguf: metadata k has unknown value type 99 (at byte 37)");

  Writer array;
  array.header(0, 1).string("k").put<uint32_t>(9).put<uint32_t>(4)
      .put<uint64_t>(1ull << 50);
  EXPECT_EQ(errorOf(array), "m.gguf: array k claims 1125899906842624 elements, "
                            "more than the file holds (at byte 49)");

  Writer twice;
  twice.header(0, 2).string("k").put<uint32_t>(0).put<uint8_t>(1)
      .string("k").put<uint32_t>(0).put<uint8_t>(1);
  EXPECT_EQ(errorOf(twice), "m.gguf: metadata key k appears twice (at byte 47)");

  Writer boolean;
  boolean.header(0, 1).string("k").put<uint32_t>(7).put<uint8_t>(2).data(8);
  EXPECT_EQ(errorOf(boolean), "m.gguf: boolean k is 2 (at byte 38)");

  Writer alignment;
  alignment.header(0, 1).string("general.alignment").put<uint32_t>(4)
      .put<uint32_t>(24).data(24);
  EXPECT_EQ(errorOf(alignment),
            "m.gguf: general.alignment must be a power of two up to 65536");

  Writer type;
  type.header(1, 0).tensor("t", {32}, 2, 0).align().data(64);
  EXPECT_EQ(errorOf(type), "m.gguf: tensor t has ggml type 2, which trilm does "
                           "not read (F32, F16, BF16, Q8_0, TQ1_0 and TQ2_0 it "
                           "does) (at byte 49)");

  Writer rank;
  rank.header(1, 0).tensor("t", {1, 1, 1, 1, 1}, 0, 0).data(64);
  EXPECT_EQ(errorOf(rank), "m.gguf: tensor t has rank 5; 1 to 4 are allowed (at byte 37)");

  Writer overflow;
  overflow.header(1, 0).tensor("t", {1ull << 30, 1ull << 30}, 0, 0).data(64);
  EXPECT_EQ(errorOf(overflow),
            "m.gguf: tensor t has a zero or too large dimension (at byte 53)");

  Writer zero;
  zero.header(1, 0).tensor("t", {0}, 0, 0).data(64);
  EXPECT_EQ(errorOf(zero), "m.gguf: tensor t has a zero or too large dimension (at byte 45)");

  Writer rows;
  rows.header(1, 0).tensor("t", {100}, 35, 0).align().data(66);
  EXPECT_EQ(errorOf(rows), "m.gguf: tensor t has rows of 100 elements, not a "
                           "multiple of the TQ2_0 block of 256 (at byte 49)");

  Writer misaligned;
  misaligned.header(1, 0).tensor("t", {4}, 0, 8).align().data(64);
  EXPECT_EQ(errorOf(misaligned), "m.gguf: tensor t starts at offset 8, not a "
                                 "multiple of the alignment 32 (at byte 57)");

  Writer pastEnd;
  pastEnd.header(1, 0).tensor("t", {256}, 35, 0).align().data(65);
  EXPECT_EQ(errorOf(pastEnd), "m.gguf: tensor t extends past the end of the file");

  Writer offsetPastEnd;
  offsetPastEnd.header(1, 0).tensor("t", {4}, 0, 1ull << 62).align().data(16);
  EXPECT_EQ(errorOf(offsetPastEnd), "m.gguf: tensor t extends past the end of the file");

  Writer names;
  names.header(2, 0).tensor("t", {4}, 0, 0).tensor("t", {4}, 0, 32).align()
      .data(64);
  EXPECT_EQ(errorOf(names), "m.gguf: tensor t appears twice (at byte 66)");

  Writer deep;
  deep.header(0, 1).string("k").put<uint32_t>(9);
  for (int i = 0; i < 5; ++i)
    deep.put<uint32_t>(9).put<uint64_t>(1);
  deep.data(16);
  EXPECT_EQ(errorOf(deep), "m.gguf: array k nests more than 4 deep (at byte 85)");
}

TEST(GGUF, OpeningAMissingFileIsOneError) {
  auto file = File::open("/nonexistent/model.gguf");
  ASSERT_FALSE(bool(file));
  std::string message = llvm::toString(file.takeError());
  EXPECT_NE(message.find("/nonexistent/model.gguf"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

} // namespace
