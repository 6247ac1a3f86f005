//===- RaiseMatmul.cpp - Matmuls by ternary constants to ternary.matmul ---===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Utils/ResourceUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>

namespace trilm::ternary {
#define GEN_PASS_DEF_TERNARYRAISEMATMUL
#include "trilm/Dialect/Ternary/Transforms/Passes.h.inc"
} // namespace trilm::ternary

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace {

/// An N x K weight matrix split into sign trits and a grid of scales.
struct TernaryDecomposition {
  SmallVector<int64_t> rowBounds; // 0, splits..., N
  SmallVector<int64_t> colBounds; // 0, splits..., K
  SmallVector<float> scales;      // (rowBounds - 1) x (colBounds - 1)
  SmallVector<int8_t> trits;      // N x K
};

/// Magnitude shared by a scale group; 0 while the group has only zeros.
using GroupMagnitude = double;

/// Positions along one axis where the nonzero magnitude changes in at least
/// one line (row or column) of the matrix. `at(line, i)` reads the matrix.
template <typename Accessor>
static SmallVector<int64_t> findSplits(int64_t lines, int64_t length,
                                       Accessor at) {
  llvm::SmallSetVector<int64_t, 8> splits;
  for (int64_t line = 0; line < lines; ++line) {
    double previous = 0;
    for (int64_t i = 0; i < length; ++i) {
      double magnitude = at(line, i);
      if (magnitude == 0)
        continue;
      if (previous != 0 && magnitude != previous)
        splits.insert(i);
      previous = magnitude;
    }
  }
  SmallVector<int64_t> sorted(splits.begin(), splits.end());
  llvm::sort(sorted);
  return sorted;
}

/// Decomposes `weights` (row-major N x K) into trits and scale groups, or
/// returns the reason it cannot be done within `maxGroups` groups per axis.
static FailureOr<TernaryDecomposition>
decompose(ArrayRef<double> weights, int64_t rows, int64_t cols,
          int64_t maxGroups, std::string &why) {
  llvm::raw_string_ostream reason(why);
  for (auto [index, value] : llvm::enumerate(weights)) {
    if (!std::isfinite(value)) {
      reason << "element [" << index / cols << ", " << index % cols
             << "] is not finite";
      return failure();
    }
  }
  auto magnitude = [&](int64_t row, int64_t col) {
    return std::fabs(weights[row * cols + col]);
  };
  SmallVector<int64_t> colSplits = findSplits(
      rows, cols, [&](int64_t row, int64_t col) { return magnitude(row, col); });
  SmallVector<int64_t> rowSplits = findSplits(
      cols, rows, [&](int64_t col, int64_t row) { return magnitude(row, col); });
  auto tooMany = [&](size_t splits, char axis) {
    if (static_cast<int64_t>(splits) + 1 <= maxGroups)
      return false;
    reason << "the nonzero magnitudes change at " << splits
           << " positions along " << axis << ", more than max-groups="
           << maxGroups << " allows";
    return true;
  };
  if (tooMany(rowSplits.size(), 'n') || tooMany(colSplits.size(), 'k'))
    return failure();

  TernaryDecomposition result;
  result.rowBounds = {0};
  llvm::append_range(result.rowBounds, rowSplits);
  result.rowBounds.push_back(rows);
  result.colBounds = {0};
  llvm::append_range(result.colBounds, colSplits);
  result.colBounds.push_back(cols);

  // Magnitude of every cell of the grid; each cell must hold one magnitude.
  int64_t rowGroups = result.rowBounds.size() - 1;
  int64_t colGroups = result.colBounds.size() - 1;
  std::vector<std::vector<GroupMagnitude>> grid(
      rowGroups, std::vector<GroupMagnitude>(colGroups, 0));
  for (int64_t rg = 0; rg < rowGroups; ++rg) {
    for (int64_t cg = 0; cg < colGroups; ++cg) {
      for (int64_t row = result.rowBounds[rg]; row < result.rowBounds[rg + 1];
           ++row) {
        for (int64_t col = result.colBounds[cg];
             col < result.colBounds[cg + 1]; ++col) {
          double value = magnitude(row, col);
          if (value == 0)
            continue;
          GroupMagnitude &cell = grid[rg][cg];
          if (cell == 0) {
            cell = value;
          } else if (cell != value) {
            reason << "element [" << row << ", " << col << "] has magnitude "
                   << value << " but its scale group also holds " << cell;
            return failure();
          }
        }
      }
    }
  }

  // Splits found in different lines may be redundant (zeros hide where a
  // shard starts); merge neighbouring groups that never disagree.
  auto compatible = [](GroupMagnitude a, GroupMagnitude b) {
    return a == 0 || b == 0 || a == b;
  };
  for (int64_t cg = 0; cg + 1 < static_cast<int64_t>(grid[0].size());) {
    bool mergeable = llvm::all_of(grid, [&](const auto &line) {
      return compatible(line[cg], line[cg + 1]);
    });
    if (!mergeable) {
      ++cg;
      continue;
    }
    for (auto &line : grid) {
      line[cg] = std::max(line[cg], line[cg + 1]);
      line.erase(line.begin() + cg + 1);
    }
    result.colBounds.erase(result.colBounds.begin() + cg + 1);
  }
  for (int64_t rg = 0; rg + 1 < static_cast<int64_t>(grid.size());) {
    bool mergeable = llvm::all_of_zip(grid[rg], grid[rg + 1], compatible);
    if (!mergeable) {
      ++rg;
      continue;
    }
    for (auto [a, b] : llvm::zip(grid[rg], grid[rg + 1]))
      a = std::max(a, b);
    grid.erase(grid.begin() + rg + 1);
    result.rowBounds.erase(result.rowBounds.begin() + rg + 1);
  }

  // A group of zeros can take any scale; 1 keeps the printed IR unsurprising.
  for (const auto &line : grid)
    for (GroupMagnitude cell : line)
      result.scales.push_back(cell == 0 ? 1.0f : static_cast<float>(cell));
  result.trits.reserve(weights.size());
  for (double value : weights)
    result.trits.push_back(value > 0 ? 1 : (value < 0 ? -1 : 0));
  return result;
}

/// Reads a float constant as doubles, or fails with a reason.
static FailureOr<SmallVector<double>> readFloats(Attribute attr,
                                                 std::string &why) {
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    SmallVector<double> values;
    values.reserve(dense.getNumElements());
    for (const APFloat &value : dense.getValues<APFloat>())
      values.push_back(value.convertToDouble());
    return values;
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    if (std::optional<ArrayRef<float>> data =
            trilm::getResourceElements(resource))
      return SmallVector<double>(data->begin(), data->end());
  }
  why = "the weights are a constant the pass cannot read (dense f32, f16 or "
        "bf16 elements, or an f32 resource blob)";
  return failure();
}

/// True if `value` is produced by a fill or constant of zero.
static bool isZeroTensor(Value value) {
  if (matchPattern(value, m_AnyZeroFloat()))
    return true;
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return false;
}

struct TernaryRaiseMatmulPass
    : public trilm::ternary::impl::TernaryRaiseMatmulBase<TernaryRaiseMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation()->walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls) {
      // A blob that does not hold its type's bytes is malformed IR that
      // upstream does not verify; reading it would overrun it.
      Attribute weights;
      if (op.getInputs().size() == 2 &&
          matchPattern(op.getInputs()[1], m_Constant(&weights)))
        if (auto resource = dyn_cast<DenseResourceElementsAttr>(weights))
          if (failed(trilm::verifyResourceSize(
                  resource, [&] { return op.emitError("weights: "); })))
            return signalPassFailure();
      std::string why;
      if (failed(raise(op, packing, why)) && emitRemarks)
        op.emitRemark("not raised to ternary.matmul: ") << why;
    }
  }

  LogicalResult raise(linalg::MatmulOp op, PackingScheme scheme,
                      std::string &why) {
    if (!op.hasPureTensorSemantics()) {
      why = "it works on buffers, not tensors";
      return failure();
    }
    MLIRContext *context = op.getContext();
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    auto maps = op.getIndexingMapsArray();
    auto map = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(3, 0, results, context);
    };
    bool transposedB;
    if (maps == SmallVector<AffineMap>{map({m, k}), map({k, n}), map({m, n})})
      transposedB = false;
    else if (maps ==
             SmallVector<AffineMap>{map({m, k}), map({n, k}), map({m, n})})
      transposedB = true;
    else {
      why = "its indexing maps are neither A x B nor A x B^T";
      return failure();
    }

    Value lhs = op.getInputs()[0], rhs = op.getInputs()[1];
    Value init = op.getOutputs()[0];
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto initType = cast<RankedTensorType>(init.getType());
    auto isFloat = [](Type type) {
      return isa<Float32Type, Float16Type, BFloat16Type>(type);
    };
    if (!isFloat(lhsType.getElementType()) ||
        !isFloat(initType.getElementType())) {
      why = "its activations and result are not f32, f16 or bf16";
      return failure();
    }
    Attribute constant;
    if (!matchPattern(rhs, m_Constant(&constant))) {
      why = "the weights are not a constant";
      return failure();
    }
    if (!rhsType.hasStaticShape()) {
      why = "the weights do not have a static shape";
      return failure();
    }
    FailureOr<SmallVector<double>> values = readFloats(constant, why);
    if (failed(values))
      return failure();
    int64_t rows = rhsType.getDimSize(transposedB ? 0 : 1);
    int64_t cols = rhsType.getDimSize(transposedB ? 1 : 0);
    // ternary.matmul needs the shapes that a static weight implies.
    if (lhsType.getDimSize(1) != cols || initType.getDimSize(1) != rows ||
        lhsType.getDimSize(0) != initType.getDimSize(0)) {
      why = "the activation or result shape is not [M, K] x [M, N] with the "
            "weights' static K and N";
      return failure();
    }
    SmallVector<double> weights(rows * cols);
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t col = 0; col < cols; ++col)
        weights[row * cols + col] =
            transposedB ? (*values)[row * cols + col] : (*values)[col * rows + row];

    std::string reason;
    FailureOr<TernaryDecomposition> decomposition =
        decompose(weights, rows, cols, maxGroups, reason);
    if (failed(decomposition)) {
      why = "the weights are not ternary: " + reason;
      return failure();
    }

    OpBuilder builder(op);
    Location loc = op.getLoc();
    auto packedType = PackedType::get(context, rows, cols, scheme);
    RankedTensorType storageType = packedType.getStorageType();
    AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
        storageType.getNumElements(), alignof(uint64_t));
    MutableArrayRef<char> bytes = blob.getMutableData();
    packing::Status status = packedType.pack(
        decomposition->trits,
        MutableArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(bytes.data()),
                                 bytes.size()));
    if (!status.ok()) {
      why = status.message;
      return failure();
    }
    auto packedAttr = DenseI8ResourceElementsAttr::get(
        storageType, "ternary_weights", std::move(blob));
    Value packed = ConstantOp::create(builder, loc, packedType,
                                      cast<ElementsAttr>(packedAttr));

    int64_t rowGroups = decomposition->rowBounds.size() - 1;
    int64_t colGroups = decomposition->colBounds.size() - 1;
    auto scalesType =
        RankedTensorType::get({rowGroups, colGroups}, builder.getF32Type());
    Value scales = arith::ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(scalesType,
                               ArrayRef<float>(decomposition->scales)));
    auto groups = ScaleGroupsAttr::get(
        context, ArrayRef<int64_t>(decomposition->rowBounds).drop_front().drop_back(),
        0, ArrayRef<int64_t>(decomposition->colBounds).drop_front().drop_back(),
        0);
    Value product = MatmulOp::create(builder, loc, initType, lhs,
                                     /*act_scales=*/Value(), packed, scales,
                                     groups);
    if (!isZeroTensor(init))
      product = linalg::AddOp::create(builder, loc, ValueRange{product, init},
                                      ValueRange{init})
                    .getResult(0);
    op.getResult(0).replaceAllUsesWith(product);
    op.erase();
    // The float weights are usually dead now; do not keep them alive.
    if (auto weights = rhs.getDefiningOp<arith::ConstantOp>();
        weights && weights->use_empty())
      weights.erase();
    return success();
  }
};

} // namespace
