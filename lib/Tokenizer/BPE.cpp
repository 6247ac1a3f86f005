//===- BPE.cpp - Byte-pair merges by rank ---------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A piece starts as one symbol per character and repeatedly merges the
// adjacent pair of lowest rank (the leftmost among equals), as `tokenizers`
// does with a priority queue; stale queue entries are skipped.
//
//===----------------------------------------------------------------------===//

#include "Components.h"

#include "llvm/Support/ConvertUTF.h"

#include <queue>

using namespace trilm::tokenizer::detail;

namespace {

struct Symbol {
  int32_t id;
  int32_t previous; // -1: none
  int32_t next;     // -1: none
  bool merged;      // absorbed into its left neighbour
};

struct Candidate {
  int32_t rank;
  int32_t position; // the left symbol
  int32_t left, right; // the ids the pair had when queued
  bool operator>(const Candidate &other) const {
    return rank != other.rank ? rank > other.rank : position > other.position;
  }
};

} // namespace

/// Cached pieces: enough for the distinct words of long texts, bounded so
/// that a stream of distinct pieces cannot grow it without end.
constexpr size_t kMaxCachedPieces = 1 << 16;

void BPE::encodePiece(llvm::StringRef piece, std::vector<int32_t> &out) const {
  if (ignoreMerges) {
    auto whole = vocab.find(piece);
    if (whole != vocab.end()) {
      out.push_back(whole->second);
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cacheMutex);
    auto cached = cache.find(piece.str());
    if (cached != cache.end()) {
      out.insert(out.end(), cached->second.begin(), cached->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  mergePiece(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard<std::mutex> lock(cacheMutex);
  if (cache.size() >= kMaxCachedPieces)
    cache.clear();
  cache.emplace(piece.str(), std::move(ids));
}

void BPE::mergePiece(llvm::StringRef piece, std::vector<int32_t> &out) const {
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < piece.size();) {
    size_t length = std::min<size_t>(llvm::getNumBytesForUTF8(piece[i]),
                                     piece.size() - i);
    auto found = vocab.find(piece.substr(i, length));
    i += length;
    if (found != vocab.end()) {
      symbols.push_back({found->second, -1, -1, false});
    } else if (unknown) {
      // Byte-level vocabularies have every character; others may not.
      if (!fuseUnknown || symbols.empty() || symbols.back().id != *unknown)
        symbols.push_back({*unknown, -1, -1, false});
    }
    // Without an unknown token, `tokenizers` drops the character too.
  }
  int32_t count = static_cast<int32_t>(symbols.size());
  for (int32_t i = 0; i < count; ++i) {
    symbols[i].previous = i - 1;
    symbols[i].next = i + 1 < count ? i + 1 : -1;
  }

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int32_t position) {
    int32_t next = symbols[position].next;
    if (next < 0)
      return;
    auto merge = merges.find({symbols[position].id, symbols[next].id});
    if (merge != merges.end())
      queue.push({merge->second.first, position, symbols[position].id,
                  symbols[next].id});
  };
  for (int32_t i = 0; i + 1 < count; ++i)
    consider(i);
  while (!queue.empty()) {
    Candidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.position];
    // Stale: the left symbol was absorbed, or either side changed since.
    if (left.merged || left.id != top.left || left.next < 0 ||
        symbols[left.next].id != top.right)
      continue;
    Symbol &right = symbols[left.next];
    left.id = merges.find({top.left, top.right})->second.second;
    right.merged = true;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].previous = top.position;
    if (left.previous >= 0)
      consider(left.previous);
    consider(top.position);
  }
  for (const Symbol &symbol : symbols)
    if (!symbol.merged)
      out.push_back(symbol.id);
}
