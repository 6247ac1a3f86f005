//===- LLMOps.cpp - Model-level operations --------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Dialect/LLM/IR/LLM.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace trilm::llm;

/// An enum attribute as its bare keyword (`rotate_half`, `silu`).
template <typename EnumAttrT>
static ParseResult parseBareEnum(OpAsmParser &parser, EnumAttrT &attr) {
  using Enum = decltype(std::declval<EnumAttrT>().getValue());
  FailureOr<Enum> value = FieldParser<Enum, Enum>::parse(parser);
  if (failed(value))
    return failure();
  attr = EnumAttrT::get(parser.getContext(), *value);
  return success();
}

template <typename EnumAttrT>
static void printBareEnum(OpAsmPrinter &printer, Operation *,
                          EnumAttrT attr) {
  printer << stringifyEnum(attr.getValue());
}

#define GET_OP_CLASSES
#include "trilm/Dialect/LLM/IR/LLMOps.cpp.inc"

/// Whether two sizes, either possibly dynamic, can be equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static bool isPositiveFinite(double value) {
  return value > 0.0 && std::isfinite(value);
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

int64_t WeightOp::getNumBytes() {
  auto type = cast<RankedTensorType>(getType());
  return type.getNumElements() * (type.getElementTypeBitWidth() / 8);
}

LogicalResult WeightOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return emitOpError("element type ")
           << element << " is not a whole number of bytes";
  int64_t elementBytes = element.getIntOrFloatBitWidth() / 8;
  int64_t offset = static_cast<int64_t>(getOffset());
  if (offset < 0)
    return emitOpError("offset must be non-negative, got ") << offset;
  if (offset % elementBytes != 0)
    return emitOpError("offset ")
           << offset << " is not a multiple of the " << elementBytes
           << "-byte elements of " << type;
  if (static_cast<bool>(getLayer()) != getLayerStride().has_value())
    return emitOpError("layer and layer_stride must be given together");
  if (getLayerStride()) {
    int64_t stride = static_cast<int64_t>(*getLayerStride());
    if (stride <= 0)
      return emitOpError("layer_stride must be positive, got ") << stride;
    if (stride % elementBytes != 0)
      return emitOpError("layer_stride ")
             << stride << " is not a multiple of the " << elementBytes
             << "-byte elements of " << type;
  }
  int64_t bufferBytes = getBuffer().getType().getDimSize(0);
  if (!ShapedType::isDynamic(bufferBytes) &&
      offset + getNumBytes() > bufferBytes)
    return emitOpError("views bytes [")
           << offset << ", " << offset + getNumBytes() << ") of a buffer of "
           << bufferBytes << " bytes";
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  RankedTensorType table = getTable().getType();
  RankedTensorType result = getResult().getType();
  if (table.isDynamicDim(1))
    return emitOpError("table width must be static");
  if (result.getDimSize(1) != table.getDimSize(1))
    return emitOpError("result width ")
           << result.getDimSize(1) << " does not match the table width "
           << table.getDimSize(1);
  if (!compatible(result.getDimSize(0), getTokens().getType().getDimSize(0)))
    return emitOpError("result has ")
           << result.getDimSize(0) << " rows for "
           << getTokens().getType().getDimSize(0) << " tokens";
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  int64_t width = getInput().getType().getDimSize(1);
  if (ShapedType::isDynamic(width))
    return emitOpError("input width must be static");
  int64_t weightSize = getWeight().getType().getDimSize(0);
  if (weightSize != width)
    return emitOpError("weight of size ")
           << weightSize << " does not match the input width " << width;
  if (!isPositiveFinite(getEpsilon().convertToDouble()))
    return emitOpError("epsilon must be positive and finite, got ")
           << getEpsilon().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t headDim = getHeadDim();
  if (headDim <= 0 || headDim % 2 != 0)
    return emitOpError("head_dim must be positive and even, got ") << headDim;
  int64_t width = getInput().getType().getDimSize(1);
  if (ShapedType::isDynamic(width))
    return emitOpError("input width must be static");
  if (width % headDim != 0)
    return emitOpError("input width ")
           << width << " is not a multiple of head_dim " << headDim;
  if (!isPositiveFinite(getTheta().convertToDouble()))
    return emitOpError("theta must be positive and finite, got ")
           << getTheta().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

float AttentionOp::getScaleValue() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(getHeadDim()));
}

LogicalResult AttentionOp::verify() {
  RankedTensorType keys = getKeyCache().getType();
  RankedTensorType cache = getValueCache().getType();
  if (cache.isDynamicDim(0) || cache.isDynamicDim(2))
    return emitOpError("the value cache's kv_heads and head_dim dimensions "
                       "(0 and 2) must be static");
  if (keys.getElementType() != cache.getElementType())
    return emitOpError("the caches hold ")
           << keys.getElementType() << " keys but "
           << cache.getElementType() << " values";
  if (keys.getDimSize(0) != cache.getDimSize(0) ||
      keys.getDimSize(1) != cache.getDimSize(2))
    return emitOpError("the key cache ")
           << keys << " is not kv_heads x head_dim x positions for the value "
           << "cache " << cache;
  if (!compatible(keys.getDimSize(2), cache.getDimSize(1)))
    return emitOpError("the key cache holds ")
           << keys.getDimSize(2) << " positions but the value cache "
           << cache.getDimSize(1);
  int64_t headDim = cache.getDimSize(2), kvHeads = cache.getDimSize(0);
  if (headDim <= 0 || kvHeads <= 0)
    return emitOpError("the caches must have at least one kv head and a "
                       "positive head_dim");
  int64_t queryWidth = getQuery().getType().getDimSize(1);
  int64_t keyWidth = getKey().getType().getDimSize(1);
  if (ShapedType::isDynamic(queryWidth) || ShapedType::isDynamic(keyWidth))
    return emitOpError("query and key widths must be static");
  if (queryWidth % headDim != 0)
    return emitOpError("query width ")
           << queryWidth << " is not a multiple of head_dim " << headDim
           << " (the value cache's dimension 2)";
  int64_t heads = queryWidth / headDim;
  if (heads % kvHeads != 0)
    return emitOpError() << heads << " query heads are not a multiple of "
                         << kvHeads << " kv heads";
  if (keyWidth != kvHeads * headDim)
    return emitOpError("key and value width ")
           << keyWidth << " does not match the caches' " << kvHeads
           << " kv heads of " << headDim;
  int64_t queryRows = getQuery().getType().getDimSize(0);
  int64_t keyRows = getKey().getType().getDimSize(0);
  if (!compatible(queryRows, keyRows))
    return emitOpError("query has ")
           << queryRows << " rows but key and value have " << keyRows;
  int64_t cacheRows = cache.getDimSize(1);
  if (!ShapedType::isDynamic(cacheRows) && !ShapedType::isDynamic(queryRows) &&
      queryRows > cacheRows)
    return emitOpError() << queryRows << " new rows do not fit in a cache of "
                         << cacheRows;
  if (std::optional<APFloat> scale = getScale();
      scale && !isPositiveFinite(scale->convertToDouble()))
    return emitOpError("scale must be positive and finite, got ")
           << scale->convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// LMHeadOp
//===----------------------------------------------------------------------===//

LogicalResult LMHeadOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType result = getResult().getType();
  if (weight.isDynamicDim(0) || weight.isDynamicDim(1))
    return emitOpError("weight must have a static shape");
  if (input.getDimSize(1) != weight.getDimSize(1))
    return emitOpError("weight width ")
           << weight.getDimSize(1) << " does not match the input width "
           << input.getDimSize(1);
  if (result.getDimSize(1) != weight.getDimSize(0))
    return emitOpError("result has ")
           << result.getDimSize(1) << " columns for a vocabulary of "
           << weight.getDimSize(0);
  int64_t inputRows = input.getDimSize(0), resultRows = result.getDimSize(0);
  if (!getRows()) {
    if (!compatible(inputRows, resultRows))
      return emitOpError("result has ")
             << resultRows << " rows for " << inputRows
             << " input rows (use `last` for fewer)";
    return success();
  }
  if (!ShapedType::isDynamic(inputRows) && !ShapedType::isDynamic(resultRows) &&
      resultRows > inputRows)
    return emitOpError("result has ")
           << resultRows << " rows but the input only " << inputRows;
  return success();
}

namespace {

/// The output projection of the last rows of a norm is the projection of
/// the norm of those rows: normalising rows that are dropped is wasted work
/// (all but one row when generating).
struct NormLastRowsOnly : public OpRewritePattern<LMHeadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LMHeadOp op,
                                PatternRewriter &rewriter) const override {
    auto norm = op.getInput().getDefiningOp<RMSNormOp>();
    if (!op.getRows() || !norm || !norm->hasOneUse())
      return failure();
    Location loc = op.getLoc();
    Value input = norm.getInput();
    OpFoldResult rows = getAsOpFoldResult(op.getRows());
    Value count = tensor::DimOp::create(rewriter, loc, input, 0);
    Value first = arith::SubIOp::create(rewriter, loc, count, op.getRows());
    auto inputType = cast<RankedTensorType>(input.getType());
    SmallVector<OpFoldResult> offsets = {first, rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {
        rows, rewriter.getIndexAttr(inputType.getDimSize(1))};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    Value tail = tensor::ExtractSliceOp::create(rewriter, loc, input, offsets,
                                                sizes, strides);
    auto tailNorm = RMSNormOp::create(rewriter, norm.getLoc(), tail.getType(),
                                      tail, norm.getWeight(),
                                      norm.getEpsilonAttr());
    Value projected = LMHeadOp::create(rewriter, loc, op.getType(), tailNorm,
                                       op.getWeight(), /*rows=*/Value());
    // The tail's static row count may differ from the result's.
    if (projected.getType() != op.getType())
      projected =
          tensor::CastOp::create(rewriter, loc, op.getType(), projected);
    rewriter.replaceOp(op, projected);
    return success();
  }
};

} // namespace

void LMHeadOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<NormLastRowsOnly>(context);
}

//===----------------------------------------------------------------------===//
// LayersOp
//===----------------------------------------------------------------------===//

void LayersOp::build(OpBuilder &builder, OperationState &state, int64_t count,
                     ValueRange inits) {
  state.addAttribute(getCountAttrName(state.name),
                     builder.getI64IntegerAttr(count));
  state.addOperands(inits);
  state.addTypes(inits.getTypes());
  Region *body = state.addRegion();
  Block *block = new Block();
  body->push_back(block);
  block->addArgument(builder.getIndexType(), state.location);
  for (Value init : inits)
    block->addArgument(init.getType(), state.location);
}

void LayersOp::print(OpAsmPrinter &p) {
  p << " " << static_cast<int64_t>(getCount()) << " (" << getLayerIndex() << ")";
  if (!getInits().empty()) {
    p << " iter_args(";
    llvm::interleaveComma(llvm::zip_equal(getRegionIterArgs(), getInits()), p,
                          [&](auto pair) {
                            p << std::get<0>(pair) << " = "
                              << std::get<1>(pair);
                          });
    p << ") : " << getInits().getTypes();
  }
  p << " ";
  p.printRegion(getBody(), /*printEntryBlockArgs=*/false,
                /*printBlockTerminators=*/true);
  p.printOptionalAttrDict((*this)->getAttrs(), {getCountAttrName()});
}

ParseResult LayersOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &builder = parser.getBuilder();
  int64_t count;
  OpAsmParser::Argument layer;
  if (parser.parseInteger(count) || parser.parseLParen() ||
      parser.parseArgument(layer) || parser.parseRParen())
    return failure();
  layer.type = builder.getIndexType();
  SmallVector<OpAsmParser::Argument> arguments = {layer};
  SmallVector<OpAsmParser::UnresolvedOperand> inits;
  SmallVector<Type> types;
  if (succeeded(parser.parseOptionalKeyword("iter_args"))) {
    SMLoc initsLoc = parser.getCurrentLocation();
    if (parser.parseAssignmentList(arguments, inits) ||
        parser.parseColonTypeList(types))
      return failure();
    if (types.size() != inits.size())
      return parser.emitError(initsLoc)
             << inits.size() << " iter_args but " << types.size() << " types";
    for (auto [argument, type] :
         llvm::zip_equal(llvm::drop_begin(arguments), types))
      argument.type = type;
    if (parser.resolveOperands(inits, types, initsLoc, result.operands))
      return failure();
  }
  result.addAttribute(getCountAttrName(result.name),
                      builder.getI64IntegerAttr(count));
  result.addTypes(types);
  Region *body = result.addRegion();
  if (parser.parseRegion(*body, arguments))
    return failure();
  LayersOp::ensureTerminator(*body, builder, result.location);
  return parser.parseOptionalAttrDict(result.attributes);
}

LogicalResult LayersOp::verify() {
  if (static_cast<int64_t>(getCount()) < 1)
    return emitOpError("count must be positive, got ")
           << static_cast<int64_t>(getCount());
  Block *body = getBodyBlock();
  if (body->getNumArguments() != getInits().size() + 1 ||
      !body->getArgument(0).getType().isIndex())
    return emitOpError("body must take the layer index (index) and one "
                       "argument per iter_arg");
  for (auto [index, argument, init] :
       llvm::enumerate(getRegionIterArgs(), getInits()))
    if (argument.getType() != init.getType())
      return emitOpError("body argument ")
             << index + 1 << " has type " << argument.getType()
             << " but its iter_arg " << init.getType();
  auto yield = cast<YieldOp>(body->getTerminator());
  if (yield.getValues().getTypes() != getInits().getTypes())
    return yield.emitOpError("yields ")
           << yield.getValues().getTypes() << " but the layers carry "
           << getInits().getTypes();
  if (getResultTypes() != getInits().getTypes())
    return emitOpError("result types ")
           << getResultTypes() << " do not match the iter_args "
           << getInits().getTypes();
  return success();
}
