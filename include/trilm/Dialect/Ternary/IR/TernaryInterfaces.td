//===- TernaryInterfaces.td - Ternary attribute interfaces -*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Interfaces through which target dialects plug into the ternary dialect:
// weight layouts and kernel configurations.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARYINTERFACES_TD
#define TRILM_DIALECT_TERNARY_IR_TERNARYINTERFACES_TD

include "mlir/IR/Interfaces.td"

//===----------------------------------------------------------------------===//
// Layout interface
//===----------------------------------------------------------------------===//

def Ternary_PackedLayoutAttrInterface : AttrInterface<"PackedLayoutAttrInterface"> {
  let cppNamespace = "::trilm::ternary";
  let description = [{
    A target-specific arrangement of the packed blocks of a `!ternary.packed`
    value (the default, without a layout, is row-major: the blocks of row 0,
    then those of row 1, ...). Lowerings that do not understand a layout must
    reject it with a diagnostic.
  }];
  let methods = [
    InterfaceMethod<"Checks that the layout can hold a rows x cols matrix.",
      "::llvm::LogicalResult", "verifyLayout",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "int64_t":$rows, "int64_t":$cols)>,
    InterfaceMethod<[{
        Returns the shape of the i8 tensor holding the bytes, given the number
        of rows and the packed bytes per row.
      }],
      "::llvm::SmallVector<int64_t, 2>", "getStorageShape",
      (ins "int64_t":$rows, "int64_t":$rowBytes)>,
    InterfaceMethod<[{
        Returns the position in the storage tensor of the first byte of
        block `block` of row `row`, where `blockBytes` is the size of one
        block of codes.
      }],
      "std::pair<int64_t, int64_t>", "getBlockPosition",
      (ins "int64_t":$row, "int64_t":$block, "int64_t":$blockBytes,
           "int64_t":$rowBytes)>,
  ];
}

def Ternary_KernelConfigAttrInterface
    : AttrInterface<"KernelConfigAttrInterface"> {
  let cppNamespace = "::trilm::ternary";
  let description = [{
    The kernel a target's strategy chose for a `ternary.matmul` (tiles,
    threads, instructions), recorded on the op as its `kernel_config` so
    that every later pass reads the one decision. Target-independent passes
    see only what this interface exposes: the layout the weights should be
    stored in, which `ternary-relayout-weights` applies and which importers
    write.
  }];
  let methods = [
    InterfaceMethod<[{
        The layout the kernel streams the weights best in, or null for
        row-major.
      }],
      "::trilm::ternary::PackedLayoutAttrInterface", "getWeightLayout">,
  ];
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYINTERFACES_TD
