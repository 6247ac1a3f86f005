//===- Compiler.cpp - trilm as a library ----------------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// A checkpoint goes: import (model IR, weights planned) -> the target's
// strategy (kernels and weight layouts chosen) -> the weights written in
// those layouts -> the lowering -> LLVM -> objects, linked as asked.
//
//===----------------------------------------------------------------------===//

#include "trilm/Compiler/Compiler.h"

#include "trilm/Dialect/Ternary/Transforms/Passes.h"
#include "trilm/Frontend/GGUF/GGUFCheckpoint.h"
#include "trilm/Frontend/ONNX/ONNXImport.h"

#include "Link.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "trilm/InitAllTrilm.h"
#include "trilm/Pipelines/Pipelines.h"
#include "trilm/Target/CPU/CPUTarget.h"
#include "trilm/Target/CPU/Passes.h"
#include "trilm/Target/CUDA/CUDATarget.h"
#include "trilm-c/ModelABI.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace trilm;

namespace {

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Accepts an architecture alone as shorthand for its Linux triple.
std::string expandTriple(llvm::StringRef target) {
  if (!target.empty() && !target.contains('-'))
    return (target + "-unknown-linux-gnu").str();
  return target.str();
}

/// The chips of a CUDA target (`cuda:sm_80,sm_90` -> "sm_80,sm_90"), or
/// none for a CPU target.
llvm::Expected<std::optional<std::string>> cudaChipsOf(llvm::StringRef target) {
  if (target != "cuda" && !target.starts_with("cuda:"))
    return std::nullopt;
  llvm::StringRef chips = target.drop_front(4);
  if (!chips.consume_front(":") || chips.empty())
    return failure("--target=cuda needs the chips to compile for: "
                   "cuda:sm_80, or several as cuda:sm_80,sm_90");
  GPUPipelineOptions defaults;
  if (auto checked = cuda::parseChips(chips, defaults.ptxVersion); !checked)
    return checked.takeError();
  return chips.str();
}

/// What a model compiled for CUDA cannot have yet, with the reason.
llvm::Error checkCUDAOptions(const CompileOptions &options,
                             bool fromCheckpoint) {
  if (!fromCheckpoint)
    return failure("--target=cuda compiles checkpoints (directories, .gguf "
                   "files, ONNX LLaMA models); compile MLIR for a GPU with "
                   "trilm-opt --trilm-gpu-pipeline");
  if (options.activations == Activations::Int8)
    return failure("int8 activations do not run on the GPU yet: compile for "
                   "CUDA with --activations=fp32");
  return llvm::Error::success();
}

frontend::ModelOptions modelOptions(const CompileOptions &options,
                                 frontend::ModelOptions::WeightsPlacement where,
                                 llvm::raw_pwrite_stream *stream,
                                 bool onGPU, const cpu::CPUTarget &target) {
  frontend::ModelOptions result;
  // The layout the CPU strategy takes for int8 1.6-bit matmuls on this
  // target (ternary-select-kernels-cpu), not in the target-independent IR.
  result.tritTriples = !onGPU && options.emit != EmitKind::Imported &&
                       options.activations == Activations::Int8 &&
                       options.packing == ternary::PackingScheme::tq1 &&
                       target.prefersLookupTables();
  result.device = onGPU ? frontend::ModelOptions::Device::CUDA
                        : frontend::ModelOptions::Device::CPU;
  result.packing = options.packing;
  result.int8Activations = options.activations == Activations::Int8;
  result.kvCache = options.kvCache;
  result.ternarize = options.ternarize;
  result.weightsPlacement = where;
  result.weightsStream = stream;
  result.progress = options.progress;
  return result;
}

/// Runs `build`'s passes on `module`; diagnostics go to the context.
llvm::Error runPasses(ModuleOp module,
                      function_ref<void(OpPassManager &)> build) {
  PassManager pm(module->getContext());
  build(pm);
  if (failed(pm.run(module)))
    return failure("compilation failed (see the diagnostics above)");
  return llvm::Error::success();
}

llvm::Error writeText(llvm::StringRef path,
                      function_ref<void(llvm::raw_ostream &)> print) {
  std::string error;
  auto output = openOutputFile(path, &error);
  if (!output)
    return failure(error);
  print(output->os());
  output->keep();
  return llvm::Error::success();
}

/// Translates, optimises and writes `module` to `output` as the options
/// ask: LLVM-dialect MLIR, LLVM IR, an object, or objects linked into a
/// library or program (`weightsData`: embedded weights to link beside the
/// code).
llvm::Error emit(ModuleOp module, const cpu::CPUTarget &target,
                 llvm::StringRef output, const CompileOptions &options,
                 const TemporaryFile *weightsData, bool onGPU) {
  switch (options.emit) {
  case EmitKind::Imported:
    llvm_unreachable("written before lowering");
  case EmitKind::MLIR:
    return writeText(output, [&](llvm::raw_ostream &os) { module.print(os); });
  case EmitKind::LLVM: {
    llvm::LLVMContext context;
    auto llvmModule = cpu::translateToLLVMIR(module, target, context);
    if (!llvmModule)
      return llvmModule.takeError();
    return writeText(output, [&](llvm::raw_ostream &os) {
      (*llvmModule)->print(os, nullptr);
    });
  }
  case EmitKind::Object:
  case EmitKind::Library:
  case EmitKind::Executable:
    break;
  }
  if (options.emit == EmitKind::Object && !weightsData) {
    std::string error;
    auto file = openOutputFile(output, &error);
    if (!file)
      return failure(error);
    if (llvm::Error error = cpu::emitObjectFile(module, target, file->os()))
      return error;
    file->keep();
    return llvm::Error::success();
  }
  // The code and (for embedded weights) the data as objects of their own,
  // linked into the output.
  auto code = TemporaryFile::create("trilm-model", "o");
  if (!code)
    return code.takeError();
  if (llvm::Error error = cpu::emitObjectFile(module, target, code->os()))
    return error;
  code->os().close();
  std::vector<std::string> objects = {code->getPath().str()};
  std::optional<TemporaryFile> data;
  if (weightsData) {
    auto created = TemporaryFile::create("trilm-weights", "o");
    if (!created)
      return created.takeError();
    data.emplace(std::move(*created));
    if (llvm::Error error = cpu::emitDataObject(
            target, "trilm_weights", weightsData->getPath(),
            TRILM_WEIGHTS_ALIGNMENT, data->os()))
      return error;
    data->os().close();
    objects.push_back(data->getPath().str());
  }
  LinkKind kind = options.emit == EmitKind::Executable ? LinkKind::Executable
                  : options.emit == EmitKind::Library  ? LinkKind::SharedLibrary
                                                       : LinkKind::Relocatable;
  return link(objects, output, llvm::Triple(target.triple), kind,
              options.threads && !onGPU, onGPU, options.linker);
}

llvm::Error checkOptions(llvm::StringRef output, const CompileOptions &options,
                         bool fromCheckpoint, bool fromONNX) {
  bool linked = options.emit == EmitKind::Library ||
                options.emit == EmitKind::Executable;
  bool external = options.weights == WeightsKind::External;
  if (linked && output == "-")
    return failure("--emit=lib and --emit=exe need an output file (-o)");
  if (external && output == "-")
    return failure("--weights=external needs an output file (-o)");
  if (external && !fromCheckpoint)
    return failure("--weights=external applies to checkpoints (directories "
                   "and .gguf files)");
  if (options.emit == EmitKind::Executable && !fromCheckpoint)
    return failure("--emit=exe applies to checkpoints (directories and .gguf "
                   "files)");
  if (options.emit == EmitKind::Imported && !fromCheckpoint && !fromONNX)
    return failure("--emit=imported applies to checkpoints (directories and "
                   ".gguf files) and ONNX models");
  if (fromCheckpoint && options.emit == EmitKind::Object && output == "-")
    return failure("compiling a checkpoint to an object needs an output file "
                   "(-o)");
  return llvm::Error::success();
}

} // namespace

/// `output` without a trailing .so or .o.
static std::string outputStem(llvm::StringRef output) {
  std::string path = output.str();
  for (llvm::StringRef suffix : {".so", ".o"})
    if (llvm::StringRef(path).ends_with(suffix))
      path.resize(path.size() - suffix.size());
  return path;
}

std::string trilm::externalWeightsPath(llvm::StringRef output) {
  return outputStem(output) + ".weights";
}

std::string trilm::tokenizerPathFor(llvm::StringRef output) {
  return outputStem(output) + ".tokenizer.json";
}

/// A checkpoint directory or a GGUF file.
static llvm::Expected<std::unique_ptr<import::Checkpoint>>
openCheckpoint(llvm::StringRef input, const CompileOptions &options) {
  if (input.ends_with(".gguf"))
    return gguf::openCheckpoint(input, options.ggufScales);
  return import::Checkpoint::open(input);
}

/// Writes the tokenizer of checkpoint `input` to `path`: the directory's
/// tokenizer.json (or the one beside an ONNX file), or the GGUF file's
/// tokenizer as one. Returns false when the checkpoint has none that trilm
/// reads, with the reason in `warning`.
static llvm::Expected<bool> writeTokenizer(llvm::StringRef input,
                                           llvm::StringRef path,
                                           std::string &warning) {
  if (!input.ends_with(".gguf")) {
    llvm::SmallString<256> tokenizer(
        input.ends_with(".onnx") ? llvm::sys::path::parent_path(input) : input);
    llvm::sys::path::append(tokenizer, "tokenizer.json");
    if (!llvm::sys::fs::is_regular_file(tokenizer))
      return false;
    if (std::error_code error = llvm::sys::fs::copy_file(tokenizer, path))
      return failure("cannot copy " + tokenizer + " to " + path + ": " +
                     error.message());
    return true;
  }
  auto file = gguf::File::open(input);
  if (!file)
    return file.takeError();
  auto json = gguf::exportTokenizerJSON(**file);
  if (!json) {
    warning = "no tokenizer written: " + llvm::toString(json.takeError());
    return false;
  }
  if (llvm::Error error = writeText(
          path, [&](llvm::raw_ostream &os) { os << *json; }))
    return std::move(error);
  return true;
}

llvm::Expected<CompileResult> trilm::compile(llvm::StringRef input,
                                             llvm::StringRef output,
                                             const CompileOptions &options) {
  // An ONNX model is a checkpoint when it is a LLaMA decoder (known once it
  // is parsed), else a graph; it is parsed once for both.
  std::unique_ptr<import::Checkpoint> onnxModel;
  onnx_import::Model onnxGraph;
  if (input.ends_with(".onnx")) {
    auto parsed = onnx_import::openModel(input);
    if (!parsed)
      return parsed.takeError();
    onnxGraph = std::move(*parsed);
    auto checkpoint = onnx_import::openLlamaCheckpoint(onnxGraph);
    if (!checkpoint)
      return checkpoint.takeError();
    onnxModel = std::move(*checkpoint);
  }
  bool fromONNX = onnxGraph != nullptr;
  bool fromCheckpoint = onnxModel || input.ends_with(".gguf") ||
                        llvm::sys::fs::is_directory(input);
  if (llvm::Error error =
          checkOptions(output, options, fromCheckpoint, fromONNX))
    return std::move(error);
  // A CUDA target: the kernels for its chips, the host code for this host.
  auto cudaChips = cudaChipsOf(options.triple);
  if (!cudaChips)
    return cudaChips.takeError();
  bool onGPU = cudaChips->has_value();
  if (onGPU)
    if (llvm::Error error = checkCUDAOptions(options, fromCheckpoint))
      return std::move(error);
  CPUPipelineOptions pipeline;
  pipeline.triple = onGPU ? std::string() : expandTriple(options.triple);
  pipeline.cpu = options.cpu;
  pipeline.features = options.features;
  pipeline.threads = options.threads && !onGPU;
  // The target is validated up front, so that a typo fails before the
  // weights are read.
  auto requested = cpu::CPUTarget::get(pipeline.triple, pipeline.cpu,
                                       pipeline.features);
  if (!requested)
    return requested.takeError();

  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // The GPU pipeline translates its kernels to LLVM IR for NVPTX.
  mlir::registerAllToLLVMIRTranslations(registry);
  trilm::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  CompileResult result;
  result.triple = onGPU ? options.triple : requested->triple;
  result.cpu = onGPU ? "host " + requested->triple : requested->cpu;
  OwningOpRef<ModuleOp> module;
  std::optional<TemporaryFile> weightsData;
  if (fromCheckpoint) {
    // Where the weights go: a file the runtime maps; or, for objects,
    // libraries and programs, an object of their own that defines the
    // global the runtime looks up (the bytes never pass through LLVM); or,
    // for the textual outputs, the module itself.
    using Placement = frontend::ModelOptions::WeightsPlacement;
    bool objectOutput = options.emit == EmitKind::Object ||
                        options.emit == EmitKind::Library ||
                        options.emit == EmitKind::Executable;
    Placement placement = options.weights == WeightsKind::External
                              ? Placement::ExternalFile
                          : objectOutput ? Placement::LinkedObject
                                         : Placement::InModule;
    std::unique_ptr<llvm::ToolOutputFile> weightsFile;
    llvm::raw_pwrite_stream *weightsStream = nullptr;
    if (placement == Placement::ExternalFile) {
      result.weightsPath = externalWeightsPath(output);
      std::string error;
      weightsFile = openOutputFile(result.weightsPath, &error);
      if (!weightsFile)
        return failure(error);
      weightsStream = &weightsFile->os();
    } else if (placement == Placement::LinkedObject) {
      auto temporary = TemporaryFile::create("trilm-weights", "bin");
      if (!temporary)
        return temporary.takeError();
      weightsData.emplace(std::move(*temporary));
      weightsStream = &weightsData->os();
    }
    std::unique_ptr<import::Checkpoint> checkpoint = std::move(onnxModel);
    if (!checkpoint) {
      auto opened = openCheckpoint(input, options);
      if (!opened)
        return opened.takeError();
      checkpoint = std::move(*opened);
    }
    auto imported = frontend::LlamaImport::create(
        context, *checkpoint,
        modelOptions(options, placement, weightsStream, onGPU, *requested));
    if (!imported)
      return imported.takeError();
    frontend::LlamaImport &import = **imported;
    result.summary = import.getSummary();
    // The model IR as the frontend wrote it: the strategy has not run, so
    // packed weights stay row-major (as the GPU kernels read them).
    if (options.emit != EmitKind::Imported)
      if (llvm::Error error =
              runPasses(import.getModule(), [&](OpPassManager &pm) {
                if (onGPU)
                  buildHostTargetPipeline(pm, pipeline);
                else
                  buildCPUStrategyPipeline(pm, pipeline,
                                           /*relayoutStorage=*/true);
              }))
        return std::move(error);
    if (llvm::Error error = import.writeWeights())
      return std::move(error);
    if (weightsFile)
      weightsFile->keep();
    if (weightsData)
      weightsData->os().close();
    module = import.takeModule();
    if (options.emit == EmitKind::Imported) {
      if (llvm::Error error = writeText(
              output, [&](llvm::raw_ostream &os) { module->print(os); }))
        return std::move(error);
      return result;
    }
  } else if (fromONNX) {
    auto imported = onnx_import::importModel(context, onnxGraph);
    if (!imported)
      return imported.takeError();
    module = std::move(*imported);
    // Constant weights with ternary values become ternary.matmul.
    if (llvm::Error error = runPasses(*module, [&](OpPassManager &pm) {
          ternary::TernaryRaiseMatmulOptions raise;
          raise.packing = options.packing;
          pm.addPass(ternary::createTernaryRaiseMatmul(raise));
        }))
      return std::move(error);
    if (options.emit == EmitKind::Imported) {
      if (llvm::Error error = writeText(
              output, [&](llvm::raw_ostream &os) { module->print(os); }))
        return std::move(error);
      return result;
    }
    if (llvm::Error error = runPasses(*module, [&](OpPassManager &pm) {
          buildCPUStrategyPipeline(pm, pipeline);
        }))
      return std::move(error);
  } else {
    std::string error;
    auto file = openInputFile(input, &error);
    if (!file)
      return failure(error);
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return failure("cannot parse " + input);
    if (options.cInterface)
      for (auto function : module->getOps<func::FuncOp>())
        if (function.isPublic() && !function.isDeclaration())
          function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                            UnitAttr::get(&context));
    if (llvm::Error error = runPasses(*module, [&](OpPassManager &pm) {
          buildCPUStrategyPipeline(pm, pipeline);
        }))
      return std::move(error);
  }

  if (llvm::Error error = runPasses(*module, [&](OpPassManager &pm) {
        if (!onGPU)
          return buildCPULoweringPipeline(pm, pipeline);
        GPUPipelineOptions gpu;
        gpu.chips = **cudaChips;
        gpu.roundActivations = true;
        buildGPUPipeline(pm, gpu);
        pm.addPass(cpu::createTrilmFinalizeCPUModule());
      }))
    return std::move(error);
  // From here on the target is the one the module records.
  auto target = cpu::CPUTarget::of(*module);
  if (!target)
    return target.takeError();
  if (llvm::Error error =
          emit(*module, *target, output, options,
               weightsData ? &*weightsData : nullptr, onGPU))
    return std::move(error);
  // Libraries and programs carry their checkpoint's tokenizer, for
  // trilm-run.
  if (fromCheckpoint && (options.emit == EmitKind::Library ||
                         options.emit == EmitKind::Executable)) {
    std::string warning;
    auto written = writeTokenizer(input, tokenizerPathFor(output), warning);
    if (!written)
      return written.takeError();
    if (*written)
      result.tokenizerPath = tokenizerPathFor(output);
    if (!warning.empty())
      result.warnings.push_back(std::move(warning));
  }
  return result;
}
