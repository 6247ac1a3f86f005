//===- PackingTest.cpp - Tests for the ternary bit layouts ----------------===//
//
// Part of the trilm project.
//
//===----------------------------------------------------------------------===//
//
// Golden vectors in this file were worked out by hand from the layout
// definition (packing.md), not produced by running the encoder. The
// exhaustive tests use small reference formulas written directly from the
// definition ("element e lives in byte B at digit/bit position P").
//
//===----------------------------------------------------------------------===//

#include "trilm/Packing/Packing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

using namespace trilm::packing;

namespace {

using Block = std::array<int8_t, 256>;

Block zeroBlock() {
  Block b;
  b.fill(0);
  return b;
}

//===----------------------------------------------------------------------===//
// Reference layout formulas, straight from packing.md
//===----------------------------------------------------------------------===//

/// TQ2: element e of a block is in byte (e / 128) * 32 + e % 32 at bit offset
/// 2 * ((e % 128) / 32).
int tq2Byte(int e) { return (e / 128) * 32 + e % 32; }
int tq2Shift(int e) { return 2 * ((e % 128) / 32); }

/// TQ1: element e of a block is in byte tq1Byte(e) as base-3 digit
/// tq1Digit(e), digit 0 being the most significant.
int tq1Byte(int e) {
  if (e < 160)
    return e % 32;
  if (e < 240)
    return 32 + (e - 160) % 16;
  return 48 + (e - 240) % 4;
}
int tq1Digit(int e) {
  if (e < 160)
    return e / 32;
  if (e < 240)
    return (e - 160) / 16;
  return (e - 240) / 4;
}

/// q = ceil(v * 256 / 243).
int fixedPoint(int v) { return (v * 256 + 242) / 243; }

int pow3(int n) {
  int r = 1;
  while (n-- > 0)
    r *= 3;
  return r;
}

/// Value of a TQ1 code byte for one group of codes, first code most
/// significant; qh bytes (4 codes) get the extra factor 3.
int tq1Encode(const std::vector<int> &codes) {
  int v = 0;
  for (int c : codes)
    v = v * 3 + c;
  if (codes.size() == 4)
    v *= 3;
  return fixedPoint(v);
}

std::vector<uint8_t> packRowOrDie(Scheme s, const int8_t *trits, int64_t k) {
  std::vector<uint8_t> out(static_cast<size_t>(packedRowBytes(s, k)));
  Status st = packRow(s, trits, k, out.data());
  EXPECT_TRUE(st.ok()) << st.message;
  return out;
}

const Scheme kSchemes[] = {Scheme::TQ2, Scheme::TQ1};

//===----------------------------------------------------------------------===//
// Names and sizes
//===----------------------------------------------------------------------===//

TEST(PackingTest, SchemeNames) {
  EXPECT_STREQ(schemeName(Scheme::TQ2), "tq2");
  EXPECT_STREQ(schemeName(Scheme::TQ1), "tq1");
  EXPECT_EQ(parseScheme("tq2"), Scheme::TQ2);
  EXPECT_EQ(parseScheme("tq1"), Scheme::TQ1);
  EXPECT_FALSE(parseScheme("tq3").has_value());
  EXPECT_FALSE(parseScheme("").has_value());
  EXPECT_FALSE(parseScheme("tq2_0x").has_value());
  EXPECT_EQ(static_cast<int>(Scheme::TQ2), 0);
  EXPECT_EQ(static_cast<int>(Scheme::TQ1), 1);
}

TEST(PackingTest, Sizes) {
  EXPECT_EQ(codeBytesPerBlock(Scheme::TQ2), 64);
  EXPECT_EQ(codeBytesPerBlock(Scheme::TQ1), 52);
  EXPECT_EQ(numBlocks(0), 0);
  EXPECT_EQ(numBlocks(1), 1);
  EXPECT_EQ(numBlocks(255), 1);
  EXPECT_EQ(numBlocks(256), 1);
  EXPECT_EQ(numBlocks(257), 2);
  EXPECT_EQ(numBlocks(4096), 16);
  EXPECT_EQ(packedRowBytes(Scheme::TQ2, 0), 0);
  EXPECT_EQ(packedRowBytes(Scheme::TQ2, 300), 128);
  EXPECT_EQ(packedRowBytes(Scheme::TQ1, 300), 104);
  EXPECT_EQ(packedRowBytes(Scheme::TQ1, 1536), 6 * 52);
  // 2.0625 and 1.6875 bits per weight including the fp16 scale.
  EXPECT_EQ(kTQ2_0BlockBytes * 8 * 10000 / 256, 20625);
  EXPECT_EQ(kTQ1_0BlockBytes * 8 * 10000 / 256, 16875);
}

//===----------------------------------------------------------------------===//
// TQ2 golden vectors
//===----------------------------------------------------------------------===//

TEST(PackingTest, TQ2GoldenAllZero) {
  // Every code is 1 (trit 0): each byte is 01 01 01 01 = 0x55.
  Block t = zeroBlock();
  std::vector<uint8_t> p = packRowOrDie(Scheme::TQ2, t.data(), 256);
  ASSERT_EQ(p.size(), 64u);
  for (int i = 0; i < 64; ++i)
    EXPECT_EQ(p[i], 0x55) << "byte " << i;
}

TEST(PackingTest, TQ2GoldenBlock) {
  // Byte m of each 32-byte chunk holds elements m, m+32, m+64, m+96 of its
  // 128-element half at bits 0-1, 2-3, 4-5, 6-7 (written high to low below).
  //  e0 = +1 (code 2), e32 = -1 (code 0), e64 = e96 = 0 (code 1):
  //    byte 0  = e96 e64 e32 e0 = 01 01 00 10 = 0x52
  //  e33 = +1 (code 2), e97 = -1 (code 0), e1 = e65 = 0:
  //    byte 1  = e97 e65 e33 e1 = 00 01 10 01 = 0x19
  //  e128 = -1: second half, m = 0, bits 0-1 -> byte 32:
  //    byte 32 = 01 01 01 00 = 0x54
  //  e255 = +1: 255 = 128 + 127, m = 127 % 32 = 31, bits 6-7 -> byte 63:
  //    byte 63 = 10 01 01 01 = 0x95
  //  d = 1.0 = 0x3C00 little endian -> bytes 64, 65 = 0x00, 0x3C.
  Block t = zeroBlock();
  t[0] = 1;
  t[32] = -1;
  t[33] = 1;
  t[97] = -1;
  t[128] = -1;
  t[255] = 1;
  std::array<uint8_t, 66> expected;
  expected.fill(0x55);
  expected[0] = 0x52;
  expected[1] = 0x19;
  expected[32] = 0x54;
  expected[63] = 0x95;
  expected[64] = 0x00;
  expected[65] = 0x3C;

  std::array<uint8_t, 66> block;
  encodeTQ2_0Block(t.data(), 0x3C00, block.data());
  EXPECT_EQ(block, expected);

  std::vector<uint8_t> row = packRowOrDie(Scheme::TQ2, t.data(), 256);
  EXPECT_TRUE(std::equal(row.begin(), row.end(), expected.begin()));

  Block back;
  uint16_t d = 0;
  Status st = decodeTQ2_0Block(expected.data(), back.data(), &d);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(back, t);
  EXPECT_EQ(d, 0x3C00);
  // The scale pointer is optional.
  EXPECT_TRUE(decodeTQ2_0Block(expected.data(), back.data(), nullptr).ok());
}

TEST(PackingTest, TQ2ScaleIsLittleEndian) {
  Block t = zeroBlock();
  std::array<uint8_t, 66> block;
  encodeTQ2_0Block(t.data(), 0x1234, block.data());
  EXPECT_EQ(block[64], 0x34);
  EXPECT_EQ(block[65], 0x12);
  uint16_t d = 0;
  Block back;
  ASSERT_TRUE(decodeTQ2_0Block(block.data(), back.data(), &d).ok());
  EXPECT_EQ(d, 0x1234);
}

//===----------------------------------------------------------------------===//
// TQ1 golden vectors
//===----------------------------------------------------------------------===//

TEST(PackingTest, TQ1GoldenAllZero) {
  // qs: codes 1 1 1 1 1 -> v = 81+27+9+3+1 = 121; 121*256 = 30976;
  //     30976 / 243 = 127.47 -> ceil = 128.
  // qh: codes 1 1 1 1 -> v = 27+9+3+1 = 40; *3 = 120; 120*256 = 30720;
  //     30720 / 243 = 126.42 -> ceil = 127.
  Block t = zeroBlock();
  std::vector<uint8_t> p = packRowOrDie(Scheme::TQ1, t.data(), 256);
  ASSERT_EQ(p.size(), 52u);
  for (int i = 0; i < 48; ++i)
    EXPECT_EQ(p[i], 128) << "qs byte " << i;
  for (int i = 48; i < 52; ++i)
    EXPECT_EQ(p[i], 127) << "qh byte " << i;
}

TEST(PackingTest, TQ1GoldenAllPlusAndAllMinus) {
  // All +1: qs 22222_3 = 242; 242*256 = 61952; 243*254 = 61722, rem 230 ->
  // 255. qh 2222_3 = 80; *3 = 240; 240*256 = 61440; 243*252 = 61236, rem 204
  // -> 253. All -1: every value is 0 -> 0.
  Block plus;
  plus.fill(1);
  Block minus;
  minus.fill(-1);
  std::vector<uint8_t> p = packRowOrDie(Scheme::TQ1, plus.data(), 256);
  std::vector<uint8_t> m = packRowOrDie(Scheme::TQ1, minus.data(), 256);
  for (int i = 0; i < 52; ++i) {
    EXPECT_EQ(p[i], i < 48 ? 255 : 253) << "byte " << i;
    EXPECT_EQ(m[i], 0) << "byte " << i;
  }
}

TEST(PackingTest, TQ1GoldenBlock) {
  // e0 = +1 -> qs[0] digits (e0 e32 e64 e96 e128) = 2 1 1 1 1:
  //   v = 162+27+9+3+1 = 202; 202*256 = 51712; 243*212 = 51516, rem 196
  //   -> 213.
  //   Multiply-trick check: 213*3 = 639, >>8 = 2; 639 & 255 = 127, 381>>8 = 1;
  //   381 & 255 = 125, 375>>8 = 1; 119 -> 357>>8 = 1; 101 -> 303>>8 = 1.
  // e33 = -1 -> qs[1] digit 1: 1 0 1 1 1 = 81+9+3+1 = 94; 94*256 = 24064;
  //   243*99 = 24057, rem 7 -> 100.
  // e159 = +1 -> 159 = 31 + 4*32: qs[31] digit 4: 1 1 1 1 2 = 122;
  //   122*256 = 31232; 243*128 = 31104, rem 128 -> 129.
  // e160 = +1 -> 160 + 0 + 16*0: qs[32] digit 0 -> same as e0: 213.
  // e177 = -1 -> 160 + 1 + 16*1: qs[33] digit 1 -> same as e33: 100.
  // e239 = +1 -> 160 + 15 + 16*4: qs[47] digit 4 -> same as e159: 129.
  // e240 = +1 -> 240 + 0 + 4*0: qh[0] (byte 48) digit 0: 2 1 1 1 =
  //   54+9+3+1 = 67; *3 = 201; 201*256 = 51456; 243*211 = 51273, rem 183
  //   -> 212.
  // e241 = -1 -> qh[1] (byte 49) digit 0: 0 1 1 1 = 13; *3 = 39;
  //   39*256 = 9984; 243*41 = 9963, rem 21 -> 42.
  // e255 = -1 -> 240 + 3 + 4*3: qh[3] (byte 51) digit 3: 1 1 1 0 = 39;
  //   *3 = 117; 117*256 = 29952; 243*123 = 29889, rem 63 -> 124.
  // Untouched bytes: qs 128, qh 127 (see TQ1GoldenAllZero).
  // d = 0x3C00 little endian -> bytes 52, 53 = 0x00, 0x3C.
  Block t = zeroBlock();
  t[0] = 1;
  t[33] = -1;
  t[159] = 1;
  t[160] = 1;
  t[177] = -1;
  t[239] = 1;
  t[240] = 1;
  t[241] = -1;
  t[255] = -1;
  std::array<uint8_t, 54> expected;
  for (int i = 0; i < 48; ++i)
    expected[i] = 128;
  for (int i = 48; i < 52; ++i)
    expected[i] = 127;
  expected[0] = 213;
  expected[1] = 100;
  expected[31] = 129;
  expected[32] = 213;
  expected[33] = 100;
  expected[47] = 129;
  expected[48] = 212;
  expected[49] = 42;
  expected[51] = 124;
  expected[52] = 0x00;
  expected[53] = 0x3C;

  std::array<uint8_t, 54> block;
  encodeTQ1_0Block(t.data(), 0x3C00, block.data());
  EXPECT_EQ(block, expected);

  std::vector<uint8_t> row = packRowOrDie(Scheme::TQ1, t.data(), 256);
  EXPECT_TRUE(std::equal(row.begin(), row.end(), expected.begin()));

  Block back;
  uint16_t d = 0;
  Status st = decodeTQ1_0Block(expected.data(), back.data(), &d);
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(back, t);
  EXPECT_EQ(d, 0x3C00);
}

TEST(PackingTest, TQ1ScaleIsLittleEndian) {
  Block t = zeroBlock();
  std::array<uint8_t, 54> block;
  encodeTQ1_0Block(t.data(), 0xABCD, block.data());
  EXPECT_EQ(block[52], 0xCD);
  EXPECT_EQ(block[53], 0xAB);
  uint16_t d = 0;
  Block back;
  ASSERT_TRUE(decodeTQ1_0Block(block.data(), back.data(), &d).ok());
  EXPECT_EQ(d, 0xABCD);
}

//===----------------------------------------------------------------------===//
// Every code in every position
//===----------------------------------------------------------------------===//

/// Expected byte at the position of element e when only e is non-zero.
int expectedSingleByte(Scheme s, int e, int t) {
  const int c = t + 1;
  if (s == Scheme::TQ2)
    return (0x55 & ~(3 << tq2Shift(e))) | (c << tq2Shift(e));
  if (e >= 240) {
    std::vector<int> codes(4, 1);
    codes[tq1Digit(e)] = c;
    return tq1Encode(codes);
  }
  std::vector<int> codes(5, 1);
  codes[tq1Digit(e)] = c;
  return tq1Encode(codes);
}

int expectedByteIndex(Scheme s, int e) {
  return s == Scheme::TQ2 ? tq2Byte(e) : tq1Byte(e);
}

TEST(PackingTest, EveryCodeInEveryPosition) {
  for (Scheme s : kSchemes) {
    Block zero = zeroBlock();
    std::vector<uint8_t> base = packRowOrDie(s, zero.data(), 256);
    for (int e = 0; e < 256; ++e) {
      for (int t = -1; t <= 1; ++t) {
        SCOPED_TRACE(std::string(schemeName(s)) + " element " +
                     std::to_string(e) + " trit " + std::to_string(t));
        Block in = zeroBlock();
        in[e] = static_cast<int8_t>(t);
        std::vector<uint8_t> p = packRowOrDie(s, in.data(), 256);
        const int expectedIndex = expectedByteIndex(s, e);
        for (size_t i = 0; i < p.size(); ++i) {
          if (static_cast<int>(i) == expectedIndex)
            EXPECT_EQ(p[i], expectedSingleByte(s, e, t));
          else
            EXPECT_EQ(p[i], base[i]) << "unexpected change in byte " << i;
        }
        Block out;
        out.fill(42);
        Status st = unpackRow(s, p.data(), 256, out.data());
        ASSERT_TRUE(st.ok()) << st.message;
        EXPECT_EQ(out, in);
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Exhaustive byte values
//===----------------------------------------------------------------------===//

TEST(PackingTest, FixedPointMultiplyTrickDefinition) {
  // Sanity check of the definition itself: the multiply trick recovers every
  // digit of every 5-digit value.
  for (int v = 0; v < 243; ++v) {
    const int q = fixedPoint(v);
    for (int n = 0; n < 5; ++n) {
      const int qn = (q * pow3(n)) & 0xFF;
      EXPECT_EQ((qn * 3) >> 8, (v / pow3(4 - n)) % 3) << "v " << v;
    }
  }
}

TEST(PackingTest, TQ1AllQsValuesRoundTrip) {
  // qs[0] holds elements 0, 32, 64, 96, 128; qs[40] holds 168, 184, ..., 232.
  for (int first : {0, 168}) {
    const int stride = first == 0 ? 32 : 16;
    const int byteIndex = first == 0 ? 0 : 40;
    std::set<int> seen;
    for (int v = 0; v < 243; ++v) {
      Block t = zeroBlock();
      for (int n = 0; n < 5; ++n)
        t[first + stride * n] = static_cast<int8_t>((v / pow3(4 - n)) % 3 - 1);
      std::array<uint8_t, 54> block;
      encodeTQ1_0Block(t.data(), 0, block.data());
      EXPECT_EQ(block[byteIndex], fixedPoint(v)) << "v " << v;
      seen.insert(block[byteIndex]);
      Block back;
      Status st = decodeTQ1_0Block(block.data(), back.data(), nullptr);
      ASSERT_TRUE(st.ok()) << st.message;
      EXPECT_EQ(back, t) << "v " << v;
    }
    EXPECT_EQ(seen.size(), 243u);
  }
}

TEST(PackingTest, TQ1AllQhValuesRoundTrip) {
  // qh[1] (byte 49) holds elements 241, 245, 249, 253.
  std::set<int> seen;
  for (int v = 0; v < 81; ++v) {
    Block t = zeroBlock();
    for (int n = 0; n < 4; ++n)
      t[241 + 4 * n] = static_cast<int8_t>((v / pow3(3 - n)) % 3 - 1);
    std::array<uint8_t, 54> block;
    encodeTQ1_0Block(t.data(), 0, block.data());
    EXPECT_EQ(block[49], fixedPoint(3 * v)) << "v " << v;
    seen.insert(block[49]);
    Block back;
    Status st = decodeTQ1_0Block(block.data(), back.data(), nullptr);
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(back, t) << "v " << v;
  }
  EXPECT_EQ(seen.size(), 81u);
}

TEST(PackingTest, TQ1EveryByteValueQs) {
  // Reference set of encoder outputs for a qs byte, and their values.
  std::map<int, int> valueOf;
  for (int v = 0; v < 243; ++v)
    valueOf[fixedPoint(v)] = v;
  ASSERT_EQ(valueOf.size(), 243u);

  Block zero = zeroBlock();
  std::array<uint8_t, 54> base;
  encodeTQ1_0Block(zero.data(), 0, base.data());
  int valid = 0;
  for (int byteIndex : {0, 40}) {
    valid = 0;
    const int first = byteIndex == 0 ? 0 : 168;
    const int stride = byteIndex == 0 ? 32 : 16;
    for (int b = 0; b < 256; ++b) {
      std::array<uint8_t, 54> block = base;
      block[byteIndex] = static_cast<uint8_t>(b);
      Block back;
      Status st = decodeTQ1_0Block(block.data(), back.data(), nullptr);
      auto it = valueOf.find(b);
      if (it == valueOf.end()) {
        EXPECT_FALSE(st.ok()) << "byte value " << b;
        EXPECT_EQ(st.index, byteIndex);
        EXPECT_NE(st.message.find("byte " + std::to_string(byteIndex)),
                  std::string::npos)
            << st.message;
        EXPECT_NE(st.message.find(std::to_string(b)), std::string::npos)
            << st.message;
        continue;
      }
      ++valid;
      ASSERT_TRUE(st.ok()) << "byte value " << b << ": " << st.message;
      for (int n = 0; n < 5; ++n)
        EXPECT_EQ(back[first + stride * n], (it->second / pow3(4 - n)) % 3 - 1)
            << "byte value " << b << " digit " << n;
    }
    EXPECT_EQ(valid, 243);
  }
}

TEST(PackingTest, TQ1EveryByteValueQh) {
  std::map<int, int> valueOf;
  for (int v = 0; v < 81; ++v)
    valueOf[fixedPoint(3 * v)] = v;
  ASSERT_EQ(valueOf.size(), 81u);

  Block zero = zeroBlock();
  std::array<uint8_t, 54> base;
  encodeTQ1_0Block(zero.data(), 0, base.data());
  int valid = 0;
  for (int b = 0; b < 256; ++b) {
    std::array<uint8_t, 54> block = base;
    block[51] = static_cast<uint8_t>(b); // qh[3]: elements 243, 247, 251, 255
    Block back;
    Status st = decodeTQ1_0Block(block.data(), back.data(), nullptr);
    auto it = valueOf.find(b);
    if (it == valueOf.end()) {
      EXPECT_FALSE(st.ok()) << "byte value " << b;
      EXPECT_EQ(st.index, 51);
      EXPECT_NE(st.message.find("qh[3]"), std::string::npos) << st.message;
      continue;
    }
    ++valid;
    ASSERT_TRUE(st.ok()) << "byte value " << b << ": " << st.message;
    for (int n = 0; n < 4; ++n)
      EXPECT_EQ(back[243 + 4 * n], (it->second / pow3(3 - n)) % 3 - 1)
          << "byte value " << b << " digit " << n;
  }
  EXPECT_EQ(valid, 81);
}

TEST(PackingTest, TQ2EveryByteValue) {
  Block zero = zeroBlock();
  std::array<uint8_t, 66> base;
  encodeTQ2_0Block(zero.data(), 0, base.data());
  int valid = 0;
  for (int b = 0; b < 256; ++b) {
    std::array<uint8_t, 66> block = base;
    block[37] = static_cast<uint8_t>(b); // elements 133, 165, 197, 229
    Block back;
    Status st = decodeTQ2_0Block(block.data(), back.data(), nullptr);
    bool hasCode3 = false;
    for (int l = 0; l < 4; ++l)
      hasCode3 |= ((b >> (2 * l)) & 3) == 3;
    if (hasCode3) {
      EXPECT_FALSE(st.ok()) << "byte value " << b;
      EXPECT_EQ(st.index, 37);
      EXPECT_NE(st.message.find("invalid 2-bit code 3"), std::string::npos)
          << st.message;
      continue;
    }
    ++valid;
    ASSERT_TRUE(st.ok()) << st.message;
    for (int l = 0; l < 4; ++l)
      EXPECT_EQ(back[133 + 32 * l], ((b >> (2 * l)) & 3) - 1);
  }
  EXPECT_EQ(valid, 81);
}

//===----------------------------------------------------------------------===//
// Random round trips and padding
//===----------------------------------------------------------------------===//

TEST(PackingTest, RandomRoundTrips) {
  const int64_t ks[] = {1, 5, 31, 255, 256, 257, 300, 512, 1000, 1536, 4096};
  const uint8_t kGuard = 0xA7;
  const int64_t kGuardBytes = 32;
  unsigned seed = 1234;
  for (Scheme s : kSchemes) {
    for (int64_t k : ks) {
      for (int64_t n : {1, 3}) {
        SCOPED_TRACE(std::string(schemeName(s)) + " k " + std::to_string(k) +
                     " n " + std::to_string(n));
        std::mt19937 rng(seed++);
        std::uniform_int_distribution<int> dist(-1, 1);
        std::vector<int8_t> trits(static_cast<size_t>(n * k));
        for (int8_t &t : trits)
          t = static_cast<int8_t>(dist(rng));

        const int64_t rowBytes = packedRowBytes(s, k);
        std::vector<uint8_t> packed(
            static_cast<size_t>(n * rowBytes + kGuardBytes), kGuard);
        Status st = packMatrix(s, trits.data(), n, k, packed.data());
        ASSERT_TRUE(st.ok()) << st.message;
        for (int64_t i = n * rowBytes; i < n * rowBytes + kGuardBytes; ++i)
          ASSERT_EQ(packed[i], kGuard) << "packMatrix wrote past its output";

        std::vector<int8_t> back(static_cast<size_t>(n * k + kGuardBytes),
                                 static_cast<int8_t>(99));
        st = unpackMatrix(s, packed.data(), n, k, back.data());
        ASSERT_TRUE(st.ok()) << st.message;
        EXPECT_TRUE(std::equal(trits.begin(), trits.end(), back.begin()));
        for (int64_t i = n * k; i < n * k + kGuardBytes; ++i)
          ASSERT_EQ(back[i], 99) << "unpackMatrix wrote past its output";

        const int64_t padded = numBlocks(k) * kBlockSize;
        for (int64_t r = 0; r < n; ++r) {
          // A matrix is just its rows back to back.
          std::vector<uint8_t> row = packRowOrDie(s, trits.data() + r * k, k);
          EXPECT_TRUE(std::equal(row.begin(), row.end(),
                                 packed.begin() + r * rowBytes));
          // Padding is zero trits: packing the explicitly zero-padded row
          // gives the same bytes, and unpacking all of it gives the zeros.
          std::vector<int8_t> rowPadded(static_cast<size_t>(padded), 0);
          std::copy(trits.begin() + r * k, trits.begin() + (r + 1) * k,
                    rowPadded.begin());
          std::vector<uint8_t> rowP = packRowOrDie(s, rowPadded.data(), padded);
          EXPECT_EQ(rowP, row);
          std::vector<int8_t> full(static_cast<size_t>(padded), 7);
          st = unpackRow(s, row.data(), padded, full.data());
          ASSERT_TRUE(st.ok()) << st.message;
          EXPECT_EQ(full, rowPadded);
        }
      }
    }
  }
}

TEST(PackingTest, EmptyInputs) {
  for (Scheme s : kSchemes) {
    EXPECT_TRUE(packRow(s, nullptr, 0, nullptr).ok());
    EXPECT_TRUE(unpackRow(s, nullptr, 0, nullptr).ok());
    EXPECT_TRUE(packMatrix(s, nullptr, 0, 300, nullptr).ok());
    EXPECT_TRUE(unpackMatrix(s, nullptr, 0, 300, nullptr).ok());
    EXPECT_TRUE(packMatrix(s, nullptr, 5, 0, nullptr).ok());
    EXPECT_TRUE(unpackMatrix(s, nullptr, 5, 0, nullptr).ok());
  }
}

TEST(PackingTest, ArgumentErrors) {
  int8_t t[4] = {0, 0, 0, 0};
  uint8_t p[64] = {};
  for (Scheme s : kSchemes) {
    Status st = packRow(s, t, -1, p);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.index, 0);
    EXPECT_NE(st.message.find("invalid argument"), std::string::npos);
    EXPECT_FALSE(unpackRow(s, p, -3, t).ok());
    EXPECT_FALSE(packMatrix(s, t, -1, 4, p).ok());
    EXPECT_FALSE(unpackMatrix(s, p, 1, -4, t).ok());
    EXPECT_FALSE(packRow(s, nullptr, 4, p).ok());
    EXPECT_FALSE(packRow(s, t, 4, nullptr).ok());
    EXPECT_FALSE(unpackRow(s, nullptr, 4, t).ok());
    EXPECT_FALSE(unpackRow(s, p, 4, nullptr).ok());
  }
  Status st = packRow(static_cast<Scheme>(7), t, 4, p);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message.find("invalid argument"), std::string::npos);
  EXPECT_STREQ(schemeName(static_cast<Scheme>(7)), "unknown");
}

//===----------------------------------------------------------------------===//
// Rejections
//===----------------------------------------------------------------------===//

TEST(PackingTest, RejectsNonTernaryTritsInRow) {
  for (Scheme s : kSchemes) {
    for (int bad : {2, -2, 3, 127, -128}) {
      std::vector<int8_t> t(300, 0);
      t[17] = static_cast<int8_t>(bad);
      t[100] = 5; // a later error must not be the one reported
      std::vector<uint8_t> out(static_cast<size_t>(packedRowBytes(s, 300)));
      Status st = packRow(s, t.data(), 300, out.data());
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.index, 17);
      EXPECT_NE(st.message.find("element 17"), std::string::npos) << st.message;
      EXPECT_NE(st.message.find("value " + std::to_string(bad)),
                std::string::npos)
          << st.message;
      EXPECT_NE(st.message.find("-1, 0 or +1"), std::string::npos)
          << st.message;
    }
    // In the partial last block too.
    std::vector<int8_t> t(300, 1);
    t[299] = 2;
    std::vector<uint8_t> out(static_cast<size_t>(packedRowBytes(s, 300)));
    Status st = packRow(s, t.data(), 300, out.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 299);
  }
}

TEST(PackingTest, RejectsNonTernaryTritsInMatrix) {
  for (Scheme s : kSchemes) {
    const int64_t n = 3, k = 300;
    std::vector<int8_t> t(static_cast<size_t>(n * k), -1);
    t[2 * k + 5] = -2;
    std::vector<uint8_t> out(static_cast<size_t>(n * packedRowBytes(s, k)));
    Status st = packMatrix(s, t.data(), n, k, out.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 605);
    EXPECT_EQ(st.message,
              "element 605 (row 2, column 5) has value -2; ternary weights "
              "must be -1, 0 or +1");
  }
}

TEST(PackingTest, RejectsTQ2Code3) {
  Block zero = zeroBlock();
  std::vector<uint8_t> p = packRowOrDie(Scheme::TQ2, zero.data(), 256);
  p[5] = 0x7F; // fields (low to high) 3, 3, 3, 1
  Block out;
  Status st = unpackRow(Scheme::TQ2, p.data(), 256, out.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, 5);
  EXPECT_NE(st.message.find("byte 5"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("invalid 2-bit code 3"), std::string::npos)
      << st.message;

  // In a matrix the index is relative to the whole packed buffer:
  // row 1 of k = 512 starts at byte 128; block 1 of that row at byte 192;
  // qs[6] of that block is byte 198.
  std::vector<int8_t> m(2 * 512, 0);
  std::vector<uint8_t> pm(2 * 128);
  ASSERT_TRUE(packMatrix(Scheme::TQ2, m.data(), 2, 512, pm.data()).ok());
  pm[198] = 0xC5; // only the top field is 3
  std::vector<int8_t> back(2 * 512);
  st = unpackMatrix(Scheme::TQ2, pm.data(), 2, 512, back.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, 198);
  EXPECT_NE(st.message.find("row 1"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("bits 6-7"), std::string::npos) << st.message;

  // Also in the llama.cpp block decoder.
  std::array<uint8_t, 66> block;
  encodeTQ2_0Block(zero.data(), 0x3C00, block.data());
  block[63] = 0xFF;
  st = decodeTQ2_0Block(block.data(), out.data(), nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, 63);
}

TEST(PackingTest, RejectsInvalidTQ1Bytes) {
  // qs value 1: digits via the multiply trick are (3>>8, 9>>8, 27>>8, 81>>8,
  // 243>>8) = 0 0 0 0 0, which re-encode to 0, not 1.
  // qh value 255: 255*3 = 765 -> 2; 253*3 = 759 -> 2; 247*3 = 741 -> 2;
  // 229*3 = 687 -> 2; 2222_3 = 80, *3 = 240 re-encodes to 253, not 255.
  // (qs 255 is valid: it is all +1, see TQ1GoldenAllPlusAndAllMinus.)
  Block zero = zeroBlock();
  std::vector<uint8_t> p = packRowOrDie(Scheme::TQ1, zero.data(), 256);
  Block out;
  {
    std::vector<uint8_t> q = p;
    q[7] = 1;
    Status st = unpackRow(Scheme::TQ1, q.data(), 256, out.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 7);
    EXPECT_NE(st.message.find("byte 7"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("qs[7]"), std::string::npos) << st.message;
  }
  {
    std::vector<uint8_t> q = p;
    q[50] = 255;
    Status st = unpackRow(Scheme::TQ1, q.data(), 256, out.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 50);
    EXPECT_NE(st.message.find("qh[2]"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("255"), std::string::npos) << st.message;
  }
  {
    std::vector<uint8_t> q = p;
    q[20] = 255; // valid
    q[48] = 254; // invalid qh (above the maximum 253)
    Status st = unpackRow(Scheme::TQ1, q.data(), 256, out.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 48);
  }
  {
    // Matrix: row 2 of k = 256 starts at byte 104; qh[0] there is byte 152.
    std::vector<int8_t> m(3 * 256, 0);
    std::vector<uint8_t> pm(3 * 52);
    ASSERT_TRUE(packMatrix(Scheme::TQ1, m.data(), 3, 256, pm.data()).ok());
    pm[152] = 255;
    std::vector<int8_t> back(3 * 256);
    Status st = unpackMatrix(Scheme::TQ1, pm.data(), 3, 256, back.data());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 152);
    EXPECT_NE(st.message.find("row 2"), std::string::npos) << st.message;
  }
}

TEST(PackingTest, CheckCodesFindsCodesNoEncoderProduces) {
  // Three blocks of random trits, then one bad byte at a time.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> trits(3 * 256);
  for (int8_t &t : trits)
    t = static_cast<int8_t>(trit(rng));
  for (Scheme s : kSchemes) {
    std::vector<uint8_t> codes(3 * codeBytesPerBlock(s));
    ASSERT_TRUE(packRow(s, trits.data(), 3 * 256, codes.data()).ok());
    EXPECT_TRUE(checkCodes(s, codes.data(), codes.size()).ok());
    // Padding is not its concern: a short last row's junk decodes anyway.
    EXPECT_TRUE(checkCodes(s, nullptr, 0).ok());
    std::vector<uint8_t> bad = codes;
    int64_t index = s == Scheme::TQ2 ? 64 + 5 : 52 + 50; // block 1
    bad[index] = s == Scheme::TQ2 ? 0x7F : 255;
    Status st = checkCodes(s, bad.data(), bad.size());
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, index);
    EXPECT_NE(st.message.find("block 1"), std::string::npos) << st.message;
    st = checkCodes(s, codes.data(), codes.size() - 1);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message.find("not whole blocks"), std::string::npos)
        << st.message;
  }
}

TEST(PackingTest, TriplesRoundTripAndLayout) {
  // 64 rows (two groups) of 300 trits: a full block and a partial one.
  const int64_t n = 64, k = 300;
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> trits(n * k);
  for (int8_t &t : trits)
    t = static_cast<int8_t>(trit(rng));
  ASSERT_EQ(kTripleBlockBytes, 29 * 64);
  ASSERT_EQ(tripleMatrixBytes(n, k), 2 * 2 * kTripleBlockBytes);
  std::vector<uint8_t> packed(tripleMatrixBytes(n, k));
  ASSERT_TRUE(packTriples(trits.data(), n, k, packed.data()).ok());
  // Row 35 (group 1, row 3), block 1, triple 5 (word 1, bits 10..14):
  // columns 271, 272, 273.
  const int8_t *t = &trits[35 * k + 256 + 15];
  int index = (t[0] + 1) + 3 * (t[1] + 1) + 9 * (t[2] + 1);
  const uint8_t *word = &packed[((1 * 2 + 1) * 29 + 1) * 64 + 2 * 3];
  EXPECT_EQ((word[0] | word[1] << 8) >> 10, index);
  // Triple 86 of a block is all padding: three zero trits, index 13.
  const uint8_t *last = &packed[28 * 64];
  EXPECT_EQ((last[0] | last[1] << 8) >> 10, 13);
  EXPECT_TRUE(checkTriples(packed.data(), packed.size()).ok());
  std::vector<int8_t> back(n * k);
  ASSERT_TRUE(unpackTriples(packed.data(), n, k, back.data()).ok());
  EXPECT_EQ(back, trits);
}

TEST(PackingTest, TriplesRejectBadInput) {
  std::vector<int8_t> trits(32 * 256, 1);
  std::vector<uint8_t> packed(tripleMatrixBytes(32, 256));
  Status st = packTriples(trits.data(), 16, 256, packed.data());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message.find("multiple of 32 rows"), std::string::npos)
      << st.message;
  trits[5 * 256 + 7] = 2;
  st = packTriples(trits.data(), 32, 256, packed.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, 5 * 256 + 7);
  EXPECT_NE(st.message.find("row 5, column 7"), std::string::npos)
      << st.message;
  trits[5 * 256 + 7] = 0;
  ASSERT_TRUE(packTriples(trits.data(), 32, 256, packed.data()).ok());
  // Index 27 in bits 5..9 of row 17's word 4.
  std::vector<uint8_t> bad = packed;
  int at = 4 * 64 + 2 * 17;
  int word = (bad[at] | bad[at + 1] << 8) & ~(31 << 5);
  word |= 27 << 5;
  bad[at] = static_cast<uint8_t>(word);
  bad[at + 1] = static_cast<uint8_t>(word >> 8);
  st = unpackTriples(bad.data(), 32, 256, trits.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, at);
  EXPECT_NE(st.message.find("index 27"), std::string::npos) << st.message;
  st = checkTriples(bad.data(), bad.size());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, at);
  // Bit 15 belongs to no triple.
  bad = packed;
  bad[at + 1] |= 0x80;
  st = checkTriples(bad.data(), bad.size());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message.find("bit 15"), std::string::npos) << st.message;
  // Trits 256 and 257 (triple 85) and triple 86 are padding: zero (digit 1).
  bad = packed;
  bad[28 * 64 + 1] ^= 0x04; // index 13 -> 12 in bits 10..14 of row 0
  st = unpackTriples(bad.data(), 32, 256, trits.data());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message.find("padding trit of row 0"), std::string::npos)
      << st.message;
  st = checkTriples(packed.data(), 65);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message.find("not whole words"), std::string::npos)
      << st.message;
}

TEST(PackingTest, RejectsNonZeroPadding) {
  // Element 400 of a 512-trit row is local element 144 of block 1.
  //  TQ2: 144 = 128 + 16 -> qs[32 + 16] = qs[48]; byte 64 + 48 = 112.
  //  TQ1: 144 = 16 + 32*4 -> qs[16]; byte 52 + 16 = 68.
  for (Scheme s : kSchemes) {
    std::vector<int8_t> t(512, 0);
    t[299] = 1; // the last real element may be anything
    t[400] = -1;
    std::vector<uint8_t> p = packRowOrDie(s, t.data(), 512);
    std::vector<int8_t> out(300);
    Status st = unpackRow(s, p.data(), 300, out.data());
    ASSERT_FALSE(st.ok());
    const int64_t expectedByte = s == Scheme::TQ2 ? 112 : 68;
    EXPECT_EQ(st.index, expectedByte);
    EXPECT_NE(st.message.find("byte " + std::to_string(expectedByte)),
              std::string::npos)
        << st.message;
    EXPECT_NE(st.message.find("padding trit"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("element 400"), std::string::npos) << st.message;
    EXPECT_NE(st.message.find("is not zero"), std::string::npos) << st.message;

    t[400] = 0;
    p = packRowOrDie(s, t.data(), 512);
    st = unpackRow(s, p.data(), 300, out.data());
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(out[299], 1);
  }
  // k = 5, element 200 = -1 in the only block.
  //  TQ2: 200 = 128 + 72 -> m = 72 % 32 = 8 -> byte 32 + 8 = 40.
  //  TQ1: 200 = 160 + 8 + 16*2 -> qs[32 + 8] = byte 40 as well.
  for (Scheme s : kSchemes) {
    Block t = zeroBlock();
    t[200] = -1;
    std::vector<uint8_t> p = packRowOrDie(s, t.data(), 256);
    int8_t out[5];
    Status st = unpackRow(s, p.data(), 5, out);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.index, 40);
  }
  // In a matrix, row 1 of k = 300 (TQ2: 128 bytes per row): the padding byte
  // 112 of that row is byte 240 of the buffer.
  std::vector<int8_t> rows(2 * 512, 0);
  rows[512 + 400] = 1;
  std::vector<uint8_t> p(2 * 128);
  ASSERT_TRUE(packMatrix(Scheme::TQ2, rows.data(), 2, 512, p.data()).ok());
  std::vector<int8_t> out(2 * 300);
  Status st = unpackMatrix(Scheme::TQ2, p.data(), 2, 300, out.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.index, 240);
  EXPECT_NE(st.message.find("row 1"), std::string::npos) << st.message;
}

//===----------------------------------------------------------------------===//
// fp16 helpers
//===----------------------------------------------------------------------===//

TEST(PackingTest, FloatToHalfExactValues) {
  EXPECT_EQ(floatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3C00);
  EXPECT_EQ(floatToHalfBits(-2.0f), 0xC000);
  EXPECT_EQ(floatToHalfBits(0.5f), 0x3800);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -14)), 0x0400); // min normal
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -24)), 0x0001); // min subnormal
  EXPECT_EQ(floatToHalfBits(std::ldexp(1023.0f, -24)), 0x03FF);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(floatToHalfBits(inf), 0x7C00);
  EXPECT_EQ(floatToHalfBits(-inf), 0xFC00);
  const uint16_t nan = floatToHalfBits(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  // A signalling NaN whose payload lies only in low bits stays a NaN.
  uint32_t snanBits = 0x7F800001u;
  float snan;
  std::memcpy(&snan, &snanBits, sizeof(snan));
  EXPECT_NE(floatToHalfBits(snan) & 0x03FF, 0);
}

TEST(PackingTest, FloatToHalfRounding) {
  // 1 + 2^-11 is halfway between 1 (0x3C00, even) and 1 + 2^-10 (0x3C01):
  // ties to even -> 0x3C00. 1 + 3 * 2^-11 is halfway between 0x3C01 (odd) and
  // 0x3C02 (even) -> 0x3C02.
  EXPECT_EQ(floatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(floatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  // Just above a tie rounds up.
  EXPECT_EQ(
      floatToHalfBits(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)),
      0x3C01);
  // Integers: the spacing at 2048 is 2; 2049 -> 2048, 2051 -> 2052.
  EXPECT_EQ(floatToHalfBits(2049.0f), 0x6800);
  EXPECT_EQ(floatToHalfBits(2051.0f), 0x6802);
  // Overflow: 65519 rounds down to the max, 65520 (a tie, max is odd) to inf.
  EXPECT_EQ(floatToHalfBits(65519.0f), 0x7BFF);
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7C00);
  EXPECT_EQ(floatToHalfBits(-1e10f), 0xFC00);
  // Subnormals: 2^-25 is a tie between 0 and 2^-24 -> 0; 1.5 * 2^-24 is a tie
  // between 0x0001 (odd) and 0x0002 -> 0x0002; 3 * 2^-26 -> 0x0001.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalfBits(-std::ldexp(1.0f, -25)), 0x8000);
  EXPECT_EQ(floatToHalfBits(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(floatToHalfBits(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -30)), 0x0000);
  // 1023.5 * 2^-24 is a tie between 0x03FF (odd) and 0x0400 -> 0x0400.
  EXPECT_EQ(floatToHalfBits(std::ldexp(2047.0f, -25)), 0x0400);
}

TEST(PackingTest, HalfToFloatExactValues) {
  EXPECT_EQ(halfBitsToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfBitsToFloat(0xC000), -2.0f);
  EXPECT_EQ(halfBitsToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfBitsToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(halfBitsToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(halfBitsToFloat(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::signbit(halfBitsToFloat(0x8000)));
  EXPECT_EQ(halfBitsToFloat(0x8000), 0.0f);
  EXPECT_EQ(halfBitsToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(halfBitsToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(halfBitsToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(halfBitsToFloat(0xFC01)));
}

TEST(PackingTest, HalfRoundTripAllValues) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const float f = halfBitsToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    EXPECT_EQ(floatToHalfBits(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(PackingTest, FloatToHalfMatchesCompiler) {
#ifdef __FLT16_MANT_DIG__
  std::mt19937 rng(77);
  std::uniform_int_distribution<uint32_t> bitsDist;
  for (int i = 0; i < 200000; ++i) {
    // Bias towards the interesting half range [2^-26, 2^17).
    uint32_t bits = bitsDist(rng);
    if (i % 2)
      bits = (bits & 0x807FFFFFu) | ((101u + bits % 44u) << 23);
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    if (std::isnan(f))
      continue;
    _Float16 ref = static_cast<_Float16>(f);
    uint16_t refBits;
    std::memcpy(&refBits, &ref, sizeof(refBits));
    ASSERT_EQ(floatToHalfBits(f), refBits)
        << "float bits 0x" << std::hex << bits;
  }
#else
  GTEST_SKIP() << "compiler has no _Float16";
#endif
}

} // namespace
