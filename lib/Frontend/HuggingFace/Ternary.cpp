//===- Ternary.cpp - Trits and shard scales from a checkpoint tensor ------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// TriLM checkpoints store already ternarised weights: every element is 0 or
// +-scale of its model-parallel shard, rounded to the tensor's dtype. This
// file recovers trits and scales exactly, or (on request) ternarises a float
// matrix with the absmean rule.
//
//===----------------------------------------------------------------------===//

#include "SafeTensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace trilm::import;
using namespace trilm::import::detail;

namespace {

/// Magnitude statistics of one shard.
struct ShardStats {
  float minNonZero = std::numeric_limits<float>::infinity();
  float maxNonZero = 0.0f;
  /// Sum of all magnitudes (zeros add nothing), in double so that the mean
  /// of millions of equal values is that value.
  double sumMagnitude = 0.0;
  int64_t nonZeroCount = 0;
};

/// The position of shard `shard` in a rows x cols matrix.
struct ShardBounds {
  int64_t rowBegin, rowEnd, colBegin, colEnd;
};

} // namespace

static ShardBounds getShardBounds(int64_t rows, int64_t cols, int64_t shards,
                                  ShardAxis axis, int64_t shard) {
  if (axis == ShardAxis::Rows) {
    int64_t height = rows / shards;
    return {shard * height, (shard + 1) * height, 0, cols};
  }
  int64_t width = cols / shards;
  return {0, rows, shard * width, (shard + 1) * width};
}

/// Relative spread allowed between the non-zero magnitudes of one shard: the
/// spacing of the dtype's values near the scale (one unit in the last place),
/// so a scale rounded differently in different places still passes.
static double getMagnitudeTolerance(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return std::ldexp(1.0, -10);
  case DType::BF16:
    return std::ldexp(1.0, -7);
  case DType::F32:
    return 1e-6;
  case DType::U8:
    break;
  }
  llvm_unreachable("extractTernary reads float tensors only");
}

/// "(0.0213, 0.0402, 0.0611)", or the two smallest and largest of many, with
/// as many significant digits as it takes to tell neighbours apart.
static std::string formatMagnitudes(llvm::ArrayRef<float> sortedDistinct) {
  llvm::SmallVector<float> shown;
  bool elided = sortedDistinct.size() > 5;
  if (elided)
    shown = {sortedDistinct[0], sortedDistinct[1],
             sortedDistinct[sortedDistinct.size() - 2], sortedDistinct.back()};
  else
    shown.assign(sortedDistinct.begin(), sortedDistinct.end());

  llvm::SmallVector<std::string> texts;
  // Nine significant digits always distinguish two floats.
  for (int digits = 3; digits <= 9; ++digits) {
    texts.clear();
    for (float magnitude : shown) {
      std::string text;
      llvm::raw_string_ostream(text) << llvm::format("%.*g", digits, magnitude);
      texts.push_back(std::move(text));
    }
    if (std::adjacent_find(texts.begin(), texts.end()) == texts.end())
      break;
  }
  if (elided)
    texts.insert(texts.begin() + 2, "...");
  return "(" + llvm::join(texts, ", ") + ")";
}

/// The error for a shard whose non-zero magnitudes disagree. Rare, so it
/// reads the shard again rather than keeping every magnitude on the fast
/// path.
static llvm::Error describeNonTernaryShard(const TensorView &tensor,
                                           int64_t shards, ShardAxis axis,
                                           int64_t shard) {
  int64_t rows = tensor.shape[0], cols = tensor.shape[1];
  ShardBounds bounds = getShardBounds(rows, cols, shards, axis, shard);
  std::vector<float> magnitudes;
  std::vector<float> row(cols);
  for (int64_t r = bounds.rowBegin; r < bounds.rowEnd; ++r) {
    tensor.read(r * cols, row);
    for (int64_t c = bounds.colBegin; c < bounds.colEnd; ++c)
      if (row[c] != 0.0f)
        magnitudes.push_back(std::fabs(row[c]));
  }
  llvm::sort(magnitudes);
  magnitudes.erase(std::unique(magnitudes.begin(), magnitudes.end()),
                   magnitudes.end());

  std::string where = "tensor '" + tensor.name + "'";
  if (shards > 1) {
    bool byRows = axis == ShardAxis::Rows;
    where += ": shard " + std::to_string(shard) + " of " +
             std::to_string(shards) + " (" + (byRows ? "rows " : "columns ") +
             std::to_string(byRows ? bounds.rowBegin : bounds.colBegin) +
             " to " +
             std::to_string((byRows ? bounds.rowEnd : bounds.colEnd) - 1) + ")";
  }
  return failure(where +
                 " is not ternary: " + std::to_string(magnitudes.size()) +
                 " distinct magnitudes " + formatMagnitudes(magnitudes) +
                 "; use --ternarize=absmean to ternarise it (lossy)");
}

llvm::Expected<TernaryMatrix>
trilm::import::extractTernary(const TensorView &tensor, int64_t shards,
                              ShardAxis axis, Ternarize mode) {
  auto tensorError = [&](const llvm::Twine &what) {
    return failure("tensor '" + tensor.name + "'" + what);
  };
  if (tensor.shape.size() != 2)
    return tensorError(" has shape " + formatShape(tensor.shape) +
                       "; a ternary matrix is 2-D");
  if (tensor.dtype == DType::U8)
    return tensorError(" is U8; trilm reads unpacked weights as F16, BF16 or "
                       "F32");
  if (shards < 1)
    return tensorError(": shard count " + llvm::Twine(shards) +
                       " is not positive");
  const int64_t rows = tensor.shape[0], cols = tensor.shape[1];
  const bool byRows = axis == ShardAxis::Rows;
  const int64_t extent = byRows ? rows : cols;
  if (extent % shards != 0)
    return tensorError(": " + llvm::Twine(extent) +
                       (byRows ? " rows" : " columns") + " do not split into " +
                       llvm::Twine(shards) + " equal shards");

  TernaryMatrix matrix;
  matrix.rows = rows;
  matrix.cols = cols;
  matrix.axis = axis;
  matrix.trits.resize(rows * cols);

  // Pass 1: per-shard statistics, and the sign trits that the exact case
  // keeps.
  std::vector<ShardStats> stats(shards);
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    tensor.read(r * cols, row);
    int8_t *trits = matrix.trits.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      float weight = row[c];
      if (!std::isfinite(weight))
        return tensorError(": element [" + llvm::Twine(r) + ", " +
                           llvm::Twine(c) + "] is " +
                           (std::isnan(weight) ? "NaN" : "infinite"));
      int64_t shard = byRows ? r / (rows / shards) : c / (cols / shards);
      ShardStats &shardStats = stats[shard];
      float magnitude = std::fabs(weight);
      trits[c] = weight > 0.0f ? 1 : (weight < 0.0f ? -1 : 0);
      if (magnitude == 0.0f)
        continue;
      shardStats.minNonZero = std::min(shardStats.minNonZero, magnitude);
      shardStats.maxNonZero = std::max(shardStats.maxNonZero, magnitude);
      shardStats.sumMagnitude += magnitude;
      ++shardStats.nonZeroCount;
    }
  }

  if (mode == Ternarize::None) {
    double tolerance = getMagnitudeTolerance(tensor.dtype);
    for (auto [shard, shardStats] : llvm::enumerate(stats)) {
      if (shardStats.nonZeroCount == 0) {
        matrix.scales.push_back(0.0f);
        continue;
      }
      if (shardStats.maxNonZero - shardStats.minNonZero >
          tolerance * shardStats.maxNonZero)
        return describeNonTernaryShard(tensor, shards, axis, shard);
      matrix.scales.push_back(static_cast<float>(shardStats.sumMagnitude /
                                                 shardStats.nonZeroCount));
    }
    return matrix;
  }

  // AbsMean: the scale is the mean magnitude over the whole shard, and each
  // weight rounds (halves away from zero, as std::round) to the nearest trit.
  const double shardElements = static_cast<double>(rows) * cols / shards;
  for (const ShardStats &shardStats : stats)
    matrix.scales.push_back(
        shardElements > 0
            ? static_cast<float>(shardStats.sumMagnitude / shardElements)
            : 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    tensor.read(r * cols, row);
    int8_t *trits = matrix.trits.data() + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t shard = byRows ? r / (rows / shards) : c / (cols / shards);
      double scale = matrix.scales[shard];
      if (scale == 0.0) {
        trits[c] = 0;
        continue;
      }
      double trit = std::round(static_cast<double>(row[c]) / scale);
      trits[c] = static_cast<int8_t>(std::clamp(trit, -1.0, 1.0));
    }
  }
  return matrix;
}

llvm::Expected<TernaryMatrix>
trilm::import::unpackBitNetWeight(const TensorView &packed,
                                  const TensorView &scale, int64_t rows,
                                  int64_t cols, bool divide) {
  auto tensorError = [&](const llvm::Twine &what) {
    return failure("tensor '" + packed.name + "'" + what);
  };
  int64_t packedRows = rows / 4;
  if (rows % 4 != 0 || packed.dtype != DType::U8 ||
      llvm::ArrayRef<int64_t>(packed.shape) !=
          llvm::ArrayRef<int64_t>{packedRows, cols})
    return tensorError(" is not " + llvm::Twine(rows) + " x " +
                       llvm::Twine(cols) +
                       " trits packed four per U8 along the rows");
  if (scale.numElements() != 1 || scale.dtype == DType::U8)
    return failure("tensor '" + scale.name + "' is not one float");
  float given = scale.at(0);
  if (!std::isfinite(given) || given == 0.0f) {
    std::string text;
    llvm::raw_string_ostream(text) << llvm::format("%g", given);
    return failure("tensor '" + scale.name + "' (" + text +
                   ") is not a finite, non-zero scale");
  }

  TernaryMatrix matrix;
  matrix.rows = rows;
  matrix.cols = cols;
  matrix.axis = ShardAxis::Rows;
  matrix.scales = {divide ? 1.0f / given : given};
  matrix.trits.resize(rows * cols);
  // Slice i of the rows sits in bits 2i..2i+1 of every byte.
  for (int64_t row = 0; row < rows; ++row) {
    int64_t slice = row / packedRows;
    const uint8_t *bytes = packed.bytes.data() + (row % packedRows) * cols;
    int8_t *trits = matrix.trits.data() + row * cols;
    for (int64_t col = 0; col < cols; ++col) {
      int code = (bytes[col] >> (2 * slice)) & 3;
      if (code == 3)
        return tensorError(": element [" + llvm::Twine(row) + ", " +
                           llvm::Twine(col) +
                           "] has the code 3, which is no trit");
      trits[col] = static_cast<int8_t>(code - 1);
    }
  }
  return matrix;
}
