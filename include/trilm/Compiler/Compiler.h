//===- Compiler.h - trilm as a library --------------------------*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Everything trilm-compile does, for any caller (the tool, the Python
// package, tests): import a checkpoint or read MLIR, run the target's
// pipelines, emit IR, objects, shared libraries or programs.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_COMPILER_COMPILER_H
#define TRILM_COMPILER_COMPILER_H

#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Frontend/GGUF/GGUFCheckpoint.h"
#include "trilm/Frontend/HuggingFace/Checkpoint.h"
#include "trilm/Frontend/HuggingFace/LlamaImport.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <optional>
#include <string>

namespace trilm {

/// What a compilation writes.
enum class EmitKind {
  /// The model IR as imported (checkpoints: llm, ternary and tensor ops;
  /// ONNX models: linalg and ternary ops).
  Imported,
  /// The module lowered to the LLVM dialect.
  MLIR,
  /// Optimised LLVM IR.
  LLVM,
  /// A relocatable object (code and, for checkpoints, embedded weights).
  Object,
  /// A shared library for libtrilm_runtime.
  Library,
  /// A program: the model, the runtime and a main that evaluates token ids
  /// and generates greedily (checkpoints only).
  Executable,
};

/// Where a checkpoint's weights go.
enum class WeightsKind {
  /// In the output: an object of their own beside the code (objects,
  /// libraries, programs), or a global of the module (textual outputs).
  Embedded,
  /// A file next to the output that the runtime memory-maps.
  External,
};

enum class Activations { FP32, Int8 };

struct CompileOptions {
  /// The target: an LLVM triple or an architecture (x86_64, aarch64) for its
  /// Linux triple; empty for the host. `cpu` may be `native`.
  std::string triple;
  std::string cpu = "generic";
  std::string features;
  /// Run the kernels on OpenMP threads.
  bool threads = true;
  EmitKind emit = EmitKind::Object;
  /// Also emit `_mlir_ciface_` wrappers for the public functions of MLIR
  /// inputs.
  bool cInterface = false;
  /// The compiler driver that links libraries and programs (default: found
  /// for the target).
  std::string linker;

  // Checkpoints only.
  ternary::PackingScheme packing = ternary::PackingScheme::tq2;
  Activations activations = Activations::FP32;
  frontend::ModelOptions::KVCache kvCache = frontend::ModelOptions::KVCache::F32;
  import::Ternarize ternarize = import::Ternarize::None;
  WeightsKind weights = WeightsKind::Embedded;
  /// GGUF files: block scales (exact) or recovered shard scales.
  gguf::ScaleRecovery ggufScales = gguf::ScaleRecovery::Blocks;
  /// Called with (done, total) as checkpoint tensors are imported.
  std::function<void(int64_t, int64_t)> progress;
};

/// What a compilation of a checkpoint produced.
struct CompileResult {
  /// The target it compiled for (`cpu` resolved for `native`).
  std::string triple, cpu;
  /// Set for checkpoints.
  std::optional<frontend::ModelSummary> summary;
  /// The external weights file, when one was written.
  std::string weightsPath;
  /// The checkpoint's tokenizer.json (copied, or a GGUF file's tokenizer
  /// written as one) beside a library or program (tokenizerPathFor), when
  /// the checkpoint has one that trilm reads.
  std::string tokenizerPath;
  /// What the caller should tell the user (one line each).
  std::vector<std::string> warnings;
};

/// The file external weights go to for `output`: `model.so`, `model.o` and
/// `model` all give `model.weights` (what the runtime and programs look
/// for).
std::string externalWeightsPath(llvm::StringRef output);

/// Where a library or program `output` keeps its checkpoint's tokenizer:
/// `model.so` and `model` give `model.tokenizer.json` (where trilm-run
/// looks first).
std::string tokenizerPathFor(llvm::StringRef output);

/// Compiles `input` (a checkpoint directory or an MLIR file) into `output`
/// ("-" for stdout, textual outputs only). Errors are one line each;
/// diagnostics of MLIR inputs also go to the context's handler.
llvm::Expected<CompileResult> compile(llvm::StringRef input,
                                      llvm::StringRef output,
                                      const CompileOptions &options);

} // namespace trilm

#endif // TRILM_COMPILER_COMPILER_H
