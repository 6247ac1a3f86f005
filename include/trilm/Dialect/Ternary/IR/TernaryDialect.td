//===- TernaryDialect.td - Ternary dialect definition ------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARYDIALECT_TD
#define TRILM_DIALECT_TERNARY_IR_TERNARYDIALECT_TD

include "mlir/IR/OpBase.td"

def Ternary_Dialect : Dialect {
  let name = "ternary";
  let cppNamespace = "::trilm::ternary";
  let summary = "Packed ternary weights and the matmuls that consume them";
  let description = [{
    The `ternary` dialect models the linear layers of ternary language models
    (TriLM, BitNet b1.58): weight matrices whose entries are -1, 0 or +1 times a
    scale. Weights are values of type `!ternary.packed`, which fixes the bit
    layout (2-bit TQ2_0-compatible or 1.6-bit TQ1_0-compatible) and optionally a
    target-specific tiled layout. Scales are ordinary tensors whose shape is
    given by a `#ternary.scale_groups` attribute: one scale per tensor, per
    contiguous range of output rows (N), per contiguous range of the reduction
    dimension (K), or per fixed-size block along either axis.

    Operations are pure and work on tensors, so they compose with upstream
    bufferization, tiling and fusion.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
    void registerTypes();
  }];
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYDIALECT_TD
