// How fast can a core run a 1.6-bit ternary GEMV (M = 1) as table lookups
// when three triples of a row share one 16-bit word? The layout of
// #ternary.trit_triples (include/trilm/Packing/Packing.h), against the
// 4-bit-index form of scripts/microbench/tl_gemv.c, on AVX-512 BW. Not part
// of the build:
//
//   clang -O3 -march=native scripts/microbench/tl_words_gemv.c -o /tmp/tl_words_gemv
//   /tmp/tl_words_gemv
//
// Per row, the indices v = sum_i (t_i + 1) 3^i < 27 of triples 3w, 3w + 1,
// 3w + 2 of K sit in bits [0, 5), [5, 10), [10, 15) of word w; 32 rows'
// words make one 64-byte vector (1.78 bits per weight here, without the
// compiler's per-block padding). Per triple j of the int8 activations a
// 27-entry table of i16 sums T_j[v] = sum_i (digit_i(v) - 1) x[3j + i].
// Per word and 32 rows the kernel does two shifts, three vpermw (which read
// only the low 5 bits of each lane) and three int16 adds: 8 vector
// operations for 288 weights. The int16 sums are widened every 14 words.
// Prints the best time per call, the packed bytes per second and the time
// per 256 weights of a row (compare tl_gemv and tq1_decode's tq2 line), and
// checks every row against a scalar reference.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum {
  kRows = 32,        // rows per group: one vector of words
  kGroups = 8,       // groups sharing each table load
  kWords = 342,      // K = 3078
  kTriples = 3 * kWords,
  kPanels = 8,       // 8 x 256 rows: 1.34 MiB of weights (L2)
  kWidenEvery = 14,  // words between int16 -> int32 widenings
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int8_t trits[kPanels * kGroups * kRows][3 * kTriples];
static int8_t x[3 * kTriples];
static uint16_t packed[kPanels][kWords][kGroups][kRows]
    __attribute__((aligned(64)));
static int16_t tables[kTriples][32] __attribute__((aligned(64)));

// Per triple, the 27 sums as int16 lanes: masked adds and subtracts of the
// three broadcast activations, by each v's digits.
static void buildTables(void) {
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
    _mm512_store_si512(tables[j], sums);
  }
}

// One panel of kGroups x 32 rows: sums[row] for its rows.
static void gemvPanel(int p, int32_t *sums) {
  __m512i wide[kGroups][2];
  for (int g = 0; g < kGroups; ++g)
    wide[g][0] = wide[g][1] = _mm512_setzero_si512();
  for (int w0 = 0; w0 < kWords; w0 += kWidenEvery) {
    __m512i acc[kGroups];
    for (int g = 0; g < kGroups; ++g)
      acc[g] = _mm512_setzero_si512();
    int end = w0 + kWidenEvery < kWords ? w0 + kWidenEvery : kWords;
    for (int w = w0; w < end; ++w) {
      __m512i t0 = _mm512_load_si512(tables[3 * w]);
      __m512i t1 = _mm512_load_si512(tables[3 * w + 1]);
      __m512i t2 = _mm512_load_si512(tables[3 * w + 2]);
      for (int g = 0; g < kGroups; ++g) {
        __m512i words = _mm512_load_si512(packed[p][w][g]);
        __m512i a = _mm512_permutexvar_epi16(words, t0);
        __m512i b = _mm512_permutexvar_epi16(_mm512_srli_epi16(words, 5), t1);
        __m512i c = _mm512_permutexvar_epi16(_mm512_srli_epi16(words, 10), t2);
        acc[g] = _mm512_add_epi16(acc[g], _mm512_add_epi16(a, _mm512_add_epi16(b, c)));
      }
    }
    for (int g = 0; g < kGroups; ++g) {
      wide[g][0] = _mm512_add_epi32(
          wide[g][0], _mm512_cvtepi16_epi32(_mm512_castsi512_si256(acc[g])));
      wide[g][1] = _mm512_add_epi32(
          wide[g][1], _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(acc[g], 1)));
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    _mm512_storeu_si512(sums + g * kRows, wide[g][0]);
    _mm512_storeu_si512(sums + g * kRows + 16, wide[g][1]);
  }
}

int main(void) {
  srand(7);
  int rows = kPanels * kGroups * kRows;
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < 3 * kTriples; ++k)
      trits[r][k] = (int8_t)(rand() % 3 - 1);
  for (int k = 0; k < 3 * kTriples; ++k)
    x[k] = (int8_t)(rand() % 255 - 127);
  for (int p = 0; p < kPanels; ++p)
    for (int w = 0; w < kWords; ++w)
      for (int g = 0; g < kGroups; ++g)
        for (int r = 0; r < kRows; ++r) {
          const int8_t *t = trits[(p * kGroups + g) * kRows + r] + 9 * w;
          uint16_t word = 0;
          for (int q = 0; q < 3; ++q, t += 3)
            word |= (uint16_t)(((t[0] + 1) + 3 * (t[1] + 1) + 9 * (t[2] + 1)) << 5 * q);
          packed[p][w][g][r] = word;
        }
  double tableTime = 1e30;
  for (int repeat = 0; repeat < 200; ++repeat) {
    double start = now();
    buildTables();
    double seconds = now() - start;
    if (seconds < tableTime)
      tableTime = seconds;
  }
  static int32_t sums[kPanels * kGroups * kRows];
  double best = 1e30;
  for (int repeat = 0; repeat < 200; ++repeat) {
    double start = now();
    for (int p = 0; p < kPanels; ++p)
      gemvPanel(p, sums + p * kGroups * kRows);
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
  printf("word lookup tables: %d x %d (%.2f MiB, %.2f bits per weight): %.1f us "
         "per call, %.2f GB/s packed, %.2f ns per 256 weights; tables %.2f us "
         "(once per call, vectors); %s\n",
         rows, 3 * kTriples, bytes / (1 << 20), 8 * bytes / weights, best * 1e6,
         bytes / best / 1e9, best / (weights / 256) * 1e9, tableTime * 1e6,
         wrong ? "WRONG" : "results match the reference");
  return wrong != 0;
}
