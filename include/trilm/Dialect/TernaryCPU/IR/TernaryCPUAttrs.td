//===- TernaryCPUAttrs.td - CPU kernel attributes ----------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD
#define TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD

include "trilm/Dialect/TernaryCPU/IR/TernaryCPUDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// int8 dot-product instruction families
//===----------------------------------------------------------------------===//

def TernaryCPU_Int8DotGeneric : I32EnumAttrCase<"generic", 0>;
def TernaryCPU_Int8DotAVX512VNNI : I32EnumAttrCase<"avx512_vnni", 1>;
def TernaryCPU_Int8DotAVXVNNI : I32EnumAttrCase<"avx_vnni", 2>;
def TernaryCPU_Int8DotNeonDotProd : I32EnumAttrCase<"neon_dotprod", 3>;
def TernaryCPU_Int8DotKind : I32EnumAttr<"Int8DotKind",
    "int8 dot-product instructions a kernel is built around",
    [TernaryCPU_Int8DotGeneric, TernaryCPU_Int8DotAVX512VNNI, TernaryCPU_Int8DotAVXVNNI,
     TernaryCPU_Int8DotNeonDotProd]> {
  let cppNamespace = "::trilm::ternary_cpu";
  let genSpecializedAttr = 0;
}

def TernaryCPU_Int8DotKindAttr
    : EnumAttr<TernaryCPU_Dialect, TernaryCPU_Int8DotKind, "int8_dot">;

#endif // TRILM_DIALECT_TERNARYCPU_IR_TERNARYCPUATTRS_TD
