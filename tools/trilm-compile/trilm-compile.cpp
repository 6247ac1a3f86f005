//===- trilm-compile.cpp - Compile ternary MLIR to LLVM IR or objects -----===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// trilm-compile <checkpoint-dir | model.mlir> --target=aarch64 --emit=lib
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "trilm/Import/Checkpoint.h"
#include "trilm/InitAllTrilm.h"
#include "trilm/Model/LlamaModel.h"
#include "trilm/Pipelines/Pipelines.h"
#include "trilm/Target/CPU/CPUTarget.h"
#include "trilm-c/ModelABI.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

enum class EmitKind { Imported, MLIR, LLVM, Object, Library, Executable };

static cl::OptionCategory toolOptions("trilm-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<checkpoint dir | .mlir>"),
                                      cl::Required,
    cl::cat(toolOptions));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"),
                                       cl::init("-"),
    cl::cat(toolOptions));
static cl::opt<std::string>
    targetTriple("target",
                 cl::desc("Target: x86_64, aarch64 or an LLVM triple "
                          "(default: the host)"),
                 cl::init(""),
    cl::cat(toolOptions));
static cl::opt<std::string> targetCPU("cpu",
                                      cl::desc("Target CPU, or native"),
                                      cl::init("generic"),
    cl::cat(toolOptions));
static cl::opt<std::string>
    targetFeatures("features",
                   cl::desc("Target features, LLVM style: +avx512vnni,..."),
                   cl::init(""),
    cl::cat(toolOptions));
static cl::opt<bool> openmp("openmp",
                             cl::desc("Parallelise over output rows with "
                                      "OpenMP (link with libomp)"),
                             cl::init(true),
    cl::cat(toolOptions));
static cl::opt<bool>
    cInterface("c-interface",
               cl::desc("Also emit _mlir_ciface_<name> wrappers that take "
                        "memref descriptors by pointer, for C callers"),
               cl::init(false),
    cl::cat(toolOptions));
static cl::opt<EmitKind> emit(
    "emit", cl::desc("What to write"), cl::init(EmitKind::Object),
    cl::values(clEnumValN(EmitKind::Imported, "imported",
                          "the input module before lowering (for a "
                          "checkpoint: ternary, linalg and tensor ops)"),
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
static cl::opt<std::string>
    packing("packing",
            cl::desc("Ternary weight packing: 2-bit (TQ2_0) or 1.6-bit "
                     "(TQ1_0); checkpoints only"),
            cl::init("2-bit"), cl::cat(toolOptions));
static cl::opt<std::string>
    activations("activations",
                cl::desc("Activations of the ternary matmuls: fp32 (exact "
                         "TriLM semantics) or int8 (per-token absmax); "
                         "checkpoints only"),
                cl::init("fp32"), cl::cat(toolOptions));
static cl::opt<std::string>
    kvCache("kv-cache",
            cl::desc("Element type of the KV cache: f32 (exact attention) or "
                     "f16 (half the bytes per position); checkpoints only"),
            cl::init("f32"), cl::cat(toolOptions));
static cl::opt<std::string> ternarize(
    "ternarize",
    cl::desc("Ternarise non-ternary block weights: none (they are an error) "
             "or absmean (lossy post-training ternarisation)"),
    cl::init("none"), cl::cat(toolOptions));
static cl::opt<std::string>
    linker("linker",
           cl::desc("Compiler driver that links --emit=lib (default: "
                    "clang-22 or clang for the host, "
                    "aarch64-linux-gnu-gcc for aarch64)"),
           cl::init(""), cl::cat(toolOptions));
static cl::opt<std::string> weights(
    "weights",
    cl::desc("Where a checkpoint's weights go: embedded (in the object or "
             "library) or external (a file next to the output: -o model.so "
             "or model.o writes model.weights, -o model model.weights; "
             "memory-mapped by the runtime)"),
    cl::init("embedded"), cl::cat(toolOptions));
static cl::opt<bool> quiet("quiet", cl::desc("No progress or summary"),
                           cl::init(false), cl::cat(toolOptions));

/// Accepts an architecture alone as shorthand for its Linux triple.
static std::string expandTriple(llvm::StringRef target) {
  if (!target.empty() && !target.contains('-'))
    return (target + "-unknown-linux-gnu").str();
  return target.str();
}

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "trilm-compile") << message << "\n";
  return 1;
}

/// Draws a progress bar on stderr when it is a terminal.
static void showProgress(llvm::StringRef what, int64_t done, int64_t total) {
  if (quiet || !llvm::sys::Process::StandardErrIsDisplayed() || total == 0)
    return;
  constexpr int64_t width = 40;
  int64_t filled = done * width / total;
  llvm::errs() << "\r" << what << " [" << std::string(filled, '=')
               << std::string(width - filled, ' ') << "] " << done << "/"
               << total;
  if (done == total)
    llvm::errs() << "\n";
}

static llvm::Expected<OwningOpRef<ModuleOp>>
importCheckpoint(MLIRContext &context, llvm::StringRef dir,
                 const trilm::CPUPipelineOptions &pipeline,
                 trilm::model::ModelOptions::WeightsPlacement placement,
                 llvm::raw_ostream *weightsStream,
                 trilm::model::ModelSummary &summary) {
  trilm::model::ModelOptions options;
  options.interleaveRows = trilm::getWeightInterleaveRows(pipeline);
  options.weightsPlacement = placement;
  options.weightsStream = weightsStream;
  if (packing == "2-bit" || packing == "tq2")
    options.packing = trilm::ternary::PackingScheme::tq2;
  else if (packing == "1.6-bit" || packing == "tq1")
    options.packing = trilm::ternary::PackingScheme::tq1;
  else
    return llvm::createStringError("unknown --packing '" + packing +
                                   "'; expected 2-bit or 1.6-bit");
  if (activations == "int8")
    options.int8Activations = true;
  else if (activations != "fp32")
    return llvm::createStringError("unknown --activations '" + activations +
                                   "'; expected fp32 or int8");
  if (kvCache == "f16")
    options.kvCache = trilm::model::ModelOptions::KVCache::F16;
  else if (kvCache != "f32")
    return llvm::createStringError("unknown --kv-cache '" + kvCache +
                                   "'; expected f32 or f16");
  if (ternarize == "absmean")
    options.ternarize = trilm::import::Ternarize::AbsMean;
  else if (ternarize != "none")
    return llvm::createStringError("unknown --ternarize '" + ternarize +
                                   "'; expected none or absmean");
  options.progress = [](int64_t done, int64_t total) {
    showProgress("importing", done, total);
  };
  auto checkpoint = trilm::import::Checkpoint::open(dir);
  if (!checkpoint)
    return checkpoint.takeError();
  return trilm::model::buildLlamaModule(context, **checkpoint, options,
                                        &summary);
}

/// The compiler driver that links shared libraries for `triple`.
static llvm::Expected<std::string> findLinker(const llvm::Triple &triple) {
  if (!linker.empty())
    return linker.getValue();
  llvm::Triple host(llvm::sys::getProcessTriple());
  SmallVector<llvm::StringRef> candidates;
  if (triple.getArch() == host.getArch())
    candidates = {"clang-22", "clang", "cc"};
  else if (triple.isAArch64())
    candidates = {"aarch64-linux-gnu-gcc"};
  for (llvm::StringRef candidate : candidates)
    if (auto path = llvm::sys::findProgramByName(candidate))
      return *path;
  return llvm::createStringError("no linker found for " + triple.str() +
                                 "; pass --linker");
}

enum class LinkKind { Relocatable, SharedLibrary, Executable };

/// Links `objects` into `output`: one relocatable object, a shared library,
/// or a program (which also gets the runtime and its main, compiled from their
/// C sources).
static llvm::Error link(llvm::ArrayRef<std::string> objects,
                        llvm::StringRef output, const llvm::Triple &triple,
                        LinkKind kind) {
  auto driver = findLinker(triple);
  if (!driver)
    return driver.takeError();
  std::string libraryDir = "-L" TRILM_OPENMP_LIBRARY_DIR;
  std::string rpath = "-Wl,-rpath," TRILM_OPENMP_LIBRARY_DIR;
  std::string include = "-I" TRILM_SOURCE_DIR "/include";
  SmallVector<llvm::StringRef> args = {*driver, "-o", output};
  for (const std::string &object : objects)
    args.push_back(object);
  switch (kind) {
  case LinkKind::Relocatable:
    args.append({"-r", "-nostdlib"});
    break;
  case LinkKind::SharedLibrary:
    args.push_back("-shared");
    break;
  case LinkKind::Executable:
    args.append({"-O2", include, "-rdynamic",
                 TRILM_SOURCE_DIR "/lib/Runtime/Runtime.c",
                 TRILM_SOURCE_DIR "/lib/Runtime/ModelMain.c", "-ldl"});
    break;
  }
  if (kind != LinkKind::Relocatable) {
    if (openmp)
      args.append({libraryDir, rpath, "-lomp"});
    args.push_back("-lm");
  }
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, {}, 0, 0,
                                         &message);
  if (status != 0)
    return llvm::createStringError(
        "linking " + output.str() + " with " + *driver + " failed" +
        (message.empty() ? std::string() : ": " + message));
  return llvm::Error::success();
}

/// A temporary file, removed when this goes away.
class TemporaryFile {
public:
  static llvm::Expected<TemporaryFile> create(llvm::StringRef prefix,
                                              llvm::StringRef suffix) {
    TemporaryFile result;
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            prefix, suffix, fd, result.path))
      return llvm::createStringError("cannot create a temporary file: " +
                                     ec.message());
    result.stream =
        std::make_unique<llvm::raw_fd_ostream>(fd, /*shouldClose=*/true);
    return result;
  }
  TemporaryFile(TemporaryFile &&other)
      : path(std::move(other.path)), stream(std::move(other.stream)) {
    other.path.clear();
  }
  ~TemporaryFile() {
    stream.reset();
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }

  llvm::StringRef getPath() const { return path; }
  llvm::raw_fd_ostream &os() { return *stream; }

private:
  TemporaryFile() = default;
  llvm::SmallString<128> path;
  std::unique_ptr<llvm::raw_fd_ostream> stream;
};

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo and friends, for the textual outputs.
  registerAsmPrinterCLOptions();
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trilm-compile: compile a TriLM checkpoint directory (config.json, "
      "safetensors) or ternary MLIR to MLIR, LLVM IR, an object file, a "
      "shared library or a program\n");
  auto startTime = std::chrono::steady_clock::now();

  auto target = trilm::cpu::CPUTarget::get(expandTriple(targetTriple),
                                           targetCPU, targetFeatures);
  if (!target)
    return fail(llvm::toString(target.takeError()));
  bool linked = emit == EmitKind::Library || emit == EmitKind::Executable;
  if (linked && outputFile == "-")
    return fail("--emit=lib and --emit=exe need an output file (-o)");
  if (weights != "embedded" && weights != "external")
    return fail("unknown --weights '" + weights +
                "'; expected embedded or external");
  bool externalWeights = weights == "external";
  if (externalWeights && outputFile == "-")
    return fail("--weights=external needs an output file (-o)");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  trilm::registerAllDialects(registry);
  MLIRContext context(registry);

  trilm::CPUPipelineOptions options;
  options.triple = target->triple;
  options.cpu = target->cpu;
  options.features = target->features;
  options.threads = openmp;

  bool fromCheckpoint = llvm::sys::fs::is_directory(inputFile);
  trilm::model::ModelSummary summary;
  if (externalWeights && !fromCheckpoint)
    return fail("--weights=external applies to checkpoint directories");
  // model.so -> model.weights, model.o -> model.weights, model -> model.weights
  // (what the runtime and the programs look for).
  std::string weightsPath = outputFile.getValue();
  for (llvm::StringRef suffix : {".so", ".o"})
    if (llvm::StringRef(weightsPath).ends_with(suffix))
      weightsPath.resize(weightsPath.size() - suffix.size());
  weightsPath += ".weights";
  // Where a checkpoint's weights go: a file the runtime maps; or, for
  // objects, libraries and programs, an object of their own that defines the
  // global the code reads (the bytes never pass through LLVM); or, for the
  // textual outputs, the module itself.
  using Placement = trilm::model::ModelOptions::WeightsPlacement;
  bool objectOutput = emit == EmitKind::Object || linked;
  Placement placement = externalWeights ? Placement::ExternalFile
                        : objectOutput  ? Placement::LinkedObject
                                        : Placement::InModule;
  if (fromCheckpoint && objectOutput && outputFile == "-")
    return fail("compiling a checkpoint to an object needs an output file "
                "(-o)");
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module;
  std::string error;
  std::optional<TemporaryFile> weightsData;
  if (fromCheckpoint) {
    std::unique_ptr<llvm::ToolOutputFile> weightsFile;
    llvm::raw_ostream *weightsStream = nullptr;
    if (placement == Placement::ExternalFile) {
      weightsFile = openOutputFile(weightsPath, &error);
      if (!weightsFile)
        return fail(error);
      weightsStream = &weightsFile->os();
    } else if (placement == Placement::LinkedObject) {
      auto temporary = TemporaryFile::create("trilm-weights", "bin");
      if (!temporary)
        return fail(llvm::toString(temporary.takeError()));
      weightsData.emplace(std::move(*temporary));
      weightsStream = &weightsData->os();
    }
    auto imported = importCheckpoint(context, inputFile, options, placement,
                                     weightsStream, summary);
    if (!imported)
      return fail(llvm::toString(imported.takeError()));
    module = std::move(*imported);
    if (weightsFile)
      weightsFile->keep();
    if (weightsData)
      weightsData->os().close();
  } else {
    auto input = openInputFile(inputFile, &error);
    if (!input)
      return fail(error);
    sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return 1;
  }

  if (cInterface)
    for (auto function : module->getOps<func::FuncOp>())
      if (function.isPublic() && !function.isDeclaration())
        function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                          UnitAttr::get(&context));

  if (!quiet && fromCheckpoint)
    llvm::errs() << "compiling for " << target->triple << " (" << target->cpu
                 << ")\n";
  if (emit == EmitKind::Imported) {
    auto output = openOutputFile(outputFile, &error);
    if (!output)
      return fail(error);
    module->print(output->os());
    output->keep();
    return 0;
  }

  PassManager pm(&context);
  trilm::buildCPUPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;
  if (emit == EmitKind::Executable && !fromCheckpoint)
    return fail("--emit=exe applies to checkpoint directories");

  if (emit == EmitKind::MLIR || emit == EmitKind::LLVM) {
    auto output = openOutputFile(outputFile, &error);
    if (!output)
      return fail(error);
    if (emit == EmitKind::MLIR) {
      module->print(output->os());
    } else {
      llvm::LLVMContext llvmContext;
      auto llvmModule =
          trilm::cpu::translateToLLVMIR(*module, *target, llvmContext);
      if (!llvmModule)
        return fail(llvm::toString(llvmModule.takeError()));
      (*llvmModule)->print(output->os(), nullptr);
    }
    output->keep();
  } else if (!linked && !weightsData) {
    auto output = openOutputFile(outputFile, &error);
    if (!output)
      return fail(error);
    if (llvm::Error error =
            trilm::cpu::emitObjectFile(*module, *target, output->os()))
      return fail(llvm::toString(std::move(error)));
    output->keep();
  } else {
    // The code and (for embedded weights) the data as objects of their own,
    // linked into the output.
    auto code = TemporaryFile::create("trilm-model", "o");
    if (!code)
      return fail(llvm::toString(code.takeError()));
    if (llvm::Error error =
            trilm::cpu::emitObjectFile(*module, *target, code->os()))
      return fail(llvm::toString(std::move(error)));
    code->os().close();
    std::vector<std::string> objects = {code->getPath().str()};
    std::optional<TemporaryFile> data;
    if (weightsData) {
      auto created = TemporaryFile::create("trilm-weights", "o");
      if (!created)
        return fail(llvm::toString(created.takeError()));
      data.emplace(std::move(*created));
      if (llvm::Error error = trilm::cpu::emitDataObject(
              *target, "trilm_weights", weightsData->getPath(),
              TRILM_WEIGHTS_ALIGNMENT, data->os()))
        return fail(llvm::toString(std::move(error)));
      data->os().close();
      objects.push_back(data->getPath().str());
    }
    LinkKind kind = emit == EmitKind::Executable ? LinkKind::Executable
                    : emit == EmitKind::Library  ? LinkKind::SharedLibrary
                                                 : LinkKind::Relocatable;
    if (llvm::Error error = link(objects, outputFile,
                                 llvm::Triple(target->triple), kind))
      return fail(llvm::toString(std::move(error)));
  }

  if (!quiet && fromCheckpoint) {
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - startTime)
                         .count();
    llvm::errs() << llvm::formatv(
        "{0}: {1:N} parameters ({2:N} ternary at {3:F2} bits per weight), "
        "{4:F1} MiB of weights, compiled in {5:F1} s\n",
        outputFile.getValue(), summary.parameters, summary.ternaryParameters,
        summary.ternaryParameters
            ? 8.0 * summary.ternaryBytes / summary.ternaryParameters
            : 0.0,
        summary.weightBytes / 1048576.0, seconds);
    if (externalWeights)
      llvm::errs() << "weights: " << weightsPath << "\n";
  }
  return 0;
}
