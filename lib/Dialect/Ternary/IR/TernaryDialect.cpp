//===- TernaryDialect.cpp - Ternary dialect -------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/Ternary/IR/Ternary.h"

using namespace mlir;
using namespace trilm::ternary;

#include "trilm/Dialect/Ternary/IR/TernaryOpsDialect.cpp.inc"

void TernaryDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "trilm/Dialect/Ternary/IR/TernaryOps.cpp.inc"
      >();
}

Operation *TernaryDialect::materializeConstant(OpBuilder &builder,
                                               Attribute value, Type type,
                                               Location loc) {
  auto packedType = dyn_cast<PackedType>(type);
  auto bytes = dyn_cast<ElementsAttr>(value);
  if (!packedType || !bytes || bytes.getType() != packedType.getStorageType())
    return nullptr;
  return ConstantOp::create(builder, loc, packedType, bytes);
}

trilm::packing::Scheme trilm::ternary::toPackingScheme(PackingScheme scheme) {
  switch (scheme) {
  case PackingScheme::tq2:
    return packing::Scheme::TQ2;
  case PackingScheme::tq1:
    return packing::Scheme::TQ1;
  }
  llvm_unreachable("unknown packing scheme");
}
