//===- Bench.h - Measurements for trilm-bench -------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_BENCH_BENCH_H
#define TRILM_BENCH_BENCH_H

#include "trilm/Packing/Packing.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace trilm::bench {

/// Read bandwidth measured over a working set of `bytes`, with `streams`
/// threads each reading its share: the median and the best of the repeats.
struct BandwidthSample {
  int64_t bytes;
  int streams;
  double gigabytesPerSecond;
  double bestGigabytesPerSecond;
};

/// Measures read bandwidth for each working-set size over `repeats` runs.
std::vector<BandwidthSample> measureReadBandwidth(
    const std::vector<int64_t> &sizes, int streams, int repeats);

/// The roof for a working set: the best bandwidth measured at the smallest
/// size that holds it (the largest size when none does). The best rather
/// than the median, because other work on the machine only ever lowers it.
double roofFor(const std::vector<BandwidthSample> &samples, int64_t bytes);

/// One ternary matmul to benchmark.
struct MatmulCase {
  std::string name; // e.g. "3.9B down"
  int64_t m, n, k;
  packing::Scheme scheme;
  bool int8;
  /// Model-parallel shards (scale groups) and whether they split K (row-
  /// parallel layers) rather than N.
  int64_t shards = 1;
  bool shardsAlongK = false;
  /// Weights stored with this many rows interleaved
  /// (#ternary.row_interleave), as trilm-cpu-pipeline stores constant
  /// weights; 0 for row-major.
  int64_t interleave = 0;
  /// The register tile (output rows x activation rows); 0: the target's.
  int64_t tileRows = 0, tileActRows = 0;
  /// The fewest activation rows that take the panel kernel (0: never; -1:
  /// the target's).
  int64_t panelMinActRows = -1;
  /// int8 1.6-bit weights stored as #ternary.trit_triples and multiplied by
  /// table lookups (trilm-cpu-pipeline's lookup-tables).
  bool lookupTables = false;
  /// The CPU and features the kernel is compiled for, as trilm-compile's
  /// --cpu and --features take them (the host's by default); the host must
  /// be able to run them.
  std::string cpu = "native", features = "";
};

struct MatmulTiming {
  double medianSeconds;
  int64_t weightBytes;
  double weightGigabytesPerSecond;
  double gigaOpsPerSecond; // 2 * M * N * K per call
};

/// Compiles `c` for the host with trilm-cpu-pipeline (JIT, OpenMP),
/// checks it against the reference lowering on the same data, and times it
/// with each OpenMP thread count (median of `repeats` calls).
llvm::Expected<std::vector<MatmulTiming>>
timeMatmul(const MatmulCase &c, const std::vector<int> &threadCounts,
           int repeats);

} // namespace trilm::bench

#endif // TRILM_BENCH_BENCH_H
