// How fast can a core run a 1.6-bit ternary GEMV (M = 1) as table lookups?
// A microbenchmark of the lookup-table idea (bitnet.cpp's TL kernels) for
// trilm's 1.6-bit decoding (docs/benchmarks.md), on AVX-512 VBMI + BW. Not
// part of the build:
//
//   clang -O3 -march=native scripts/microbench/tl_gemv.c -o /tmp/tl_gemv
//   /tmp/tl_gemv
//
// Layout (1.67 bits per trit): the weights of 3 consecutive K positions
// form v = sum_i (t_i + 1) 3^i in [0, 27), stored as a 4-bit index (v & 15,
// two rows per byte) and a bit plane (v >> 4); per triple of K and 64 weight
// rows that is 32 + 8 = 40 bytes. Per call, each triple j of the int8
// activations gets a 27-entry table of its sums T_j[v] = sum_i (digit_i(v)
// - 1) x[3j + i], as int16 split into a low-byte and a high-byte table.
// Per triple and 64 rows the kernel does: the bit plane into a mask
// register, the 32 index bytes widened to 64 (zero-extend, shift, ternary
// logic), the high bit ORed in under the mask, two vpermb (one per table
// byte), two byte unpacks and two int16 adds: 10 vector operations for 192
// weights. The int16 sums are widened to int32 every 64 triples.
//
// trilm's own 1.6-bit (TQ1) and 2-bit GEMV rates per core, to compare with,
// come from scripts/microbench/tq1_decode.c (docs/benchmarks.md). Prints the best time per call, the packed bytes per second, and checks
// every row against a scalar reference.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  kRowsPerGroup = 64,
  kGroups = 4,            // row groups sharing one table load
  kTriples = 1024,        // K = 3072
  kBytesPerTriple = 40,   // per 64 rows
  kWidenEvery = 64,       // triples between int16 -> int32 widenings
  kPanels = 8,            // 8 x 256 rows: 1.25 MiB of weights (L2)
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int8_t trits[kPanels * kGroups * kRowsPerGroup][3 * kTriples];
static int8_t x[3 * kTriples];
static uint8_t packed[kPanels][kTriples][kGroups][kBytesPerTriple]
    __attribute__((aligned(64)));
static uint8_t tableLo[kTriples][64] __attribute__((aligned(64)));
static uint8_t tableHi[kTriples][64] __attribute__((aligned(64)));

static void buildTables(void) {
  for (int j = 0; j < kTriples; ++j) {
    memset(tableLo[j], 0, 64);
    memset(tableHi[j], 0, 64);
    for (int v = 0; v < 27; ++v) {
      int sum = 0, digits = v;
      for (int i = 0; i < 3; ++i, digits /= 3)
        sum += (digits % 3 - 1) * x[3 * j + i];
      tableLo[j][v] = (uint8_t)(sum & 0xff);
      tableHi[j][v] = (uint8_t)((sum >> 8) & 0xff);
    }
  }
}

// The same tables with vectors, as a kernel's prologue would build them:
// per triple, the 27 sums as int16 lanes (masked adds and subtracts of the
// three broadcast activations, by each v's digits), then their low and high
// bytes.
static void buildTablesVector(void) {
  __mmask32 plus[3] = {0}, minus[3] = {0};
  for (int v = 0; v < 27; ++v)
    for (int i = 0, digits = v; i < 3; ++i, digits /= 3) {
      if (digits % 3 == 2)
        plus[i] |= 1u << v;
      if (digits % 3 == 0)
        minus[i] |= 1u << v;
    }
  for (int j = 0; j < kTriples; ++j) {
    __m512i sums = _mm512_setzero_si512();
    for (int i = 0; i < 3; ++i) {
      __m512i value = _mm512_set1_epi16(x[3 * j + i]);
      sums = _mm512_mask_add_epi16(sums, plus[i], sums, value);
      sums = _mm512_mask_sub_epi16(sums, minus[i], sums, value);
    }
    _mm256_store_si256((__m256i *)tableLo[j], _mm512_cvtepi16_epi8(sums));
    _mm256_store_si256((__m256i *)tableHi[j],
                       _mm512_cvtepi16_epi8(_mm512_srai_epi16(sums, 8)));
  }
}

// One panel of kGroups x 64 rows: sums[row] for its rows.
static void gemvPanel(int p, int32_t *sums) {
  const __m512i nibbles = _mm512_set1_epi16(0x0f0f);
  const __m512i high = _mm512_set1_epi8(16);
  __m512i wide[kGroups][4];
  for (int g = 0; g < kGroups; ++g)
    for (int q = 0; q < 4; ++q)
      wide[g][q] = _mm512_setzero_si512();
  for (int j0 = 0; j0 < kTriples; j0 += kWidenEvery) {
    __m512i lo16[kGroups], hi16[kGroups];
    for (int g = 0; g < kGroups; ++g)
      lo16[g] = hi16[g] = _mm512_setzero_si512();
    for (int j = j0; j < j0 + kWidenEvery; ++j) {
      __m512i lo = _mm512_load_si512(tableLo[j]);
      __m512i hi = _mm512_load_si512(tableHi[j]);
      for (int g = 0; g < kGroups; ++g) {
        const uint8_t *bytes = packed[p][j][g];
        __m512i words =
            _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)bytes));
        // Byte 2b: row 2b's index (low nibble), byte 2b + 1: row 2b + 1's.
        __m512i index = _mm512_ternarylogic_epi32(
            words, _mm512_slli_epi16(words, 4), nibbles, 0xa8); // (a|b)&c
        __mmask64 plane = _load_mask64((__mmask64 *)(bytes + 32));
        index = _mm512_mask_add_epi8(index, plane, index, high);
        __m512i l = _mm512_permutexvar_epi8(index, lo);
        __m512i h = _mm512_permutexvar_epi8(index, hi);
        lo16[g] = _mm512_add_epi16(lo16[g], _mm512_unpacklo_epi8(l, h));
        hi16[g] = _mm512_add_epi16(hi16[g], _mm512_unpackhi_epi8(l, h));
      }
    }
    for (int g = 0; g < kGroups; ++g) {
      wide[g][0] = _mm512_add_epi32(
          wide[g][0], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(lo16[g])));
      wide[g][1] = _mm512_add_epi32(
          wide[g][1], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(lo16[g], 1)));
      wide[g][2] = _mm512_add_epi32(
          wide[g][2], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(hi16[g])));
      wide[g][3] = _mm512_add_epi32(
          wide[g][3], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(hi16[g], 1)));
    }
  }
  // unpacklo/hi work per 128-bit lane L: lo16 words 0-7 of lane L are
  // bytes 16L + 0..7 (rows), hi16 words bytes 16L + 8..15. wide[g][0] holds
  // lo16 lanes 0-1, [1] lanes 2-3; [2], [3] the same of hi16.
  for (int g = 0; g < kGroups; ++g) {
    int32_t values[4][16];
    for (int q = 0; q < 4; ++q)
      _mm512_storeu_si512(values[q], wide[g][q]);
    for (int w = 0; w < 16; ++w) {
      int lane = w / 8, word = w % 8;
      sums[g * 64 + 16 * lane + word] = values[0][w];
      sums[g * 64 + 16 * (lane + 2) + word] = values[1][w];
      sums[g * 64 + 16 * lane + 8 + word] = values[2][w];
      sums[g * 64 + 16 * (lane + 2) + 8 + word] = values[3][w];
    }
  }
}

int main(void) {
  srand(7);
  int rows = kPanels * kGroups * kRowsPerGroup;
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < 3 * kTriples; ++k)
      trits[r][k] = (int8_t)(rand() % 3 - 1);
  for (int k = 0; k < 3 * kTriples; ++k)
    x[k] = (int8_t)(rand() % 255 - 127);
  memset(packed, 0, sizeof(packed));
  for (int p = 0; p < kPanels; ++p)
    for (int j = 0; j < kTriples; ++j)
      for (int g = 0; g < kGroups; ++g)
        for (int r = 0; r < kRowsPerGroup; ++r) {
          const int8_t *t = trits[(p * kGroups + g) * kRowsPerGroup + r] + 3 * j;
          int v = (t[0] + 1) + 3 * (t[1] + 1) + 9 * (t[2] + 1);
          packed[p][j][g][r / 2] |= (uint8_t)((v & 15) << (4 * (r % 2)));
          packed[p][j][g][32 + r / 8] |= (uint8_t)((v >> 4) << (r % 8));
        }
  // The scalar tables are the reference for the vector ones, which the
  // GEMV then reads.
  buildTables();
  static uint8_t expectedLo[kTriples][64], expectedHi[kTriples][64];
  memcpy(expectedLo, tableLo, sizeof(tableLo));
  memcpy(expectedHi, tableHi, sizeof(tableHi));
  double tableTime = 1e30;
  for (int repeat = 0; repeat < 200; ++repeat) {
    double start = now();
    buildTablesVector();
    double seconds = now() - start;
    if (seconds < tableTime)
      tableTime = seconds;
  }
  if (memcmp(expectedLo, tableLo, sizeof(tableLo)) ||
      memcmp(expectedHi, tableHi, sizeof(tableHi))) {
    printf("the vector tables differ from the scalar ones\n");
    return 1;
  }

  static int32_t sums[kPanels * kGroups * kRowsPerGroup];
  double best = 1e30;
  for (int repeat = 0; repeat < 200; ++repeat) {
    double start = now();
    for (int p = 0; p < kPanels; ++p)
      gemvPanel(p, sums + p * kGroups * kRowsPerGroup);
    double seconds = now() - start;
    if (seconds < best)
      best = seconds;
  }
  int wrong = 0;
  for (int r = 0; r < rows; ++r) {
    int32_t expected = 0;
    for (int k = 0; k < 3 * kTriples; ++k)
      expected += trits[r][k] * x[k];
    wrong += expected != sums[r];
  }
  double bytes = sizeof(packed);
  double weights = (double)rows * 3 * kTriples;
  printf("lookup tables: %d x %d (%.2f MiB, %.2f bits per weight): %.1f us per "
         "call, %.2f GB/s packed, %.2f ns per 256 weights; tables %.2f us "
         "(once per call, vectors); %s\n",
         rows, 3 * kTriples, bytes / (1 << 20), 8 * bytes / weights,
         best * 1e6, bytes / best / 1e9, best / (weights / 256) * 1e9,
         tableTime * 1e6, wrong ? "WRONG" : "results match the reference");
  return wrong != 0;
}
