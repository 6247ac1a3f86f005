//===- Link.cpp - Temporary objects and the system linker -----------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "Link.h"

#include <dlfcn.h>

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"

using namespace trilm;

static llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<TemporaryFile> TemporaryFile::create(llvm::StringRef prefix,
                                                    llvm::StringRef suffix) {
  TemporaryFile result;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile(prefix, suffix, fd, result.path))
    return failure("cannot create a temporary file: " + ec.message());
  result.stream =
      std::make_unique<llvm::raw_fd_ostream>(fd, /*shouldClose=*/true);
  return result;
}

TemporaryFile::TemporaryFile(TemporaryFile &&other)
    : path(std::move(other.path)), stream(std::move(other.stream)) {
  other.path.clear();
}

TemporaryFile::~TemporaryFile() {
  stream.reset();
  if (!path.empty())
    llvm::sys::fs::remove(path);
}

/// The compiler driver that links for `triple`.
static llvm::Expected<std::string> findLinker(const llvm::Triple &triple,
                                              llvm::StringRef linker) {
  if (!linker.empty())
    return linker.str();
  llvm::Triple host(llvm::sys::getProcessTriple());
  llvm::SmallVector<llvm::StringRef> candidates;
  if (triple.getArch() == host.getArch())
    candidates = {"clang-22", "clang", "cc"};
  else if (triple.isAArch64())
    candidates = {"aarch64-linux-gnu-gcc"};
  for (llvm::StringRef candidate : candidates)
    if (auto path = llvm::sys::findProgramByName(candidate))
      return *path;
  return failure("no linker found for " + triple.str() + "; pass --linker");
}

/// share/trilm/runtime beside the running program's bin/ (the build tree
/// and an install prefix are laid out alike), else the configured install
/// prefix's.
static llvm::Expected<std::string> findRuntimeSources() {
  std::string executable = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&findRuntimeSources));
  llvm::SmallString<256> besideUs(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(executable)));
  llvm::sys::path::append(besideUs, "share", "trilm", "runtime");
  for (llvm::StringRef candidate : {llvm::StringRef(besideUs),
                                    llvm::StringRef(TRILM_INSTALL_RUNTIME_DIR)})
    if (llvm::sys::fs::exists(candidate + "/Runtime.c"))
      return candidate.str();
  return failure("the runtime's sources are not installed (looked in " +
                 besideUs + " and " TRILM_INSTALL_RUNTIME_DIR ")");
}

/// libtrilm_cuda_runtime.a: in lib/ beside the running program's bin/; for
/// the Python package, beside its extension (a wheel) or in the build tree's
/// lib/ two levels above it; else in the configured install prefix's lib/.
static llvm::Expected<std::string> findCUDARuntime() {
  constexpr llvm::StringLiteral kArchive = "libtrilm_cuda_runtime.a";
  std::string executable = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&findCUDARuntime));
  llvm::SmallVector<llvm::SmallString<256>, 4> candidates(4);
  candidates[0] = llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(executable));
  llvm::sys::path::append(candidates[0], "lib", kArchive);
  Dl_info module;
  if (dladdr(reinterpret_cast<void *>(&findCUDARuntime), &module) &&
      module.dli_fname) {
    llvm::StringRef directory = llvm::sys::path::parent_path(module.dli_fname);
    candidates[1] = directory;
    llvm::sys::path::append(candidates[1], kArchive);
    candidates[2] = llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(directory));
    llvm::sys::path::append(candidates[2], "lib", kArchive);
  }
  candidates[3] = TRILM_INSTALL_LIBRARY_DIR;
  llvm::sys::path::append(candidates[3], kArchive);
  for (const auto &candidate : candidates)
    if (!candidate.empty() && llvm::sys::fs::exists(candidate))
      return candidate.str().str();
  return failure("the GPU runtime is not installed (looked for " +
                 candidates[0] + " and " + candidates[3] + ")");
}

llvm::Error trilm::link(const std::vector<std::string> &objects,
                        llvm::StringRef output, const llvm::Triple &triple,
                        LinkKind kind, bool openmp, bool cuda,
                        llvm::StringRef linker) {
  auto driver = findLinker(triple, linker);
  if (!driver)
    return driver.takeError();
  std::string libraryDir = "-L" TRILM_OPENMP_LIBRARY_DIR;
  std::string rpath = "-Wl,-rpath," TRILM_OPENMP_LIBRARY_DIR;
  llvm::SmallVector<std::string> owned;
  llvm::SmallVector<llvm::StringRef> args = {*driver, "-o", output};
  for (const std::string &object : objects)
    args.push_back(object);
  switch (kind) {
  case LinkKind::Relocatable:
    args.append({"-r", "-nostdlib"});
    break;
  case LinkKind::SharedLibrary:
    args.push_back("-shared");
    break;
  case LinkKind::Executable: {
    auto runtime = findRuntimeSources();
    if (!runtime)
      return runtime.takeError();
    // <prefix>/share/trilm/runtime -> <prefix>/include
    llvm::SmallString<256> include(*runtime);
    for (int up = 0; up < 3; ++up)
      llvm::sys::path::remove_filename(include);
    llvm::sys::path::append(include, "include");
    owned = {"-I" + include.str().str(), *runtime + "/Runtime.c",
             *runtime + "/ModelMain.c"};
    args.append({"-O2", "-rdynamic", owned[0], owned[1], owned[2], "-ldl"});
    break;
  }
  }
  std::string cudaRuntime;
  if (cuda && kind != LinkKind::Relocatable) {
    auto found = findCUDARuntime();
    if (!found)
      return found.takeError();
    cudaRuntime = *found;
    args.append({cudaRuntime, "-ldl"});
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
    return failure("linking " + output + " with " + *driver + " failed" +
                   (message.empty() ? std::string() : ": " + message));
  return llvm::Error::success();
}
