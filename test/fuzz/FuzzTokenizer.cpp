//===- FuzzTokenizer.cpp - Fuzz target: tokenizer.json --------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any text as tokenizer.json: an error, or a tokenizer that encodes and
// decodes text (here, the input itself where it is valid UTF-8) without a
// crash, and whose decoded output is valid UTF-8.
//
//===----------------------------------------------------------------------===//

#include "trilm/Tokenizer/Tokenizer.h"

#include "llvm/Support/ConvertUTF.h"

#include <cstdlib>

using trilm::tokenizer::Tokenizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto tokenizer = Tokenizer::fromJSON(text, "tokenizer.json");
  if (!tokenizer) {
    llvm::consumeError(tokenizer.takeError());
    return 0;
  }
  for (llvm::StringRef sample :
       {llvm::StringRef("Hello, world! 123 caf\xC3\xA9 \xF0\x9F\x98\x80  \n"),
        text.take_front(512)}) {
    auto ids = (*tokenizer)->encode(sample, /*addSpecialTokens=*/true);
    if (!ids) {
      llvm::consumeError(ids.takeError());
      continue;
    }
    auto decoded = (*tokenizer)->decode(*ids, /*skipSpecial=*/false);
    if (!decoded) {
      llvm::consumeError(decoded.takeError());
      continue;
    }
    const llvm::UTF8 *begin =
        reinterpret_cast<const llvm::UTF8 *>(decoded->data());
    if (!llvm::isLegalUTF8String(&begin, begin + decoded->size()))
      std::abort();
  }
  return 0;
}
