//===- ONNXImport.h - ONNX graphs as MLIR -----------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Imports an ONNX model (parsed with ONNX's own protobuf schema) as one
// function of linalg, arith and math ops on tensors, in destination-passing
// style:
//
//   func @<graph>(%input0: memref<...xf32>, ..., %output0: memref<...xf32>,
//                 ...)
//
// with static shapes; the caller owns every buffer. Constant MatMul/Gemm
// weights become linalg.matmul operands that `ternary-raise-matmul` turns
// into ternary.matmul when their values are ternary.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_FRONTEND_ONNX_ONNXIMPORT_H
#define TRILM_FRONTEND_ONNX_ONNXIMPORT_H

#include "trilm/Frontend/HuggingFace/Checkpoint.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace trilm::onnx_import {

/// The lowest and highest opset of the default domain trilm imports.
constexpr int64_t kMinOpset = 13;
constexpr int64_t kMaxOpset = 21;

namespace detail {
class ModelFile;
struct ModelFileDeleter {
  void operator()(ModelFile *file) const;
};
} // namespace detail

/// A parsed ONNX model (IR version and opset checked), parsed once for the
/// two uses below.
using Model = std::unique_ptr<detail::ModelFile, detail::ModelFileDeleter>;

/// Parses `path`; a file that is not an ONNX protobuf, or of an IR version
/// or opset trilm does not import, is one error line.
llvm::Expected<Model> openModel(llvm::StringRef path);

/// When `model` is a LLaMA-family decoder exported from transformers by
/// torch.onnx.export (nodes named by module scope), takes it and returns it
/// as a checkpoint for the LLaMA importer: every part checked to be the
/// subgraph of the `llm` op it becomes (RMSNorm, rotate-half RoPE, causal
/// attention, SiLU gating), shard scales recovered as for Hugging Face
/// checkpoints. nullptr, leaving `model` alone, for any other graph; an
/// error for a LLaMA export trilm would compile differently from its graph.
llvm::Expected<std::unique_ptr<import::Checkpoint>>
openLlamaCheckpoint(Model &model);

/// Builds the module of `model` (external data files beside it, never
/// outside its directory). Everything unsupported (an op, a dynamic or
/// non-f32 shape) is one error line naming the node or value.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
importModel(mlir::MLIRContext &context, const Model &model);

} // namespace trilm::onnx_import

#endif // TRILM_FRONTEND_ONNX_ONNXIMPORT_H
