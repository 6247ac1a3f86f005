//===- KernelBuilders.h - The matmul kernels' shared pieces -----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_CONVERSION_TERNARYTOGPU_KERNELBUILDERS_H
#define TRILM_LIB_CONVERSION_TERNARYTOGPU_KERNELBUILDERS_H

#include "trilm/Conversion/TernaryToGPU/TernaryToGPU.h"
#include "trilm/Packing/Packing.h"

namespace trilm::ternary_gpu {

/// Trits and TQ2 bytes of one block of a weight row.
inline constexpr int64_t kBlock = packing::kBlockSize;
inline constexpr int64_t kBlockBytes = packing::kTQ2CodeBytes;

/// The two f16 trits of bytes 0 and 2 of `word` at `shift`: the mask and
/// magic number of FragmentMaps.h, then one f16x2 fma.
mlir::Value decodeTritPair(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value word, int64_t shift);

/// The lanes i < `width` whose K position `position` + i lies in [lo, hi).
mlir::Value laneMask(mlir::OpBuilder &b, mlir::Location loc, int64_t width,
                     mlir::Value position, mlir::Value lo, mlir::Value hi);

/// The 32-bit word at `indices` (4-byte aligned) of the i8 buffer `bytes`.
mlir::Value loadWord(mlir::OpBuilder &b, mlir::Location loc, mlir::Value bytes,
                     mlir::ValueRange indices);

/// prmt.b32 in its default mode: byte i of the result is byte
/// (selector >> 4i) & 7 of {lo, hi}.
mlir::Value permuteBytes(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value lo, mlir::Value hi, mlir::Value selector);

/// A vector constant of `value` in the element type of `type`.
mlir::Value splatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::VectorType type, float value);

/// K groups the prompt kernel tells apart when they cut blocks: each is a
/// few comparisons per stage.
inline constexpr int64_t kMaxCutGroups = 16;

/// Whether the prompt kernel can compute a matmul of `packed` weights with
/// K `groups`: 2-bit weights, and few enough K groups when they cut blocks.
bool prefillKernelSupports(ternary::PackedType packed,
                           ternary::ScaleGroupsAttr groups);

/// The prompt kernel of `op`: its threads per block, shared memory it
/// declares, and its body built into `func` (arguments x, w, scales, y).
int64_t prefillThreads();
void buildPrefillKernel(mlir::OpBuilder &b, MatmulOp op,
                        mlir::gpu::GPUFuncOp func);

} // namespace trilm::ternary_gpu

#endif // TRILM_LIB_CONVERSION_TERNARYTOGPU_KERNELBUILDERS_H
