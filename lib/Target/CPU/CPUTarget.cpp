//===- CPUTarget.cpp - CPU target descriptions and code emission ----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/ArmNeon/ArmNeonToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>
#include <unistd.h>

using namespace trilm;
using namespace trilm::cpu;

void trilm::cpu::initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

static llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<CPUTarget> CPUTarget::get(llvm::StringRef triple,
                                         llvm::StringRef cpu,
                                         llvm::StringRef features) {
  initializeLLVMTargets();
  CPUTarget target;
  target.triple = llvm::Triple::normalize(
      triple.empty() ? llvm::sys::getDefaultTargetTriple() : triple.str());
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(target.triple), error);
  if (!llvmTarget)
    return failure("unknown target triple '" + triple + "'");
  llvm::Triple parsed(target.triple);
  if (!parsed.isX86() && !parsed.isAArch64())
    return failure("unsupported target '" + target.triple +
                   "': trilm generates code for x86-64 and AArch64");

  target.cpu = cpu.empty() ? "generic" : cpu.str();
  target.features = features.str();
  if (cpu == "native") {
    target.cpu = llvm::sys::getHostCPUName().str();
#ifdef _SC_LEVEL2_CACHE_SIZE
    if (long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0)
      target.l2CacheBytes = l2;
#endif
    std::string hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures += (feature.second ? ",+" : ",-") + feature.first().str();
    target.features = hostFeatures.empty() ? target.features
                                           : hostFeatures.substr(1) +
                                                 (features.empty() ? "" : ",") +
                                                 features.str();
  }
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      llvmTarget->createMCSubtargetInfo(parsed, target.cpu, target.features));
  if (!subtarget || !subtarget->isCPUStringValid(target.cpu))
    return failure("unknown cpu '" + target.cpu + "' for target '" +
                   target.triple + "'");
  // Each feature must be one the target knows; LLVM would otherwise only
  // print a warning and ignore it.
  llvm::SmallVector<llvm::StringRef> requested;
  llvm::StringRef(target.features).split(requested, ',', -1, false);
  for (llvm::StringRef feature : requested) {
    llvm::StringRef name = feature.trim();
    if (!name.consume_front("+") && !name.consume_front("-"))
      return failure("feature '" + feature +
                     "' must start with '+' or '-' (for example +avx512vnni)");
    if (!llvm::any_of(subtarget->getAllProcessorFeatures(),
                      [&](const llvm::SubtargetFeatureKV &kv) {
                        return name == kv.Key;
                      }))
      return failure("unknown feature '" + name + "' for target '" +
                     target.triple + "'");
  }

  auto has = [&](llvm::StringRef feature) {
    return subtarget->checkFeatures(("+" + feature).str());
  };
  if (parsed.isAArch64()) {
    if (has("dotprod"))
      target.int8Dot = ternary_cpu::Int8DotKind::neon_dotprod;
  } else {
    if (has("avx512vnni") && has("avx512vl") && has("avx512bw"))
      target.int8Dot = ternary_cpu::Int8DotKind::avx512_vnni;
    else if (has("avxvnni"))
      target.int8Dot = ternary_cpu::Int8DotKind::avx_vnni;
    if (has("avx512vbmi"))
      target.byteLookup = ternary_cpu::ByteLookupKind::avx512_vbmi;
  }
  return target;
}

llvm::Expected<CPUTarget> CPUTarget::host() { return get("", "native", ""); }

/// The DLTI key of the L2 size of the CPU device.
static constexpr llvm::StringLiteral kL2CacheKey = "L2_cache_size_in_bytes";

llvm::Expected<CPUTarget> CPUTarget::of(mlir::ModuleOp module) {
  auto attr = module->getAttrOfType<mlir::LLVM::TargetAttr>(
      mlir::LLVM::LLVMDialect::getTargetAttrName());
  if (!attr)
    return failure("the module records no target (llvm.target): attach one "
                   "with trilm-attach-cpu-target");
  std::string features =
      attr.getFeatures() ? attr.getFeatures().getFeaturesString() : "";
  auto target = get(attr.getTriple().getValue(), attr.getChip().getValue(),
                    features);
  if (!target)
    return target.takeError();
  mlir::FailureOr<mlir::Attribute> l2 =
      mlir::dlti::query(module, {"CPU", kL2CacheKey});
  if (succeeded(l2)) {
    auto bytes = llvm::dyn_cast<mlir::IntegerAttr>(*l2);
    if (!bytes || bytes.getInt() <= 0)
      return failure("the module's " + kL2CacheKey +
                     " must be a positive integer");
    target->l2CacheBytes = bytes.getInt();
  }
  return target;
}

void CPUTarget::attachTo(mlir::ModuleOp module) const {
  mlir::MLIRContext *context = module->getContext();
  mlir::Builder b(context);
  auto featuresAttr =
      features.empty() ? mlir::LLVM::TargetFeaturesAttr()
                       : mlir::LLVM::TargetFeaturesAttr::get(
                             context, llvm::StringRef(features));
  module->setAttr(mlir::LLVM::LLVMDialect::getTargetAttrName(),
                  mlir::LLVM::TargetAttr::get(context, b.getStringAttr(triple),
                                              b.getStringAttr(cpu),
                                              featuresAttr));
  mlir::DataLayoutEntryInterface l2 = mlir::DataLayoutEntryAttr::get(
      b.getStringAttr(kL2CacheKey), b.getI64IntegerAttr(l2CacheBytes));
  mlir::DataLayoutEntryInterface device = mlir::DataLayoutEntryAttr::get(
      b.getStringAttr("CPU"), mlir::TargetDeviceSpecAttr::get(context, {l2}));
  auto system = mlir::TargetSystemSpecAttr::get(context, {device});
  module->setAttr(mlir::DLTIDialect::kTargetSystemDescAttrName, system);
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
CPUTarget::createTargetMachine() const {
  initializeLLVMTargets();
  std::string error;
  llvm::Triple parsed(triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(parsed, error);
  if (!llvmTarget)
    return failure("unknown target triple '" + triple + "'");
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      parsed, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return failure("cannot create a target machine for '" + triple + "'");
  return machine;
}

/// CPU features that change the code LLVM may emit and that the runtime can
/// test on its host (the names are LLVM's, and the x86 ones also
/// __builtin_cpu_supports').
static llvm::ArrayRef<const char *> getCheckableFeatures(llvm::Triple triple) {
  static const char *const x86[] = {
      "sse4.1",     "sse4.2",     "avx",        "avx2",       "fma",
      "f16c",       "bmi",        "bmi2",       "avx512f",    "avx512bw",
      "avx512dq",   "avx512vl",   "avx512cd",   "avx512vnni", "avx512bf16",
      "avx512fp16", "avx512vbmi", "avx512vbmi2", "avxvnni",   "avxvnniint8"};
  static const char *const aarch64[] = {"neon", "dotprod", "fullfp16",
                                        "i8mm", "bf16",    "sve"};
  if (triple.isX86() && triple.isArch64Bit())
    return x86;
  if (triple.isAArch64())
    return aarch64;
  return {};
}

/// Gives a model (a module defining trilm_model_config) the public string
/// `trilm_model_cpu_features`: the checkable features its code was compiled
/// for, comma separated, which the runtime requires of its host before it
/// runs any of the model's code (docs/security.md).
static void recordCPUFeatures(llvm::Module &module,
                              const llvm::TargetMachine &machine) {
  if (!module.getGlobalVariable("trilm_model_config"))
    return;
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  llvm::SmallVector<llvm::StringRef> enabled;
  for (const char *feature : getCheckableFeatures(machine.getTargetTriple()))
    if (subtarget->checkFeatures(("+" + llvm::Twine(feature)).str()))
      enabled.push_back(feature);
  llvm::Constant *text = llvm::ConstantDataArray::getString(
      module.getContext(), llvm::join(enabled, ","));
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "trilm_model_cpu_features");
}

llvm::Expected<std::unique_ptr<llvm::Module>>
trilm::cpu::translateToLLVMIR(mlir::ModuleOp module, const CPUTarget &target,
                              llvm::LLVMContext &context, unsigned optLevel) {
  mlir::DialectRegistry registry;
  mlir::registerArmNeonDialectTranslation(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  // Host code of GPU models: the kernels' binaries and their launches.
  mlir::registerGPUDialectTranslation(registry);
  mlir::gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return failure("the module does not translate to LLVM IR (is it fully "
                   "lowered to the LLVM dialect?)");
  auto machine = target.createTargetMachine();
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  recordCPUFeatures(*llvmModule, **machine);
  // Every function gets the target's CPU and features, so that LLVM's
  // optimisations (inlining included) see the same subtarget as the backend.
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", target.cpu);
    if (!target.features.empty())
      function.addFnAttr("target-features", target.features);
  }
  auto optimize =
      mlir::makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, machine->get());
  if (llvm::Error error = optimize(llvmModule.get()))
    return std::move(error);
  return llvmModule;
}

llvm::Error trilm::cpu::emitObjectFile(mlir::ModuleOp module,
                                       const CPUTarget &target,
                                       llvm::raw_pwrite_stream &os,
                                       unsigned optLevel) {
  llvm::LLVMContext context;
  auto llvmModule = translateToLLVMIR(module, target, context, optLevel);
  if (!llvmModule)
    return llvmModule.takeError();
  auto machine = target.createTargetMachine();
  if (!machine)
    return machine.takeError();
  llvm::legacy::PassManager passes;
  if ((*machine)->addPassesToEmitFile(passes, os, nullptr,
                                      llvm::CodeGenFileType::ObjectFile))
    return failure("the target cannot emit object files");
  passes.run(**llvmModule);
  return llvm::Error::success();
}
