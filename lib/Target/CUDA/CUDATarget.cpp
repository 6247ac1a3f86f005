//===- CUDATarget.cpp - Chips and toolkit of the CUDA target --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CUDA/CUDATarget.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>

namespace {

/// The chips trilm's kernels are built for, with the oldest PTX version (times
/// ten) that knows each.
struct Chip {
  llvm::StringLiteral name;
  int64_t minimumPTX;
  /// Streaming multiprocessors of the chip's largest data-center part (A100,
  /// A40, L40S, H100/H200).
  int64_t multiprocessors;
};
constexpr Chip kChips[] = {{"sm_80", 70, 108},
                           {"sm_86", 71, 84},
                           {"sm_89", 78, 142},
                           {"sm_90", 78, 132}};

const Chip *findChip(llvm::StringRef name) {
  const Chip *chip = llvm::find_if(
      kChips, [&](const Chip &known) { return known.name == name; });
  return chip == std::end(kChips) ? nullptr : chip;
}

llvm::Error targetError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

llvm::Expected<llvm::SmallVector<llvm::StringRef>>
trilm::cuda::parseChips(llvm::StringRef chips, int64_t ptxVersion) {
  llvm::SmallVector<llvm::StringRef> names;
  llvm::SplitString(chips, names, ",");
  if (names.empty())
    return targetError("name at least one chip (sm_80, sm_86, sm_89, sm_90)");
  llvm::StringSet<> seen;
  for (llvm::StringRef &name : names) {
    name = name.trim();
    const Chip *chip = findChip(name);
    if (!chip)
      return targetError("unsupported chip '" + name +
                     "': the GPU kernels are built for sm_80, sm_86, sm_89 "
                     "and sm_90");
    if (!seen.insert(name).second)
      return targetError("chip '" + name + "' is named twice");
    if (ptxVersion < chip->minimumPTX)
      return targetError(llvm::formatv(
          "PTX {0}.{1} cannot target {2}: it needs PTX {3}.{4} or newer",
          ptxVersion / 10, ptxVersion % 10, name, chip->minimumPTX / 10,
          chip->minimumPTX % 10));
  }
  return names;
}

std::string trilm::cuda::toolkitPath(llvm::StringRef toolkit) {
  if (!toolkit.empty())
    return toolkit.str();
  if (const char *root = std::getenv("CUDA_ROOT"))
    return root;
  return "/usr/local/cuda";
}

int64_t trilm::cuda::mostMultiprocessors(
    llvm::ArrayRef<llvm::StringRef> chips) {
  int64_t most = 0;
  for (llvm::StringRef name : chips)
    if (const Chip *chip = findChip(name))
      most = std::max(most, chip->multiprocessors);
  return most;
}
