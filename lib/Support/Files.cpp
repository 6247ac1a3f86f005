//===- Files.cpp - Opening input files safely -----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Support/Files.h"

#include "llvm/Support/FileSystem.h"

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
trilm::mapRegularFile(llvm::StringRef path) {
  auto failure = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  llvm::sys::fs::file_status status;
  if (std::error_code error = llvm::sys::fs::status(path, status))
    return failure(path + ": cannot read: " + error.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return failure(path + ": not a regular file");
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false,
                                  /*IsVolatile=*/false);
  if (!buffer)
    return failure(path + ": cannot read: " + buffer.getError().message());
  return std::move(*buffer);
}
