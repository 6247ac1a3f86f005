//===- CUDATarget.h - Chips and toolkit of the CUDA target -----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CUDA_CUDATARGET_H
#define TRILM_TARGET_CUDA_CUDATARGET_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace trilm::cuda {

/// The chips of a comma-separated list (sm_80, sm_86, sm_89, sm_90: those
/// with mma.sync m16n8k16 and cp.async), in order, checked against the PTX
/// version (times ten); an unknown or repeated chip, or one that PTX version
/// cannot target, is an error naming it.
llvm::Expected<llvm::SmallVector<llvm::StringRef>>
parseChips(llvm::StringRef chips, int64_t ptxVersion);

/// The most streaming multiprocessors of the known chips in `chips` (their
/// largest data-center parts), 0 if none is known.
int64_t mostMultiprocessors(llvm::ArrayRef<llvm::StringRef> chips);

/// The CUDA toolkit whose ptxas, fatbinary and libdevice the GPU pipeline
/// uses: `toolkit` if given, else $CUDA_ROOT, else /usr/local/cuda.
std::string toolkitPath(llvm::StringRef toolkit);

} // namespace trilm::cuda

#endif // TRILM_TARGET_CUDA_CUDATARGET_H
