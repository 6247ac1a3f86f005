//===- LLMDialect.td - Model-level dialect definition ------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_LLM_IR_LLMDIALECT_TD
#define TRILM_DIALECT_LLM_IR_LLMDIALECT_TD

include "mlir/IR/OpBase.td"

def LLM_Dialect : Dialect {
  let name = "llm";
  let cppNamespace = "::trilm::llm";
  let summary = "Model-level operations of decoder-only language models";
  let description = [{
    The `llm` dialect is the level every frontend imports into and every
    target lowers from: the parts of a transformer decoder that are not
    linear layers (embedding lookup, RMSNorm, rotary position embedding,
    causal attention over a KV cache, the gated MLP activation, the output
    projection), the model's weights as typed views of one weights buffer,
    and the stack of decoder layers. Linear layers are `ternary.matmul`s;
    residual adds are upstream element-wise ops on tensors.

    Operations work on tensors and say what is computed, never how: no loops,
    tiles, threads or memory layouts. A reference lowering to linalg
    (`convert-llm-to-linalg`) defines their semantics and is the oracle the
    target lowerings are tested against.
  }];
  // The canonicalisation of llm.lm_head slices its input.
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
  ];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

#endif // TRILM_DIALECT_LLM_IR_LLMDIALECT_TD
