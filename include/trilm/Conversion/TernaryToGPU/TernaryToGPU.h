//===- TernaryToGPU.h - GPU kernels of ternary ops --------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_TERNARYTOGPU_TERNARYTOGPU_H
#define TRILM_CONVERSION_TERNARYTOGPU_TERNARYTOGPU_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPU.h"

namespace trilm {

#define GEN_PASS_DECL_CONVERTTERNARYTOGPU
#define GEN_PASS_DECL_TERNARYGPUGENERATEKERNELS
#include "trilm/Conversion/Passes.h.inc"

namespace ternary_gpu {
/// Weight rows a thread block of the matmul kernels computes (the M side of
/// an m16n8k16 product).
inline constexpr int64_t kTileRows = 16;
/// Activation rows a thread block computes (the N side of the product).
inline constexpr int64_t kTileActRows = 8;
} // namespace ternary_gpu

} // namespace trilm

#endif // TRILM_CONVERSION_TERNARYTOGPU_TERNARYTOGPU_H
