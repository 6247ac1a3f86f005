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
#include <cstdint>

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

} // namespace trilm::ternary_gpu

#endif // TRILM_CONVERSION_TERNARYTOGPU_FRAGMENTMAPS_H
