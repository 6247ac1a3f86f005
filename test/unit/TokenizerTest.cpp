//===- TokenizerTest.cpp - Tests for the tokenizer's own logic ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// What `tokenizers` is not needed for: errors on malformed or unsupported
// tokenizer.json, UTF-8 repair and streaming. Agreement with `tokenizers`
// on real text is python/tests/test_tokenizer.py.
//
//===----------------------------------------------------------------------===//

#include "trilm/Tokenizer/Tokenizer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include "ErrorMatchers.h"

#include <gtest/gtest.h>

using namespace trilm::tokenizer;

namespace {

/// A tiny byte-level BPE: the 256 byte characters, "he", "hel", "hello"
/// and "<|end|>"; `edit` changes the JSON first.
std::string tokenizerJSON(
    llvm::function_ref<void(llvm::json::Object &)> edit =
        [](llvm::json::Object &) {}) {
  // GPT-2's byte characters: printable Latin-1 stands for itself, the rest
  // for U+0100 onwards.
  llvm::json::Object vocab;
  int next = 256;
  for (int byte = 0; byte < 256; ++byte) {
    bool printable = (byte >= '!' && byte <= '~') ||
                     (byte >= 0xA1 && byte <= 0xAC) ||
                     (byte >= 0xAE && byte <= 0xFF);
    unsigned codePoint = printable ? byte : next++;
    std::string utf8;
    if (codePoint < 0x80) {
      utf8 = std::string(1, static_cast<char>(codePoint));
    } else {
      utf8 += static_cast<char>(0xC0 | (codePoint >> 6));
      utf8 += static_cast<char>(0x80 | (codePoint & 0x3F));
    }
    vocab[utf8] = byte;
  }
  vocab["he"] = 256;
  vocab["hel"] = 257;
  vocab["hello"] = 258;
  vocab["ll"] = 259;
  vocab["llo"] = 260;
  llvm::json::Object root{
      {"added_tokens",
       llvm::json::Array{llvm::json::Object{{"id", 261},
                                            {"content", "<|end|>"},
                                            {"special", true}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", llvm::json::Object{{"type", "ByteLevel"},
                                           {"add_prefix_space", false},
                                           {"use_regex", true}}},
      {"post_processor", nullptr},
      {"decoder", llvm::json::Object{{"type", "ByteLevel"}}},
      {"model",
       llvm::json::Object{
           {"type", "BPE"},
           {"vocab", std::move(vocab)},
           {"merges", llvm::json::Array{"h e", "l l", "he l", "ll o",
                                        llvm::json::Array{"hel", "lo"}}}}}};
  // "hel" + "lo" names "hello", but "lo" is not in the vocabulary: the
  // tests that need valid merges drop it.
  edit(root);
  return llvm::formatv("{0}", llvm::json::Value(std::move(root))).str();
}

void dropLastMerge(llvm::json::Object &root) {
  root.getObject("model")->getArray("merges")->pop_back();
}


std::unique_ptr<Tokenizer> validTokenizer() {
  auto tokenizer =
      Tokenizer::fromJSON(tokenizerJSON(dropLastMerge), "tokenizer.json");
  EXPECT_TRUE(static_cast<bool>(tokenizer))
      << llvm::toString(tokenizer.takeError());
  return std::move(*tokenizer);
}

TEST(TokenizerTest, MergesByRank) {
  std::unique_ptr<Tokenizer> tokenizer = validTokenizer();
  // h e l l o -> he l l o -> he ll o -> hel? no: "he l" has rank 2 and
  // "l l" rank 1, so ll first; then "he l" cannot apply (he ll); "ll o"
  // gives llo.
  std::vector<int32_t> ids = *tokenizer->encode("hello", false);
  EXPECT_EQ(ids, (std::vector<int32_t>{256, 260}));
  EXPECT_EQ(*tokenizer->decode(ids, false), "hello");
  // The added token is cut out first.
  ids = *tokenizer->encode("he<|end|>he", false);
  EXPECT_EQ(ids, (std::vector<int32_t>{256, 261, 256}));
  EXPECT_EQ(*tokenizer->decode(ids, /*skipSpecial=*/true), "hehe");
  EXPECT_EQ(*tokenizer->decode(ids, /*skipSpecial=*/false), "he<|end|>he");
  EXPECT_EQ(tokenizer->getVocabSize(), 262);
  EXPECT_EQ(tokenizer->getTokenId("<|end|>"), 261);
  EXPECT_TRUE(tokenizer->isSpecial(261));
  EXPECT_FALSE(tokenizer->isSpecial(256));
}

TEST(TokenizerTest, RejectsInvalidText) {
  std::unique_ptr<Tokenizer> tokenizer = validTokenizer();
  EXPECT_ERROR(tokenizer->encode("ok \xC3\x28 bad", false),
               "the text is not valid UTF-8 (at byte 3)");
  // Ids past the vocabulary (a model's padding) decode to nothing.
  EXPECT_EQ(*tokenizer->decode({'h', 262, 100000, 'i'}, false), "hi");
  EXPECT_ERROR(tokenizer->decode({-1}, false), "token id -1 is negative");
}

TEST(TokenizerTest, MalformedFiles) {
  EXPECT_ERROR(Tokenizer::fromJSON("{", "t.json"),
               "t.json: invalid JSON at line 1");
  EXPECT_ERROR(Tokenizer::fromJSON("[]", "t.json"), "t.json: not a JSON object");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON(), "t.json"),
               "t.json: merge 4 (\"hel\" + \"lo\") names a token that is not "
               "in the vocabulary");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r.getObject("model")
                                         ->getArray("merges")
                                         ->push_back("h e l");
                                   }),
                                   "t.json"),
               "merge 4 (\"h e l\") is not two tokens separated by a space");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     (*r.getObject("model"))["type"] =
                                         "WordPiece";
                                   }),
                                   "t.json"),
               "t.json: model type WordPiece is not supported");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r["pre_tokenizer"] = llvm::json::Object{
                                         {"type", "Metaspace"}};
                                   }),
                                   "t.json"),
               "pre-tokenizer Metaspace is not supported");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r["normalizer"] = llvm::json::Object{
                                         {"type", "Lowercase"}};
                                   }),
                                   "t.json"),
               "normalizer Lowercase is not supported");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r["decoder"] = llvm::json::Object{
                                         {"type", "WordPiece"}};
                                   }),
                                   "t.json"),
               "decoder WordPiece is not supported");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r["pre_tokenizer"] = llvm::json::Object{
                                         {"type", "Split"},
                                         {"pattern",
                                          llvm::json::Object{{"Regex", "(a"}}},
                                         {"behavior", "Isolated"}};
                                   }),
                                   "t.json"),
               "Split pattern \"(a\" does not compile");
  EXPECT_ERROR(Tokenizer::fromJSON(tokenizerJSON([](llvm::json::Object &r) {
                                     dropLastMerge(r);
                                     r.erase("model");
                                   }),
                                   "t.json"),
               "t.json: no \"model\"");
}

TEST(TokenizerTest, RepairsUTF8AsTokenizersDoes) {
  // Each maximal ill-formed subsequence is one U+FFFD.
  EXPECT_EQ(toValidUTF8("a\xC3"), "a\xEF\xBF\xBD");
  EXPECT_EQ(toValidUTF8("\xE2\x82"), "\xEF\xBF\xBD");
  EXPECT_EQ(toValidUTF8("\xE2\x82\x41"), "\xEF\xBF\xBD"
                                         "A");
  EXPECT_EQ(toValidUTF8("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(toValidUTF8("\xED\xA0\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
  EXPECT_EQ(toValidUTF8("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
}

TEST(TokenizerTest, StreamsSplitUTF8) {
  std::unique_ptr<Tokenizer> tokenizer = validTokenizer();
  // U+00E9 (C3 A9) as two byte tokens: nothing until its last byte.
  std::vector<int32_t> ids = *tokenizer->encode("\xC3\xA9!", false);
  ASSERT_EQ(ids.size(), 3u);
  Tokenizer::StreamDecoder stream(*tokenizer, /*skipSpecial=*/true);
  EXPECT_EQ(*stream.next(ids[0]), "");
  EXPECT_EQ(*stream.next(ids[1]), "\xC3\xA9");
  EXPECT_EQ(*stream.next(ids[2]), "!");
  // A sequence cut off at the end becomes U+FFFD.
  EXPECT_EQ(*stream.next(ids[0]), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");
  EXPECT_EQ(*stream.next(261), "");
}

} // namespace
