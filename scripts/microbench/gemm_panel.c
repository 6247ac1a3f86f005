// How fast can a core run a 2-bit (TQ2) ternary GEMM at M = 512 when each
// panel of weight rows is decoded once into int8 codes, for every
// activation row? A microbenchmark for trilm's prompt-sized GEMM
// (docs/benchmarks.md, issue 13's GEMM target), on AVX-512 VNNI. Not part
// of the build:
//
//   clang -O3 -march=native scripts/microbench/gemm_panel.c -o /tmp/gemm_panel
//   /tmp/gemm_panel [N K M]        (default: 5120 1792 512, gate/up 1.1B)
//
// trilm's kernel decodes each weight block once per tile of 4 activation
// rows (register-blocked dot products, one accumulator per row pair). Here,
// per panel of 32 weight rows:
//   decode: every block of the 32 rows is unpacked (4 masks, 3 shifts) into
//           a panel in "k4-major" order: for each 4 consecutive K positions,
//           the 32 rows' 4 codes (128 bytes, two vectors);
//   compute: for each 12 activation rows, 24 accumulators (12 rows x 32
//           weight rows) each take one vpdpbusd per 4 K positions, the codes
//           as the unsigned operand, 4 activations broadcast from memory as
//           the signed one: no horizontal sums, no decoding in the loop.
// Codes are 0, 1, 2 (trit + 1); the zero point (minus the row sums of the
// activations) and the scales are applied after the loop, as in trilm.
// Prints the best time over the repeats, the int8 GOPS (2 N K M per call)
// and checks every output against a scalar reference.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kPanel = 32, kRowBlock = 12, kBlock = 256 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// TQ2 codes of one block: byte 32h + j holds, in bits 2s, trit
// 128h + 32s + j (h < 2, s < 4, j < 32).
static void packBlock(const uint8_t *codes, uint8_t *bytes) {
  memset(bytes, 0, 64);
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 4; ++s)
      for (int j = 0; j < 32; ++j)
        bytes[32 * h + j] |= codes[128 * h + 32 * s + j] << (2 * s);
}

// Transposes 16 x 16 dwords: afterwards v[j] dword i = (before) v[i] dword j.
static void transpose16(__m512i v[16]) {
  __m512i t[16];
  // Per 128-bit lane L, rows 4a..4a+3: t[4a] holds columns 4L, 4L + 1
  // interleaved, t[4a + 1] columns 4L + 2, 4L + 3 (rows 4a, 4a + 1), and
  // t[4a + 2], t[4a + 3] the same of rows 4a + 2, 4a + 3.
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(v[i], v[i + 1]);
  }
  // column[a][c]: in lane L, rows 4a..4a+3 of column 4L + c.
  __m512i column[4][4];
  for (int a = 0; a < 4; ++a)
    for (int j = 0; j < 2; ++j) {
      column[a][2 * j] = _mm512_unpacklo_epi64(t[4 * a + j], t[4 * a + j + 2]);
      column[a][2 * j + 1] =
          _mm512_unpackhi_epi64(t[4 * a + j], t[4 * a + j + 2]);
    }
  // Column 4L + c, lane a = column[a][c], lane L.
  const __m512i lo = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
  const __m512i first = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
  const __m512i second = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
  for (int c = 0; c < 4; ++c) {
    // a01lo lanes: column[0] L0, column[1] L0, column[0] L1, column[1] L1.
    __m512i a01lo = _mm512_permutex2var_epi64(column[0][c], lo, column[1][c]);
    __m512i a01hi = _mm512_permutex2var_epi64(column[0][c], hi, column[1][c]);
    __m512i a23lo = _mm512_permutex2var_epi64(column[2][c], lo, column[3][c]);
    __m512i a23hi = _mm512_permutex2var_epi64(column[2][c], hi, column[3][c]);
    v[c] = _mm512_permutex2var_epi64(a01lo, first, a23lo);
    v[4 + c] = _mm512_permutex2var_epi64(a01lo, second, a23lo);
    v[8 + c] = _mm512_permutex2var_epi64(a01hi, first, a23hi);
    v[12 + c] = _mm512_permutex2var_epi64(a01hi, second, a23hi);
  }
}

// Decodes the blocks of rows [n0, n0 + kPanel) into panel[k / 4][row][k % 4].
static void decodePanel(const uint8_t *packed, int64_t k, int64_t n0,
                        uint8_t *panel) {
  const __m512i mask = _mm512_set1_epi8(3);
  int64_t blocks = k / kBlock;
  for (int64_t half = 0; half < kPanel; half += 16)
    for (int64_t b = 0; b < blocks; ++b)
      for (int s = 0; s < 4; ++s) {
        __m512i v[16];
        for (int r = 0; r < 16; ++r)
          v[r] = _mm512_and_si512(
              _mm512_srli_epi16(
                  _mm512_loadu_si512(packed +
                                     ((n0 + half + r) * blocks + b) * 64),
                  2 * s),
              mask);
        // Row r's dword d < 8 holds K 32s + 4d.., dword 8 + d 128 + 32s +
        // 4d..: after the transpose, v[d] holds dword d of the 16 rows.
        transpose16(v);
        for (int d = 0; d < 16; ++d) {
          int64_t position =
              b * kBlock + (d < 8 ? 32 * s + 4 * d : 128 + 32 * s + 4 * (d - 8));
          _mm512_store_si512(panel + (position / 4) * kPanel * 4 + half * 4,
                             v[d]);
        }
      }
}

// acc[m][n] = sum_k codes[n][k] * x[m][k] for 12 activation rows and the
// panel's 32 weight rows.
static void computeRowBlock(const uint8_t *panel, const int8_t *x, int64_t k,
                            int32_t *acc) {
  __m512i c[kRowBlock][2];
  for (int m = 0; m < kRowBlock; ++m)
    c[m][0] = c[m][1] = _mm512_setzero_si512();
  for (int64_t k4 = 0; k4 < k / 4; ++k4) {
    __m512i w0 = _mm512_load_si512(panel + k4 * 128);
    __m512i w1 = _mm512_load_si512(panel + k4 * 128 + 64);
    for (int m = 0; m < kRowBlock; ++m) {
      __m512i a = _mm512_set1_epi32(*(const int32_t *)(x + m * k + 4 * k4));
      c[m][0] = _mm512_dpbusd_epi32(c[m][0], w0, a);
      c[m][1] = _mm512_dpbusd_epi32(c[m][1], w1, a);
    }
  }
  for (int m = 0; m < kRowBlock; ++m) {
    _mm512_storeu_si512(acc + m * kPanel, c[m][0]);
    _mm512_storeu_si512(acc + m * kPanel + 16, c[m][1]);
  }
}

int main(int argc, char **argv) {
  int64_t n = argc > 3 ? atoll(argv[1]) : 5120;
  int64_t k = argc > 3 ? atoll(argv[2]) : 1792;
  int64_t m = argc > 3 ? atoll(argv[3]) : 512;
  if (n % kPanel || k % kBlock || m % kRowBlock) {
    // Whole panels, blocks and row blocks only: a measurement, not a kernel.
    m -= m % kRowBlock;
    if (n % kPanel || k % kBlock || m == 0) {
      fprintf(stderr, "N must be a multiple of %d and K of %d\n", kPanel,
              kBlock);
      return 1;
    }
  }
  uint8_t *codes = malloc(n * k);
  uint8_t *packed = malloc(n * k / 4);
  int8_t *x = malloc(m * k);
  uint8_t *panel = aligned_alloc(64, k * kPanel);
  int32_t *y = malloc(m * n * sizeof(int32_t));
  srand(1);
  for (int64_t i = 0; i < n * k; ++i)
    codes[i] = rand() % 3;
  for (int64_t i = 0; i < m * k; ++i)
    x[i] = (int8_t)(rand() % 255 - 127);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t b = 0; b < k / kBlock; ++b)
      packBlock(codes + r * k + b * kBlock, packed + (r * k + b * kBlock) / 4);

  double best = 1e30, decodeBest = 1e30;
  for (int repeat = 0; repeat < 7; ++repeat) {
    double start = now(), decoding = 0;
    for (int64_t n0 = 0; n0 < n; n0 += kPanel) {
      double t = now();
      decodePanel(packed, k, n0, panel);
      decoding += now() - t;
      int32_t acc[kRowBlock * kPanel];
      for (int64_t m0 = 0; m0 < m; m0 += kRowBlock) {
        computeRowBlock(panel, x + m0 * k, k, acc);
        for (int r = 0; r < kRowBlock; ++r)
          memcpy(y + (m0 + r) * n + n0, acc + r * kPanel,
                 kPanel * sizeof(int32_t));
      }
    }
    double seconds = now() - start;
    if (seconds < best)
      best = seconds, decodeBest = decoding;
  }
  int64_t wrong = 0;
  for (int64_t i = 0; i < m; i += 37)
    for (int64_t j = 0; j < n; j += 11) {
      int32_t expected = 0;
      for (int64_t p = 0; p < k; ++p)
        expected += codes[j * k + p] * x[i * k + p];
      wrong += expected != y[i * n + j];
    }
  printf("N=%lld K=%lld M=%lld: %.3f ms, %.0f GOPS, decoding %.1f%% of the "
         "time, %s\n",
         (long long)n, (long long)k, (long long)m, best * 1e3,
         2.0 * n * k * m / best / 1e9, 100 * decodeBest / best,
         wrong ? "WRONG" : "results match the reference");
  return wrong != 0;
}
