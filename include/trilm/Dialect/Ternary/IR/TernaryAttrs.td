//===- TernaryAttrs.td - Ternary attributes and enums ------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_DIALECT_TERNARY_IR_TERNARYATTRS_TD
#define TRILM_DIALECT_TERNARY_IR_TERNARYATTRS_TD

include "trilm/Dialect/Ternary/IR/TernaryDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "trilm/Dialect/Ternary/IR/TernaryInterfaces.td"

//===----------------------------------------------------------------------===//
// Packing schemes
//===----------------------------------------------------------------------===//

def Ternary_PackingTQ2 : I32EnumAttrCase<"tq2", 0>;
def Ternary_PackingTQ1 : I32EnumAttrCase<"tq1", 1>;
def Ternary_PackingScheme : I32EnumAttr<"PackingScheme",
    "bit layout of packed trits",
    [Ternary_PackingTQ2, Ternary_PackingTQ1]> {
  let cppNamespace = "::trilm::ternary";
  let genSpecializedAttr = 0;
}
def Ternary_PackingSchemeAttr
    : EnumAttr<Ternary_Dialect, Ternary_PackingScheme, "packing"> {
  let assemblyFormat = "$value";
}

class Ternary_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Ternary_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Ternary_RowInterleaveAttr : Ternary_Attr<"RowInterleave", "row_interleave",
    [DeclareAttrInterfaceMethods<Ternary_PackedLayoutAttrInterface>]> {
  let summary = "blocks of `rows` consecutive weight rows interleaved";
  let description = [{
    Rows are grouped `rows` at a time; within a group the packed blocks are
    stored block-major: block 0 of every row of the group, then block 1 of
    every row, and so on. One contiguous load then feeds `rows` output rows,
    which is what a memory-bound GEMV wants. `rows` must be a power of two
    between 2 and 64 that divides the number of weight rows.

    Example: `#ternary.row_interleave<4>`
  }];
  let parameters = (ins "int64_t":$rows);
  let assemblyFormat = "`<` $rows `>`";
  let genVerifyDecl = 1;
}

def Ternary_TritTriplesAttr : Ternary_Attr<"TritTriples", "trit_triples",
    [DeclareAttrInterfaceMethods<Ternary_PackedLayoutAttrInterface>]> {
  let summary = "1.6-bit weights as indices of trit triples, for lookup tables";
  let description = [{
    A `tq1` matrix re-encoded for kernels that look up, per 3 positions of
    K, a table of the 27 sums of the activations there: every 3 trits of a
    row (each 256-trit block padded to 87 triples) become one index below
    27, three consecutive ones in the 5-bit fields of a 16-bit word, stored
    for 32 rows at a time as one 64-byte vector of words (the exact bytes
    are in `Packing.h`). It takes 1.81 bits per weight instead of 1.625,
    and one shift and one 16-bit table lookup decode each triple. The rows
    must be a multiple of 32. The storage is [rows / 32, blocks * 1856].

    Example: `!ternary.packed<128x1024, tq1, #ternary.trit_triples>`
  }];
}

//===----------------------------------------------------------------------===//
// Scale groups
//===----------------------------------------------------------------------===//

def Ternary_ScaleGroupsAttr : Ternary_Attr<"ScaleGroups", "scale_groups"> {
  let summary = "how the scales of a ternary weight matrix are grouped";
  let description = [{
    Partitions an N x K weight matrix (N output rows, K the reduction
    dimension) into a grid of rectangular groups that each share one scale.
    Each axis is either not split, split at explicit positions, or cut into
    fixed-size blocks (the last block may be short). The scales tensor of an
    op using the groups has shape [groups along N, groups along K].

    - `#ternary.scale_groups<tensor>`: one scale for the whole matrix.
    - `#ternary.scale_groups<n = [448]>`: rows [0, 448) and [448, N), as
      TriLM column-parallel shards (q, k, v, gate, up).
    - `#ternary.scale_groups<k = [1536, 3072]>`: three ranges of K, as TriLM
      row-parallel shards (o, down).
    - `#ternary.scale_groups<n = block 1, k = block 256>`: one scale per row
      and 256-block, as GGUF TQ1_0/TQ2_0.

    Split positions need not be multiples of the packing block size.
  }];
  let parameters = (ins
    OptionalArrayRefParameter<"int64_t">:$rowSplits,
    DefaultValuedParameter<"int64_t", "0">:$rowBlock,
    OptionalArrayRefParameter<"int64_t">:$colSplits,
    DefaultValuedParameter<"int64_t", "0">:$colBlock);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The most groups along one axis: a scale per row of any layer and per
    /// 256-block of any K, and few enough to enumerate.
    static constexpr int64_t kMaxScaleGroups = int64_t(1) << 20;
    /// Returns the attribute with one scale for the whole matrix.
    static ScaleGroupsAttr getPerTensor(::mlir::MLIRContext *context);
    /// Number of groups along N for `rows` rows.
    int64_t getNumRowGroups(int64_t rows) const;
    /// Number of groups along K for `cols` columns.
    int64_t getNumColGroups(int64_t cols) const;
    /// Group boundaries along N: first row of each group, then `rows`.
    ::llvm::SmallVector<int64_t> getRowBounds(int64_t rows) const;
    /// Group boundaries along K: first column of each group, then `cols`.
    ::llvm::SmallVector<int64_t> getColBounds(int64_t cols) const;
    /// Checks that the groups fit a rows x cols matrix, at most
    /// kMaxScaleGroups along each axis.
    ::llvm::LogicalResult verifyShape(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        int64_t rows, int64_t cols) const;
  }];
}

#endif // TRILM_DIALECT_TERNARY_IR_TERNARYATTRS_TD
