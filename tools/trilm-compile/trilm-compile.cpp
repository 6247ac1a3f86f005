//===- trilm-compile.cpp - Compile ternary MLIR to LLVM IR or objects -----===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// trilm-compile model.mlir --target=aarch64 --features=+dotprod --emit=obj
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "trilm/InitAllTrilm.h"
#include "trilm/Pipelines/Pipelines.h"
#include "trilm/Target/CPU/CPUTarget.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

enum class EmitKind { MLIR, LLVM, Object };

static cl::OptionCategory toolOptions("trilm-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .mlir>"),
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
    cl::values(clEnumValN(EmitKind::MLIR, "mlir", "the LLVM-dialect module"),
               clEnumValN(EmitKind::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(EmitKind::Object, "obj", "an object file")),
    cl::cat(toolOptions));

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

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trilm-compile: compile ternary MLIR to LLVM IR or an object file\n");

  auto target = trilm::cpu::CPUTarget::get(expandTriple(targetTriple),
                                           targetCPU, targetFeatures);
  if (!target)
    return fail(llvm::toString(target.takeError()));

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  trilm::registerAllDialects(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  if (cInterface)
    for (auto function : module->getOps<func::FuncOp>())
      if (function.isPublic() && !function.isDeclaration())
        function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                          UnitAttr::get(&context));

  PassManager pm(&context);
  trilm::CPUPipelineOptions options;
  options.triple = target->triple;
  options.cpu = target->cpu;
  options.features = target->features;
  options.threads = openmp;
  trilm::buildCPUPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  auto output = openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  switch (emit) {
  case EmitKind::MLIR:
    module->print(output->os());
    break;
  case EmitKind::LLVM: {
    llvm::LLVMContext llvmContext;
    auto llvmModule =
        trilm::cpu::translateToLLVMIR(*module, *target, llvmContext);
    if (!llvmModule)
      return fail(llvm::toString(llvmModule.takeError()));
    (*llvmModule)->print(output->os(), nullptr);
    break;
  }
  case EmitKind::Object:
    if (llvm::Error error =
            trilm::cpu::emitObjectFile(*module, *target, output->os()))
      return fail(llvm::toString(std::move(error)));
    break;
  }
  output->keep();
  return 0;
}
