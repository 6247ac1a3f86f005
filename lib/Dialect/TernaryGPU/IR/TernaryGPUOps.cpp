//===- TernaryGPUOps.cpp - GPU kernel operations --------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/TernaryGPU/IR/TernaryGPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using trilm::ternary::PackedType;
using trilm::ternary::PackingScheme;
using namespace trilm::ternary_gpu;

#define GET_OP_CLASSES
#include "trilm/Dialect/TernaryGPU/IR/TernaryGPUOps.cpp.inc"

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// True when `actual` (a static or dynamic size) can be `expected`.
static bool sizeMatches(int64_t actual, int64_t expected) {
  return ShapedType::isDynamic(actual) || ShapedType::isDynamic(expected) ||
         actual == expected;
}

LogicalResult MatmulOp::verify() {
  auto operands = {getInput(), getStorage(), getScales(), getInit()};
  bool tensors = isa<RankedTensorType>(getInit().getType());
  for (Value operand : operands)
    if (isa<RankedTensorType>(operand.getType()) != tensors)
      return emitOpError("operands must be all tensors or all memrefs");
  if (tensors != (getNumResults() == 1))
    return emitOpError(tensors ? "on tensors, the op returns one tensor"
                               : "on memrefs, the op returns nothing");
  if (tensors && getResult().front().getType() != getInit().getType())
    return emitOpError("result type must be the type of init");

  PackedType packed = getPackedType();
  if (packed.getLayout())
    return emitOpError("GPU kernels read row-major weights, got ") << packed;
  int64_t rows = packed.getRows(), cols = packed.getCols();
  if (getConfig().hasPromptKernel() &&
      packed.getScheme() != PackingScheme::tq2)
    return emitOpError("the prompt kernel reads 2-bit (tq2) weights; ")
           << packed << " takes a configuration without prompt_rows";

  auto input = cast<ShapedType>(getInput().getType());
  if (input.getRank() != 2 || !input.getElementType().isF16() ||
      input.getDimSize(1) != cols)
    return emitOpError("input must be M x ")
           << cols << " f16 activations, got " << input;
  auto init = cast<ShapedType>(getInit().getType());
  if (init.getRank() != 2 || !init.getElementType().isF32() ||
      init.getDimSize(1) != rows ||
      !sizeMatches(init.getDimSize(0), input.getDimSize(0)))
    return emitOpError("init must be M x ")
           << rows << " f32 with the input's M, got " << init;

  auto storage = cast<ShapedType>(getStorage().getType());
  RankedTensorType expectedStorage = packed.getStorageType();
  if (storage.getShape() != expectedStorage.getShape() ||
      storage.getElementType() != expectedStorage.getElementType())
    return emitOpError("storage must have the shape and type of ")
           << expectedStorage << ", got " << storage;

  auto scales = cast<ShapedType>(getScales().getType());
  if (!isa<Float32Type, Float16Type, BFloat16Type>(scales.getElementType()))
    return emitOpError("scales must be f32, f16 or bf16, got ")
           << scales.getElementType();
  return verifyScales(*this, getGroups(),
                      RankedTensorType::get(scales.getShape(),
                                            scales.getElementType()),
                      rows, cols);
}

void MatmulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  if (!hasPureBufferSemantics())
    return;
  for (OpOperand *operand : getDpsInputOperands())
    effects.emplace_back(MemoryEffects::Read::get(), operand,
                         SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), &getInitMutable(),
                       SideEffects::DefaultResource::get());
}
