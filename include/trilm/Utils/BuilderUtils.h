//===- BuilderUtils.h - Helpers shared by trilm's lowerings -----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_UTILS_BUILDERUTILS_H
#define TRILM_UTILS_BUILDERUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace trilm {

/// Builds index and i32 arithmetic at one location, for the index maths of
/// lowerings.
struct IndexArith {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::Value index(int64_t value) const;
  mlir::Value i32(int64_t value) const;
  mlir::Value add(mlir::Value x, mlir::Value y) const;
  mlir::Value sub(mlir::Value x, mlir::Value y) const;
  mlir::Value mul(mlir::Value x, mlir::Value y) const;
  mlir::Value div(mlir::Value x, mlir::Value y) const;
  mlir::Value rem(mlir::Value x, mlir::Value y) const;
  mlir::Value min(mlir::Value x, mlir::Value y) const;
  /// Unsigned less-than.
  mlir::Value lt(mlir::Value x, mlir::Value y) const;
  mlir::Value eq(mlir::Value x, mlir::Value y) const;
  mlir::Value select(mlir::Value cond, mlir::Value x, mlir::Value y) const;
  mlir::Value toI32(mlir::Value indexValue) const;
  /// Index of the scale group holding `position` along an axis split at
  /// `splits` or cut into blocks of `block` (when `block` > 0).
  mlir::Value groupOf(mlir::Value position, llvm::ArrayRef<int64_t> splits,
                      int64_t block) const;
};

/// Extends a float of any width to f32 (a no-op for f32).
mlir::Value extendToF32(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value);

/// Truncates an f32 scalar or vector to `type` (a no-op for f32).
mlir::Value truncateFromF32(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value value, mlir::Type type);

/// A tensor.empty of shape [dim 0 of `like`, trailing...], where dim 0 may be
/// dynamic.
mlir::Value createEmptyLikeRows(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value like,
                               llvm::ArrayRef<int64_t> trailing,
                               mlir::Type elementType);

/// `empty` filled with zero of its element type.
mlir::Value createZeroFilled(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value empty);

/// The map (d0, ..., d{dims-1}) -> (d{results[0]}, ...).
mlir::AffineMap projection(mlir::MLIRContext *context, unsigned dims,
                           llvm::ArrayRef<unsigned> results);

/// A linalg.generic with one result, `init`, whose body yields
/// `body(builder, loc, block arguments)`.
mlir::Value buildGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value init,
    mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> maps,
    llvm::ArrayRef<mlir::utils::IteratorType> iterators,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);

} // namespace trilm

#endif // TRILM_UTILS_BUILDERUTILS_H
