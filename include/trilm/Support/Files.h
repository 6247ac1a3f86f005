//===- Files.h - Opening input files safely ---------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_SUPPORT_FILES_H
#define TRILM_SUPPORT_FILES_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace trilm {

/// Maps `path` for reading (read-only, not necessarily NUL-terminated).
/// Only a regular file (or a link to one) is opened, so that a FIFO cannot
/// block the reader and a device such as /dev/zero cannot grow it without
/// end. Errors are one line starting with the path.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
mapRegularFile(llvm::StringRef path);

} // namespace trilm

#endif // TRILM_SUPPORT_FILES_H
