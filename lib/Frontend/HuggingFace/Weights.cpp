//===- Weights.cpp - The weights buffer of a compiled model ---------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"

#include "mlir/IR/Builders.h"
#include "trilm-c/ModelABI.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;
using namespace trilm;
using namespace trilm::frontend;
using namespace trilm::ternary;
using import::Checkpoint;
using import::LlamaConfig;
using import::releasePages;
using import::ShardAxis;
using import::TensorView;

namespace {

Type elementTypeOf(Builder &b, import::DType dtype) {
  switch (dtype) {
  case import::DType::F16:
    return b.getF16Type();
  case import::DType::BF16:
    return b.getBF16Type();
  case import::DType::F32:
    return b.getF32Type();
  case import::DType::U8:
    break;
  }
  llvm_unreachable("Checkpoint::getTensor returns float tensors only");
}

/// Names of a block's tensors.
struct BlockNames {
  std::string q, k, v, o, gate, up, down, inputNorm, postNorm, attentionSubNorm,
      mlpSubNorm;

  explicit BlockNames(int64_t layer) {
    std::string p = llvm::formatv("model.layers.{0}.", layer).str();
    q = p + "self_attn.q_proj.weight";
    k = p + "self_attn.k_proj.weight";
    v = p + "self_attn.v_proj.weight";
    o = p + "self_attn.o_proj.weight";
    gate = p + "mlp.gate_proj.weight";
    up = p + "mlp.up_proj.weight";
    down = p + "mlp.down_proj.weight";
    inputNorm = p + "input_layernorm.weight";
    postNorm = p + "post_attention_layernorm.weight";
    attentionSubNorm = p + "self_attn.attn_sub_norm.weight";
    mlpSubNorm = p + "mlp.ffn_sub_norm.weight";
  }
};

class Planner {
public:
  Planner(MLIRContext &context, const ModelOptions &options,
          int64_t modelParallel, int64_t scaleBlock)
      : b(&context), options(options), shards(modelParallel),
        scaleBlock(scaleBlock) {}

  WeightSlot slot(RankedTensorType type) {
    WeightSlot result{cursor, type};
    cursor = llvm::alignTo(cursor + result.getByteSize(),
                           TRILM_WEIGHTS_ALIGNMENT);
    return result;
  }

  WeightSlot vector(int64_t size) {
    return slot(RankedTensorType::get({size}, b.getF32Type()));
  }

  /// Parts stacked along N (fused projections), each with `shards` scales
  /// along `axis`, or one scale per row and `scaleBlock` columns.
  TernarySlot ternary(ArrayRef<int64_t> rowsPerPart, int64_t cols,
                      ShardAxis axis) {
    if (scaleBlock > 0)
      return ternary(sum(rowsPerPart), cols,
                     ScaleGroupsAttr::get(b.getContext(), {}, 1, {},
                                          scaleBlock));
    int64_t rows = 0;
    SmallVector<int64_t> rowSplits, colSplits;
    for (int64_t partRows : rowsPerPart) {
      if (axis == ShardAxis::Rows)
        for (int64_t s = 0; s < shards; ++s)
          if (rows + s * partRows / shards > 0)
            rowSplits.push_back(rows + s * partRows / shards);
      rows += partRows;
    }
    if (axis == ShardAxis::Cols)
      for (int64_t s = 1; s < shards; ++s)
        colSplits.push_back(s * cols / shards);
    return ternary(rows, cols, ScaleGroupsAttr::get(b.getContext(), rowSplits,
                                                    0, colSplits, 0));
  }

  int64_t cursor = TRILM_WEIGHTS_HEADER_BYTES;
  Builder b;

private:
  static int64_t sum(ArrayRef<int64_t> values) {
    return std::accumulate(values.begin(), values.end(), int64_t(0));
  }

  TernarySlot ternary(int64_t rows, int64_t cols, ScaleGroupsAttr groups) {
    // Row-major until a target's strategy chooses a layout of the same
    // size, or trit triples (a different size) when the options ask.
    PackedLayoutAttrInterface layout;
    if (options.tritTriples && options.packing == PackingScheme::tq1 &&
        rows % packing::kTripleRows == 0)
      layout = TritTriplesAttr::get(b.getContext());
    TernarySlot result;
    result.type =
        PackedType::get(b.getContext(), rows, cols, options.packing, layout);
    result.groups = groups;
    result.packed = slot(result.type.getStorageType());
    result.scales = slot(RankedTensorType::get(
        {groups.getNumRowGroups(rows), groups.getNumColGroups(cols)},
        b.getF32Type()));
    return result;
  }

  const ModelOptions &options;
  int64_t shards;
  int64_t scaleBlock;
};

/// Streams the weights out in layout order.
class Importer {
public:
  Importer(const Checkpoint &checkpoint, const WeightsLayout &layout,
           const ModelOptions &options,
           llvm::function_ref<void(int64_t, ArrayRef<char>)> write)
      : checkpoint(checkpoint), config(checkpoint.getConfig()),
        layout(layout), options(options), write(write) {}

  llvm::Error run();

private:
  llvm::Expected<TensorView> tensor(StringRef name, ArrayRef<int64_t> shape) {
    auto view = checkpoint.getTensor(name, shape);
    if (view && options.progress)
      options.progress(++done, total);
    return view;
  }

  void writeFloats(int64_t offset, ArrayRef<float> values) {
    write(offset, ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                                 values.size() * sizeof(float)));
  }

  llvm::Error raw(StringRef name, const WeightSlot &slot) {
    auto view = tensor(name, slot.type.getShape());
    if (!view)
      return view.takeError();
    write(slot.offset,
          ArrayRef<char>(reinterpret_cast<const char *>(view->bytes.data()),
                         view->bytes.size()));
    releasePages(view->bytes);
    return llvm::Error::success();
  }

  llvm::Error vector(StringRef name, int64_t offset, int64_t size) {
    auto view = tensor(name, {size});
    if (!view)
      return view.takeError();
    std::vector<float> values(size);
    view->read(0, values);
    writeFloats(offset, values);
    return llvm::Error::success();
  }

  llvm::Error ternary(ArrayRef<std::string> names,
                      ArrayRef<int64_t> rowsPerPart, int64_t cols,
                      ShardAxis axis, const TernarySlot &slot, int64_t base);

  const Checkpoint &checkpoint;
  const LlamaConfig &config;
  const WeightsLayout &layout;
  const ModelOptions &options;
  llvm::function_ref<void(int64_t, ArrayRef<char>)> write;
  int64_t done = 0;
  int64_t total = 0;
};

llvm::Error Importer::ternary(ArrayRef<std::string> names,
                              ArrayRef<int64_t> rowsPerPart, int64_t cols,
                              ShardAxis axis, const TernarySlot &slot,
                              int64_t base) {
  std::vector<int8_t> trits;
  trits.reserve(slot.type.getRows() * cols);
  std::vector<float> scales;
  for (auto [name, rows] : llvm::zip_equal(names, rowsPerPart)) {
    auto matrix =
        checkpoint.getTernary(name, rows, cols, axis, options.ternarize);
    if (!matrix)
      return matrix.takeError();
    if (options.progress)
      options.progress(++done, total);
    llvm::append_range(trits, matrix->trits);
    llvm::append_range(scales, matrix->scales);
  }
  std::vector<uint8_t> storage(slot.type.getStorageType().getNumElements());
  packing::Status status = slot.type.pack(trits, storage);
  if (!status.ok())
    return llvm::createStringError("packing " + names.front() + ": " +
                                   status.message);
  write(base + slot.packed.offset,
        ArrayRef<char>(reinterpret_cast<const char *>(storage.data()),
                       storage.size()));
  writeFloats(base + slot.scales.offset, scales);
  return llvm::Error::success();
}

llvm::Error Importer::run() {
  const LlamaConfig &c = config;
  int64_t qWidth = c.numHeads * c.headDim;
  int64_t kvWidth = c.numKVHeads * c.headDim;
  bool bitnet = c.architecture == import::Architecture::BitNet;
  total = 2 + (c.tieWordEmbeddings ? 0 : 1) + (bitnet ? 11 : 9) * c.numLayers;
  if (auto error = raw("model.embed_tokens.weight", layout.embedding))
    return error;
  if (!c.tieWordEmbeddings)
    if (auto error = raw("lm_head.weight", layout.lmHead))
      return error;
  if (auto error =
          vector("model.norm.weight", layout.finalNorm.offset, c.hiddenSize))
    return error;
  const BlockSlots &block = layout.block;
  for (int64_t layer = 0; layer < c.numLayers; ++layer) {
    BlockNames names(layer);
    int64_t base = layout.firstLayer + layer * layout.layerStride;
    if (auto error = ternary({names.q, names.k, names.v},
                             {qWidth, kvWidth, kvWidth}, c.hiddenSize,
                             ShardAxis::Rows, block.qkv, base))
      return error;
    if (auto error = ternary({names.o}, {c.hiddenSize}, qWidth,
                             ShardAxis::Cols, block.output, base))
      return error;
    if (auto error = ternary({names.gate, names.up},
                             {c.intermediateSize, c.intermediateSize},
                             c.hiddenSize, ShardAxis::Rows, block.gateUp, base))
      return error;
    if (auto error = ternary({names.down}, {c.hiddenSize}, c.intermediateSize,
                             ShardAxis::Cols, block.down, base))
      return error;
    if (auto error = vector(names.inputNorm, base + block.inputNorm.offset,
                            c.hiddenSize))
      return error;
    if (auto error = vector(names.postNorm,
                            base + block.postAttentionNorm.offset,
                            c.hiddenSize))
      return error;
    if (c.architecture != import::Architecture::BitNet)
      continue;
    if (auto error = vector(names.attentionSubNorm,
                            base + block.attentionSubNorm.offset, qWidth))
      return error;
    if (auto error = vector(names.mlpSubNorm, base + block.mlpSubNorm.offset,
                            c.intermediateSize))
      return error;
  }
  return llvm::Error::success();
}

/// Checks that every tensor the model reads exists with the shape
/// config.json implies, before anything is sized from the config.
llvm::Error checkTensors(const Checkpoint &checkpoint) {
  const LlamaConfig &c = checkpoint.getConfig();
  int64_t qWidth = c.numHeads * c.headDim;
  int64_t kvWidth = c.numKVHeads * c.headDim;
  auto check = [&](StringRef name, ArrayRef<int64_t> shape) {
    return checkpoint.checkShape(name, shape);
  };
  if (auto error = check("model.norm.weight", {c.hiddenSize}))
    return error;
  for (int64_t layer = 0; layer < c.numLayers; ++layer) {
    BlockNames names(layer);
    std::tuple<StringRef, int64_t, int64_t> ternary[] = {
        {names.q, qWidth, c.hiddenSize},
        {names.k, kvWidth, c.hiddenSize},
        {names.v, kvWidth, c.hiddenSize},
        {names.o, c.hiddenSize, qWidth},
        {names.gate, c.intermediateSize, c.hiddenSize},
        {names.up, c.intermediateSize, c.hiddenSize},
        {names.down, c.hiddenSize, c.intermediateSize},
    };
    for (auto &[name, rows, cols] : ternary)
      if (auto error = checkpoint.checkTernary(name, rows, cols))
        return error;
    SmallVector<std::pair<StringRef, int64_t>> norms = {
        {names.inputNorm, c.hiddenSize}, {names.postNorm, c.hiddenSize}};
    if (c.architecture == import::Architecture::BitNet)
      norms.append({{names.attentionSubNorm, qWidth},
                    {names.mlpSubNorm, c.intermediateSize}});
    for (auto &[name, size] : norms)
      if (auto error = check(name, {size}))
        return error;
  }
  return llvm::Error::success();
}

/// With tie_word_embeddings, transformers loads a checkpoint's
/// lm_head.weight into the tensor shared with the embedding; trilm uses the
/// embedding for both, so a different lm_head.weight is refused rather than
/// silently ignored.
llvm::Error checkTiedOutput(const Checkpoint &checkpoint) {
  const LlamaConfig &c = checkpoint.getConfig();
  if (!c.tieWordEmbeddings || !checkpoint.hasTensor("lm_head.weight"))
    return llvm::Error::success();
  auto embedding = checkpoint.getTensor("model.embed_tokens.weight");
  auto lmHead = checkpoint.getTensor("lm_head.weight");
  if (!embedding)
    return embedding.takeError();
  if (!lmHead)
    return lmHead.takeError();
  if (embedding->dtype == lmHead->dtype && embedding->shape == lmHead->shape &&
      llvm::equal(embedding->bytes, lmHead->bytes))
    return llvm::Error::success();
  return llvm::createStringError(
      "config.json sets tie_word_embeddings, but the checkpoint's "
      "lm_head.weight differs from model.embed_tokens.weight (transformers "
      "would use lm_head.weight for both): drop one of them or set "
      "tie_word_embeddings to false");
}

} // namespace

llvm::Expected<WeightsLayout>
trilm::frontend::planWeights(MLIRContext &context, const Checkpoint &checkpoint,
                          const ModelOptions &options) {
  const LlamaConfig &c = checkpoint.getConfig();
  int64_t qWidth = c.numHeads * c.headDim;
  int64_t kvWidth = c.numKVHeads * c.headDim;
  if (auto error = checkTensors(checkpoint))
    return std::move(error);
  if (auto error = checkTiedOutput(checkpoint))
    return std::move(error);
  Planner plan(context, options, c.modelParallel, checkpoint.getScaleBlock());
  WeightsLayout layout;

  auto matrixSlot = [&](StringRef name) -> llvm::Expected<WeightSlot> {
    auto view = checkpoint.getTensor(name, {c.vocabSize, c.hiddenSize});
    if (!view)
      return view.takeError();
    return plan.slot(RankedTensorType::get(
        {c.vocabSize, c.hiddenSize}, elementTypeOf(plan.b, view->dtype)));
  };
  auto embedding = matrixSlot("model.embed_tokens.weight");
  if (!embedding)
    return embedding.takeError();
  layout.embedding = *embedding;
  if (c.tieWordEmbeddings) {
    layout.lmHead = layout.embedding;
  } else {
    auto lmHead = matrixSlot("lm_head.weight");
    if (!lmHead)
      return lmHead.takeError();
    layout.lmHead = *lmHead;
  }
  layout.finalNorm = plan.vector(c.hiddenSize);
  layout.firstLayer = plan.cursor;

  plan.cursor = 0;
  BlockSlots &block = layout.block;
  block.qkv = plan.ternary({qWidth, kvWidth, kvWidth}, c.hiddenSize,
                           ShardAxis::Rows);
  block.output = plan.ternary({c.hiddenSize}, qWidth, ShardAxis::Cols);
  block.gateUp = plan.ternary({c.intermediateSize, c.intermediateSize},
                              c.hiddenSize, ShardAxis::Rows);
  block.down = plan.ternary({c.hiddenSize}, c.intermediateSize,
                            ShardAxis::Cols);
  block.inputNorm = plan.vector(c.hiddenSize);
  block.postAttentionNorm = plan.vector(c.hiddenSize);
  if (c.architecture == import::Architecture::BitNet) {
    block.attentionSubNorm = plan.vector(qWidth);
    block.mlpSubNorm = plan.vector(c.intermediateSize);
  }
  layout.layerStride = plan.cursor;
  layout.totalBytes = layout.firstLayer + c.numLayers * layout.layerStride;
  return layout;
}

llvm::Error trilm::frontend::importWeights(
    const Checkpoint &checkpoint, const WeightsLayout &layout,
    const ModelOptions &options,
    llvm::function_ref<void(int64_t, ArrayRef<char>)> write) {
  return Importer(checkpoint, layout, options, write).run();
}
