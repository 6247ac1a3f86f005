//===- Passes.h - trilm conversion passes -----------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_CONVERSION_PASSES_H
#define TRILM_CONVERSION_PASSES_H

#include "trilm/Conversion/LLMToCPU/LLMToCPU.h"
#include "trilm/Conversion/LLMToLinalg/LLMToLinalg.h"
#include "trilm/Conversion/LoopsToGPU/LoopsToGPU.h"
#include "trilm/Conversion/MemRefCopyToLinalg/MemRefCopyToLinalg.h"
#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"
#include "trilm/Conversion/TernaryToGPU/TernaryToGPU.h"
#include "trilm/Conversion/TernaryToLinalg/TernaryToLinalg.h"

namespace trilm {

#define GEN_PASS_REGISTRATION
#include "trilm/Conversion/Passes.h.inc"

} // namespace trilm

#endif // TRILM_CONVERSION_PASSES_H
