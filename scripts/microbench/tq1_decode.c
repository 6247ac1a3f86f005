// How fast can a core decode 1.6-bit (TQ1) blocks into int8 dot products?
// A microbenchmark of the decoding choices for trilm's 1.6-bit GEMV kernel
// (docs/benchmarks.md), on AVX-512 VNNI + VBMI. Not part of the build:
//
//   clang -O3 -march=native scripts/microbench/tq1_decode.c -o /tmp/tq1_decode
//   /tmp/tq1_decode
//
// Each variant streams 1 MiB of 64-byte blocks (random valid TQ1 bytes) as
// 4 weight rows with their own accumulators, as a GEMV tile does, against one
// row of 320 int8 activations held in L1, and prints the best time per block
// and the packed bytes per second (52 bytes per 1.6-bit block, 64 per 2-bit
// block). All variants must agree on the result, which is printed first.
//   compare: digit n = [q_n >= 86] + [q_n >= 171], q_{n+1} = 3 q_n (bytes),
//            5 dot products per block (trilm's kernel before the carry form);
//   table:   digit n = T_n[q] by two 128-entry vpermi2b and a blend;
//   carry:   256 digit_n = 3 q_n - q_{n+1}: 10 dot products, no digits
//            (trilm's kernel);
//   tq2:     the 2-bit kernel's 4 masks and 4 dot products per 64 bytes.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kBlocks = 16384, kRows = 4 };
static uint8_t codes[kBlocks * 64] __attribute__((aligned(64)));
static int8_t activations[5 * 64] __attribute__((aligned(64)));
static uint8_t digitTables[5][256] __attribute__((aligned(64)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int digitOf(int q, int n) {
  static const int powers[] = {1, 3, 9, 27, 81};
  return (((q * powers[n]) & 255) * 3) >> 8;
}

#define ROW_BLOCK(r) _mm512_load_si512(codes + 64 * (b + (r) * (kBlocks / kRows)))
#define ACTIVATIONS(n) _mm512_load_si512(activations + 64 * (n))

static int64_t sumLanes(__m512i *acc) {
  int64_t sum = 0;
  for (int r = 0; r < kRows; r++)
    sum += _mm512_reduce_add_epi32(acc[r]);
  return sum;
}

__attribute__((noinline)) static int64_t decodeCompare(void) {
  __m512i acc[kRows];
  for (int r = 0; r < kRows; r++)
    acc[r] = _mm512_setzero_si512();
  __m512i one = _mm512_set1_epi8(1), low = _mm512_set1_epi8(86),
          high = _mm512_set1_epi8((char)171);
  for (int b = 0; b < kBlocks / kRows; b++)
    for (int r = 0; r < kRows; r++) {
      __m512i q = ROW_BLOCK(r);
      for (int n = 0; n < 5; n++) {
        if (n)
          q = _mm512_add_epi8(_mm512_add_epi8(q, q), q);
        __mmask64 atLeastLow = _mm512_cmpge_epu8_mask(q, low);
        __mmask64 atLeastHigh = _mm512_cmpge_epu8_mask(q, high);
        __m512i digit = _mm512_maskz_mov_epi8(atLeastLow, one);
        digit = _mm512_mask_add_epi8(digit, atLeastHigh, digit, one);
        acc[r] = _mm512_dpbusd_epi32(acc[r], digit, ACTIVATIONS(n));
      }
    }
  return sumLanes(acc);
}

__attribute__((noinline)) static int64_t decodeTable(void) {
  __m512i acc[kRows], tables[5][4];
  for (int r = 0; r < kRows; r++)
    acc[r] = _mm512_setzero_si512();
  for (int n = 0; n < 5; n++)
    for (int i = 0; i < 4; i++)
      tables[n][i] = _mm512_load_si512(digitTables[n] + 64 * i);
  for (int b = 0; b < kBlocks / kRows; b++)
    for (int r = 0; r < kRows; r++) {
      __m512i q = ROW_BLOCK(r);
      __mmask64 upper = _mm512_movepi8_mask(q);
      for (int n = 0; n < 5; n++) {
        __m512i lower = _mm512_permutex2var_epi8(tables[n][0], q, tables[n][1]);
        __m512i higher = _mm512_permutex2var_epi8(tables[n][2], q, tables[n][3]);
        __m512i digit = _mm512_mask_blend_epi8(upper, lower, higher);
        acc[r] = _mm512_dpbusd_epi32(acc[r], digit, ACTIVATIONS(n));
      }
    }
  return sumLanes(acc);
}

__attribute__((noinline)) static int64_t decodeCarry(void) {
  __m512i same[kRows], next[kRows];
  for (int r = 0; r < kRows; r++)
    same[r] = next[r] = _mm512_setzero_si512();
  for (int b = 0; b < kBlocks / kRows; b++)
    for (int r = 0; r < kRows; r++) {
      __m512i q = ROW_BLOCK(r);
      for (int m = 0; m <= 5; m++) {
        if (m)
          q = _mm512_add_epi8(_mm512_add_epi8(q, q), q);
        if (m < 5)
          same[r] = _mm512_dpbusd_epi32(same[r], q, ACTIVATIONS(m));
        if (m > 0)
          next[r] = _mm512_dpbusd_epi32(next[r], q, ACTIVATIONS(m - 1));
      }
    }
  return (3 * sumLanes(same) - sumLanes(next)) / 256;
}

__attribute__((noinline)) static int64_t decodeTQ2(void) {
  __m512i acc[kRows];
  for (int r = 0; r < kRows; r++)
    acc[r] = _mm512_setzero_si512();
  for (int b = 0; b < kBlocks / kRows; b++)
    for (int r = 0; r < kRows; r++) {
      __m512i q = ROW_BLOCK(r);
      for (int l = 0; l < 4; l++) {
        __m512i field = _mm512_and_si512(q, _mm512_set1_epi8(3 << (2 * l)));
        acc[r] = _mm512_dpbusd_epi32(acc[r], field, ACTIVATIONS(l));
      }
    }
  return sumLanes(acc);
}

int main(void) {
  srand(1);
  for (int i = 0; i < kBlocks * 64; i++) {
    int trits = rand() % 243;
    codes[i] = (uint8_t)((trits * 256 + 242) / 243);
  }
  for (int i = 0; i < 5 * 64; i++)
    activations[i] = (int8_t)(rand() % 255 - 127);
  for (int n = 0; n < 5; n++)
    for (int q = 0; q < 256; q++)
      digitTables[n][q] = (uint8_t)digitOf(q, n);
  int64_t compare = decodeCompare(), table = decodeTable(), carry = decodeCarry();
  printf("results: compare %lld, table %lld, carry %lld\n", (long long)compare,
         (long long)table, (long long)carry);
  if (compare != table || compare != carry) {
    fprintf(stderr, "error: the decodings disagree\n");
    return 1;
  }
  const char *names[] = {"compare", "table", "carry", "tq2"};
  int64_t (*kernels[])(void) = {decodeCompare, decodeTable, decodeCarry, decodeTQ2};
  for (int k = 0; k < 4; k++) {
    double best = 1e9;
    for (int t = 0; t < 30; t++) {
      double start = now();
      kernels[k]();
      double elapsed = now() - start;
      best = elapsed < best ? elapsed : best;
    }
    printf("%-8s %6.3f ns per block  %6.2f GB/s of packed weights\n", names[k],
           best / kBlocks * 1e9, (k == 3 ? 64 : 52) * kBlocks / best / 1e9);
  }
  return 0;
}
