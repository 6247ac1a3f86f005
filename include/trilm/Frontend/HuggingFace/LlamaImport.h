//===- LlamaImport.h - A LLaMA-family checkpoint as model IR ----*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_FRONTEND_HUGGINGFACE_LLAMAIMPORT_H
#define TRILM_FRONTEND_HUGGINGFACE_LLAMAIMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "trilm/Dialect/Ternary/IR/Ternary.h"
#include "trilm/Frontend/HuggingFace/Checkpoint.h"
#include "trilm-c/ModelABI.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace trilm::frontend {

struct ModelOptions {
  ternary::PackingScheme packing = ternary::PackingScheme::tq2;
  /// Quantise the activations of every ternary matmul to int8 (per token,
  /// absmax) instead of keeping them f32.
  bool int8Activations = false;
  /// Store 1.6-bit weights whose rows come in whole groups of 32 as
  /// #ternary.trit_triples, which the CPU's lookup-table kernels read. The
  /// layout changes the weights' size, so it is decided here, with the
  /// target, rather than by the strategy's relayout.
  bool tritTriples = false;
  import::Ternarize ternarize = import::Ternarize::None;
  /// The element type of the KV caches: f32 keeps attention exact, f16
  /// halves the bytes decoding reads per position.
  enum class KVCache { F32, F16 };
  KVCache kvCache = KVCache::F32;
  /// Where the weights buffer goes (see trilm-c/ModelABI.h for its format).
  enum class WeightsPlacement {
    /// The public global `trilm_weights` of the module, with its bytes:
    /// self-contained, but the bytes then pass through LLVM (fine for small
    /// models).
    InModule,
    /// Written to `weightsStream`, for an object that defines the public
    /// global `trilm_weights` beside the code.
    LinkedObject,
    /// Written to `weightsStream`, a file the runtime memory-maps and passes
    /// to the entry points.
    ExternalFile,
  };
  WeightsPlacement weightsPlacement = WeightsPlacement::InModule;
  /// Where the compiled entry points compute (recorded in the model's
  /// configuration for the runtime).
  enum class Device { CPU, CUDA };
  Device device = Device::CPU;
  /// Seekable: the header's digest is written last.
  llvm::raw_pwrite_stream *weightsStream = nullptr;
  /// Called after each imported tensor with (done, total).
  std::function<void(int64_t, int64_t)> progress;
};

/// What a compiled model holds.
struct ModelSummary {
  int64_t parameters = 0;
  int64_t ternaryParameters = 0;
  /// Bytes of the ternary weights: packed codes and their f32 scales.
  int64_t ternaryBytes = 0;
  /// The whole weights buffer (embedded or external).
  int64_t weightBytes = 0;
};

/// A checkpoint being imported: its model IR first, then its weights, in the
/// layouts a target's strategy chose for them. The IR is a module of
/// target-independent model IR (llm,
/// ternary and upstream tensor ops) with two entry points over the same
/// weights, both appending tokens at position `start` of a KV cache:
///
///   func @trilm_prefill(%tokens: memref<?xi32>, %start: index,
///                       %k_cache: memref<L x H x D x C x T>,
///                       %v_cache: memref<L x H x C x D x T>,
///                       %logits: memref<R x V x f32>, %weights: memref<?xi8>)
///   func @trilm_decode  (the same with one token)
///
/// where L is the number of layers, H the number of kv heads, C the context
/// length (dynamic), D the head dim, T the cache element type and V the
/// vocabulary. They write the new tokens' keys and values into the caches
/// and the logits of the last R tokens (1 <= R <= the token count, dynamic
/// for prefill), reading the weights from `%weights` (the external file, or
/// the global `trilm_weights` that embedded weights define); the module
/// exports `trilm_model_config` (see trilm-c/ModelABI.h).
class LlamaImport {
public:
  /// Plans the weights buffer (from config.json and the tensors' headers:
  /// no weight is read yet) and builds the model IR, packed weights
  /// row-major.
  static llvm::Expected<std::unique_ptr<LlamaImport>>
  create(mlir::MLIRContext &context, const import::Checkpoint &checkpoint,
         const ModelOptions &options);
  ~LlamaImport();

  mlir::ModuleOp getModule();
  mlir::OwningOpRef<mlir::ModuleOp> takeModule();
  const ModelSummary &getSummary() const;

  /// Reads, checks, ternarises and packs every weight into the options'
  /// placement (a stream, or the module's global `trilm_weights`), each
  /// packed weight in the layout of the `ternary.from_storage` that reads it
  /// in the module now: run the passes that choose layouts first.
  llvm::Error writeWeights();

private:
  struct Impl;
  explicit LlamaImport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace trilm::frontend

#endif // TRILM_FRONTEND_HUGGINGFACE_LLAMAIMPORT_H
