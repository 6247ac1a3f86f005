//===- ResourceUtils.h - Reading dense_resource blobs safely ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Header-only, so that dialect libraries use it without TrilmUtils' linalg.
// A dense_resource attribute's blob is parsed independently of its type, so
// a blob may be shorter (or longer) than the tensor it claims to hold. Every
// read of a blob in trilm goes through these helpers, which check its size.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_UTILS_RESOURCEUTILS_H
#define TRILM_UTILS_RESOURCEUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <optional>

namespace trilm {

/// Fails, with a diagnostic from `emitError`, when the loaded blob of `attr`
/// does not hold exactly the bytes of its type. An unloaded blob (elided
/// from the IR) is not an error: nothing reads it.
inline mlir::LogicalResult verifyResourceSize(
    mlir::DenseResourceElementsAttr attr,
    llvm::function_ref<mlir::InFlightDiagnostic()> emitError) {
  mlir::AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return mlir::success();
  mlir::ShapedType type = attr.getType();
  int64_t bytes = type.getNumElements() *
                  llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  if (static_cast<int64_t>(blob->getData().size()) == bytes)
    return mlir::success();
  return emitError() << "resource blob '" << attr.getRawHandle().getKey()
                     << "' holds " << blob->getData().size() << " bytes but "
                     << type << " needs " << bytes;
}

/// The elements of `attr`, when its blob is loaded and holds exactly the
/// elements of its type.
template <typename T>
std::optional<llvm::ArrayRef<T>>
getResourceElements(mlir::detail::DenseResourceElementsAttrBase<T> attr) {
  std::optional<llvm::ArrayRef<T>> data = attr.tryGetAsArrayRef();
  if (!data || static_cast<int64_t>(data->size()) !=
                   attr.getType().getNumElements())
    return std::nullopt;
  return data;
}

} // namespace trilm

#endif // TRILM_UTILS_RESOURCEUTILS_H
