//===- GPUFragmentTest.cpp - The GPU kernels' maps, emulated on the CPU ---===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Emulates, on the CPU, what one warp of the tensor-core matmul kernel does
// with one 256-trit block: the f16 bit arithmetic that decodes the codes, the
// maps of FragmentMaps.h that say which trits and activations each thread
// puts in which fragment register, and mma.sync m16n8k16 with the fragment
// layout of the PTX ISA (written down here independently). The products
// must equal the plain dot products of the trits and activations. The same
// for the prompt kernel's stages: its cp.async staging and swizzle, the
// prmt gather of each thread's weight bytes, and ldmatrix (PTX semantics
// written down here too).
//
//===----------------------------------------------------------------------===//

#include "trilm/Conversion/TernaryToGPU/FragmentMaps.h"
#include "trilm/Packing/Packing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace trilm::ternary_gpu;

namespace {

/// The f16 fma the kernel's f16x2 fma computes per lane: one rounding of
/// the exact a * b + c (exact in double for these operands).
_Float16 fmaF16(_Float16 a, float b, float c) {
  return _Float16(double(a) * double(b) + double(c));
}

/// Decodes the two f16 lanes of `word` at `shift`, as the kernel does.
std::array<_Float16, 2> decodePair(uint32_t word, int64_t shift) {
  uint32_t bits = (word & decodeMask(shift)) | kDecodeMagic;
  uint16_t lanes[2] = {uint16_t(bits & 0xffff), uint16_t(bits >> 16)};
  std::array<_Float16, 2> result;
  for (int i = 0; i < 2; ++i) {
    _Float16 biased;
    std::memcpy(&biased, &lanes[i], 2);
    result[i] = fmaF16(biased, decodeUnit(shift), decodeBias(shift));
  }
  return result;
}

TEST(GPUFragment, DecodingGivesEveryTritExactly) {
  // Every code in every byte, at every shift, with arbitrary other bits.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 1000; ++trial) {
    uint32_t word = rng();
    for (int64_t shift = 0; shift < 4; ++shift)
      for (int64_t byte = 0; byte < 4; byte += 2)
        for (uint32_t code = 0; code < 3; ++code) {
          uint32_t cleared = word & ~(uint32_t(3) << (8 * byte + 2 * shift));
          uint32_t withCode = cleared | code << (8 * byte + 2 * shift);
          std::array<_Float16, 2> pair = decodePair(withCode, shift);
          EXPECT_EQ(float(pair[byte / 2]), float(code) - 1.0f)
              << "word " << withCode << " shift " << shift << " byte " << byte;
        }
  }
  // Bytes 1 and 3 through word >> 8.
  for (int64_t shift = 0; shift < 4; ++shift)
    for (uint32_t code = 0; code < 3; ++code) {
      uint32_t word = code << (8 + 2 * shift) | code << (24 + 2 * shift);
      std::array<_Float16, 2> pair = decodePair(word >> 8, shift);
      EXPECT_EQ(float(pair[0]), float(code) - 1.0f);
      EXPECT_EQ(float(pair[1]), float(code) - 1.0f);
    }
}

TEST(GPUFragment, ScaledSumsAreExactForRepresentableScales) {
  // The epilogue multiplies an f32 group sum by an f32 scale; with the
  // trits exact, a sum of activations times a power-of-two scale is exact.
  for (float scale : {0.5f, 0.125f, 1.0f / 1024, 4.0f})
    for (int code = 0; code < 3; ++code) {
      std::array<_Float16, 2> pair = decodePair(uint32_t(code), 0);
      EXPECT_EQ(float(pair[0]) * scale, float(code - 1) * scale);
    }
}

/// PTX ISA, mma.m16n8k16 with .f16 A (row) and B (col): the (row, k) of
/// element `half` of A register `reg` (a0..a7 pairwise) of a lane.
std::pair<int, int> aElement(int lane, int reg, int half) {
  int group = lane / 4, inGroup = lane % 4;
  int row = group + (reg % 2 == 1 ? 8 : 0);
  int k = inGroup * 2 + half + (reg >= 2 ? 8 : 0);
  return {row, k};
}

/// The (k, col) of element `half` of B register `reg` (b0..b3 pairwise).
std::pair<int, int> bElement(int lane, int reg, int half) {
  return {lane % 4 * 2 + half + (reg == 1 ? 8 : 0), lane / 4};
}

/// TQ2 bytes of one row's block from its 256 trits.
std::array<uint8_t, 64> packBlock(const int8_t *trits) {
  std::array<uint8_t, 64> bytes{};
  for (int p = 0; p < 256; ++p) {
    int half = p / 128, shift = p % 128 / 32, j = p % 32;
    bytes[half * 32 + j] |= uint8_t((trits[p] + 1) << (2 * shift));
  }
  return bytes;
}

/// Every position of a 16-row block entered the products exactly once, and
/// the products are the dot products of the trits and 8 activation rows.
void expectBlockProducts(const float (&d)[16][8], const int (&covered)[16][256],
                         const int8_t (&trits)[16][256],
                         const _Float16 (&x)[8][256]) {
  for (int row = 0; row < 16; ++row)
    for (int p = 0; p < 256; ++p)
      ASSERT_EQ(covered[row][p], 1) << "row " << row << " position " << p;
  for (int row = 0; row < 16; ++row)
    for (int col = 0; col < 8; ++col) {
      double expected = 0;
      for (int p = 0; p < 256; ++p)
        expected += double(x[col][p]) * trits[row][p];
      EXPECT_NEAR(d[row][col], expected, 1e-3) << row << ", " << col;
    }
}

TEST(GPUFragment, OneWarpBlockProductEqualsTheDotProducts) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> tritDist(-1, 1);
  std::uniform_real_distribution<float> actDist(-4.0f, 4.0f);
  for (int trial = 0; trial < 20; ++trial) {
    int8_t trits[16][256];
    _Float16 x[8][256];
    std::array<uint8_t, 64> rows[16];
    for (int r = 0; r < 16; ++r) {
      for (int p = 0; p < 256; ++p)
        trits[r][p] = int8_t(tritDist(rng));
      rows[r] = packBlock(trits[r]);
    }
    for (auto &row : x)
      for (auto &value : row)
        value = _Float16(actDist(rng));

    float d[16][8] = {};
    int covered[16][256] = {};
    for (int64_t q = 0; q < 4; ++q)
      for (int64_t shift = 0; shift < 4; ++shift) {
        // Assemble the warp's A (16 x 16) and B (16 x 8) from each lane's
        // registers, as the kernel fills them; record which block position
        // each k of this product stands for.
        float a[16][16], b[16][8];
        int64_t positionOfK[16];
        for (int lane = 0; lane < 32; ++lane) {
          int quadRow = lane / 4, quadCol = lane % 4;
          uint32_t words[2];
          for (int i = 0; i < 2; ++i)
            std::memcpy(&words[i],
                        rows[quadRow + 8 * i].data() +
                            quadCol * kThreadBlockBytes + 4 * q,
                        4);
          // a0a1: row g, bytes 0/2; a2a3: row g + 8; a4a5 and a6a7: the
          // same rows, bytes 1/3.
          std::array<_Float16, 2> pairs[4] = {
              decodePair(words[0], shift), decodePair(words[1], shift),
              decodePair(words[0] >> 8, shift),
              decodePair(words[1] >> 8, shift)};
          int64_t run = threadBlockOffset(quadCol) + 32 * shift;
          for (int reg = 0; reg < 4; ++reg)
            for (int half = 0; half < 2; ++half) {
              auto [row, k] = aElement(lane, reg, half);
              a[row][k] = float(pairs[reg][half]);
              int64_t position = run + activationPair(q, reg / 2)[half];
              positionOfK[k] = position;
            }
          for (int reg = 0; reg < 2; ++reg)
            for (int half = 0; half < 2; ++half) {
              auto [k, col] = bElement(lane, reg, half);
              b[k][col] = float(x[col][run + activationPair(q, reg)[half]]);
            }
        }
        // The A element decoded for (row, k) is the trit of the position
        // that B's k reads.
        for (int row = 0; row < 16; ++row)
          for (int k = 0; k < 16; ++k) {
            ASSERT_EQ(a[row][k], trits[row][positionOfK[k]]);
            ++covered[row][positionOfK[k]];
          }
        for (int row = 0; row < 16; ++row)
          for (int col = 0; col < 8; ++col)
            for (int k = 0; k < 16; ++k)
              d[row][col] += a[row][k] * b[k][col];
      }
    expectBlockProducts(d, covered, trits, x);
  }
}

/// PTX prmt.b32 (default mode): byte i of the result is byte
/// (selector >> 4i) & 7 of the pool {a bytes 0-3, b bytes 4-7}.
uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
  uint64_t pool = uint64_t(a) | uint64_t(b) << 32;
  uint32_t result = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t byte = (selector >> (4 * i)) & 7;
    result |= uint32_t((pool >> (8 * byte)) & 0xff) << (8 * i);
  }
  return result;
}

TEST(GPUFragment, PrefillBlockProductEqualsTheDotProducts) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> tritDist(-1, 1);
  std::uniform_real_distribution<float> actDist(-4.0f, 4.0f);
  constexpr int kRows = 16, kActs = kPrefillMaxActRows;
  for (int trial = 0; trial < 4; ++trial) {
    int8_t trits[kRows][256];
    std::array<uint8_t, 64> bytes[kRows];
    for (int r = 0; r < kRows; ++r) {
      for (int p = 0; p < 256; ++p)
        trits[r][p] = int8_t(tritDist(rng));
      bytes[r] = packBlock(trits[r]);
    }
    static _Float16 x[kActs][256];
    for (auto &row : x)
      for (auto &value : row)
        value = _Float16(actDist(rng));

    static float d[kActs / 8][16][8];
    std::memset(d, 0, sizeof(d));
    for (int64_t quarter = 0; quarter < 4; ++quarter) {
      // The stage's shared memory, as the kernel's copies fill it.
      static _Float16 acts[kActs][kQuarterChunks * 8];
      uint8_t weights[kRows][kQuarterBytes];
      for (int row = 0; row < kActs; ++row)
        for (int64_t chunk = 0; chunk < kQuarterChunks; ++chunk)
          for (int i = 0; i < 8; ++i)
            acts[row][swizzledChunk(row, chunk) * 8 + i] =
                x[row][quarterOffset(quarter) + chunkOffset(chunk) + i];
      for (int row = 0; row < kRows; ++row)
        std::memcpy(weights[row], bytes[row].data() + quarter * kQuarterBytes,
                    kQuarterBytes);

      for (int64_t shift = 0; shift < 4; ++shift) {
        float a[16][16];
        for (int lane = 0; lane < 32; ++lane) {
          int quadRow = lane / 4, quadCol = lane % 4;
          uint32_t gathered[2];
          for (int i = 0; i < 2; ++i) {
            uint32_t words[2];
            for (int j = 0; j < 2; ++j)
              std::memcpy(&words[j],
                          weights[quadRow + 8 * i] +
                              gatherWordOffset(quadCol, j),
                          4);
            gathered[i] = prmt(words[0], words[1], gatherSelector(quadCol));
          }
          std::array<_Float16, 2> pairs[4] = {
              decodePair(gathered[0], shift), decodePair(gathered[1], shift),
              decodePair(gathered[0] >> 8, shift),
              decodePair(gathered[1] >> 8, shift)};
          for (int reg = 0; reg < 4; ++reg)
            for (int half = 0; half < 2; ++half) {
              auto [row, k] = aElement(lane, reg, half);
              a[row][k] = float(pairs[reg][half]);
            }
        }
        for (int64_t pair = 0; pair < kActs / 16; ++pair) {
          // ldmatrix.x4: lane l addresses row l % 8 of matrix l / 8; lane t
          // receives, of matrix i, row t / 4, halves 2 (t % 4) and + 1.
          const _Float16 *matrixRows[4][8];
          for (int lane = 0; lane < 32; ++lane) {
            int64_t row = ldmatrixRow(lane, pair);
            int64_t chunk = ldmatrixChunk(lane, shift);
            matrixRows[lane / 8][lane % 8] =
                &acts[row][swizzledChunk(row, chunk) * 8];
          }
          for (int t = 0; t < 2; ++t) {
            float b[16][8];
            for (int lane = 0; lane < 32; ++lane)
              for (int reg = 0; reg < 2; ++reg)
                for (int half = 0; half < 2; ++half) {
                  auto [k, col] = bElement(lane, reg, half);
                  b[k][col] = float(
                      matrixRows[2 * t + reg][lane / 4][lane % 4 * 2 + half]);
                }
            for (int row = 0; row < 16; ++row)
              for (int col = 0; col < 8; ++col)
                for (int k = 0; k < 16; ++k)
                  d[2 * pair + t][row][col] += a[row][k] * b[k][col];
          }
        }
      }
    }
    // Tile t's column c is activation row 8t + c.
    for (int row = 0; row < kRows; ++row)
      for (int act = 0; act < kActs; ++act) {
        double expected = 0;
        for (int p = 0; p < 256; ++p)
          expected += double(x[act][p]) * trits[row][p];
        ASSERT_NEAR(d[act / 8][row][act % 8], expected, 1e-3)
            << "row " << row << ", activation row " << act;
      }
  }
}

/// The prompt kernel's streaming of K when groups cut blocks: over the
/// streamed blocks, quarters, shifts and the quad's A-fragment pairs, every
/// trit of K enters exactly once, in its own group (the others masked).
TEST(GPUFragment, PrefillCutBlocksCoverEveryTritOnceInItsGroup) {
  const std::vector<std::vector<int64_t>> boundsCases = {
      {0, 300, 600},            // one cut, three blocks
      {0, 100, 700, 701, 1100}, // several cuts, a one-trit group
      {0, 256, 333},            // no cut: blocks streamed once
      {0, 50, 60, 70, 256},     // three groups inside one block
  };
  for (const std::vector<int64_t> &bounds : boundsCases) {
    int64_t k = bounds.back();
    int64_t groups = int64_t(bounds.size()) - 1;
    std::vector<GroupSpan> spans = cutGroupSpans(bounds);
    // Without cuts: each block once, in the group of its first trit.
    if (spans.empty())
      for (int64_t g = 0; g < groups; ++g)
        spans.push_back({bounds[g] / 256, bounds[g] / 256,
                         (bounds[g + 1] + 255) / 256 - bounds[g] / 256,
                         bounds[g], bounds[g + 1]});
    std::vector<std::vector<int>> entered(groups, std::vector<int>(k));
    for (int64_t g = 0; g < int64_t(spans.size()); ++g) {
      const GroupSpan &span = spans[g];
      if (g > 0) {
        EXPECT_EQ(span.first, spans[g - 1].first + spans[g - 1].count);
      }
      for (int64_t block = span.firstBlock;
           block < span.firstBlock + span.count; ++block)
        for (int64_t quarter = 0; quarter < 4; ++quarter)
          for (int64_t shift = 0; shift < 4; ++shift)
            for (int64_t quadCol = 0; quadCol < 4; ++quadCol)
              for (int64_t high = 0; high < 2; ++high)
                for (int64_t lane = 0; lane < 2; ++lane) {
                  int64_t position =
                      256 * block +
                      prefillPairPosition(quarter, shift, quadCol, high) +
                      lane;
                  // The kernel's mask; past K the activations are zero.
                  if (position < span.lo || position >= span.hi ||
                      position >= k)
                    continue;
                  ++entered[g][position];
                }
    }
    for (int64_t g = 0; g < groups; ++g)
      for (int64_t position = 0; position < k; ++position)
        ASSERT_EQ(entered[g][position],
                  position >= bounds[g] && position < bounds[g + 1] ? 1 : 0)
            << "bounds case ending at K " << k << ", group " << g
            << ", position " << position;
  }
}

TEST(GPUFragment, PrefillLdmatrixRowsAvoidBankConflicts) {
  // The 8 rows of each matrix an ldmatrix reads lie in distinct 16-byte
  // bank groups: a row of 8 chunks is 128 bytes, all 32 banks.
  for (int64_t shift = 0; shift < 4; ++shift)
    for (int64_t pair = 0; pair < kPrefillMaxActRows / 16; ++pair)
      for (int matrix = 0; matrix < 4; ++matrix) {
        bool used[kQuarterChunks] = {};
        for (int r = 0; r < 8; ++r) {
          int lane = 8 * matrix + r;
          int64_t row = ldmatrixRow(lane, pair);
          int64_t group = swizzledChunk(row, ldmatrixChunk(lane, shift));
          EXPECT_FALSE(used[group]) << "shift " << shift << " matrix " << matrix;
          used[group] = true;
        }
      }
}

/// The kernel's TQ1 lane-pair decoding of digit `multiplier` = 3^n, in
/// 32-bit arithmetic as the kernel does it.
std::array<_Float16, 2> decodeTQ1Pair(uint32_t lanes, uint32_t multiplier) {
  uint32_t scaled = (lanes * multiplier) & kTQ1LaneMask;
  uint32_t bits = (((scaled * 3) >> 8) & kTQ1CodeMask) | kDecodeMagic;
  uint16_t halves[2] = {uint16_t(bits & 0xffff), uint16_t(bits >> 16)};
  std::array<_Float16, 2> result;
  for (int i = 0; i < 2; ++i) {
    _Float16 biased;
    std::memcpy(&biased, &halves[i], 2);
    result[i] = _Float16(float(biased) + kTQ1DecodeBias);
  }
  return result;
}

TEST(GPUFragment, TQ1BlockProductEqualsTheDotProducts) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> tritDist(-1, 1);
  std::uniform_real_distribution<float> actDist(-4.0f, 4.0f);
  for (int trial = 0; trial < 20; ++trial) {
    int8_t trits[16][256];
    uint8_t rows[16][trilm::packing::kTQ1CodeBytes];
    for (int r = 0; r < 16; ++r) {
      for (int p = 0; p < 256; ++p)
        trits[r][p] = int8_t(tritDist(rng));
      ASSERT_TRUE(trilm::packing::packRow(trilm::packing::Scheme::TQ1,
                                          trits[r], 256, rows[r])
                      .ok());
    }
    _Float16 x[8][256];
    for (auto &row : x)
      for (auto &value : row)
        value = _Float16(actDist(rng));

    float d[16][8] = {};
    int covered[16][256] = {};
    for (int64_t index = 0; index < kTQ1Steps; ++index) {
      TQ1Step step = tq1Step(index);
      float a[16][16], b[16][8];
      for (int lane = 0; lane < 32; ++lane) {
        int quadRow = lane / 4, quadCol = lane % 4;
        // The thread's gathered word of each of its two rows.
        uint32_t words[2];
        for (int i = 0; i < 2; ++i) {
          const uint8_t *row = rows[quadRow + 8 * i];
          uint32_t parts[2];
          if (step.word < 3) {
            for (int j = 0; j < 2; ++j)
              std::memcpy(&parts[j],
                          row + tq1WordOffset(step.word, quadCol, j), 4);
            words[i] = prmt(parts[0], parts[1], gatherSelector(quadCol));
          } else {
            std::memcpy(&parts[0], row + kTQ1QhByte, 4);
            words[i] = prmt(parts[0], 0, tq1QhSelector(quadCol));
          }
        }
        bool qh = step.word == 3;
        uint32_t low = tq1DigitMultiplier(qh ? tq1QhDigit(quadCol, 0)
                                             : step.digit);
        uint32_t high = tq1DigitMultiplier(qh ? tq1QhDigit(quadCol, 1)
                                              : step.digit);
        auto lanesOf = [&](uint32_t word, bool second) {
          return qh ? word : ((second ? word >> 8 : word) & kTQ1LaneMask);
        };
        std::array<_Float16, 2> pairs[4] = {
            decodeTQ1Pair(lanesOf(words[0], false), low),
            decodeTQ1Pair(lanesOf(words[1], false), low),
            decodeTQ1Pair(lanesOf(words[0], true), high),
            decodeTQ1Pair(lanesOf(words[1], true), high)};
        for (int reg = 0; reg < 4; ++reg)
          for (int half = 0; half < 2; ++half) {
            auto [row, k] = aElement(lane, reg, half);
            a[row][k] = float(pairs[reg][half]);
          }
        // B: the pairs at k + 2c and k + 8 + 2c of the step's run.
        for (int reg = 0; reg < 2; ++reg)
          for (int half = 0; half < 2; ++half) {
            auto [k, col] = bElement(lane, reg, half);
            b[k][col] = float(x[col][step.k + 8 * reg + 2 * quadCol + half]);
          }
      }
      // Slot k of the step is block position step.k + k: its decoded trit.
      for (int row = 0; row < 16; ++row)
        for (int k = 0; k < 16; ++k) {
          ASSERT_EQ(a[row][k], trits[row][step.k + k])
              << "step " << index << " row " << row << " k " << k;
          ++covered[row][step.k + k];
        }
      for (int row = 0; row < 16; ++row)
        for (int col = 0; col < 8; ++col)
          for (int k = 0; k < 16; ++k)
            d[row][col] += a[row][k] * b[k][col];
    }
    expectBlockProducts(d, covered, trits, x);
  }
}

} // namespace
