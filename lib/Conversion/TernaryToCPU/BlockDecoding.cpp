//===- BlockDecoding.cpp - Packed blocks in the CPU kernels --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "BlockDecoding.h"

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;

namespace trilm::cpu_kernels {

SmallVector<Segment> buildSegments(ScaleGroupsAttr groups, int64_t cols) {
  SmallVector<int64_t> bounds = groups.getColBounds(cols);
  SmallVector<Segment> segments;
  int64_t bufferBlock = 0;
  for (size_t g = 0; g + 1 < bounds.size(); ++g) {
    int64_t first = bounds[g] / kBlock;
    int64_t last = llvm::divideCeil(bounds[g + 1], kBlock);
    segments.push_back(
        {first, bufferBlock, last - first, bounds[g], bounds[g + 1]});
    bufferBlock += last - first;
  }
  return segments;
}


Value indexTable(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto tableType = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                         b.getIndexType());
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(tableType, values));
}


Value splat(OpBuilder &b, Location loc, VectorType type, int64_t value) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getIntegerAttr(
                                               type.getElementType(), value)));
}


SmallVector<DecodedChunk> decodeBlock(OpBuilder &b, Location loc,
                                      PackingScheme scheme, Value storage,
                                      ValueRange position, DecodeForm form) {
  bool inPlace = form == DecodeForm::inPlace;
  Type i8 = b.getI8Type(), i16 = b.getI16Type();
  Value zeroByte = arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
  SmallVector<DecodedChunk> chunks;
  if (scheme == PackingScheme::tq2) {
    // Shift 16-bit lanes (x86 has no byte shifts); the mask keeps only bits
    // that came from the same byte.
    auto type = VectorType::get({packing::kTQ2CodeBytes}, i8);
    Value bytes = vector::TransferReadOp::create(
        b, loc, type, storage, ValueRange(position), zeroByte,
        ArrayRef<bool>{true});
    auto wordsType = VectorType::get({type.getDimSize(0) / 2}, i16);
    Value words = vector::BitCastOp::create(b, loc, wordsType, bytes);
    for (int64_t l = 0; l < 4 && inPlace; ++l)
      chunks.push_back({arith::AndIOp::create(b, loc, bytes,
                                              splat(b, loc, type, 3 << (2 * l))),
                        64 * l, 2 * l});
    for (int64_t l = 0; l < 4 && !inPlace; ++l) {
      Value shifted = bytes;
      if (l > 0)
        shifted = vector::BitCastOp::create(
            b, loc, type,
            arith::ShRUIOp::create(b, loc, words,
                                   splat(b, loc, wordsType, 2 * l)));
      chunks.push_back({arith::AndIOp::create(b, loc, shifted,
                                              splat(b, loc, type, 3)),
                        64 * l});
    }
    return chunks;
  }
  // Base-3 digit n of byte q: with q_n = uint8(q * 3^n), the digit is
  // (q_n * 3) >> 8, that is [q_n >= 86] + [q_n >= 171]. q_{n+1} = 3 q_n
  // wraps modulo 256, so everything stays on bytes: two adds and two
  // compares per digit. The 48 qs and 4 qh bytes are decoded together as one
  // 64-byte vector, read by one load masked to the block's 52 bytes (qh bytes
  // are 5-digit numbers whose last digit is 0; the 12 zero bytes after them
  // meet zero activations).
  auto bytesType = VectorType::get({64}, i8);
  Value blockMask = vector::ConstantMaskOp::create(
      b, loc, VectorType::get({64}, b.getI1Type()),
      ArrayRef<int64_t>{packing::kTQ1CodeBytes});
  Value bytes = vector::TransferReadOp::create(
      b, loc, bytesType, storage, ValueRange(position),
      AffineMap::getMinorIdentityMap(2, 1, b.getContext()), zeroByte,
      blockMask, b.getBoolArrayAttr({true}));
  auto timesThree = [&](Value q) -> Value {
    return arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, q, q),
                                 q);
  };
  if (form == DecodeForm::carry) {
    Value q = bytes;
    for (int64_t m = 0; m <= 5; ++m) {
      if (m > 0)
        q = timesThree(q);
      if (m < 5)
        chunks.push_back({q, 64 * m, 0, 0});
      if (m > 0)
        chunks.push_back({q, 64 * (m - 1), 0, 1});
    }
    return chunks;
  }
  Value one = splat(b, loc, bytesType, 1), zero = splat(b, loc, bytesType, 0);
  Value low = splat(b, loc, bytesType, 86), high = splat(b, loc, bytesType, 171);
  Value q = bytes;
  for (int64_t n = 0; n < 5; ++n) {
    if (n > 0)
      q = timesThree(q);
    auto atLeast = [&](Value bound) -> Value {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, q, bound);
    };
    // As selects, which AVX-512 turns into a zeroing and a merging masked
    // move on the compare masks.
    Value digit = arith::SelectOp::create(b, loc, atLeast(low), one, zero);
    Value two = arith::AddIOp::create(b, loc, digit, one);
    chunks.push_back(
        {arith::SelectOp::create(b, loc, atLeast(high), two, digit), 64 * n});
  }
  return chunks;
}


SmallVector<int64_t> chunkLengths(PackingScheme scheme) {
  return SmallVector<int64_t>(scheme == PackingScheme::tq2 ? 4 : 5, 64);
}

bool isReadInPlace(PackedType type) {
  return !type.getLayout() || isa<RowInterleaveAttr>(type.getLayout());
}

SmallVector<Value> packedBlockPosition(OpBuilder &b, Location loc,
                                       RowInterleaveAttr interleave,
                                       int64_t blockBytes, Value row,
                                       Value block) {
  IndexArith ia{b, loc};
  if (!interleave)
    return {row, ia.mul(block, ia.index(blockBytes))};
  Value factor = ia.index(interleave.getRows());
  Value inGroup = ia.rem(row, factor);
  return {ia.div(row, factor),
          ia.mul(ia.add(ia.mul(block, factor), inGroup), ia.index(blockBytes))};
}

std::tuple<Value, Value, Value> segmentTables(OpBuilder &b, Location loc,
                                              ArrayRef<Segment> segments) {
  SmallVector<int64_t> weightBlock, bufferBlock, numBlocks;
  for (const Segment &segment : segments) {
    weightBlock.push_back(segment.weightBlock);
    bufferBlock.push_back(segment.bufferBlock);
    numBlocks.push_back(segment.numBlocks);
  }
  return {indexTable(b, loc, weightBlock), indexTable(b, loc, bufferBlock),
          indexTable(b, loc, numBlocks)};
}

Value copyIntoSlice(OpBuilder &b, Location loc, Value source, Value dest,
                    ArrayRef<OpFoldResult> offsets) {
  auto sourceType = cast<RankedTensorType>(source.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  SmallVector<OpFoldResult> strides(sourceType.getRank(), b.getIndexAttr(1));
  Value window = tensor::ExtractSliceOp::create(b, loc, sourceType, dest,
                                                offsets, sizes, strides);
  Value copied = linalg::CopyOp::create(b, loc, source, window).getResult(0);
  return tensor::InsertSliceOp::create(b, loc, copied, dest, offsets, sizes,
                                       strides);
}

Value gatherPrepared(
    OpBuilder &b, Location loc, Value input, ArrayRef<Segment> segments,
    int64_t positionsPerBlock,
    llvm::function_ref<Value(const IndexArith &, Value)> elementOf) {
  MLIRContext *context = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  bool int8 = inputType.getElementType().isInteger(8);
  int64_t cols = inputType.getDimSize(1);
  SmallVector<int64_t> weightBlock, lo, hi;
  for (const Segment &segment : segments)
    for (int64_t i = 0; i < segment.numBlocks; ++i) {
      weightBlock.push_back(segment.weightBlock + i);
      lo.push_back(segment.lo);
      hi.push_back(segment.hi);
    }
  Value weightBlocks = indexTable(b, loc, weightBlock);
  Value los = indexTable(b, loc, lo), his = indexTable(b, loc, hi);
  Type elementType = int8 ? Type(b.getI8Type()) : Type(b.getF32Type());
  Value init = createEmptyLikeRows(
      b, loc, input,
      {static_cast<int64_t>(weightBlock.size()) * positionsPerBlock},
      elementType);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, ValueRange{init},
             ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(2, context)},
             ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               IndexArith ia{nb, nloc};
               Value row = linalg::IndexOp::create(nb, nloc, 0);
               Value position = linalg::IndexOp::create(nb, nloc, 1);
               Value block = ia.div(position, ia.index(positionsPerBlock));
               Value inBlock = ia.rem(position, ia.index(positionsPerBlock));
               auto lookup = [&](Value table) -> Value {
                 return tensor::ExtractOp::create(nb, nloc, table,
                                                  ValueRange{block});
               };
               Value element = elementOf(ia, inBlock);
               Value col = ia.add(
                   ia.mul(lookup(weightBlocks), ia.index(kBlock)), element);
               Value inside = arith::AndIOp::create(
                   nb, nloc,
                   arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::uge,
                                         col, lookup(los)),
                   ia.lt(col, lookup(his)));
               inside = arith::AndIOp::create(nb, nloc, inside,
                                              ia.lt(element, ia.index(kBlock)));
               Value value = tensor::ExtractOp::create(
                   nb, nloc, input,
                   ValueRange{row, ia.min(col, ia.index(cols - 1))});
               if (!int8)
                 value = extendToF32(nb, nloc, value);
               Value zero = arith::ConstantOp::create(
                   nb, nloc, nb.getZeroAttr(elementType));
               linalg::YieldOp::create(nb, nloc, ia.select(inside, value, zero));
             })
      .getResult(0);
}

} // namespace trilm::cpu_kernels
