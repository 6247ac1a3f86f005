//===- LLMAttrs.td - Model-level attributes and enums ------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_LLM_IR_LLMATTRS_TD
#define TRILM_DIALECT_LLM_IR_LLMATTRS_TD

include "trilm/Dialect/LLM/IR/LLMDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Rotary position embedding
//===----------------------------------------------------------------------===//

def LLM_RopeRotateHalf : I32EnumAttrCase<"rotate_half", 0>;
def LLM_RopeInterleaved : I32EnumAttrCase<"interleaved", 1>;
def LLM_RopeStyle : I32EnumAttr<"RopeStyle",
    "which elements of a head rotate together",
    [LLM_RopeRotateHalf, LLM_RopeInterleaved]> {
  let cppNamespace = "::trilm::llm";
  let genSpecializedAttr = 0;
}
def LLM_RopeStyleAttr : EnumAttr<LLM_Dialect, LLM_RopeStyle, "rope_style">;

def LLM_RopeScalingLinear : I32EnumAttrCase<"linear", 0>;
def LLM_RopeScalingKind : I32EnumAttr<"RopeScalingKind",
    "how positions are rescaled before rotation",
    [LLM_RopeScalingLinear]> {
  let cppNamespace = "::trilm::llm";
  let genSpecializedAttr = 0;
}

def LLM_RopeScalingAttr : AttrDef<LLM_Dialect, "RopeScaling"> {
  let mnemonic = "rope_scaling";
  let summary = "a rescaling of positions for context extension";
  let description = [{
    `#llm.rope_scaling<linear, 4.0>` divides every position by the factor
    before the rotation angles are computed (position interpolation, as
    transformers' `rope_scaling = {"type": "linear"}`). Other schemes
    (NTK-aware, YaRN, LLaMA 3) are further kinds of this attribute.
  }];
  let parameters = (ins EnumParameter<LLM_RopeScalingKind>:$kind,
                        "::mlir::FloatAttr":$factor);
  let assemblyFormat = "`<` $kind `,` $factor `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Gated MLP activations
//===----------------------------------------------------------------------===//

def LLM_ActivationSiLU : I32EnumAttrCase<"silu", 0>;
def LLM_ActivationReLU2 : I32EnumAttrCase<"relu2", 1>;
def LLM_ActivationFunction : I32EnumAttr<"ActivationFunction",
    "the function applied to the gate of a gated MLP",
    [LLM_ActivationSiLU, LLM_ActivationReLU2]> {
  let cppNamespace = "::trilm::llm";
  let genSpecializedAttr = 0;
}
def LLM_ActivationFunctionAttr
    : EnumAttr<LLM_Dialect, LLM_ActivationFunction, "activation">;

#endif // TRILM_DIALECT_LLM_IR_LLMATTRS_TD
