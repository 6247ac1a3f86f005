//===- RowLoops.h - Loops over rows and vector chunks -----------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The row-wise model ops (norms, rotations, activations, residual adds,
// quantisation) all lower to the same shape of code: rows on threads when
// there are many (a prompt), and along each row a loop over 16-lane f32
// vector chunks.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_CONVERSION_LLMTOCPU_ROWLOOPS_H
#define TRILM_LIB_CONVERSION_LLMTOCPU_ROWLOOPS_H

#include "mlir/IR/Builders.h"

namespace trilm::cpu {

/// f32 lanes of a vector chunk (one AVX-512 register).
inline constexpr int64_t kLanes = 16;

/// Calls `body(b, row, rowSlices)` for every row of `outputs` (tensors whose
/// leading dimensions are the rows), giving it the [1 x ...] slice of each
/// output at that row and taking back their new values. The rows run on
/// threads (an scf.forall) when their number is dynamic (a prompt), in
/// order otherwise (decoding: one row, no thread fork).
llvm::SmallVector<mlir::Value> buildRowLoop(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange outputs,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::OpBuilder &, mlir::Value row, mlir::ValueRange rowSlices)>
        body);

/// A loop over columns [0, width) in chunks of kLanes, carrying `inits`:
/// `body(b, column, iterArgs)` returns the new values.
llvm::SmallVector<mlir::Value> buildChunkLoop(
    mlir::OpBuilder &b, mlir::Location loc, int64_t width,
    mlir::ValueRange inits,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::OpBuilder &, mlir::Value column, mlir::ValueRange iterArgs)>
        body);

/// kLanes elements of `source` (rank 1 or 2; `row` indexes the first
/// dimension of rank 2) from `column`, as f32, lanes past the end `padding`.
mlir::Value readChunk(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::Value source, mlir::Value row, mlir::Value column,
                      double padding = 0.0);

/// Writes an f32 chunk into `dest` (rank 1 or 2) at (`row`,) `column`, in
/// `dest`'s element type; lanes past the end are dropped.
mlir::Value writeChunk(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value chunk, mlir::Value dest, mlir::Value row,
                       mlir::Value column);

/// The sum of the lanes of a float vector, in any order (a shuffle tree;
/// the ordered reduction would be one scalar add per lane in sequence).
mlir::Value sumLanes(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::Value vector);

/// An f32 splat of `value` with kLanes lanes.
mlir::Value splatChunk(mlir::OpBuilder &b, mlir::Location loc, double value);

} // namespace trilm::cpu

#endif // TRILM_LIB_CONVERSION_LLMTOCPU_ROWLOOPS_H
