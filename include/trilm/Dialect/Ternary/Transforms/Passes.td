//===- Passes.td - Ternary dialect passes ------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_TD
#define TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TernaryRaiseMatmul : Pass<"ternary-raise-matmul"> {
  let summary = "Turn matmuls by constant ternary weights into ternary.matmul";
  let description = [{
    Finds `linalg.matmul` ops (with the default or the transposed-B indexing
    maps) whose right-hand operand is a float constant holding only 0 and
    +/- one value per scale group. The scale groups are recovered exactly:
    one per tensor, contiguous ranges of output rows (N), contiguous ranges of
    the reduction dimension (K), or a grid of both. Matching ops become a
    `ternary.constant` holding the packed trits as a resource blob, an
    `arith.constant` of scales and a `ternary.matmul` (plus an add when the
    accumulator is not known to be zero).

    Group boundaries are found where the nonzero magnitude changes along a
    row or a column; a boundary hidden entirely by zeros is not guessed, and
    such a matrix is left alone. Weights that are not ternary are left
    untouched; with `remarks=true` a remark on the op says why.
  }];
  let options = [
    Option<"packingName", "packing", "std::string", /*default=*/"\"tq2\"",
           "Packing scheme of the created weights: tq2 (2-bit) or tq1 (1.6-bit)">,
    Option<"maxGroups", "max-groups", "int64_t", /*default=*/"16",
           "Most scale groups accepted along each axis; weights that need more "
           "are not considered ternary">,
    Option<"emitRemarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on each matmul that is left alone, saying why">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::trilm::ternary::TernaryDialect",
  ];
}

def TernaryRelayoutWeights : Pass<"ternary-relayout-weights"> {
  let summary = "Store packed constant weights row-interleaved at compile time";
  let description = [{
    Rewrites each row-major `ternary.constant` whose users all read any
    layout (`ternary.matmul`, `ternary.unpack`) to
    `#ternary.row_interleave<rows>`: for each group of `rows` weight rows,
    block 0 of every row, then block 1, and so on, so that a GEMV kernel
    tile streams one contiguous run of memory. The bytes are rearranged here,
    once, as a pure function of the layout; the trits do not change.
    Constants whose row count `rows` does not divide, or with other users,
    are left alone (with a remark when `remarks=true`).
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"4",
           "Rows interleaved together (a power of two, 2 to 64)">,
    Option<"emitRemarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on each constant that is left alone">,
  ];
}

#endif // TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_TD
