//===- Link.h - Temporary objects and the system linker ---------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_COMPILER_LINK_H
#define TRILM_LIB_COMPILER_LINK_H

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <string>
#include <vector>

namespace trilm {

/// A temporary file, removed when this goes away.
class TemporaryFile {
public:
  static llvm::Expected<TemporaryFile> create(llvm::StringRef prefix,
                                              llvm::StringRef suffix);
  TemporaryFile(TemporaryFile &&other);
  ~TemporaryFile();

  llvm::StringRef getPath() const { return path; }
  llvm::raw_fd_ostream &os() { return *stream; }

private:
  TemporaryFile() = default;
  llvm::SmallString<128> path;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
};

enum class LinkKind { Relocatable, SharedLibrary, Executable };

/// Links `objects` into `output` with the compiler driver for `triple`
/// (`linker`, or one found on PATH): one relocatable object, a shared
/// library, or a program, which also gets the runtime and its main, compiled
/// from the C sources installed with trilm (share/trilm/runtime) so that
/// any target with a C compiler gets them.
/// Links `objects` into `output`; `openmp`: with libomp; `cuda`: with the
/// GPU runtime (libtrilm_cuda_runtime.a) that code compiled for CUDA calls.
llvm::Error link(const std::vector<std::string> &objects,
                 llvm::StringRef output, const llvm::Triple &triple,
                 LinkKind kind, bool openmp, bool cuda,
                 llvm::StringRef linker);

} // namespace trilm

#endif // TRILM_LIB_COMPILER_LINK_H
