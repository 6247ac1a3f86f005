//===- GGUFCheckpoint.h - A LLaMA model in a GGUF file ----------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A GGUF file of architecture "llama" with TQ1_0/TQ2_0 block weights (as
// llama.cpp holds TriLMs) seen as an import::Checkpoint: the configuration
// from the metadata, the tensors under their Hugging Face names, and the
// q/k rows that llama.cpp's converter interleaves for its RoPE put back in
// the rotate-half order the model IR uses. Plain C++ on LLVMSupport.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_FRONTEND_GGUF_GGUFCHECKPOINT_H
#define TRILM_FRONTEND_GGUF_GGUFCHECKPOINT_H

#include "trilm/Frontend/GGUF/GGUFFile.h"
#include "trilm/Frontend/HuggingFace/Checkpoint.h"

namespace trilm::gguf {

/// How the fp16 `d` of each TQ block becomes the model's scales.
enum class ScaleRecovery {
  /// One scale per row and 256-block: exactly llama.cpp's dequantised
  /// weights.
  Blocks,
  /// One scale per model-parallel shard, the fewest shards (1 to 8, the
  /// same for every matrix) within which every non-zero block has the same
  /// `d`; an error when there is no such count. Drops the 0.0625 bits per
  /// weight the block scales cost, with the same results.
  Shards,
};

/// Opens `path` as a LLaMA checkpoint. Every unsupported or malformed part
/// (another architecture, RoPE scaling, a tensor trilm would not read, block
/// weights that are not TQ1_0/TQ2_0) is one error line naming it.
llvm::Expected<std::unique_ptr<import::Checkpoint>>
openCheckpoint(llvm::StringRef path, ScaleRecovery scales);

/// The file's tokenizer (tokenizer.ggml.*) as a Hugging Face tokenizer.json
/// that trilm's tokenizer reads: byte-level BPE ("gpt2") with the
/// pre-tokenizer tokenizer.ggml.pre names; other tokenizers are an error.
llvm::Expected<std::string> exportTokenizerJSON(const File &file);

} // namespace trilm::gguf

#endif // TRILM_FRONTEND_GGUF_GGUFCHECKPOINT_H
