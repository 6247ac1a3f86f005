//===- LlamaImport.cpp - A LLaMA-family checkpoint as model IR ------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The forward pass of LlamaForCausalLM, as Hugging Face transformers computes
// it in fp32, as target-independent model IR: llm ops, `ternary.matmul`s on
// packed weights (the projections that read the same input stacked into one:
// q/k/v, gate/up) and upstream tensor ops; no loops and no target choices.
// The decoder layers are one `llm.layers` whose weights are views of the
// weights buffer (see Weights.h), so the IR does not grow with the depth.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/HuggingFace/LlamaImport.h"

#include "Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "trilm/Dialect/LLM/IR/LLM.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/xxhash.h"

#include <array>
#include <cstring>

using namespace mlir;
using namespace trilm;
using namespace trilm::ternary;
using namespace trilm::frontend;
using trilm::import::Checkpoint;
using trilm::import::LlamaConfig;

namespace {

/// The global holding weights in the module (--emit=mlir|llvm).
constexpr llvm::StringLiteral kWeightsGlobal = "trilm_weights";

/// ternary.quantize's default: keeps all-zero rows finite.
constexpr float kQuantizeEps = 1e-5f;

/// Builds the body of one entry point: the forward pass over `M` tokens, as
/// llm and ternary ops on tensors, every op located at the tensor it
/// computes (`*` for the layer index inside `llm.layers`).
class ForwardBuilder {
public:
  ForwardBuilder(OpBuilder &b, const LlamaConfig &config,
                 const WeightsLayout &layout, const ModelOptions &options)
      : b(b), c(config), layout(layout), options(options) {}

  /// Emits the function `name` for `tokens` tokens (dynamic or static).
  void build(StringRef name, int64_t tokens);

private:
  Type f32() { return b.getF32Type(); }
  Location named(const Twine &name) {
    return NameLoc::get(b.getStringAttr(name));
  }
  Location inLayer(StringRef name) { return named("model.layers.*." + name); }

  /// The tensor in `slot` of the weights buffer, of layer `layer` when
  /// given.
  Value weight(const WeightSlot &slot, Value layer, Location loc) {
    IntegerAttr stride =
        layer ? b.getI64IntegerAttr(layout.layerStride) : IntegerAttr();
    int64_t offset = slot.offset + (layer ? layout.firstLayer : 0);
    return llm::WeightOp::create(b, loc, slot.type, weights, layer,
                                 b.getI64IntegerAttr(offset), stride);
  }

  /// x times a ternary weight (quantised to int8 first in int8 mode).
  Value linear(Value x, const TernarySlot &slot, Value layer, Location loc);

  /// Columns [offset, offset + width) of every row of `x`.
  Value columns(Value x, int64_t offset, int64_t width, Location loc);

  Value block(Value x, Value layer, Value &keyCache, Value &valueCache,
              Value start);

  OpBuilder &b;
  const LlamaConfig &c;
  const WeightsLayout &layout;
  const ModelOptions &options;
  /// The weights buffer of the function being built.
  Value weights;
};

Value ForwardBuilder::linear(Value x, const TernarySlot &slot, Value layer,
                             Location loc) {
  Value packed = FromStorageOp::create(b, loc, slot.type,
                                       weight(slot.packed, layer, loc));
  Value scales = weight(slot.scales, layer, loc);
  auto xType = cast<RankedTensorType>(x.getType());
  Value actScales;
  if (options.int8Activations) {
    auto quantized =
        QuantizeOp::create(b, loc, xType.clone(b.getI8Type()),
                           RankedTensorType::get({xType.getDimSize(0)}, f32()),
                           x, b.getF32FloatAttr(kQuantizeEps));
    x = quantized.getQuantized();
    actScales = quantized.getScales();
  }
  auto resultType =
      RankedTensorType::get({xType.getDimSize(0), slot.type.getRows()}, f32());
  return MatmulOp::create(b, loc, resultType, x, actScales, packed, scales,
                          slot.groups);
}

Value ForwardBuilder::columns(Value x, int64_t offset, int64_t width,
                              Location loc) {
  return tensor::ExtractSliceOp::create(
      b, loc, x,
      ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(offset)},
      ArrayRef<OpFoldResult>{tensor::getMixedSize(b, loc, x, 0),
                             b.getIndexAttr(width)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
}

Value ForwardBuilder::block(Value x, Value layer, Value &keyCache,
                            Value &valueCache, Value start) {
  const BlockSlots &slots = layout.block;
  int64_t qWidth = c.numHeads * c.headDim;
  int64_t kvWidth = c.numKVHeads * c.headDim;
  auto norm = [&](Value input, const WeightSlot &slot, StringRef name) {
    Location loc = inLayer(name);
    return llm::RMSNormOp::create(b, loc, input.getType(), input,
                                  weight(slot, layer, named(Twine(
                                      "model.layers.*.") + name + ".weight")),
                                  b.getF32FloatAttr(c.rmsNormEps));
  };
  auto projections = [&](ArrayRef<StringRef> names) {
    SmallVector<Location> locs;
    for (StringRef name : names)
      locs.push_back(inLayer(name));
    return FusedLoc::get(b.getContext(), locs);
  };
  auto rope = [&](Value input, StringRef name) {
    return llm::RopeOp::create(
        b, inLayer(name), input.getType(), input, start,
        llm::RopeStyleAttr::get(b.getContext(), llm::RopeStyle::rotate_half),
        b.getI64IntegerAttr(c.headDim),
        b.getF32FloatAttr(static_cast<float>(c.ropeTheta)),
        /*scaling=*/llm::RopeScalingAttr());
  };

  // Attention: q, k and v are one matmul over the stacked weights.
  Value normed = norm(x, slots.inputNorm, "input_layernorm");
  Location qkvLoc = projections(
      {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"});
  Value qkv = linear(normed, slots.qkv, layer, qkvLoc);
  Value q = rope(columns(qkv, 0, qWidth, qkvLoc), "self_attn.q_rotary");
  Value k = rope(columns(qkv, qWidth, kvWidth, qkvLoc), "self_attn.k_rotary");
  Value v = columns(qkv, qWidth + kvWidth, kvWidth, qkvLoc);

  // The layer's caches: keys kv_heads x head_dim x C, values kv_heads x C x
  // head_dim.
  Location attentionLoc = inLayer("self_attn");
  SmallVector<OpFoldResult> offsets = {layer, b.getIndexAttr(0),
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto sizesOf = [&](Value cache) {
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
    for (int64_t dim = 1; dim < 4; ++dim)
      sizes.push_back(tensor::getMixedSize(b, attentionLoc, cache, dim));
    return sizes;
  };
  auto layerTypeOf = [](Value cache) {
    auto type = cast<RankedTensorType>(cache.getType());
    return RankedTensorType::get(type.getShape().drop_front(),
                                 type.getElementType());
  };
  SmallVector<OpFoldResult> keySizes = sizesOf(keyCache);
  SmallVector<OpFoldResult> valueSizes = sizesOf(valueCache);
  RankedTensorType keyType = layerTypeOf(keyCache);
  RankedTensorType valueType = layerTypeOf(valueCache);
  auto attention = llm::AttentionOp::create(
      b, attentionLoc, q.getType(), keyType, valueType, q, k, v,
      tensor::ExtractSliceOp::create(b, attentionLoc, keyType, keyCache,
                                     offsets, keySizes, strides),
      tensor::ExtractSliceOp::create(b, attentionLoc, valueType, valueCache,
                                     offsets, valueSizes, strides),
      start, /*scale=*/FloatAttr());
  keyCache = tensor::InsertSliceOp::create(b, attentionLoc,
                                           attention.getNewKeyCache(),
                                           keyCache, offsets, keySizes, strides);
  valueCache = tensor::InsertSliceOp::create(
      b, attentionLoc, attention.getNewValueCache(), valueCache, offsets,
      valueSizes, strides);
  bool bitnet = c.architecture == import::Architecture::BitNet;
  Value attentionOut = attention.getResult();
  if (bitnet)
    attentionOut =
        norm(attentionOut, slots.attentionSubNorm, "self_attn.attn_sub_norm");
  Value attended =
      linear(attentionOut, slots.output, layer, inLayer("self_attn.o_proj"));
  x = arith::AddFOp::create(b, inLayer("self_attn.residual"), x, attended);

  // MLP: gate and up are one matmul.
  Value mlpIn = norm(x, slots.postAttentionNorm, "post_attention_layernorm");
  Location gateUpLoc = projections({"mlp.gate_proj", "mlp.up_proj"});
  Value gateUp = linear(mlpIn, slots.gateUp, layer, gateUpLoc);
  int64_t f = c.intermediateSize;
  Value gate = columns(gateUp, 0, f, gateUpLoc);
  Value up = columns(gateUp, f, f, gateUpLoc);
  Value activated = llm::GatedActivationOp::create(
      b, inLayer("mlp.act_fn"), gate.getType(),
      c.activation == import::Activation::ReLU2
          ? llm::ActivationFunction::relu2
          : llm::ActivationFunction::silu,
      gate, up);
  if (bitnet)
    activated = norm(activated, slots.mlpSubNorm, "mlp.ffn_sub_norm");
  Value down =
      linear(activated, slots.down, layer, inLayer("mlp.down_proj"));
  return arith::AddFOp::create(b, inLayer("mlp.residual"), x, down);
}

void ForwardBuilder::build(StringRef name, int64_t m) {
  Location loc = named(name);
  Type cacheElement = options.kvCache == ModelOptions::KVCache::F16
                          ? Type(b.getF16Type())
                          : Type(f32());
  // Buffers in, nothing out: the caller owns the KV caches (layers x kv
  // heads x head dim x context for keys, layers x kv heads x context x head
  // dim for values) and the logits (the last R tokens' rows, R from 1 to the
  // token count: all of them for perplexity, the last for generation), which
  // the function writes in place (materialize_in_destination).
  int64_t context = ShapedType::kDynamic;
  auto keysMemRef = MemRefType::get(
      {c.numLayers, c.numKVHeads, c.headDim, context}, cacheElement);
  auto valuesMemRef = MemRefType::get(
      {c.numLayers, c.numKVHeads, context, c.headDim}, cacheElement);
  auto tokensMemRef = MemRefType::get({m}, b.getI32Type());
  auto logitsMemRef = MemRefType::get({m, c.vocabSize}, f32());
  auto weightsMemRef = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  auto type = b.getFunctionType({tokensMemRef, b.getIndexType(), keysMemRef,
                                 valuesMemRef, logitsMemRef, weightsMemRef},
                                {});
  auto function = func::FuncOp::create(b, loc, name, type);
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    b.getUnitAttr());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(function.addEntryBlock());
  auto toTensor = [&](unsigned argument, bool writable) -> Value {
    auto memref = cast<MemRefType>(function.getArgument(argument).getType());
    return bufferization::ToTensorOp::create(
        b, loc,
        RankedTensorType::get(memref.getShape(), memref.getElementType()),
        function.getArgument(argument), /*restrict=*/b.getUnitAttr(),
        writable ? b.getUnitAttr() : UnitAttr());
  };
  Value tokens = toTensor(0, false);
  Value start = function.getArgument(1);
  Value logitsBuffer = toTensor(4, true);
  weights = toTensor(5, false);
  Value keyCache = toTensor(2, true), valueCache = toTensor(3, true);

  Location embedLoc = named("model.embed_tokens");
  Value table = weight(layout.embedding, Value(),
                       named("model.embed_tokens.weight"));
  Value x = llm::EmbeddingOp::create(
      b, embedLoc, RankedTensorType::get({m, c.hiddenSize}, f32()), table,
      tokens);

  auto layers = llm::LayersOp::create(b, named("model.layers"), c.numLayers,
                                      ValueRange{x, keyCache, valueCache});
  {
    OpBuilder::InsertionGuard layerGuard(b);
    b.setInsertionPointToStart(layers.getBodyBlock());
    auto carried = layers.getRegionIterArgs();
    Value layerKeys = carried[1], layerValues = carried[2];
    Value y = block(carried[0], layers.getLayerIndex(), layerKeys,
                    layerValues, start);
    llm::YieldOp::create(b, named("model.layers"),
                         ValueRange{y, layerKeys, layerValues});
  }
  Value normed = llm::RMSNormOp::create(
      b, named("model.norm"), x.getType(), layers.getResult(0),
      weight(layout.finalNorm, Value(), named("model.norm.weight")),
      b.getF32FloatAttr(c.rmsNormEps));
  Location headLoc = named("lm_head");
  Value rows = tensor::DimOp::create(b, headLoc, logitsBuffer, 0);
  Value logits = llm::LMHeadOp::create(
      b, headLoc, RankedTensorType::get({m, c.vocabSize}, f32()), normed,
      weight(layout.lmHead, Value(),
             named(c.tieWordEmbeddings ? "model.embed_tokens.weight"
                                       : "lm_head.weight")),
      rows);
  Value outputs[] = {logits, layers.getResult(1), layers.getResult(2)};
  unsigned arguments[] = {4, 2, 3};
  for (auto [value, argument] : llvm::zip_equal(outputs, arguments))
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, value, function.getArgument(argument),
        /*restrict=*/true, /*writable=*/true);
  func::ReturnOp::create(b, loc);
}

} // namespace

struct LlamaImport::Impl {
  const Checkpoint &checkpoint;
  ModelOptions options;
  WeightsLayout layout;
  ModelSummary summary;
  OwningOpRef<ModuleOp> module;
};

LlamaImport::LlamaImport(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
LlamaImport::~LlamaImport() = default;

ModuleOp LlamaImport::getModule() { return *impl->module; }
OwningOpRef<ModuleOp> LlamaImport::takeModule() {
  return std::move(impl->module);
}
const ModelSummary &LlamaImport::getSummary() const { return impl->summary; }

/// What `layout` holds: parameters and bytes.
static ModelSummary summarize(const LlamaConfig &config,
                              const WeightsLayout &layout) {
  ModelSummary summary;
  const BlockSlots &block = layout.block;
  for (const TernarySlot *slot :
       {&block.qkv, &block.output, &block.gateUp, &block.down}) {
    summary.ternaryParameters +=
        config.numLayers * slot->type.getRows() * slot->type.getCols();
    // Codes and scales: block scales cost bits per weight too.
    summary.ternaryBytes +=
        config.numLayers * (slot->type.getStorageType().getNumElements() +
                            slot->scales.type.getNumElements() * 4);
  }
  int64_t subNorms = config.architecture == import::Architecture::BitNet
                         ? config.numLayers * (config.numHeads * config.headDim +
                                               config.intermediateSize)
                         : 0;
  summary.parameters = summary.ternaryParameters +
                       config.vocabSize * config.hiddenSize *
                           (config.tieWordEmbeddings ? 1 : 2) +
                       config.hiddenSize * (2 * config.numLayers + 1) +
                       subNorms;
  summary.weightBytes = layout.totalBytes;
  return summary;
}

llvm::Expected<std::unique_ptr<LlamaImport>>
LlamaImport::create(MLIRContext &context, const Checkpoint &checkpoint,
                    const ModelOptions &options) {
  context.loadDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                      func::FuncDialect, llm::LLMDialect, LLVM::LLVMDialect,
                      memref::MemRefDialect, tensor::TensorDialect,
                      TernaryDialect>();
  const LlamaConfig &config = checkpoint.getConfig();
  llvm::Expected<WeightsLayout> layout =
      planWeights(context, checkpoint, options);
  if (!layout)
    return layout.takeError();

  Location loc = NameLoc::get(StringAttr::get(&context, "model"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  OpBuilder b(module->getBodyRegion());
  SmallVector<int64_t> fields(TRILM_CONFIG_NUM_FIELDS);
  fields[TRILM_CONFIG_ABI_VERSION] = TRILM_MODEL_ABI_VERSION;
  fields[TRILM_CONFIG_VOCAB_SIZE] = config.vocabSize;
  fields[TRILM_CONFIG_HIDDEN_SIZE] = config.hiddenSize;
  fields[TRILM_CONFIG_NUM_LAYERS] = config.numLayers;
  fields[TRILM_CONFIG_NUM_HEADS] = config.numHeads;
  fields[TRILM_CONFIG_NUM_KV_HEADS] = config.numKVHeads;
  fields[TRILM_CONFIG_HEAD_DIM] = config.headDim;
  fields[TRILM_CONFIG_MAX_POSITIONS] = config.maxPositions;
  fields[TRILM_CONFIG_INT8_ACTIVATIONS] = options.int8Activations;
  fields[TRILM_CONFIG_BOS_TOKEN_ID] = config.bosTokenId;
  fields[TRILM_CONFIG_EOS_TOKEN_ID] = config.eosTokenId;
  fields[TRILM_CONFIG_KV_CACHE_ELEMENT_BYTES] =
      options.kvCache == ModelOptions::KVCache::F16 ? 2 : 4;
  fields[TRILM_CONFIG_WEIGHTS_BYTES] = layout->totalBytes;
  fields[TRILM_CONFIG_DECODE_WEIGHT_BYTES] =
      config.numLayers * layout->layerStride +
      layout->finalNorm.getByteSize() + layout->lmHead.getByteSize();
  fields[TRILM_CONFIG_DEVICE] = options.device == ModelOptions::Device::CUDA
                                    ? TRILM_DEVICE_CUDA
                                    : TRILM_DEVICE_CPU;
  fields[TRILM_CONFIG_EXTERNAL_WEIGHTS] =
      options.weightsPlacement == ModelOptions::WeightsPlacement::ExternalFile;
  auto fieldsType = MemRefType::get({TRILM_CONFIG_NUM_FIELDS}, b.getI64Type());
  memref::GlobalOp::create(
      b, loc, "trilm_model_config", b.getStringAttr("public"), fieldsType,
      DenseElementsAttr::get(
          RankedTensorType::get({TRILM_CONFIG_NUM_FIELDS}, b.getI64Type()),
          ArrayRef<int64_t>(fields)),
      /*constant=*/true, /*alignment=*/nullptr);

  ForwardBuilder forward(b, config, *layout, options);
  forward.build("trilm_prefill", ShapedType::kDynamic);
  forward.build("trilm_decode", 1);
  if (failed(verify(*module)))
    return llvm::createStringError("internal error: the model module does not "
                                   "verify");
  ModelSummary summary = summarize(config, *layout);
  return std::unique_ptr<LlamaImport>(new LlamaImport(std::make_unique<Impl>(
      Impl{checkpoint, options, std::move(*layout), summary,
           std::move(module)})));
}

/// Gives each packed weight of `layout` the type (layout included) of the
/// ternary.from_storage that reads it in `module`.
static llvm::Error adoptWeightLayouts(ModuleOp module, WeightsLayout &layout) {
  llvm::DenseMap<int64_t, PackedType> chosen;
  WalkResult walk = module.walk([&](FromStorageOp op) {
    auto view = op.getStorage().getDefiningOp<llm::WeightOp>();
    if (!view)
      return WalkResult::advance();
    auto [it, inserted] =
        chosen.try_emplace(static_cast<int64_t>(view.getOffset()), op.getType());
    return inserted || it->second == op.getType() ? WalkResult::advance()
                                                  : WalkResult::interrupt();
  });
  if (walk.wasInterrupted())
    return llvm::createStringError(
        "internal error: one packed weight is read in two layouts");
  BlockSlots &block = layout.block;
  for (TernarySlot *slot :
       {&block.qkv, &block.output, &block.gateUp, &block.down}) {
    auto it = chosen.find(layout.firstLayer + slot->packed.offset);
    if (it != chosen.end())
      slot->type = it->second;
  }
  return llvm::Error::success();
}

namespace {

/// TRILM_CONFIG_WEIGHTS_DIGEST: the model's config fields and every weight
/// written (with its offset), folded chunk by chunk.
class WeightsDigest {
public:
  explicit WeightsDigest(ArrayRef<int64_t> configFields)
      : state(llvm::xxh3_64bits(ArrayRef<uint8_t>(
            reinterpret_cast<const uint8_t *>(configFields.data()),
            configFields.size() * sizeof(int64_t)))) {}

  void add(int64_t offset, ArrayRef<char> bytes) {
    uint64_t parts[] = {state, static_cast<uint64_t>(offset),
                        llvm::xxh3_64bits(ArrayRef<uint8_t>(
                            reinterpret_cast<const uint8_t *>(bytes.data()),
                            bytes.size()))};
    state = llvm::xxh3_64bits(ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(parts), sizeof(parts)));
  }

  /// Non-negative, as the config is an i64 array.
  int64_t value() const { return static_cast<int64_t>(state >> 1); }

private:
  uint64_t state;
};

} // namespace

/// The weights buffer's header: the magic and `digest`.
static std::array<char, TRILM_WEIGHTS_HEADER_BYTES>
weightsHeader(int64_t digest) {
  std::array<char, TRILM_WEIGHTS_HEADER_BYTES> header = {};
  std::memcpy(header.data(), TRILM_WEIGHTS_MAGIC,
              std::strlen(TRILM_WEIGHTS_MAGIC));
  llvm::support::endian::write64le(header.data() + TRILM_WEIGHTS_DIGEST_OFFSET,
                                   static_cast<uint64_t>(digest));
  return header;
}

/// The module's trilm_model_config global, whose initial value holds the
/// config fields.
static memref::GlobalOp findModelConfig(ModuleOp module) {
  auto config = dyn_cast_or_null<memref::GlobalOp>(
      SymbolTable::lookupSymbolIn(module, "trilm_model_config"));
  if (!config || !isa_and_nonnull<DenseIntElementsAttr>(
                     config.getInitialValueAttr()))
    return {};
  return config;
}

llvm::Error LlamaImport::writeWeights() {
  WeightsLayout &layout = impl->layout;
  const ModelOptions &options = impl->options;
  ModuleOp module = *impl->module;
  if (llvm::Error error = adoptWeightLayouts(module, layout))
    return error;
  memref::GlobalOp config = findModelConfig(module);
  if (!config)
    return llvm::createStringError(
        "internal error: the module has no trilm_model_config");
  auto configAttr = cast<DenseIntElementsAttr>(config.getInitialValueAttr());
  SmallVector<int64_t> configFields(configAttr.getValues<int64_t>());

  // In-module weights are filled in place in one blob; the others stream
  // out, so that the importer holds one tensor at a time.
  using Placement = ModelOptions::WeightsPlacement;
  std::optional<AsmResourceBlob> blob;
  llvm::raw_pwrite_stream *stream = options.weightsStream;
  int64_t written = 0;
  if (options.weightsPlacement == Placement::InModule) {
    blob = HeapAsmResourceBlob::allocate(layout.totalBytes,
                                         TRILM_WEIGHTS_ALIGNMENT,
                                         /*dataIsMutable=*/true);
    std::memset(blob->getMutableData().data(), 0, layout.totalBytes);
  } else {
    if (!stream)
      return llvm::createStringError(
          "internal error: no stream for the model's weights");
    // The digest is known at the end; its place is written then.
    auto header = weightsHeader(0);
    stream->write(header.data(), header.size());
    written = header.size();
  }
  WeightsDigest digest(configFields);
  auto write = [&](int64_t offset, ArrayRef<char> bytes) {
    digest.add(offset, bytes);
    if (blob) {
      std::memcpy(blob->getMutableData().data() + offset, bytes.data(),
                  bytes.size());
      return;
    }
    stream->write_zeros(offset - written);
    stream->write(bytes.data(), bytes.size());
    written = offset + bytes.size();
  };
  if (llvm::Error error =
          importWeights(impl->checkpoint, layout, options, write))
    return error;
  auto header = weightsHeader(digest.value());
  configFields[TRILM_CONFIG_WEIGHTS_DIGEST] = digest.value();
  config.setInitialValueAttr(DenseElementsAttr::get(
      configAttr.getType(), ArrayRef<int64_t>(configFields)));
  if (!blob) {
    stream->write_zeros(layout.totalBytes - written);
    stream->pwrite(header.data(), header.size(), 0);
    return llvm::Error::success();
  }
  std::memcpy(blob->getMutableData().data(), header.data(), header.size());
  // Weights in the module are a public global that the runtime looks up;
  // the code always reads the buffer it is passed.
  OpBuilder b(module.getBodyRegion());
  Location loc = NameLoc::get(b.getStringAttr(kWeightsGlobal));
  memref::GlobalOp::create(
      b, loc, kWeightsGlobal, b.getStringAttr("public"),
      MemRefType::get({layout.totalBytes}, b.getI8Type()),
      DenseResourceElementsAttr::get(
          RankedTensorType::get({layout.totalBytes}, b.getI8Type()),
          "trilm_weights", std::move(*blob)),
      /*constant=*/true, b.getI64IntegerAttr(TRILM_WEIGHTS_ALIGNMENT));
  return llvm::Error::success();
}
