//===- Bandwidth.cpp - Read bandwidth probe -------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Bench/Bench.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace trilm::bench;

namespace {

/// Sums 64-bit words with independent accumulators so that loads, not the
/// add chain, limit the speed. The AVX-512 variant reads a full cache line
/// per instruction, as the kernels do.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) uint64_t readAVX512(const uint64_t *data,
                                                       int64_t words) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (int64_t i = 0; i + 32 <= words; i += 32) {
    a = _mm512_xor_si512(a, _mm512_load_si512(data + i));
    b = _mm512_xor_si512(b, _mm512_load_si512(data + i + 8));
    c = _mm512_xor_si512(c, _mm512_load_si512(data + i + 16));
    d = _mm512_xor_si512(d, _mm512_load_si512(data + i + 24));
  }
  __m512i all = _mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d));
  return static_cast<uint64_t>(_mm512_reduce_add_epi64(all));
}
#endif

uint64_t readPortable(const uint64_t *data, int64_t words) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  for (int64_t i = 0; i + 4 <= words; i += 4) {
    a ^= data[i];
    b ^= data[i + 1];
    c ^= data[i + 2];
    d ^= data[i + 3];
  }
  return a ^ b ^ c ^ d;
}

uint64_t readAll(const uint64_t *data, int64_t words) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f"))
    return readAVX512(data, words);
#endif
  return readPortable(data, words);
}

} // namespace

std::vector<BandwidthSample>
trilm::bench::measureReadBandwidth(const std::vector<int64_t> &sizes,
                                   int streams, int repeats) {
  std::vector<BandwidthSample> samples;
  for (int64_t size : sizes) {
    int64_t perStream = std::max<int64_t>(4096, size / streams) & ~int64_t(255);
    std::vector<uint64_t *> buffers(streams);
    for (auto &buffer : buffers) {
      buffer = static_cast<uint64_t *>(std::aligned_alloc(64, perStream));
      std::memset(buffer, 1, perStream);
    }
    // Enough passes that each timing covers at least ~256 MiB of reads.
    int64_t passes = std::max<int64_t>(1, (int64_t(256) << 20) / (perStream * streams));
    std::vector<double> seconds;
    volatile uint64_t sink = 0;
    for (int r = 0; r < repeats + 1; ++r) {
      auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> threads;
      std::vector<uint64_t> results(streams);
      for (int s = 0; s < streams; ++s)
        threads.emplace_back([&, s] {
          uint64_t acc = 0;
          for (int64_t p = 0; p < passes; ++p) {
            acc += readAll(buffers[s], perStream / 8);
            // The buffer does not change between passes: keep the compiler
            // from reading it only once.
            asm volatile("" ::: "memory");
          }
          results[s] = acc;
        });
      for (auto &thread : threads)
        thread.join();
      auto stop = std::chrono::steady_clock::now();
      for (uint64_t result : results)
        sink = sink + result;
      if (r > 0) // the first run warms caches and pages
        seconds.push_back(std::chrono::duration<double>(stop - start).count());
    }
    (void)sink;
    std::sort(seconds.begin(), seconds.end());
    double bytesRead = double(perStream) * streams * passes;
    samples.push_back({perStream * streams, streams,
                       bytesRead / seconds[seconds.size() / 2] / 1e9,
                       bytesRead / seconds.front() / 1e9});
    for (auto *buffer : buffers)
      std::free(buffer);
  }
  return samples;
}

double trilm::bench::roofFor(const std::vector<BandwidthSample> &samples,
                             int64_t bytes) {
  for (const BandwidthSample &sample : samples)
    if (sample.bytes >= bytes)
      return sample.bestGigabytesPerSecond;
  return samples.empty() ? 0.0 : samples.back().bestGigabytesPerSecond;
}
