//===- LlamaGraph.cpp - A LLaMA decoder exported to ONNX ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// torch.onnx.export names every node by its module scope
// ("/model/layers.3/self_attn/q_proj/MatMul"), so the parts of a
// LlamaForCausalLM export are found by scope; each part is then checked to
// be the decomposed subgraph trilm's `llm` op computes: RMSNorm as
// Pow/ReduceMean/Add/Sqrt/Div/Mul/Mul with its epsilon, rotate-half RoPE
// (Slice/Neg/Concat) with frequencies theta^(-2i/d), causal softmax attention
// scaled by 1/sqrt(d), SiLU gating (Sigmoid/Mul), no biases. The weights
// (transposed MatMul initializers) become an import::Checkpoint under their
// Hugging Face names, so the model compiles exactly as its checkpoint would.
//
//===----------------------------------------------------------------------===//

#include "ModelFile.h"

#include "trilm/Frontend/ONNX/ONNXImport.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace trilm;
using namespace trilm::import;
using trilm::onnx_import::detail::ModelFile;

namespace {

/// The most model-parallel shards whose scales are looked for.
constexpr int64_t kMaxShards = 8;

/// Input `index` of `node`, or "" when it has fewer: the file decides how
/// many a node has.
llvm::StringRef operand(const onnx::NodeProto &node, int index) {
  return index < node.input_size() ? llvm::StringRef(node.input(index)) : "";
}

class LlamaGraph final : public Checkpoint {
public:
  static llvm::Expected<std::unique_ptr<Checkpoint>>
  recognise(onnx_import::Model file, llvm::StringRef prefix);

  llvm::Expected<TensorView> getTensor(llvm::StringRef name) const override;
  llvm::Expected<TensorView>
  getTensor(llvm::StringRef name, llvm::ArrayRef<int64_t> shape) const override;
  bool hasTensor(llvm::StringRef name) const override {
    return tensors.contains(name);
  }

private:
  struct Tensor {
    std::vector<float> values;
    llvm::SmallVector<int64_t, 2> shape;
  };

  llvm::Error error(const llvm::Twine &message) const {
    return file->error(message);
  }
  /// The node named `name`, or an error saying the export lacks it.
  llvm::Expected<const onnx::NodeProto *> node(const llvm::Twine &name) const;
  /// Nodes whose name starts with `scope`, by op type.
  llvm::StringMap<llvm::SmallVector<const onnx::NodeProto *>>
  scoped(const llvm::Twine &scope) const;
  /// The constant (Constant node or initializer) named `value`.
  const onnx::TensorProto *constant(llvm::StringRef value) const;
  /// One f32 constant.
  std::optional<float> scalar(llvm::StringRef value) const;
  /// The values of an int64 constant held in the file.
  std::optional<std::vector<int64_t>> integers(llvm::StringRef value) const;

  llvm::Error readEmbedding();
  /// The RMSNorm under `scope`: its weight (stored as `name`) and epsilon.
  llvm::Expected<double> readNorm(const llvm::Twine &scope,
                                  llvm::StringRef name);
  /// The MatMul `scope`/MatMul by a constant [K, N], stored as `name` [N, K].
  llvm::Expected<std::pair<int64_t, int64_t>>
  readProjection(const llvm::Twine &scope, llvm::StringRef name);
  llvm::Error readLayer(int64_t layer);
  llvm::Error readRope();
  /// The fewest shards under which every block weight is ternary.
  void findShards();

  onnx_import::Model file;
  std::string prefix, outer;
  llvm::StringMap<const onnx::NodeProto *> nodes;
  llvm::StringMap<const onnx::TensorProto *> constants;
  llvm::StringMap<Tensor> tensors;
};

} // namespace

llvm::Expected<const onnx::NodeProto *>
LlamaGraph::node(const llvm::Twine &name) const {
  std::string key = name.str();
  if (const onnx::NodeProto *found = nodes.lookup(key))
    return found;
  return error("the LLaMA export has no node '" + key + "'");
}

llvm::StringMap<llvm::SmallVector<const onnx::NodeProto *>>
LlamaGraph::scoped(const llvm::Twine &scope) const {
  std::string key = scope.str();
  llvm::StringMap<llvm::SmallVector<const onnx::NodeProto *>> result;
  for (const onnx::NodeProto &each : file->getGraph().node())
    if (llvm::StringRef(each.name()).starts_with(key))
      result[each.op_type()].push_back(&each);
  return result;
}

const onnx::TensorProto *LlamaGraph::constant(llvm::StringRef value) const {
  return constants.lookup(value);
}

std::optional<float> LlamaGraph::scalar(llvm::StringRef value) const {
  const onnx::TensorProto *tensor = constant(value);
  if (!tensor || tensor->data_type() != onnx::TensorProto_DataType_FLOAT)
    return std::nullopt;
  auto data = file->readTensor(*tensor);
  if (!data) {
    llvm::consumeError(data.takeError());
    return std::nullopt;
  }
  if (data->size() != 1)
    return std::nullopt;
  return data->front();
}

std::optional<std::vector<int64_t>>
LlamaGraph::integers(llvm::StringRef value) const {
  const onnx::TensorProto *tensor = constant(value);
  if (!tensor || tensor->data_type() != onnx::TensorProto_DataType_INT64 ||
      tensor->data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
    return std::nullopt;
  if (!tensor->has_raw_data())
    return std::vector<int64_t>(tensor->int64_data().begin(),
                                tensor->int64_data().end());
  const std::string &raw = tensor->raw_data();
  std::vector<int64_t> result(raw.size() / sizeof(int64_t));
  std::memcpy(result.data(), raw.data(), result.size() * sizeof(int64_t));
  return result;
}

llvm::Error LlamaGraph::readEmbedding() {
  auto gather = node(prefix + "/embed_tokens/Gather");
  if (!gather)
    return gather.takeError();
  const onnx::TensorProto *table = constant(operand(**gather, 0));
  if (!table || table->dims_size() != 2 || table->dims(0) <= 0 ||
      table->dims(1) <= 0)
    return error("the embedding is not a constant 2-D table");
  auto data = file->readTensor(*table);
  if (!data)
    return data.takeError();
  config.vocabSize = table->dims(0);
  config.hiddenSize = table->dims(1);
  tensors["model.embed_tokens.weight"] = {
      std::move(*data), {config.vocabSize, config.hiddenSize}};
  return llvm::Error::success();
}

llvm::Expected<double> LlamaGraph::readNorm(const llvm::Twine &scope,
                                            llvm::StringRef name) {
  std::string where = scope.str();
  auto ops = scoped(where);
  auto count = [&](llvm::StringRef op) { return ops.lookup(op).size(); };
  for (const auto &entry : ops)
    if (!llvm::is_contained({"Cast", "Pow", "ReduceMean", "Add", "Sqrt", "Div",
                             "Reciprocal", "Mul", "Constant"},
                            entry.getKey()))
      return error("'" + where + "' has a " + entry.getKey() +
                   " node: not the RMSNorm trilm compiles");
  if (count("Pow") != 1 || count("ReduceMean") != 1 || count("Add") != 1 ||
      count("Sqrt") != 1 || count("Div") + count("Reciprocal") != 1 ||
      count("Mul") != 2)
    return error("'" + where +
                 "' is not an RMSNorm (Pow, ReduceMean, Add, Sqrt, Div, Mul, "
                 "Mul)");
  const onnx::NodeProto &pow = *ops["Pow"].front();
  if (scalar(operand(pow, 1)) != 2.0f)
    return error("'" + where + "' squares by Pow with another exponent");
  if (ops.count("Div") && scalar(operand(*ops["Div"].front(), 0)) != 1.0f)
    return error("'" + where + "' divides something other than 1");
  const onnx::NodeProto &add = *ops["Add"].front();
  std::optional<float> epsilon = scalar(operand(add, 1));
  if (!epsilon)
    epsilon = scalar(operand(add, 0));
  if (!epsilon || !(*epsilon > 0))
    return error("'" + where + "' adds no positive constant epsilon");
  for (const onnx::NodeProto *mul : ops["Mul"])
    for (const std::string &input : mul->input())
      if (const onnx::TensorProto *weight = constant(input);
          weight && weight->dims_size() == 1) {
        auto data = file->readTensor(*weight);
        if (!data)
          return data.takeError();
        int64_t size = weight->dims(0);
        tensors[name] = {std::move(*data), {size}};
        return double(*epsilon);
      }
  return error("'" + where + "' has no constant weight");
}

llvm::Expected<std::pair<int64_t, int64_t>>
LlamaGraph::readProjection(const llvm::Twine &scope, llvm::StringRef name) {
  auto matmul = node(scope + "/MatMul");
  if (!matmul)
    return matmul.takeError();
  const onnx::TensorProto *weight = constant(operand(**matmul, 1));
  if (!weight || weight->dims_size() != 2)
    return error("'" + (*matmul)->name() +
                 "' does not multiply by a constant 2-D weight");
  // A bias would follow as an Add in the same scope.
  if (!scoped(scope + "/Add").empty())
    return error("'" + scope +
                 "' adds a bias; trilm compiles LLaMA without "
                 "biases");
  auto data = file->readTensor(*weight);
  if (!data)
    return data.takeError();
  int64_t k = weight->dims(0), n = weight->dims(1);
  std::vector<float> transposed(data->size());
  for (int64_t row = 0; row < k; ++row)
    for (int64_t col = 0; col < n; ++col)
      transposed[col * k + row] = (*data)[row * n + col];
  tensors[name] = {std::move(transposed), {n, k}};
  return std::make_pair(n, k);
}

llvm::Error LlamaGraph::readLayer(int64_t layer) {
  std::string scope = llvm::formatv("{0}/layers.{1}/", prefix, layer).str();
  std::string name = llvm::formatv("model.layers.{0}.", layer).str();
  for (const char *norm : {"input_layernorm", "post_attention_layernorm"}) {
    auto epsilon = readNorm(scope + norm + "/", name + norm + ".weight");
    if (!epsilon)
      return epsilon.takeError();
    if (layer == 0 && llvm::StringRef(norm) == "input_layernorm")
      config.rmsNormEps = *epsilon;
    else if (*epsilon != config.rmsNormEps)
      return error("'" + scope + norm +
                   "' has another epsilon than the first norm");
  }
  int64_t widths[7][2];
  const char *projections[] = {"self_attn/q_proj", "self_attn/k_proj",
                               "self_attn/v_proj", "self_attn/o_proj",
                               "mlp/gate_proj",    "mlp/up_proj",
                               "mlp/down_proj"};
  for (auto [index, projection] : llvm::enumerate(projections)) {
    std::string weight = name + projection + ".weight";
    std::replace(weight.begin(), weight.end(), '/', '.');
    auto shape = readProjection(scope + projection, weight);
    if (!shape)
      return shape.takeError();
    widths[index][0] = shape->first;
    widths[index][1] = shape->second;
  }
  int64_t hidden = config.hiddenSize;
  int64_t queries = widths[0][0], keys = widths[1][0];
  config.intermediateSize = widths[4][0];
  if (widths[0][1] != hidden || widths[1][1] != hidden ||
      widths[2][0] != keys || widths[3][0] != hidden ||
      widths[3][1] != queries || widths[5][0] != widths[4][0] ||
      widths[6][1] != widths[4][0] || widths[6][0] != hidden)
    return error("the projections of '" + scope +
                 "' do not have a LLaMA block's shapes");

  // Attention: rotate-half RoPE on q and k, softmax, 1/sqrt(d) scaling.
  auto attention = scoped(scope + "self_attn/");
  for (const auto &entry : attention)
    if (!llvm::is_contained(
            {"MatMul", "Reshape",  "Transpose", "Mul",       "Slice",
             "Neg",    "Concat",   "Add",       "Unsqueeze", "ConstantOfShape",
             "Equal",  "Where",    "Expand",    "Div",       "Softmax",
             "Cast",   "Constant", "Shape",     "Gather",    "Squeeze"},
            entry.getKey()))
      return error("'" + scope + "self_attn' has a " + entry.getKey() +
                   " node: not the attention trilm compiles");
  if (attention.lookup("Softmax").size() != 1 ||
      attention.lookup("Neg").size() != 2)
    return error("'" + scope +
                 "self_attn' is not softmax attention with "
                 "rotate-half RoPE on q and k");
  const onnx::NodeProto *reshape = nullptr;
  for (const onnx::NodeProto *each : attention.lookup("Reshape"))
    if (operand(*each, 0).contains("/q_proj/"))
      reshape = each;
  std::optional<std::vector<int64_t>> headShape =
      reshape ? integers(operand(*reshape, 1)) : std::nullopt;
  if (!headShape || headShape->empty() || headShape->back() <= 0 ||
      queries % headShape->back() != 0 || keys % headShape->back() != 0)
    return error("'" + scope +
                 "self_attn' does not split q into heads by a "
                 "constant Reshape");
  int64_t headDim = headShape->back();
  if (headDim % 2 != 0 || headDim > 1024)
    return error("'" + scope + "self_attn' has heads of " +
                 llvm::Twine(headDim) +
                 " elements; rotate-half RoPE needs an even head size up to "
                 "1024");
  if (layer == 0) {
    config.headDim = headDim;
    config.numHeads = queries / headDim;
    config.numKVHeads = keys / headDim;
  } else if (headDim != config.headDim ||
             queries / headDim != config.numHeads ||
             keys / headDim != config.numKVHeads) {
    return error("'" + scope + "self_attn' has other heads than layer 0");
  }
  if (config.numHeads % config.numKVHeads != 0)
    return error("'" + scope + "self_attn': " + llvm::Twine(config.numKVHeads) +
                 " key/value heads do not divide " +
                 llvm::Twine(config.numHeads) + " query heads");
  // Scores scaled by 1/sqrt(d): a Div by sqrt(d) or a Mul by its inverse.
  double root = std::sqrt(double(headDim));
  auto near = [](std::optional<float> value, double want) {
    return value && std::fabs(*value - want) <= 1e-6 * want;
  };
  bool scaled = llvm::any_of(attention.lookup("Div"), [&](auto *div) {
    return near(scalar(operand(*div, 1)), root);
  });
  scaled |= llvm::any_of(attention.lookup("Mul"), [&](auto *mul) {
    return near(scalar(operand(*mul, 1)), 1.0 / root) ||
           near(scalar(operand(*mul, 0)), 1.0 / root);
  });
  if (!scaled)
    return error("'" + scope +
                 "self_attn' does not scale its scores by "
                 "1/sqrt(" +
                 llvm::Twine(headDim) + ")");

  // SiLU gating: gate * sigmoid(gate), times up.
  auto activation = scoped(scope + "mlp/act_fn/");
  if (activation.lookup("Sigmoid").size() != 1 ||
      activation.lookup("Mul").size() != 1 ||
      llvm::any_of(activation, [](const auto &entry) {
        return !llvm::is_contained({"Sigmoid", "Mul", "Cast"}, entry.getKey());
      }))
    return error("'" + scope + "mlp/act_fn' is not SiLU (Sigmoid, Mul)");
  return llvm::Error::success();
}

llvm::Error LlamaGraph::readRope() {
  std::string scope = prefix + "/rotary_emb/";
  auto rotary = scoped(scope);
  std::vector<float> frequencies;
  for (const onnx::NodeProto *expand : rotary.lookup("Expand")) {
    const onnx::TensorProto *tensor = constant(operand(*expand, 0));
    if (!tensor || tensor->data_type() != onnx::TensorProto_DataType_FLOAT)
      continue;
    auto data = file->readTensor(*tensor);
    if (!data)
      return data.takeError();
    frequencies = std::move(*data);
  }
  int64_t half = config.headDim / 2;
  if (static_cast<int64_t>(frequencies.size()) != half || half < 2)
    return error("'" + scope + "' has no " + llvm::Twine(half) +
                 " RoPE frequencies");
  // inv_freq[i] = theta^(-2i/d): theta from i = 1, then every entry checked
  // (scaled RoPE variants change them).
  double theta = std::exp(-std::log(double(frequencies[1])) * half);
  for (int64_t i = 0; i < half; ++i) {
    double want = std::pow(theta, -2.0 * i / config.headDim);
    if (std::fabs(frequencies[i] - want) > 1e-5 * want)
      return error("the RoPE frequencies of '" + scope +
                   "' are not theta^(-2i/d): scaled RoPE is not supported");
  }
  config.ropeTheta = theta;
  // cos and sin are multiplied by transformers' attention scaling: 1 unless
  // the RoPE is scaled.
  for (const onnx::NodeProto *mul : rotary.lookup("Mul"))
    if (auto factor = scalar(operand(*mul, 1));
        factor && operand(*mul, 0).contains("/Cos") &&
        *factor != 1.0f)
      return error("'" + scope +
                   "' scales cos and sin: scaled RoPE is not "
                   "supported");
  return llvm::Error::success();
}

void LlamaGraph::findShards() {
  // The magnitudes of a TriLM's weights change at shard boundaries only: the
  // fewest shards under which every block weight is ternary.
  config.modelParallel = 1;
  int64_t queries = config.numHeads * config.headDim;
  int64_t keys = config.numKVHeads * config.headDim;
  for (int64_t shards = 1; shards <= kMaxShards; ++shards) {
    if (queries % shards || keys % shards || config.intermediateSize % shards ||
        config.hiddenSize % shards)
      continue;
    bool ternary = true;
    for (int64_t layer = 0; ternary && layer < config.numLayers; ++layer)
      for (const char *projection :
           {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
            "mlp.down_proj"}) {
        std::string name =
            llvm::formatv("model.layers.{0}.{1}.weight", layer, projection);
        ShardAxis axis =
            llvm::StringRef(projection).ends_with("o_proj") ||
                    llvm::StringRef(projection).ends_with("down_proj")
                ? ShardAxis::Cols
                : ShardAxis::Rows;
        auto matrix =
            extractTernary(*getTensor(name), shards, axis, Ternarize::None);
        if (!matrix) {
          llvm::consumeError(matrix.takeError());
          ternary = false;
          break;
        }
      }
    if (ternary) {
      config.modelParallel = shards;
      return;
    }
  }
}

llvm::Expected<std::unique_ptr<Checkpoint>>
LlamaGraph::recognise(onnx_import::Model file, llvm::StringRef prefix) {
  std::unique_ptr<LlamaGraph> graph(new LlamaGraph());
  graph->file = std::move(file);
  graph->prefix = prefix.str();
  graph->outer = prefix.rsplit('/').first.str();
  const onnx::GraphProto &proto = graph->file->getGraph();
  for (const onnx::NodeProto &each : proto.node()) {
    graph->nodes[each.name()] = &each;
    if (each.op_type() == "Constant" && each.output_size() == 1)
      for (const onnx::AttributeProto &attribute : each.attribute())
        if (attribute.name() == "value")
          graph->constants[each.output(0)] = &attribute.t();
  }
  for (const onnx::TensorProto &tensor : proto.initializer())
    graph->constants[tensor.name()] = &tensor;

  bool hasTokens = false;
  for (const onnx::ValueInfoProto &input : proto.input()) {
    llvm::StringRef name = input.name();
    if (graph->constants.contains(name))
      continue;
    hasTokens |= name == "input_ids";
    if (name != "input_ids" && name != "attention_mask" &&
        name != "position_ids" && !name.starts_with("past_key_values"))
      return graph->error("input '" + name +
                          "' is not one of a LLaMA decoder's (input_ids, "
                          "attention_mask, position_ids, past_key_values.*)");
  }
  if (!hasTokens)
    return graph->error("the LLaMA export has no input 'input_ids'");

  LlamaConfig &config = graph->config;
  config.maxPositions = 2048;
  if (llvm::Error error = graph->readEmbedding())
    return std::move(error);
  while (graph->nodes.contains(
      llvm::formatv("{0}/layers.{1}/self_attn/q_proj/MatMul", prefix,
                    config.numLayers)
          .str()))
    if (llvm::Error error = graph->readLayer(config.numLayers++))
      return std::move(error);
  auto epsilon = graph->readNorm(prefix + "/norm/", "model.norm.weight");
  if (!epsilon)
    return epsilon.takeError();
  if (*epsilon != config.rmsNormEps)
    return graph->error("the final norm has another epsilon than the layers'");
  auto head =
      graph->readProjection(graph->outer + "/lm_head", "lm_head.weight");
  if (!head)
    return head.takeError();
  if (head->first != config.vocabSize || head->second != config.hiddenSize)
    return graph->error("lm_head does not map the hidden size to the "
                        "vocabulary");
  auto lmHead = graph->node(graph->outer + "/lm_head/MatMul");
  if (proto.output_size() == 0 || (*lmHead)->output_size() != 1 ||
      proto.output(0).name() != (*lmHead)->output(0))
    return graph->error("the first output is not lm_head's logits");
  if (llvm::Error error = graph->readRope())
    return std::move(error);
  graph->findShards();
  return std::unique_ptr<Checkpoint>(std::move(graph));
}

llvm::Expected<TensorView> LlamaGraph::getTensor(llvm::StringRef name) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return error("the LLaMA export has no weight '" + name + "'");
  TensorView view;
  view.name = name.str();
  view.dtype = DType::F32;
  view.shape = it->second.shape;
  view.bytes = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(it->second.values.data()),
      it->second.values.size() * sizeof(float));
  return view;
}

llvm::Expected<TensorView>
LlamaGraph::getTensor(llvm::StringRef name,
                      llvm::ArrayRef<int64_t> shape) const {
  auto view = getTensor(name);
  if (view && llvm::ArrayRef<int64_t>(view->shape) != shape)
    return error("weight '" + name + "' has the wrong shape");
  return view;
}

llvm::Expected<std::unique_ptr<Checkpoint>>
trilm::onnx_import::openLlamaCheckpoint(Model &model) {
  // The scope of the decoder stack, from its first projection.
  constexpr llvm::StringLiteral kFirstProjection =
      "/layers.0/self_attn/q_proj/MatMul";
  for (const onnx::NodeProto &node : model->getGraph().node())
    if (llvm::StringRef name = node.name();
        name.ends_with(kFirstProjection)) {
      std::string prefix = name.drop_back(kFirstProjection.size()).str();
      return LlamaGraph::recognise(std::move(model), prefix);
    }
  return nullptr;
}
