//===- trilm-compile.cpp - The command line of trilm::compile -------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// trilm-compile <checkpoint-dir | model.mlir> --target=aarch64 --emit=lib
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/AsmState.h"
#include "trilm/Compiler/Compiler.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"

#include <chrono>

namespace cl = llvm::cl;
using trilm::Activations;
using trilm::EmitKind;
using trilm::WeightsKind;
using KVCache = trilm::frontend::ModelOptions::KVCache;
using trilm::import::Ternarize;
using trilm::ternary::PackingScheme;

static cl::OptionCategory toolOptions("trilm-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<checkpoint dir | .mlir>"),
                                      cl::Required, cl::cat(toolOptions));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(toolOptions));
static cl::opt<std::string>
    targetTriple("target",
                 cl::desc("Target: x86_64, aarch64 or an LLVM triple "
                          "(default: the host)"),
                 cl::init(""), cl::cat(toolOptions));
static cl::opt<std::string> targetCPU("cpu",
                                      cl::desc("Target CPU, or native"),
                                      cl::init("generic"),
                                      cl::cat(toolOptions));
static cl::opt<std::string>
    targetFeatures("features",
                   cl::desc("Target features, LLVM style: +avx512vnni,..."),
                   cl::init(""), cl::cat(toolOptions));
static cl::opt<bool> openmp("openmp",
                            cl::desc("Parallelise over output rows with "
                                     "OpenMP (link with libomp)"),
                            cl::init(true), cl::cat(toolOptions));
static cl::opt<bool>
    cInterface("c-interface",
               cl::desc("Also emit _mlir_ciface_<name> wrappers that take "
                        "memref descriptors by pointer, for C callers"),
               cl::init(false), cl::cat(toolOptions));
static cl::opt<EmitKind> emit(
    "emit", cl::desc("What to write"), cl::init(EmitKind::Object),
    cl::values(clEnumValN(EmitKind::Imported, "imported",
                          "the model IR as imported from a checkpoint (llm, "
                          "ternary and tensor ops) or an ONNX model (linalg "
                          "and ternary ops)"),
               clEnumValN(EmitKind::MLIR, "mlir", "the LLVM-dialect module"),
               clEnumValN(EmitKind::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "an object file"),
               clEnumValN(EmitKind::Library, "lib",
                          "a shared library (for libtrilm_runtime)"),
               clEnumValN(EmitKind::Executable, "exe",
                          "a program: the model, the runtime and a main that "
                          "evaluates token ids and generates greedily "
                          "(checkpoints only)")),
    cl::cat(toolOptions));
static cl::opt<PackingScheme> packing(
    "packing",
    cl::desc("Ternary weight packing (checkpoints and ONNX models)"),
    cl::init(PackingScheme::tq2),
    cl::values(clEnumValN(PackingScheme::tq2, "tq2",
                          "2 bits per weight (llama.cpp TQ2_0 codes)"),
               clEnumValN(PackingScheme::tq1, "tq1",
                          "1.6 bits per weight, 5 trits per byte (TQ1_0)")),
    cl::cat(toolOptions));
static cl::opt<Activations> activations(
    "activations",
    cl::desc("Activations of the ternary matmuls (checkpoints only)"),
    cl::init(Activations::FP32),
    cl::values(clEnumValN(Activations::FP32, "fp32", "exact TriLM semantics"),
               clEnumValN(Activations::Int8, "int8",
                          "per-token absmax int8 (BitNet b1.58)")),
    cl::cat(toolOptions));
static cl::opt<KVCache> kvCache(
    "kv-cache", cl::desc("Element type of the KV cache (checkpoints only)"),
    cl::init(KVCache::F32),
    cl::values(clEnumValN(KVCache::F32, "f32", "exact attention"),
               clEnumValN(KVCache::F16, "f16",
                          "half the bytes per context position")),
    cl::cat(toolOptions));
static cl::opt<Ternarize> ternarize(
    "ternarize", cl::desc("Block weights that are not ternary"),
    cl::init(Ternarize::None),
    cl::values(clEnumValN(Ternarize::None, "none", "are an error"),
               clEnumValN(Ternarize::AbsMean, "absmean",
                          "are ternarised (lossy, post-training absmean)")),
    cl::cat(toolOptions));
static cl::opt<trilm::gguf::ScaleRecovery> ggufScales(
    "gguf-scales", cl::desc("Scales of a GGUF file's TQ1_0/TQ2_0 weights"),
    cl::init(trilm::gguf::ScaleRecovery::Blocks),
    cl::values(clEnumValN(trilm::gguf::ScaleRecovery::Blocks, "blocks",
                          "one per row and 256-block, as in the file"),
               clEnumValN(trilm::gguf::ScaleRecovery::Shards, "shards",
                          "one per model-parallel shard, when the blocks of "
                          "each shard agree (0.0625 fewer bits per weight)")),
    cl::cat(toolOptions));
static cl::opt<WeightsKind> weights(
    "weights", cl::desc("Where a checkpoint's weights go"),
    cl::init(WeightsKind::Embedded),
    cl::values(clEnumValN(WeightsKind::Embedded, "embedded",
                          "in the object, library or program"),
               clEnumValN(WeightsKind::External, "external",
                          "a file next to the output (-o model.so or model.o "
                          "writes model.weights, -o model model.weights), "
                          "memory-mapped by the runtime")),
    cl::cat(toolOptions));
static cl::opt<std::string>
    linker("linker",
           cl::desc("Compiler driver that links --emit=lib and --emit=exe "
                    "(default: clang-22 or clang for the host, "
                    "aarch64-linux-gnu-gcc for aarch64)"),
           cl::init(""), cl::cat(toolOptions));
static cl::opt<bool> quiet("quiet", cl::desc("No progress or summary"),
                           cl::init(false), cl::cat(toolOptions));

/// Draws a progress bar on stderr when it is a terminal.
static void showProgress(int64_t done, int64_t total) {
  if (quiet || !llvm::sys::Process::StandardErrIsDisplayed() || total == 0)
    return;
  constexpr int64_t width = 40;
  int64_t filled = done * width / total;
  llvm::errs() << "\rimporting [" << std::string(filled, '=')
               << std::string(width - filled, ' ') << "] " << done << "/"
               << total;
  if (done == total)
    llvm::errs() << "\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo and friends, for the textual outputs.
  mlir::registerAsmPrinterCLOptions();
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trilm-compile: compile a TriLM checkpoint directory (config.json, "
      "safetensors), a GGUF file (llama, TQ1_0/TQ2_0), an ONNX model or ternary "
      "MLIR to MLIR, LLVM IR, an object file, a "
      "shared library or a program\n");
  auto startTime = std::chrono::steady_clock::now();

  trilm::CompileOptions options;
  options.triple = targetTriple;
  options.cpu = targetCPU;
  options.features = targetFeatures;
  options.threads = openmp;
  options.emit = emit;
  options.cInterface = cInterface;
  options.linker = linker;
  options.packing = packing;
  options.activations = activations;
  options.kvCache = kvCache;
  options.ternarize = ternarize;
  options.weights = weights;
  options.ggufScales = ggufScales;
  options.progress = showProgress;
  auto result = trilm::compile(inputFile, outputFile, options);
  if (!result) {
    llvm::WithColor::error(llvm::errs(), "trilm-compile")
        << llvm::toString(result.takeError()) << "\n";
    return 1;
  }
  for (const std::string &warning : result->warnings)
    llvm::WithColor::warning(llvm::errs(), "trilm-compile") << warning << "\n";
  if (quiet || !result->summary)
    return 0;
  const trilm::frontend::ModelSummary &summary = *result->summary;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - startTime)
                       .count();
  llvm::errs() << llvm::formatv(
      "{0}: {1:N} parameters ({2:N} ternary at {3:F2} bits per weight), "
      "{4:F1} MiB of weights, for {5} ({6}), compiled in {7:F1} s\n",
      outputFile.getValue(), summary.parameters, summary.ternaryParameters,
      summary.ternaryParameters
          ? 8.0 * summary.ternaryBytes / summary.ternaryParameters
          : 0.0,
      summary.weightBytes / 1048576.0, result->triple, result->cpu, seconds);
  if (!result->weightsPath.empty())
    llvm::errs() << "weights: " << result->weightsPath << "\n";
  if (!result->tokenizerPath.empty())
    llvm::errs() << "tokenizer: " << result->tokenizerPath << "\n";
  return 0;
}
