//===- ONNXImport.cpp - ONNX graphs as MLIR -------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//
//
// The graph's nodes are visited in file order (ONNX requires a topological
// order), each becoming linalg ops on tensors: MatMul and Gemm a
// linalg.matmul (constant weights as constants, for ternary-raise-matmul),
// element-wise ops one linalg.generic with NumPy broadcasting. Values keep
// static shapes; anything else is refused with the node's name.
//
//===----------------------------------------------------------------------===//

#include "trilm/Frontend/ONNX/ONNXImport.h"

#include "ModelFile.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <functional>

using namespace mlir;
using namespace trilm;
using trilm::onnx_import::detail::ModelFile;

namespace {

/// Constants with more elements than this become resource blobs, so that
/// weights are neither printed inline nor copied into uniqued attributes.
constexpr int64_t kInlineConstantElements = 256;

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [index, dim] : llvm::enumerate(shape))
    text += (index ? ", " : "") + std::to_string(dim);
  return text + "]";
}

/// A symbol-safe form of an ONNX name.
std::string sanitize(llvm::StringRef name, llvm::StringRef fallback) {
  std::string result;
  for (char c : name)
    result += llvm::isAlnum(c) ? c : '_';
  if (result.empty() || llvm::isDigit(result.front()))
    return fallback.str();
  return result;
}

template <typename OpT>
Value createBinary(OpBuilder &b, Location loc, Value x, Value y) {
  return OpT::create(b, loc, x, y);
}

template <typename OpT> Value createUnary(OpBuilder &b, Location loc, Value x) {
  return OpT::create(b, loc, x);
}

const onnx::AttributeProto *findAttribute(const onnx::NodeProto &node,
                                          llvm::StringRef name) {
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == name)
      return &attribute;
  return nullptr;
}

using BodyBuilder =
    std::function<Value(OpBuilder &, Location, ArrayRef<Value>)>;

class Importer {
public:
  Importer(MLIRContext &context, const ModelFile &file)
      : context(context), b(&context), file(file), model(file.getModel()) {}

  llvm::Expected<OwningOpRef<ModuleOp>> run();

private:
  llvm::Error error(const llvm::Twine &message) { return file.error(message); }
  llvm::Error nodeError(const onnx::NodeProto &node,
                        const llvm::Twine &message) {
    return error("node '" + node.name() + "' (" + node.op_type() +
                 "): " + message);
  }

  llvm::Expected<Value> constant(const onnx::TensorProto &tensor);
  llvm::Expected<RankedTensorType> valueType(const onnx::ValueInfoProto &info,
                                             llvm::StringRef what);
  llvm::Expected<Value> input(const onnx::NodeProto &node, int index);
  /// Inputs 0 to `count` - 1 of `node`.
  llvm::Expected<SmallVector<Value>> inputs(const onnx::NodeProto &node,
                                            int count);
  llvm::Error importNode(const onnx::NodeProto &node);
  /// lhs x rhs, or lhs x rhs^T (both 2-D).
  llvm::Expected<Value> matmul(const onnx::NodeProto &node, Value lhs,
                               Value rhs, Location loc,
                               bool transposeRHS = false);
  /// alpha * A x B (or B^T) + beta * C.
  llvm::Expected<Value> gemm(const onnx::NodeProto &node, Location loc);
  llvm::Expected<Value> elementwise(const onnx::NodeProto &node,
                                    ArrayRef<Value> operands,
                                    const BodyBuilder &body, Location loc);
  Value floatConstant(Location loc, double value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }

  MLIRContext &context;
  OpBuilder b;
  const ModelFile &file;
  const onnx::ModelProto &model;
  llvm::StringMap<Value> values;
  /// Initializers by name: constants made on first use.
  llvm::StringMap<const onnx::TensorProto *> initializers;
  int64_t resourceCount = 0;
};

llvm::Expected<Value> Importer::constant(const onnx::TensorProto &tensor) {
  auto data = file.readTensor(tensor);
  if (!data)
    return data.takeError();
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  auto type = RankedTensorType::get(shape, b.getF32Type());
  ElementsAttr attr;
  if (static_cast<int64_t>(data->size()) <= kInlineConstantElements) {
    attr = DenseElementsAttr::get(type, ArrayRef<float>(*data));
  } else {
    std::string name = llvm::formatv("onnx_{0}_{1}", resourceCount++,
                                     sanitize(tensor.name(), "constant"))
                           .str();
    attr = DenseResourceElementsAttr::get(
        type, name,
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(*data)));
  }
  Value value = arith::ConstantOp::create(
      b, NameLoc::get(b.getStringAttr(tensor.name())), attr);
  return value;
}

llvm::Expected<RankedTensorType>
Importer::valueType(const onnx::ValueInfoProto &info, llvm::StringRef what) {
  if (!info.type().has_tensor_type())
    return error(what + " '" + info.name() + "' is not a tensor");
  const onnx::TypeProto_Tensor &tensor = info.type().tensor_type();
  if (tensor.elem_type() != onnx::TensorProto_DataType_FLOAT)
    return error(
        what + " '" + info.name() + "' has element type " +
        onnx::TensorProto_DataType_Name(
            static_cast<onnx::TensorProto_DataType>(tensor.elem_type())) +
        "; trilm imports FLOAT tensors");
  if (!tensor.has_shape())
    return error(what + " '" + info.name() + "' has no shape");
  SmallVector<int64_t> shape;
  for (auto [index, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (!dim.has_dim_value() || dim.dim_value() <= 0)
      return error(what + " '" + info.name() + "' has a dynamic dimension " +
                   llvm::Twine(index) +
                   (dim.has_dim_param() ? " ('" + dim.dim_param() + "')"
                                        : std::string()) +
                   "; trilm compiles static shapes");
    shape.push_back(dim.dim_value());
  }
  return RankedTensorType::get(shape, b.getF32Type());
}

llvm::Expected<Value> Importer::input(const onnx::NodeProto &node, int index) {
  if (index >= node.input_size() || node.input(index).empty())
    return nodeError(node, "input " + llvm::Twine(index) + " is missing");
  const std::string &name = node.input(index);
  if (Value value = values.lookup(name))
    return value;
  auto initializer = initializers.find(name);
  if (initializer == initializers.end())
    return nodeError(node,
                     "input '" + name + "' is produced by no earlier node");
  auto value = constant(*initializer->second);
  if (value)
    values[name] = *value;
  return value;
}

llvm::Expected<SmallVector<Value>>
Importer::inputs(const onnx::NodeProto &node, int count) {
  SmallVector<Value> result;
  for (int index = 0; index < count; ++index) {
    auto value = input(node, index);
    if (!value)
      return value.takeError();
    result.push_back(*value);
  }
  return result;
}

llvm::Expected<Value> Importer::matmul(const onnx::NodeProto &node, Value lhs,
                                       Value rhs, Location loc,
                                       bool transposeRHS) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  std::string shapes = formatShape(lhsType.getShape()) + " and " +
                       formatShape(rhsType.getShape()) +
                       (transposeRHS ? " (transposed)" : "");
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
    return nodeError(node, "operands of shape " + shapes +
                               "; trilm imports 2-D matrix products");
  int64_t k = rhsType.getDimSize(transposeRHS ? 1 : 0);
  int64_t n = rhsType.getDimSize(transposeRHS ? 0 : 1);
  if (lhsType.getDimSize(1) != k)
    return nodeError(node, "operands of shape " + shapes + " do not multiply");
  auto resultType =
      RankedTensorType::get({lhsType.getDimSize(0), n}, b.getF32Type());
  Value empty = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                        b.getF32Type());
  Value zero =
      linalg::FillOp::create(b, loc, floatConstant(loc, 0.0), empty).result();
  SmallVector<NamedAttribute> attributes;
  if (transposeRHS) {
    // A x B^T keeps a constant B as it is, for ternary-raise-matmul.
    AffineExpr mDim, nDim, kDim;
    bindDims(&context, mDim, nDim, kDim);
    auto map = [&](ArrayRef<AffineExpr> results) -> Attribute {
      return AffineMapAttr::get(AffineMap::get(3, 0, results, &context));
    };
    attributes.push_back(b.getNamedAttr(
        "indexing_maps",
        b.getArrayAttr({map({mDim, kDim}), map({nDim, kDim}),
                        map({mDim, nDim})})));
  }
  return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs},
                                  ValueRange{zero}, attributes)
      .getResult(0);
}

llvm::Expected<Value> Importer::elementwise(const onnx::NodeProto &node,
                                            ArrayRef<Value> operands,
                                            const BodyBuilder &body,
                                            Location loc) {
  // NumPy broadcasting: shapes aligned at the right, each dimension equal or
  // 1.
  int64_t rank = 0;
  for (Value operand : operands)
    rank = std::max(rank, cast<RankedTensorType>(operand.getType()).getRank());
  SmallVector<int64_t> shape(rank, 1);
  for (Value operand : operands) {
    ArrayRef<int64_t> dims =
        cast<RankedTensorType>(operand.getType()).getShape();
    for (auto [index, dim] : llvm::enumerate(dims)) {
      int64_t &target = shape[rank - dims.size() + index];
      if (dim != 1 && target != 1 && dim != target) {
        std::string shapes;
        for (Value each : operands)
          shapes +=
              (shapes.empty() ? "" : " and ") +
              formatShape(cast<RankedTensorType>(each.getType()).getShape());
        return nodeError(node, "shapes " + shapes + " do not broadcast");
      }
      if (dim != 1)
        target = dim;
    }
  }
  SmallVector<AffineMap> maps;
  for (Value operand : operands) {
    ArrayRef<int64_t> dims =
        cast<RankedTensorType>(operand.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (auto [index, dim] : llvm::enumerate(dims)) {
      int64_t position = rank - dims.size() + index;
      exprs.push_back(dim == 1 && shape[position] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(position));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, &context));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        SmallVector<Value> elements(args.drop_back());
        Value result = body(nested, nestedLoc, elements);
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

llvm::Expected<Value> Importer::gemm(const onnx::NodeProto &node,
                                     Location loc) {
  auto intAttribute = [&](llvm::StringRef name) {
    const onnx::AttributeProto *attribute = findAttribute(node, name);
    return attribute ? attribute->i() : 0;
  };
  auto floatAttribute = [&](llvm::StringRef name) {
    const onnx::AttributeProto *attribute = findAttribute(node, name);
    return attribute ? attribute->f() : 1.0f;
  };
  if (intAttribute("transA"))
    return nodeError(node, "transA is not supported");
  auto operands = inputs(node, 2);
  if (!operands)
    return operands.takeError();
  auto product = matmul(node, (*operands)[0], (*operands)[1], loc,
                        intAttribute("transB"));
  if (!product)
    return product.takeError();
  Value result = *product;
  float alpha = floatAttribute("alpha"), beta = floatAttribute("beta");
  if (alpha != 1.0f) {
    auto scaled = elementwise(
        node, {result},
        [&](OpBuilder &nested, Location l, ArrayRef<Value> args) -> Value {
          return arith::MulFOp::create(
              nested, l, args[0],
              arith::ConstantOp::create(nested, l,
                                        nested.getF32FloatAttr(alpha)));
        },
        loc);
    if (!scaled)
      return scaled.takeError();
    result = *scaled;
  }
  if (node.input_size() <= 2 || node.input(2).empty())
    return result;
  auto bias = input(node, 2);
  if (!bias)
    return bias.takeError();
  auto sum = elementwise(
      node, {result, *bias},
      [&](OpBuilder &nested, Location l, ArrayRef<Value> args) -> Value {
        Value c = args[1];
        if (beta != 1.0f)
          c = arith::MulFOp::create(
              nested, l, c,
              arith::ConstantOp::create(nested, l,
                                        nested.getF32FloatAttr(beta)));
        return arith::AddFOp::create(nested, l, args[0], c);
      },
      loc);
  if (!sum)
    return sum.takeError();
  if (cast<RankedTensorType>(sum->getType()) != result.getType())
    return nodeError(node, "C does not broadcast to A * B");
  return *sum;
}

llvm::Error Importer::importNode(const onnx::NodeProto &node) {
  Location loc = NameLoc::get(
      b.getStringAttr(node.name().empty() ? node.op_type() : node.name()));
  llvm::StringRef op = node.op_type();
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return nodeError(node, "domain '" + node.domain() + "' is not supported");
  if (node.output_size() != 1)
    return nodeError(node, llvm::Twine(node.output_size()) +
                               " outputs; trilm imports single-output nodes");
  auto checkAttributes =
      [&](std::initializer_list<llvm::StringRef> known) -> llvm::Error {
    for (const onnx::AttributeProto &attr : node.attribute())
      if (!llvm::is_contained(known, attr.name()))
        return nodeError(node,
                         "attribute '" + attr.name() + "' is not supported");
    return llvm::Error::success();
  };

  using Arith = Value (*)(OpBuilder &, Location, Value, Value);
  static const llvm::StringMap<Arith> binary = {
      {"Add", createBinary<arith::AddFOp>},
      {"Sub", createBinary<arith::SubFOp>},
      {"Mul", createBinary<arith::MulFOp>},
      {"Div", createBinary<arith::DivFOp>},
  };
  using Unary = Value (*)(OpBuilder &, Location, Value);
  static const llvm::StringMap<Unary> unary = {
      {"Relu",
       [](OpBuilder &b, Location l, Value x) -> Value {
         Value zero = arith::ConstantOp::create(b, l, b.getF32FloatAttr(0));
         return arith::MaximumFOp::create(b, l, x, zero);
       }},
      {"Sigmoid",
       [](OpBuilder &b, Location l, Value x) -> Value {
         Value one = arith::ConstantOp::create(b, l, b.getF32FloatAttr(1));
         Value exp = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
         return arith::DivFOp::create(b, l, one,
                                      arith::AddFOp::create(b, l, one, exp));
       }},
      {"Tanh", createUnary<math::TanhOp>},
      {"Neg", createUnary<arith::NegFOp>},
  };

  Value result;
  if (auto found = binary.find(op); found != binary.end()) {
    if (llvm::Error error = checkAttributes({}))
      return error;
    auto operands = inputs(node, 2);
    if (!operands)
      return operands.takeError();
    Arith apply = found->second;
    auto value = elementwise(
        node, *operands,
        [&](OpBuilder &nested, Location l, ArrayRef<Value> args) {
          return apply(nested, l, args[0], args[1]);
        },
        loc);
    if (!value)
      return value.takeError();
    result = *value;
  } else if (auto found = unary.find(op); found != unary.end()) {
    if (llvm::Error error = checkAttributes({}))
      return error;
    auto operands = inputs(node, 1);
    if (!operands)
      return operands.takeError();
    Unary apply = found->second;
    auto value = elementwise(
        node, *operands,
        [&](OpBuilder &nested, Location l, ArrayRef<Value> args) {
          return apply(nested, l, args[0]);
        },
        loc);
    if (!value)
      return value.takeError();
    result = *value;
  } else if (op == "Identity") {
    auto x = input(node, 0);
    if (!x)
      return x.takeError();
    result = *x;
  } else if (op == "Constant") {
    const onnx::AttributeProto *value = findAttribute(node, "value");
    if (!value || node.attribute_size() != 1)
      return nodeError(node, "only the 'value' attribute is supported");
    auto constantValue = constant(value->t());
    if (!constantValue)
      return constantValue.takeError();
    result = *constantValue;
  } else if (op == "MatMul") {
    if (llvm::Error error = checkAttributes({}))
      return error;
    auto operands = inputs(node, 2);
    if (!operands)
      return operands.takeError();
    auto value = matmul(node, (*operands)[0], (*operands)[1], loc);
    if (!value)
      return value.takeError();
    result = *value;
  } else if (op == "Gemm") {
    if (llvm::Error error =
            checkAttributes({"alpha", "beta", "transA", "transB"}))
      return error;
    auto value = gemm(node, loc);
    if (!value)
      return value.takeError();
    result = *value;
  } else {
    return nodeError(node, "op type not supported (trilm imports Add, Sub, "
                           "Mul, Div, Relu, Sigmoid, Tanh, Neg, Identity, "
                           "Constant, MatMul and Gemm)");
  }
  values[node.output(0)] = result;
  return llvm::Error::success();
}

llvm::Expected<OwningOpRef<ModuleOp>> Importer::run() {
  const onnx::GraphProto &graph = model.graph();

  context.loadDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                      func::FuncDialect, linalg::LinalgDialect,
                      math::MathDialect, memref::MemRefDialect,
                      tensor::TensorDialect, LLVM::LLVMDialect>();
  Location loc = NameLoc::get(b.getStringAttr(graph.name()));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  for (const onnx::TensorProto &tensor : graph.initializer())
    initializers[tensor.name()] = &tensor;
  if (graph.sparse_initializer_size() > 0)
    return error("sparse initializers are not supported");

  // Arguments: the graph inputs that are not initializers, then one buffer
  // per output.
  SmallVector<Type> argumentTypes;
  SmallVector<const onnx::ValueInfoProto *> inputs;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializers.contains(info.name()))
      continue;
    auto type = valueType(info, "input");
    if (!type)
      return type.takeError();
    inputs.push_back(&info);
    argumentTypes.push_back(
        MemRefType::get(type->getShape(), type->getElementType()));
  }
  if (graph.output_size() == 0)
    return error("the graph has no outputs");
  SmallVector<RankedTensorType> declaredOutputs;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    auto type = valueType(info, "output");
    if (!type)
      return type.takeError();
    declaredOutputs.push_back(*type);
    argumentTypes.push_back(
        MemRefType::get(type->getShape(), type->getElementType()));
  }
  auto function =
      func::FuncOp::create(b, loc, sanitize(graph.name(), "main_graph"),
                           b.getFunctionType(argumentTypes, {}));
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    b.getUnitAttr());
  Block *entry = function.addEntryBlock();
  b.setInsertionPointToStart(entry);
  for (auto [index, info] : llvm::enumerate(inputs)) {
    Value argument = entry->getArgument(index);
    auto memref = cast<MemRefType>(argument.getType());
    values[info->name()] = bufferization::ToTensorOp::create(
        b, NameLoc::get(b.getStringAttr(info->name())),
        RankedTensorType::get(memref.getShape(), memref.getElementType()),
        argument, /*restrict=*/b.getUnitAttr(), /*writable=*/UnitAttr());
  }

  for (const onnx::NodeProto &node : graph.node())
    if (llvm::Error error = importNode(node))
      return std::move(error);

  for (auto [index, info] : llvm::enumerate(graph.output())) {
    Value value = values.lookup(info.name());
    if (!value)
      return error("output '" + info.name() + "' is produced by no node");
    auto type = cast<RankedTensorType>(value.getType());
    if (type != declaredOutputs[index])
      return error("output '" + info.name() + "' is declared " +
                   formatShape(declaredOutputs[index].getShape()) +
                   " but computed " + formatShape(type.getShape()));
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, value, entry->getArgument(inputs.size() + index),
        /*restrict=*/true,
        /*writable=*/true);
  }
  func::ReturnOp::create(b, loc);
  if (failed(verify(*module)))
    return error("internal error: the imported module does not verify");
  return std::move(module);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
trilm::onnx_import::importModel(MLIRContext &context, const Model &model) {
  return Importer(context, *model).run();
}
