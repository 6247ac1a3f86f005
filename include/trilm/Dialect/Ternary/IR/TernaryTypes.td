//===- TernaryTypes.td - Ternary types ---------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARYTYPES_TD
#define TRILM_DIALECT_TERNARY_IR_TERNARYTYPES_TD

include "trilm/Dialect/Ternary/IR/TernaryAttrs.td"

class Ternary_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Ternary_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Ternary_PackedType : Ternary_Type<"Packed", "packed"> {
  let summary = "a packed ternary weight matrix";
  let description = [{
    An N x K matrix of trits (N output rows, K the reduction dimension), packed
    256 trits to a block:

    - `tq2`: 2 bits per trit, 64 bytes per block, bit-compatible with the codes
      of llama.cpp's TQ2_0 blocks;
    - `tq1`: 5 trits per byte in base 3, 52 bytes per block, bit-compatible with
      the codes (qs then qh) of TQ1_0 blocks.

    Each row is padded with zero trits to a multiple of 256; scales are not part
    of the packed value (see `#ternary.scale_groups`). The bytes live in an
    `i8` tensor whose shape is the storage shape: [N, packed bytes per row]
    without a layout, or as the optional layout attribute says.

    Examples: `!ternary.packed<3072x9216, tq2>`,
    `!ternary.packed<512x1280, tq1, #ternary.row_interleave<4>>`
  }];
  let parameters = (ins
    "int64_t":$rows,
    "int64_t":$cols,
    "::trilm::ternary::PackingScheme":$scheme,
    OptionalParameter<"::trilm::ternary::PackedLayoutAttrInterface">:$layout);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilder<(ins "int64_t":$rows, "int64_t":$cols,
                     "::trilm::ternary::PackingScheme":$scheme), [{
      return $_get($_ctxt, rows, cols, scheme, PackedLayoutAttrInterface());
    }]>
  ];
  let extraClassDeclaration = [{
    /// Packed bytes per row (whole blocks).
    int64_t getRowBytes() const;
    /// The i8 tensor type holding the packed bytes.
    ::mlir::RankedTensorType getStorageType() const;
    /// Position in the storage tensor of the first byte of block `block` of
    /// row `row`.
    std::pair<int64_t, int64_t> getBlockPosition(int64_t row,
                                                 int64_t block) const;
    /// Packs row-major `trits` (rows x cols) into `storage`, which has as many
    /// bytes as the storage type. Fails on a trit outside {-1, 0, +1}.
    ::trilm::packing::Status pack(::llvm::ArrayRef<int8_t> trits,
                                  ::llvm::MutableArrayRef<uint8_t> storage) const;
    /// Unpacks `storage` into row-major trits. Fails on an invalid code.
    ::trilm::packing::Status unpack(::llvm::ArrayRef<uint8_t> storage,
                                    ::llvm::MutableArrayRef<int8_t> trits) const;
  }];
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYTYPES_TD
