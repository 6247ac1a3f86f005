//===- PackFatbin.cpp - One fatbin for every chip of a GPU module ---------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The objects gpu-module-to-binary makes are one per target, and the host
// code embeds only one of them; a fatbin holding a cubin per chip lets the
// driver pick the one for the GPU it runs on.
//
//===----------------------------------------------------------------------===//

#include "trilm/Target/CUDA/Passes.h"

#include "trilm/Target/CUDA/CUDATarget.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <list>

namespace trilm::cuda {
#define GEN_PASS_DEF_TRILMPACKCUDAFATBIN
#include "trilm/Target/CUDA/Passes.h.inc"
} // namespace trilm::cuda

using namespace mlir;

namespace {

/// A temporary file removed when it goes out of scope.
struct TemporaryFile {
  SmallString<128> path;
  std::unique_ptr<llvm::FileRemover> remover;

  LogicalResult create(Location loc, StringRef suffix) {
    if (std::error_code error =
            llvm::sys::fs::createTemporaryFile("trilm-gpu", suffix, path))
      return emitError(loc, "cannot create a temporary file: ")
             << error.message();
    remover = std::make_unique<llvm::FileRemover>(path);
    return success();
  }
};

/// The number of a chip name such as sm_90 (0 if it has none).
unsigned smNumber(StringRef chip) {
  unsigned number = 0;
  if (chip.consume_front("sm_"))
    (void)chip.getAsInteger(10, number);
  return number;
}

struct TrilmPackCUDAFatbinPass
    : public trilm::cuda::impl::TrilmPackCUDAFatbinBase<
          TrilmPackCUDAFatbinPass> {
  using Base::Base;

  /// Runs `tool` from the toolkit; its output becomes the error on failure.
  LogicalResult run(Location loc, StringRef tool,
                    ArrayRef<std::string> arguments) {
    SmallString<128> program(trilm::cuda::toolkitPath(toolkit));
    llvm::sys::path::append(program, "bin", tool);
    if (!llvm::sys::fs::can_execute(program))
      return emitError(loc, "cannot run ")
             << program << ": set the toolkit option or $CUDA_ROOT to the "
                           "CUDA toolkit";
    TemporaryFile log;
    if (failed(log.create(loc, "log")))
      return failure();
    SmallVector<StringRef> argv = {program};
    for (const std::string &argument : arguments)
      argv.push_back(argument);
    std::optional<StringRef> redirects[] = {std::nullopt, log.path.str(),
                                            log.path.str()};
    std::string message;
    int status = llvm::sys::ExecuteAndWait(program, argv, std::nullopt,
                                           redirects, 0, 0, &message);
    if (status == 0)
      return success();
    auto output = llvm::MemoryBuffer::getFile(log.path);
    return emitError(loc)
           << tool << " failed"
           << (message.empty() ? "" : ": " + message) << ": "
           << (output ? StringRef((*output)->getBuffer()).trim() : "");
  }

  LogicalResult pack(gpu::BinaryOp binary) {
    // Diagnostics at the location only: the op holds every chip's PTX.
    Location loc = binary.getLoc();
    // A list: the files must stay where they are while more are added.
    std::list<TemporaryFile> files;
    std::vector<std::string> fatbinArguments = {"-64"};
    Attribute newestTarget;
    StringRef newestChip;
    std::string newestPTX;
    for (Attribute attribute : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attribute);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
      if (!target || object.getFormat() != gpu::CompilationTarget::Assembly)
        return emitError(loc, "expects the PTX of NVVM targets "
                              "(gpu-module-to-binary{format=isa})");
      StringRef chip = target.getChip();
      files.emplace_back();
      TemporaryFile &ptx = files.back();
      if (failed(ptx.create(loc, "ptx")))
        return failure();
      {
        std::error_code error;
        llvm::raw_fd_ostream out(ptx.path, error);
        if (error)
          return emitError(loc, "cannot write ") << ptx.path;
        out << object.getObject().getValue();
      }
      files.emplace_back();
      TemporaryFile &cubin = files.back();
      if (failed(cubin.create(loc, "cubin")) ||
          failed(run(loc, "ptxas",
                     {"-arch=" + chip.str(), "-O3", ptx.path.str().str(), "-o",
                      cubin.path.str().str()})))
        return failure();
      fatbinArguments.push_back("--image3=kind=elf,sm=" +
                                std::to_string(smNumber(chip)) +
                                ",file=" + cubin.path.str().str());
      if (!newestTarget || smNumber(chip) > smNumber(newestChip)) {
        newestTarget = target;
        newestChip = chip;
        newestPTX = ptx.path.str().str();
      }
    }
    if (embedPTX)
      fatbinArguments.push_back("--image3=kind=ptx,sm=" +
                                std::to_string(smNumber(newestChip)) +
                                ",file=" + newestPTX);
    TemporaryFile fatbin;
    if (failed(fatbin.create(loc, "fatbin")))
      return failure();
    fatbinArguments.push_back("--create=" + fatbin.path.str().str());
    if (failed(run(loc, "fatbinary", fatbinArguments)))
      return failure();
    auto bytes = llvm::MemoryBuffer::getFile(fatbin.path, /*IsText=*/false);
    if (!bytes)
      return emitError(loc, "cannot read ") << fatbin.path;
    auto first = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    auto packed = gpu::ObjectAttr::get(
        newestTarget, gpu::CompilationTarget::Fatbin,
        StringAttr::get(&getContext(), (*bytes)->getBuffer()),
        first.getProperties(), first.getKernels());
    binary.setObjectsAttr(ArrayAttr::get(&getContext(), {packed}));
    return success();
  }

  void runOnOperation() override {
    SmallVector<gpu::BinaryOp> binaries;
    getOperation().walk([&](gpu::BinaryOp op) { binaries.push_back(op); });
    for (gpu::BinaryOp binary : binaries)
      if (failed(pack(binary)))
        return signalPassFailure();
  }
};

} // namespace
