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
    Option<"packing", "packing", "::trilm::ternary::PackingScheme",
           /*default=*/"::trilm::ternary::PackingScheme::tq2",
           "Packing scheme of the created weights",
           [{::llvm::cl::values(
             clEnumValN(::trilm::ternary::PackingScheme::tq2, "tq2",
                        "2 bits per weight (llama.cpp TQ2_0 codes)"),
             clEnumValN(::trilm::ternary::PackingScheme::tq1, "tq1",
                        "1.6 bits per weight, 5 trits per byte (TQ1_0)"))}]>,
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
  let summary = "Store packed weights in the layout their kernels chose";
  let description = [{
    Gives each packed weight the layout that the `kernel_config` of the
    `ternary.matmul`s using it asks for (`getWeightLayout`, for example
    `#ternary.row_interleave<4>`: each group of rows stored block by block,
    so that a GEMV tile streams one contiguous run).

    - A `ternary.constant` has its bytes rearranged here, once: a pure
      function of the two layouts; the trits do not change.
    - A `ternary.from_storage` (with `storage=true`) only changes its result
      type: its bytes come from outside the module, and whoever writes them
      must write them in that layout. trilm-compile runs it so, and packs
      the checkpoint's weights in the layouts it finds afterwards.

    Weights whose matmuls disagree, that have no configuration, whose rows
    the layout does not divide, or that have users other than matmuls and
    `ternary.unpack` keep their layout (with a remark when `remarks=true`).
  }];
  let options = [
    Option<"relayoutStorage", "storage", "bool", /*default=*/"false",
           "Also retype ternary.from_storage, whose bytes the caller writes">,
    Option<"emitRemarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark on each weight that keeps its layout">,
  ];
  // The layouts it creates are ternary attributes, even in a module that
  // holds no ternary op yet.
  let dependentDialects = ["::trilm::ternary::TernaryDialect"];
}

#endif // TRILM_DIALECT_TERNARY_TRANSFORMS_PASSES_TD
