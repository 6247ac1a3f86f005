//===- BlockDecoding.h - Packed blocks in the CPU kernels -------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// What the register-tile and panel kernels share: K scale groups as runs of
// whole blocks, and the decoding of one packed block into vectors of codes.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_LIB_CONVERSION_TERNARYTOCPU_BLOCKDECODING_H
#define TRILM_LIB_CONVERSION_TERNARYTOCPU_BLOCKDECODING_H

#include "trilm/Conversion/TernaryToCPU/TernaryToCPU.h"
#include "trilm/Dialect/Ternary/Utils/LoweringUtils.h"

#include <optional>
#include <tuple>

namespace trilm::cpu_kernels {

using mlir::ArrayRef;
using mlir::Location;
using mlir::OpBuilder;
using mlir::SmallVector;
using mlir::Value;
using mlir::ValueRange;
using mlir::VectorType;
using ternary::PackingScheme;
using ternary::ScaleGroupsAttr;

inline constexpr int64_t kBlock = packing::kBlockSize;

/// One K scale group, widened to whole blocks.
struct Segment {
  int64_t weightBlock; // first packed block of the group
  int64_t bufferBlock; // first block of the group in the activation buffer
  int64_t numBlocks;
  int64_t lo, hi; // the group's columns [lo, hi)
};

/// The K scale groups of `groups` over `cols` columns, in order.
SmallVector<Segment> buildSegments(ScaleGroupsAttr groups, int64_t cols);

/// A run of codes decoded from a packed block. `activationOffset` is where
/// the matching activations start in the reordered block.
struct DecodedChunk {
  /// vector<L x i8>: codes 0..2 (trit + 1) times 2^shift, or in the carry
  /// form the packed bytes times 3^m modulo 256.
  Value codes;
  int64_t activationOffset;
  int64_t shift = 0;
  /// The accumulator chain the chunk's products go to; by default its index
  /// among the block's chunks.
  std::optional<int64_t> chain = std::nullopt;
};

/// How `decodeBlock` turns packed bytes into vectors for the dot products.
enum class DecodeForm {
  /// Codes 0..2, one chunk per field or base-3 digit.
  codes,
  /// 2-bit fields masked in place: chunk l holds 4^l times the codes.
  inPlace,
  /// Base-3 bytes as their running products by 3 (see kCarryChains in
  /// TernaryToCPU.cpp).
  carry,
};

/// A constant 1-D index tensor, looked up with tensor.extract in loops.
Value indexTable(OpBuilder &b, Location loc, ArrayRef<int64_t> values);

/// Splats an integer constant to `type`.
Value splat(OpBuilder &b, Location loc, VectorType type, int64_t value);

/// Decodes one packed block (its bytes start at `position` of `storage`) into
/// chunks of codes. In the in-place form, 2-bit fields are only masked, not
/// shifted down: chunk l holds 4^l times the codes, which an unsigned dot
/// product accumulates exactly; the caller divides each chunk's accumulator
/// by 4^l (one shift per group instead of one per block). The carry form
/// (1.6-bit only) is described at kCarryChains in TernaryToCPU.cpp.
SmallVector<DecodedChunk> decodeBlock(OpBuilder &b, Location loc,
                                      PackingScheme scheme, Value storage,
                                      ValueRange position, DecodeForm form);

/// Lengths of the chunks `decodeBlock` produces, in order.
SmallVector<int64_t> chunkLengths(PackingScheme scheme);

/// Whether the kernels read `type`'s storage in place: row-major or
/// row-interleaved weights (other layouts take the reference lowering).
bool isReadInPlace(ternary::PackedType type);

/// Where the packed bytes of block `block` of weight row `row` start in the
/// weights' storage ([storage row, byte]), for row-major weights or rows
/// interleaved by `interleave`.
SmallVector<Value> packedBlockPosition(OpBuilder &b, Location loc,
                                       ternary::RowInterleaveAttr interleave,
                                       int64_t blockBytes, Value row,
                                       Value block);

/// Index tables of `segments` for a loop over them: each segment's first
/// weight block, first prepared block and number of blocks.
std::tuple<Value, Value, Value> segmentTables(OpBuilder &b, Location loc,
                                              ArrayRef<Segment> segments);

/// Copies `source` into the part of `dest` at `offsets` with linalg.copy on
/// a slice, which bufferizes to loops in place (no run-time copy call).
Value copyIntoSlice(OpBuilder &b, Location loc, Value source, Value dest,
                    ArrayRef<mlir::OpFoldResult> offsets);

/// Activations `input` ([M, K], any float or i8) gathered into prepared
/// blocks of `positionsPerBlock` positions, each K group of `segments` its
/// own run of blocks: position p of a block holds element `elementOf(p)` of
/// the weight block (zero where that is 256 or more, or outside the group).
/// i8 stays i8, floats become f32.
Value gatherPrepared(
    OpBuilder &b, Location loc, Value input, ArrayRef<Segment> segments,
    int64_t positionsPerBlock,
    llvm::function_ref<Value(const IndexArith &, Value)> elementOf);

/// Adds the lowering of `ternary_cpu.panel_matmul` (PanelMatmul.cpp).
void populatePanelMatmulLowering(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);

/// The panel of a ternary_cpu.panel_matmul whose weights (storage
/// `weights`) are trit triples: [prepared blocks * 65, 256] i8, quad q of
/// block b at row 65 b + q holding the codes of K positions 4q .. 4q + 3 of
/// the group's 64 rows, 16 rows per 64 bytes in row order
/// (TableMatmul.cpp).
Value decodeTriplePanel(OpBuilder &b, Location loc,
                        ternary_cpu::PanelMatmulOp op, Value weights);

/// Adds the lowerings of ternary_cpu.prepare_tables and
/// ternary_cpu.table_matmul (TableMatmul.cpp).
void populateTableMatmulLowering(mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);

} // namespace trilm::cpu_kernels

#endif // TRILM_LIB_CONVERSION_TERNARYTOCPU_BLOCKDECODING_H
