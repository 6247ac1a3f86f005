//===- FragmentMaps.h - Where the GPU matmul kernels' values come from -*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The index maps and decoding constants of the tensor-core matmul kernels,
// in one place: the kernel generator emits them, and the CPU emulation test
// (test/unit/GPUFragmentTest.cpp) checks them against the mma.sync m16n8k16
// fragment layout and the TQ2 bit layout.
//
// A thread of a warp is (quadRow, quadCol) = (lane / 4, lane % 4). For each
// 256-trit block it loads 16 bytes, [16 quadCol, 16 quadCol + 16), of each of
// its two weight rows: 4 words. Word q, at shift s, holds the codes of the
// four trits at block positions base + 32 s + 4 q + (0, 1, 2, 3) in its bytes
// 0..3 (TQ2: byte 32h + j holds, in bits 2s, trit 128h + 32s + j).
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_TERNARYTOGPU_FRAGMENTMAPS_H
#define TRILM_CONVERSION_TERNARYTOGPU_FRAGMENTMAPS_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace trilm::ternary_gpu {

/// Bytes of one 256-trit block that each thread of a quad loads.
inline constexpr int64_t kThreadBlockBytes = 16;

/// Block position of the first trit of the bytes that quad column `quadCol`
/// loads: byte 16 c starts half c / 2, column 16 (c % 2).
constexpr int64_t threadBlockOffset(int64_t quadCol) {
  return quadCol / 2 * 128 + quadCol % 2 * 16;
}

/// The 16 activations a thread reads at shift s start at
/// threadBlockOffset(quadCol) + 32 s; these are the positions in that run
/// of word q's trits that land in the B fragment's two f16 pairs: pair 0
/// holds the trits of bytes 0 and 2 (A's K pair 2c, 2c + 1), pair 1 those of
/// bytes 1 and 3 (A's K pair 2c + 8, 2c + 9).
constexpr std::array<int64_t, 2> activationPair(int64_t q, int64_t pair) {
  return pair == 0 ? std::array<int64_t, 2>{4 * q, 4 * q + 2}
                   : std::array<int64_t, 2>{4 * q + 1, 4 * q + 3};
}

/// Decoding: (word & decodeMask(s)) | kDecodeMagic puts bits [2s, 2s + 2) of
/// bytes 0 and 2 into the mantissas of two f16 lanes of value 1024, giving
/// 1024 + code * 4^s exactly; one f16 fma by decodeUnit(s) plus
/// decodeBias(s) gives code - 1, the trit, exactly. Bytes 1 and 3 decode the
/// same way from word >> 8.
inline constexpr uint32_t kDecodeMagic = 0x64006400;
constexpr uint32_t decodeMask(int64_t shift) {
  return uint32_t(0x00030003) << (2 * shift);
}
constexpr float decodeUnit(int64_t shift) {
  return 1.0f / float(1 << (2 * shift));
}
constexpr float decodeBias(int64_t shift) {
  return -(1024.0f * decodeUnit(shift) + 1.0f);
}

//===----------------------------------------------------------------------===//
// 1.6-bit weights (TQ1) in the decoding kernel. A row's 52-byte block holds
// trit m + 32n in digit n of qs byte m (m < 32), 160 + m + 16n in qs byte
// 32 + m (m < 16), 240 + m + 4n in qh byte m (m < 4, digits 0..3); digit n of
// byte q is ((uint8(q * 3^n) * 3) >> 8). Each thread gathers 4 words per row
// and block, as the prompt kernel's gather does for TQ2: words 0 and 1 from
// qs bytes 16g + (0..15) (g = 0, 1), word 2 from qs bytes 32 + (0..15), so
// that bytes 0 and 2 hold the bytes of A's K pair (2c, 2c + 1) and bytes 1
// and 3 the pair (2c + 8, 2c + 9); word 3 holds qh bytes 2(c % 2) and
// 2(c % 2) + 1 in its bytes 0 and 2. Decoding a lane pair (bytes 0 and 2)
// at digit n:
//   t = (pair * 3^n) & 0x00ff00ff;  code = ((t * 3) >> 8) & 0x00030003
// (the two 16-bit lanes never carry into each other), then the magic
// number and one f16x2 add of -1025 give the trits.
//
// The 16 mma steps of a block: digit n of word g (k = 32n + 16g, n < 5),
// digit n of word 2 (k = 160 + 16n), and the qh step (k = 240), whose
// thread (quadRow, quadCol) takes digit quadCol / 2 for its first pair and
// 2 + quadCol / 2 for the second. Every step reads 16 consecutive
// activations k + (0..15): B takes pairs k + 2c and k + 8 + 2c.
//===----------------------------------------------------------------------===//

inline constexpr int64_t kTQ1Steps = 16;
inline constexpr int64_t kTQ1QhByte = 48;

struct TQ1Step {
  int64_t word;  ///< 0, 1, 2: the gathered qs words; 3: the qh word
  int64_t digit; ///< for qs words (the qh step's digits depend on quadCol)
  int64_t k;     ///< block position of the step's first trit
};

constexpr TQ1Step tq1Step(int64_t step) {
  if (step < 10)
    return {step % 2, step / 2, 32 * (step / 2) + 16 * (step % 2)};
  if (step < 15)
    return {2, step - 10, 160 + 16 * (step - 10)};
  return {3, 0, 240};
}

/// Byte offset in the block of the i-th (0, 1) word the thread loads for
/// gathered word `word` (< 3): the gather of the prompt kernel
/// (gatherWordOffset) over the 16 qs bytes at 16 word.
constexpr int64_t tq1WordOffset(int64_t word, int64_t quadCol, int64_t i) {
  return 16 * word + 8 * i + 4 * (quadCol / 2);
}

/// prmt selector taking qh bytes 2(c % 2) and 2(c % 2) + 1 to bytes 0 and 2
/// (bytes 1 and 3 zero, from an operand of 0).
constexpr uint32_t tq1QhSelector(int64_t quadCol) {
  return quadCol % 2 == 0 ? 0x4140 : 0x4342;
}

/// The digit of the qh step's first (high = 0) or second K pair.
constexpr int64_t tq1QhDigit(int64_t quadCol, int64_t high) {
  return quadCol / 2 + 2 * high;
}

constexpr uint32_t tq1DigitMultiplier(int64_t digit) {
  uint32_t m = 1;
  for (int64_t n = 0; n < digit; ++n)
    m *= 3;
  return m;
}
inline constexpr uint32_t kTQ1LaneMask = 0x00ff00ff;
inline constexpr uint32_t kTQ1CodeMask = 0x00030003;
/// f16 1024 + code - 1025 = the trit.
inline constexpr float kTQ1DecodeBias = -1025.0f;

//===----------------------------------------------------------------------===//
// The prompt kernel (M >= kPrefillMinRows): a thread block of
// kPrefillWarps warps computes 16 weight rows per warp times the
// configuration's prompt_rows activation rows (at most kPrefillMaxActRows).
// K is streamed a quarter block (64 trits) per stage through shared memory
// with cp.async: the activations of the quarter, and the 16 bytes of each
// weight row that hold its codes.
//
// Quarter c of a block is bytes [16c, 16c + 16) of each row: in TQ2, byte
// 32h + j holds trits 128h + 32s + j at shift s, so the quarter holds the
// four runs of 16 trits quarterOffset(c) + 32s + (0..15), one per shift; mma
// step s of the stage computes run s. Its activations are staged as 8 chunks
// of 8 halves per row, chunk 2s + e holding run s's trits 8e..8e + 7.
//===----------------------------------------------------------------------===//

inline constexpr int64_t kPrefillMinRows = 16;
inline constexpr int64_t kPrefillWarps = 4;
inline constexpr int64_t kPrefillMaxActRows = 64;
/// Trits and weight bytes of one stage (a quarter of a block).
inline constexpr int64_t kQuarterTrits = 64;
inline constexpr int64_t kQuarterBytes = 16;
/// Activation chunks of 8 halves (16 bytes, one cp.async) per row and stage.
inline constexpr int64_t kQuarterChunks = 8;

/// Block position of the first trit of quarter c (bytes [16c, 16c + 16)).
constexpr int64_t quarterOffset(int64_t quarter) {
  return threadBlockOffset(quarter);
}

/// Position, from quarterOffset, of the first of the 8 trits of chunk `chunk`.
constexpr int64_t chunkOffset(int64_t chunk) {
  return 32 * (chunk / 2) + 8 * (chunk % 2);
}

/// Where chunk `chunk` of activation row `row` sits in shared memory: XOR
/// with the row spreads the 8 rows an ldmatrix reads over all 32 banks.
constexpr int64_t swizzledChunk(int64_t row, int64_t chunk) {
  return chunk ^ (row % 8);
}

/// ldmatrix.x4 of mma step s for the activation tiles (2t, 2t + 1): lane l
/// gives the address of row ldmatrixRow(l, t) of matrix l / 8, the row's
/// chunk ldmatrixChunk(l, s). Matrices 0 and 1 are tile 2t's B registers
/// (trits 0..7 and 8..15 of the run), 2 and 3 tile 2t + 1's.
constexpr int64_t ldmatrixRow(int64_t lane, int64_t tilePair) {
  return 8 * (2 * tilePair + lane / 16) + lane % 8;
}
constexpr int64_t ldmatrixChunk(int64_t lane, int64_t step) {
  return 2 * step + lane / 8 % 2;
}

/// A thread (quadRow, quadCol) needs, of each of its two rows' 16 quarter
/// bytes, bytes 2 quadCol, 2 quadCol + 1 (A's K pair 2c, 2c + 1) and
/// 8 + 2 quadCol, 9 + 2 quadCol (the pair 2c + 8, 2c + 9). It loads the
/// words at byte offsets gatherWordOffset(quadCol, i) and permutes them
/// (prmt) into one word whose bytes 0 and 2 hold the first pair and bytes 1
/// and 3 the second: the layout decodePair reads.
constexpr int64_t gatherWordOffset(int64_t quadCol, int64_t i) {
  return 8 * i + 4 * (quadCol / 2);
}
constexpr uint32_t gatherSelector(int64_t quadCol) {
  // Result bytes {0, 1, 2, 3} from pool bytes {x, y, x + 1, y + 1}: x the
  // pair's first byte in word 0 (pool bytes 0-3), y in word 1 (4-7).
  return quadCol % 2 == 0 ? 0x5140 : 0x7362;
}

/// Block position of the first trit of A-fragment pair `high` of thread
/// column `quadCol` at `shift` of `quarter`: pair 0 holds K (2c, 2c + 1) of
/// the run of 16 trits, pair 1 K (2c + 8, 2c + 9).
constexpr int64_t prefillPairPosition(int64_t quarter, int64_t shift,
                                      int64_t quadCol, int64_t high) {
  return quarterOffset(quarter) + 32 * shift + 2 * quadCol + 8 * high;
}

/// A K group as the prompt kernel streams it when groups cut 256-trit
/// blocks: a cut block is streamed once per group it holds, the other
/// groups' trits masked. The group's blocks [firstBlock, firstBlock +
/// count) are streamed at positions [first, first + count); its trits are
/// [lo, hi).
struct GroupSpan {
  int64_t first, firstBlock, count, lo, hi;
};

/// The spans of K groups bounded by `bounds` (0, ..., K), or none when no
/// bound cuts a block: then each block is streamed once.
inline std::vector<GroupSpan> cutGroupSpans(const std::vector<int64_t> &bounds) {
  constexpr int64_t kBlockTrits = 256;
  bool cuts = false;
  for (std::size_t g = 0; g + 1 < bounds.size(); ++g)
    cuts |= bounds[g] % kBlockTrits != 0;
  if (!cuts)
    return {};
  std::vector<GroupSpan> spans;
  int64_t first = 0;
  for (std::size_t g = 0; g + 1 < bounds.size(); ++g) {
    int64_t firstBlock = bounds[g] / kBlockTrits;
    int64_t count =
        (bounds[g + 1] + kBlockTrits - 1) / kBlockTrits - firstBlock;
    spans.push_back({first, firstBlock, count, bounds[g], bounds[g + 1]});
    first += count;
  }
  return spans;
}

} // namespace trilm::ternary_gpu

#endif // TRILM_CONVERSION_TERNARYTOGPU_FRAGMENTMAPS_H
