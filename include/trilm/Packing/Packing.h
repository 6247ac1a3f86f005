//===- Packing.h - Ternary bit layouts --------------------------*- C++ -*-===//
//
// Part of the trilm project.
//
//===----------------------------------------------------------------------===//
//
// Bit layouts for ternary weights (trits in {-1, 0, +1}) that are exactly
// compatible with llama.cpp's TQ2_0 (2 bits per trit) and TQ1_0 (5 trits per
// byte, 1.6 bits per trit) code bytes, as described in the trilm packing
// reference (packing.md).
//
// A trit t is stored as the code c = t + 1 in {0, 1, 2}. Rows are padded with
// zero trits to a multiple of 256 and stored as consecutive 256-trit blocks.
// The "row" and "matrix" entry points store codes only (scales live elsewhere
// in trilm); the *Block entry points read and write complete llama.cpp blocks
// including the fp16 scale `d`.
//
// This header is plain C++17 with no LLVM/MLIR dependency so that importers,
// the runtime library and tests can all share one definition of the layouts.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_PACKING_PACKING_H
#define TRILM_PACKING_PACKING_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trilm::packing {

/// Ternary packing schemes. The numeric values are stable (they may be
/// serialized).
enum class Scheme : uint8_t {
  TQ2 = 0, ///< 2 bits per trit, TQ2_0 code layout.
  TQ1 = 1, ///< 5 trits per byte (1.6 bits per trit), TQ1_0 code layout.
};

/// Number of trits per block.
inline constexpr int64_t kBlockSize = 256;
/// Code bytes per 256-trit block for Scheme::TQ2.
inline constexpr int64_t kTQ2CodeBytes = 64;
/// Code bytes per 256-trit block for Scheme::TQ1: qs[48] followed by qh[4].
inline constexpr int64_t kTQ1CodeBytes = 52;
/// llama.cpp block_tq2_0: qs[64] then the fp16 scale d.
inline constexpr int64_t kTQ2_0BlockBytes = 66;
/// llama.cpp block_tq1_0: qs[48], qh[4] then the fp16 scale d.
inline constexpr int64_t kTQ1_0BlockBytes = 54;

/// Returns "tq2" or "tq1" ("unknown" for an out-of-range value).
const char *schemeName(Scheme s);
/// Parses "tq2" or "tq1" (exact, lower case); std::nullopt otherwise.
std::optional<Scheme> parseScheme(std::string_view name);
/// Code bytes per 256-trit block (0 for an out-of-range value).
int64_t codeBytesPerBlock(Scheme s);
/// ceil(k / 256) for k >= 0.
int64_t numBlocks(int64_t k);
/// Bytes of one packed row of k trits: numBlocks(k) * codeBytesPerBlock(s).
int64_t packedRowBytes(Scheme s, int64_t k);

/// Result of an encode/decode. On failure `index` is the offending element
/// index (encode: index of the trit in the input array, row-major flat for
/// matrices; decode: index of the offending byte in the input) and `message` is
/// a complete one-line human readable error. Argument errors (negative sizes,
/// a null pointer with a non-zero count, an out-of-range scheme) are reported
/// with index 0 and a message starting with "invalid argument".
struct Status {
  bool ok() const { return index < 0; }
  int64_t index = -1;
  std::string message;
  static Status success() { return {}; }
};

//===----------------------------------------------------------------------===//
// Codes-only rows and matrices
//===----------------------------------------------------------------------===//
//
// A row of k trits is padded with zero trits up to a multiple of 256 and stored
// as numBlocks(k) consecutive blocks of code bytes in the TQ2_0 (qs) or TQ1_0
// (qs then qh) layout. Null pointers are allowed only when the corresponding
// count is 0. On failure the contents of the output buffer are unspecified.
//
// Encoding rejects any trit outside {-1, 0, +1}. Decoding is strict: a TQ2
// code 3, a TQ1 byte the encoder never produces, or a padding trit (beyond k in
// the last block) that is not zero is an error naming the byte.

/// Packs k trits into packedRowBytes(s, k) bytes at `out`.
Status packRow(Scheme s, const int8_t *trits, int64_t k, uint8_t *out);
/// Unpacks packedRowBytes(s, k) bytes at `packed` into k trits.
Status unpackRow(Scheme s, const uint8_t *packed, int64_t k, int8_t *trits);
/// Packs n rows of k trits (row-major) into n * packedRowBytes(s, k) bytes.
Status packMatrix(Scheme s, const int8_t *trits, int64_t n, int64_t k,
                  uint8_t *out);
/// Unpacks n * packedRowBytes(s, k) bytes into n rows of k trits (row-major).
Status unpackMatrix(Scheme s, const uint8_t *packed, int64_t n, int64_t k,
                    int8_t *trits);

/// Checks `bytes` bytes of code blocks, in any order of whole blocks (as the
/// compiler's layouts store them), for codes no encoder produces: a TQ2
/// code 3, a TQ1 byte outside the encoder's image. Padding trits are not
/// checked (their position depends on the matrix). Linear and allocation
/// free, for verifying constant weights.
Status checkCodes(Scheme s, const uint8_t *codes, int64_t bytes);

//===----------------------------------------------------------------------===//
// Trit triples: the lookup-table layout of 1.6-bit weights
//===----------------------------------------------------------------------===//
//
// The storage of `#ternary.trit_triples`, which the CPU's lookup-table GEMV
// reads (one table of activation sums per 3 K positions, indexed by the
// weights). Each 256-trit block of a row is padded with zero trits to 87
// triples (t0, t1, t2) (the 87th is all padding), each stored as the index
// v = (t0 + 1) + 3 (t1 + 1) + 9 (t2 + 1) < 27. Three consecutive triples
// 3w, 3w + 1, 3w + 2 of a row form one little-endian 16-bit word, index q
// in bits [5q, 5q + 5) and bit 15 zero, so that one shift per triple and
// one 16-bit lookup (x86 vpermw reads only the low 5 bits) decode them.
// Rows come in groups of 32; per group, block and word there are 64 bytes,
// the words of the group's rows in row order. Groups are stored one after
// another, each block by block, each block word by word: 29 words of 64
// bytes per group and block, 1.81 bits per weight.

/// Rows per group of the triples layout: one 64-byte vector of words.
inline constexpr int64_t kTripleRows = 32;
/// Triples per 256-trit block that hold trits (the last one holds trit 255
/// and two zeros).
inline constexpr int64_t kTriplesPerBlock = 86;
/// Triples per 16-bit word.
inline constexpr int64_t kTriplesPerWord = 3;
/// Bits of each triple's index in a word: index q is bits
/// [q * kTripleIndexBits, (q + 1) * kTripleIndexBits).
inline constexpr int64_t kTripleIndexBits = 5;
/// The mask of one index's bits.
inline constexpr int64_t kTripleIndexMask = (1 << kTripleIndexBits) - 1;
/// Words per row and block: 87 triples.
inline constexpr int64_t kTripleWordsPerBlock = 29;
/// Bytes per word of a group: one 16-bit word per row.
inline constexpr int64_t kTripleWordBytes = 2 * kTripleRows;
/// Bytes per block of a group.
inline constexpr int64_t kTripleBlockBytes =
    kTripleWordsPerBlock * kTripleWordBytes;

/// Bytes of an n x k matrix in the triples layout (n a multiple of 32).
int64_t tripleMatrixBytes(int64_t n, int64_t k);
/// Packs n rows of k trits (row-major; n a multiple of 32) into
/// tripleMatrixBytes(n, k) bytes. Fails on a trit outside {-1, 0, +1}.
Status packTriples(const int8_t *trits, int64_t n, int64_t k, uint8_t *out);
/// Unpacks the triples layout. Strict: an index of 27 or more, a set bit 15,
/// or a padding trit that is not zero, is an error naming the byte.
Status unpackTriples(const uint8_t *packed, int64_t n, int64_t k,
                     int8_t *trits);
/// Checks `bytes` bytes of whole words of a group for words no packer
/// produces (an index of 27 or more, bit 15 set). Padding trits are not
/// checked.
Status checkTriples(const uint8_t *packed, int64_t bytes);

//===----------------------------------------------------------------------===//
// Exact llama.cpp blocks
//===----------------------------------------------------------------------===//
//
// These include the fp16 scale `d` as raw IEEE half bits, stored little endian
// after the code bytes. Decode error indices are byte offsets in the block.

/// Encodes a block_tq2_0. Precondition: all trits are in {-1, 0, +1}
/// (checked by assert only; invalid trits produce unspecified codes).
void encodeTQ2_0Block(const int8_t trits[256], uint16_t dHalfBits,
                      uint8_t out[66]);
/// Decodes a block_tq2_0. `dHalfBits` may be null if the scale is not needed.
Status decodeTQ2_0Block(const uint8_t in[66], int8_t trits[256],
                        uint16_t *dHalfBits);
/// Encodes a block_tq1_0. Same precondition as encodeTQ2_0Block.
void encodeTQ1_0Block(const int8_t trits[256], uint16_t dHalfBits,
                      uint8_t out[54]);
/// Decodes a block_tq1_0. `dHalfBits` may be null if the scale is not needed.
Status decodeTQ1_0Block(const uint8_t in[54], int8_t trits[256],
                        uint16_t *dHalfBits);

//===----------------------------------------------------------------------===//
// fp16 helpers
//===----------------------------------------------------------------------===//

/// Converts to IEEE binary16 bits, rounding to nearest even. Handles
/// subnormals, overflow to infinity, infinities and NaN (kept quiet, sign and
/// top payload bits preserved).
uint16_t floatToHalfBits(float f);
/// Converts IEEE binary16 bits to float (exact).
float halfBitsToFloat(uint16_t h);

} // namespace trilm::packing

#endif // TRILM_PACKING_PACKING_H
