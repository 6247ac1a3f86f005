//===- MatmulCheck.cpp - The GPU matmul kernels against a reference -------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Runs the host functions that trilm-opt compiled for CUDA (one per case of
// make_matmul_cases.py) on random activations, trits and scales, and
// compares every output with a reference computed here in double precision
// from the trits (packed here from the documented TQ2 and TQ1 layouts, independently
// of the compiler). With --bench, also times the per-layer cases at decoding
// and prompt batch sizes, in packed weight bytes per second, with the
// weights cycled through enough copies to live in device memory, not in L2.
//
// Exit status: 0 all equal, 1 a mismatch or a GPU error, 77 no GPU with
// --skip-without-gpu (the error line is printed either way).
//
//===----------------------------------------------------------------------===//

#include "trilm-c/CUDA.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

/// A 2-D memref as MLIR's C interface passes it.
struct MemRefDescriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

enum class ScaleType { f32, f16, bf16 };
/// check: compared at several M; bench: also timed; variant: a bench case
/// with another kernel configuration (make_matmul_cases.py --sweep).
enum class Role { check, bench, variant, prompt_variant };

struct MatmulCase {
  const char *name;
  int64_t n, k;
  std::vector<int64_t> rowSplits;
  int64_t rowBlock;
  std::vector<int64_t> colSplits;
  int64_t colBlock;
  ScaleType scaleType;
  Role role;
  /// 1.6-bit (TQ1) weights instead of 2-bit (TQ2).
  bool tq1;
  void (*run)(MemRefDescriptor *, MemRefDescriptor *, MemRefDescriptor *,
              MemRefDescriptor *);
};

#include "matmul_cases.h"

constexpr int64_t kBlock = 256;
constexpr int64_t kBlockBytes = 64;
constexpr int64_t kTQ1BlockBytes = 52;

int64_t blockBytes(const MatmulCase &c) {
  return c.tq1 ? kTQ1BlockBytes : kBlockBytes;
}

int64_t groupOf(int64_t position, const std::vector<int64_t> &splits,
                int64_t block) {
  if (block > 0)
    return position / block;
  return std::upper_bound(splits.begin(), splits.end(), position) -
         splits.begin();
}

int64_t numGroups(const std::vector<int64_t> &splits, int64_t block,
                  int64_t size) {
  return block > 0 ? (size + block - 1) / block : int64_t(splits.size()) + 1;
}

/// TQ2: byte 32h + j of a 64-byte block holds, in bits 2l, the code
/// (trit + 1) of position 128h + 32l + j of the block.
std::vector<uint8_t> packRows(const std::vector<int8_t> &trits, int64_t n,
                              int64_t k) {
  int64_t rowBytes = (k + kBlock - 1) / kBlock * kBlockBytes;
  std::vector<uint8_t> packed(n * rowBytes, 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t p = 0; p < rowBytes / kBlockBytes * kBlock; ++p) {
      int trit = p < k ? trits[r * k + p] : 0;
      int64_t block = p / kBlock, within = p % kBlock;
      int64_t half = within / 128, shift = within % 128 / 32, j = within % 32;
      packed[r * rowBytes + block * kBlockBytes + half * 32 + j] |=
          uint8_t((trit + 1) << (2 * shift));
    }
  return packed;
}

/// TQ1 (llama.cpp TQ1_0's codes): qs byte m < 32 holds positions m + 32n,
/// qs byte 32 + m (m < 16) positions 160 + m + 16n (n < 5), qh byte m < 4
/// positions 240 + m + 4n (n < 4, then times 3); each byte is
/// ceil(v * 256 / 243) of v, the codes (trit + 1) as base-3 digits, the
/// first position most significant.
std::vector<uint8_t> packTQ1Rows(const std::vector<int8_t> &trits, int64_t n,
                                 int64_t k) {
  int64_t blocks = (k + kBlock - 1) / kBlock;
  int64_t rowBytes = blocks * kTQ1BlockBytes;
  std::vector<uint8_t> packed(n * rowBytes, 0);
  struct Group {
    int64_t firstByte, bytes, firstPosition, stride, digits;
  };
  const Group groups[] = {
      {0, 32, 0, 32, 5}, {32, 16, 160, 16, 5}, {48, 4, 240, 4, 4}};
  for (int64_t r = 0; r < n; ++r)
    for (int64_t block = 0; block < blocks; ++block)
      for (const Group &g : groups)
        for (int64_t m = 0; m < g.bytes; ++m) {
          uint32_t v = 0;
          for (int64_t d = 0; d < g.digits; ++d) {
            int64_t p = block * kBlock + g.firstPosition + m + g.stride * d;
            v = v * 3 + uint32_t((p < k ? trits[r * k + p] : 0) + 1);
          }
          if (g.digits == 4)
            v *= 3;
          packed[r * rowBytes + block * kTQ1BlockBytes + g.firstByte + m] =
              uint8_t((v * 256 + 242) / 243);
        }
  return packed;
}

uint16_t toBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7fff + ((bits >> 16) & 1); // round to nearest even
  return uint16_t(bits >> 16);
}

float fromBF16(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

/// Device buffers of one case and the host values they hold.
struct CaseData {
  const MatmulCase &c;
  int64_t maxRows, rowBytes, gn, gk;
  std::vector<_Float16> x;
  std::vector<int8_t> trits;
  std::vector<uint8_t> packed;
  std::vector<float> scales;     // as the kernel reads them
  std::vector<uint8_t> scaleRaw; // in the scale type's bytes
  void *dx = nullptr, *dw = nullptr, *ds = nullptr, *dy = nullptr;

  CaseData(const MatmulCase &c, int64_t maxRows, std::mt19937_64 &rng)
      : c(c), maxRows(maxRows) {
    rowBytes = (c.k + kBlock - 1) / kBlock * blockBytes(c);
    gn = numGroups(c.rowSplits, c.rowBlock, c.n);
    gk = numGroups(c.colSplits, c.colBlock, c.k);
    std::uniform_real_distribution<float> activation(-2.0f, 2.0f);
    std::uniform_real_distribution<float> scale(0.01f, 0.1f);
    std::uniform_int_distribution<int> trit(-1, 1);
    x.resize(maxRows * c.k);
    for (auto &value : x)
      value = _Float16(activation(rng));
    trits.resize(c.n * c.k);
    for (auto &value : trits)
      value = int8_t(trit(rng));
    packed = c.tq1 ? packTQ1Rows(trits, c.n, c.k) : packRows(trits, c.n, c.k);
    scales.resize(gn * gk);
    for (auto &value : scales) {
      value = scale(rng);
      // Round to what the scale type holds, so the reference uses it too.
      if (c.scaleType == ScaleType::f16)
        value = float(_Float16(value));
      if (c.scaleType == ScaleType::bf16)
        value = fromBF16(toBF16(value));
    }
    for (float value : scales) {
      uint8_t bytes[4];
      size_t size = 4;
      if (c.scaleType == ScaleType::f32) {
        std::memcpy(bytes, &value, 4);
      } else if (c.scaleType == ScaleType::f16) {
        _Float16 half = _Float16(value);
        std::memcpy(bytes, &half, 2);
        size = 2;
      } else {
        uint16_t bf = toBF16(value);
        std::memcpy(bytes, &bf, 2);
        size = 2;
      }
      scaleRaw.insert(scaleRaw.end(), bytes, bytes + size);
    }
  }

  bool upload() {
    dx = trilm_cuda_malloc(x.size() * sizeof(_Float16));
    dw = trilm_cuda_malloc(packed.size());
    ds = trilm_cuda_malloc(scaleRaw.size());
    dy = trilm_cuda_malloc(maxRows * c.n * sizeof(float));
    return dx && dw && ds && dy &&
           trilm_cuda_copy_to_device(dx, x.data(),
                                     x.size() * sizeof(_Float16)) == 0 &&
           trilm_cuda_copy_to_device(dw, packed.data(), packed.size()) == 0 &&
           trilm_cuda_copy_to_device(ds, scaleRaw.data(), scaleRaw.size()) ==
               0;
  }

  ~CaseData() {
    for (void *buffer : {dx, dw, ds, dy})
      trilm_cuda_free(buffer);
  }

  void run(int64_t m, void *weights) {
    MemRefDescriptor xd{dx, dx, 0, {m, c.k}, {c.k, 1}};
    MemRefDescriptor wd{weights, weights, 0, {c.n, rowBytes}, {rowBytes, 1}};
    MemRefDescriptor sd{ds, ds, 0, {gn, gk}, {gk, 1}};
    MemRefDescriptor yd{dy, dy, 0, {m, c.n}, {c.n, 1}};
    c.run(&xd, &wd, &sd, &yd);
  }

  /// Runs m rows and compares each output with the reference; returns the
  /// number of mismatches and the largest error relative to the output's
  /// magnitude (the sum of |x * t * s| over K).
  int64_t check(int64_t m, double &worst) {
    std::vector<float> y(m * c.n, NAN);
    // Poison the output so that an element the kernel skips is caught.
    std::vector<float> poison(m * c.n, NAN);
    trilm_cuda_copy_to_device(dy, poison.data(), poison.size() * 4);
    run(m, dw);
    if (trilm_cuda_synchronize() != 0 ||
        trilm_cuda_copy_to_host(y.data(), dy, y.size() * 4) != 0)
      return -1;
    int64_t mismatches = 0;
    std::vector<double> groupSums(gk);
    std::vector<int64_t> colGroups(c.k);
    for (int64_t p = 0; p < c.k; ++p)
      colGroups[p] = groupOf(p, c.colSplits, c.colBlock);
    for (int64_t row = 0; row < m; ++row)
      for (int64_t out = 0; out < c.n; ++out) {
        std::fill(groupSums.begin(), groupSums.end(), 0.0);
        double magnitude = 0;
        int64_t rowGroup = groupOf(out, c.rowSplits, c.rowBlock);
        for (int64_t p = 0; p < c.k; ++p) {
          double product = double(x[row * c.k + p]) * trits[out * c.k + p];
          int64_t g = colGroups[p];
          groupSums[g] += product;
          magnitude += std::fabs(product) * scales[rowGroup * gk + g];
        }
        double expected = 0;
        for (int64_t g = 0; g < gk; ++g)
          expected += scales[rowGroup * gk + g] * groupSums[g];
        double got = y[row * c.n + out];
        double error = std::fabs(got - expected) / (magnitude + 1e-30);
        // Products are exact; f32 sums of K terms lose at most ~K ulps of
        // the magnitude, which 1e-5 covers for every K here.
        if (!(error <= 1e-5)) {
          if (mismatches < 5)
            std::printf("  MISMATCH %s m=%lld row %lld col %lld: got %.7g, "
                        "expected %.7g\n",
                        c.name, (long long)m, (long long)row, (long long)out,
                        got, expected);
          ++mismatches;
        }
        if (std::isfinite(error))
          worst = std::max(worst, error);
      }
    return mismatches;
  }
};

/// Device-to-device copy bandwidth (bytes read plus written per second): the
/// practical roof of a kernel that streams memory.
double copyBandwidth() {
  size_t bytes = size_t(1) << 30;
  void *from = trilm_cuda_malloc(bytes), *to = trilm_cuda_malloc(bytes);
  if (!from || !to)
    return 0;
  trilm_cuda_copy_device(to, from, bytes);
  trilm_cuda_synchronize();
  trilm_cuda_timer_start();
  for (int i = 0; i < 10; ++i)
    trilm_cuda_copy_device(to, from, bytes);
  float ms = trilm_cuda_timer_stop();
  trilm_cuda_free(from);
  trilm_cuda_free(to);
  return ms > 0 ? 2.0 * bytes * 10 / (ms * 1e-3) : 0;
}

/// Times `launches` launches of m rows cycling through `weights`: queued
/// from the host one by one, and replayed as one CUDA graph (the kernels'
/// own time). Returns seconds per launch of each, or negative on error.
std::pair<double, double> timeLaunches(CaseData &data, int64_t m,
                                       const std::vector<void *> &weights,
                                       int64_t launches) {
  trilm_cuda_timer_start();
  for (int64_t i = 0; i < launches; ++i)
    data.run(m, weights[i % weights.size()]);
  double hostLaunched = trilm_cuda_timer_stop() * 1e-3 / launches;
  if (trilm_cuda_capture_begin() != 0)
    return {-1, -1};
  for (int64_t i = 0; i < launches; ++i)
    data.run(m, weights[i % weights.size()]);
  void *graph = trilm_cuda_capture_end();
  if (!graph)
    return {-1, -1};
  constexpr int kReplays = 5;
  trilm_cuda_graph_launch(graph);
  trilm_cuda_timer_start();
  for (int r = 0; r < kReplays; ++r)
    trilm_cuda_graph_launch(graph);
  double replayed = trilm_cuda_timer_stop() * 1e-3 / (kReplays * launches);
  trilm_cuda_graph_destroy(graph);
  return {hostLaunched, replayed};
}

void bench(CaseData &data, double roof) {
  const MatmulCase &c = data.c;
  size_t weightBytes = data.packed.size();
  // Enough copies that one pass over them is 512 MiB, far past the L2.
  int64_t copies =
      std::max<int64_t>(1, int64_t((size_t(512) << 20) / weightBytes));
  std::vector<void *> weights = {data.dw};
  for (int64_t i = 1; i < copies; ++i) {
    void *copy = trilm_cuda_malloc(weightBytes);
    if (!copy)
      break;
    trilm_cuda_copy_device(copy, data.dw, weightBytes);
    weights.push_back(copy);
  }
  trilm_cuda_set_async(1);
  std::vector<int64_t> batches = {1, 8, 16, 128};
  if (c.role == Role::variant)
    batches = {1, 8};
  if (c.role == Role::prompt_variant)
    batches = {16, 128};
  for (int64_t m : batches) {
    int64_t launches = std::max<int64_t>(200, 2 * int64_t(weights.size()));
    for (size_t i = 0; i < weights.size(); ++i)
      data.run(m, weights[i]);
    auto [hostLaunched, seconds] = timeLaunches(data, m, weights, launches);
    if (seconds <= 0)
      break;
    double bandwidth = weightBytes / seconds;
    std::printf("BENCH %-22s N=%-6lld K=%-5lld M=%-4lld %8.2f us (host-launched "
                "%6.2f us) %7.1f GB/s %5.1f%% of copy roof %7.2f TFLOP/s\n",
                c.name, (long long)c.n, (long long)c.k, (long long)m,
                seconds * 1e6, hostLaunched * 1e6, bandwidth / 1e9,
                100 * bandwidth / roof, 2.0 * m * c.n * c.k / seconds / 1e12);
  }
  trilm_cuda_set_async(0);
  for (size_t i = 1; i < weights.size(); ++i)
    trilm_cuda_free(weights[i]);
}

} // namespace

int main(int argc, char **argv) {
  bool benchmark = false, skipWithoutGPU = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--bench")
      benchmark = true;
    else if (arg == "--skip-without-gpu")
      skipWithoutGPU = true;
    else {
      std::fprintf(stderr, "usage: %s [--bench] [--skip-without-gpu]\n",
                   argv[0]);
      return 1;
    }
  }
  // The kernels' module was loaded before main; a missing driver or GPU
  // shows there or here.
  if (trilm_cuda_init() != 0 || trilm_cuda_error()) {
    std::fprintf(stderr, "trilm-gpu-check: %s\n", trilm_cuda_error());
    if (skipWithoutGPU) {
      std::printf("SKIPPED: the GPU checks need an NVIDIA GPU\n");
      return 77;
    }
    return 1;
  }
  std::printf("GPU: %s (sm_%d)\n", trilm_cuda_device_name(),
              trilm_cuda_compute_capability());
  double roof = benchmark ? copyBandwidth() : 0;
  if (benchmark)
    std::printf("device-to-device copy: %.1f GB/s (read + write)\n",
                roof / 1e9);
  std::mt19937_64 rng(20261130);
  int64_t failures = 0;
  for (const MatmulCase &c : kCases) {
    bool timed = c.role != Role::check;
    CaseData data(c, 130, rng);
    if (!data.upload())
      break;
    // M >= 16 runs the prompt kernel where there is one; 77 and 130 leave
    // partial tiles of 64 rows.
    std::vector<int64_t> batches = {1, 3, 8, 13, 16, 40, 77, 130};
    if (c.role == Role::bench)
      batches = {1, 9, 64, 130};
    if (c.role == Role::variant)
      batches = {1};
    if (c.role == Role::prompt_variant)
      batches = {130};
    for (int64_t m : batches) {
      double worst = 0;
      int64_t mismatches = data.check(m, worst);
      if (mismatches < 0)
        break;
      std::printf("CHECK %-22s N=%-6lld K=%-5lld M=%-3lld %s  worst relative "
                  "error %.2e\n",
                  c.name, (long long)c.n, (long long)c.k, (long long)m,
                  mismatches ? "FAIL" : "ok  ", worst);
      failures += mismatches != 0;
    }
    if (benchmark && timed && !trilm_cuda_error())
      bench(data, roof);
    if (trilm_cuda_error())
      break;
  }
  if (const char *error = trilm_cuda_error()) {
    std::fprintf(stderr, "trilm-gpu-check: %s\n", error);
    return 1;
  }
  std::printf("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
