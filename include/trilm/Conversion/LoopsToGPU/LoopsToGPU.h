//===- LoopsToGPU.h - Host buffers and loops onto the GPU -------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_LOOPSTOGPU_LOOPSTOGPU_H
#define TRILM_CONVERSION_LOOPSTOGPU_LOOPSTOGPU_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace trilm {

#define GEN_PASS_DECL_TRILMGPUDEVICEBUFFERS
#define GEN_PASS_DECL_TRILMGPUMAPLOOPS
#define GEN_PASS_DECL_TRILMGPUMERGEKERNELMODULES
#include "trilm/Conversion/Passes.h.inc"

} // namespace trilm

#endif // TRILM_CONVERSION_LOOPSTOGPU_LOOPSTOGPU_H
