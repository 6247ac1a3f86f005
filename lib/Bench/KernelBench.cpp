//===- KernelBench.cpp - Time the generated CPU kernels -------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#include "trilm/Bench/Bench.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "trilm/InitAllTrilm.h"
#include "trilm/Pipelines/Pipelines.h"
#include "trilm/Target/CPU/CPUTarget.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <dlfcn.h>
#include <cstring>
#include <random>

using namespace mlir;
using namespace trilm;
using namespace trilm::bench;

namespace {

constexpr const char *kOpenMPLibrary = "/usr/lib/llvm-22/lib/libomp.so";

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Bytes of the weights as the kernel reads them.
int64_t storageBytes(const MatmulCase &c) {
  return c.lookupTables ? packing::tripleMatrixBytes(c.n, c.k)
                        : c.n * packing::packedRowBytes(c.scheme, c.k);
}

/// The benchmarked function: one ternary.matmul on function arguments.
std::string matmulModule(const MatmulCase &c, int64_t rows) {
  std::string groups = "tensor";
  int64_t rowGroups = 1, colGroups = 1;
  if (c.shards > 1) {
    int64_t size = c.shardsAlongK ? c.k : c.n;
    std::string splits;
    for (int64_t s = 1; s < c.shards; ++s)
      splits += (s > 1 ? ", " : "") + std::to_string(s * size / c.shards);
    groups = (c.shardsAlongK ? "k = [" : "n = [") + splits + "]";
    (c.shardsAlongK ? colGroups : rowGroups) = c.shards;
  }
  std::string layout =
      c.lookupTables ? std::string(", #ternary.trit_triples")
      : c.interleave
          ? llvm::formatv(", #ternary.row_interleave<{0}>", c.interleave).str()
          : std::string();
  std::string packed =
      llvm::formatv("!ternary.packed<{0}x{1}, {2}{3}>", c.n, c.k,
                    packing::schemeName(c.scheme), layout);
  std::string scales =
      llvm::formatv("tensor<{0}x{1}xf32>", rowGroups, colGroups);
  if (c.int8)
    return llvm::formatv(
        "func.func @matmul(%x: tensor<{0}x{1}xi8>, %as: tensor<{0}xf32>, "
        "%w: {2}, %s: {3}) -> tensor<{0}x{4}xf32> {{\n"
        "  %y = ternary.matmul %x act_scales(%as : tensor<{0}xf32>), %w "
        "groups #ternary.scale_groups<{5}> scales(%s : {3}) : "
        "tensor<{0}x{1}xi8>, {2} -> tensor<{0}x{4}xf32>\n"
        "  return %y : tensor<{0}x{4}xf32>\n}\n",
        rows, c.k, packed, scales, c.n, groups);
  return llvm::formatv(
      "func.func @matmul(%x: tensor<{0}x{1}xf32>, %w: {2}, %s: {3}) -> "
      "tensor<{0}x{4}xf32> {{\n"
      "  %y = ternary.matmul %x, %w groups #ternary.scale_groups<{5}> "
      "scales(%s : {3}) : tensor<{0}x{1}xf32>, {2} -> tensor<{0}x{4}xf32>\n"
      "  return %y : tensor<{0}x{4}xf32>\n}\n",
      rows, c.k, packed, scales, c.n, groups);
}

/// A JIT-compiled @matmul with its C interface.
struct CompiledMatmul {
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<ExecutionEngine> engine;
  void *function = nullptr;
};

llvm::Expected<CompiledMatmul> compile(const MatmulCase &c, int64_t rows,
                                       bool reference) {
  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  trilm::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  CompiledMatmul compiled;
  compiled.context = std::make_unique<MLIRContext>(registry);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(matmulModule(c, rows), compiled.context.get());
  if (!module)
    return failure("the benchmark module does not parse");
  for (auto function : module->getOps<func::FuncOp>())
    function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(compiled.context.get()));

  auto target = cpu::CPUTarget::get("", c.cpu, c.features);
  if (!target)
    return target.takeError();
  PassManager pm(compiled.context.get());
  if (reference) {
    buildReferencePipeline(pm);
  } else {
    CPUPipelineOptions options;
    options.triple = target->triple;
    options.cpu = target->cpu;
    options.features = target->features;
    options.l2CacheKiB = target->l2CacheBytes / 1024;
    options.rows = c.tileRows;
    options.actRows = c.tileActRows;
    options.panelMinActRows = c.panelMinActRows;
    options.lookupTables = c.lookupTables;
    buildCPUPipeline(pm, options);
  }
  if (failed(pm.run(*module)))
    return failure("the benchmark module does not compile");

  auto machine = target->createTargetMachine();
  if (!machine)
    return machine.takeError();
  auto transformer = makeOptimizingTransformer(3, 0, machine->get());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  llvm::StringRef libraries[] = {kOpenMPLibrary};
  options.sharedLibPaths = libraries;
  auto engine = ExecutionEngine::create(*module, options, std::move(*machine));
  if (!engine)
    return engine.takeError();
  compiled.engine = std::move(*engine);
  auto function = compiled.engine->lookup("_mlir_ciface_matmul");
  if (!function)
    return function.takeError();
  compiled.function = *function;
  return compiled;
}

template <typename T, int N>
StridedMemRefType<T, N> view(T *data, std::array<int64_t, N> sizes) {
  StridedMemRefType<T, N> ref;
  ref.basePtr = ref.data = data;
  ref.offset = 0;
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    ref.sizes[i] = sizes[i];
    ref.strides[i] = stride;
    stride *= sizes[i];
  }
  return ref;
}

/// Inputs shared by the kernel under test and the reference.
struct Inputs {
  std::vector<float> x;
  std::vector<int8_t> q;
  std::vector<float> actScales;
  std::vector<uint8_t> weights;
  std::vector<float> scales;
};

Inputs makeInputs(const MatmulCase &c) {
  std::mt19937 rng(1234);
  Inputs in;
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int> trit(-1, 1), byte(-127, 127);
  in.x.resize(c.m * c.k);
  for (float &v : in.x)
    v = normal(rng);
  in.q.resize(c.m * c.k);
  for (int8_t &v : in.q)
    v = static_cast<int8_t>(byte(rng));
  in.actScales.assign(c.m, 0.01f);
  std::vector<int8_t> trits(c.n * c.k);
  for (int8_t &t : trits)
    t = static_cast<int8_t>(trit(rng));
  int64_t rowBytes = packing::packedRowBytes(c.scheme, c.k);
  in.weights.resize(storageBytes(c));
  if (c.lookupTables)
    packing::packTriples(trits.data(), c.n, c.k, in.weights.data());
  else
    packing::packMatrix(c.scheme, trits.data(), c.n, c.k, in.weights.data());
  if (c.interleave && !c.lookupTables) {
    // Block b of row n goes to storage row n / R, block slot b * R + n % R.
    std::vector<uint8_t> rowMajor = in.weights;
    int64_t blockBytes = packing::codeBytesPerBlock(c.scheme);
    int64_t blocks = rowBytes / blockBytes;
    for (int64_t n = 0; n < c.n; ++n)
      for (int64_t b = 0; b < blocks; ++b)
        std::memcpy(in.weights.data() + (n / c.interleave) * c.interleave * rowBytes +
                        (b * c.interleave + n % c.interleave) * blockBytes,
                    rowMajor.data() + n * rowBytes + b * blockBytes, blockBytes);
  }
  in.scales.resize(c.shards);
  for (int64_t s = 0; s < c.shards; ++s)
    in.scales[s] = 0.02f + 0.001f * s;
  return in;
}

/// Calls @matmul on the first `rows` rows of the inputs; returns the output.
std::vector<float> call(const CompiledMatmul &compiled, const MatmulCase &c,
                        Inputs &in, int64_t rows) {
  StridedMemRefType<float, 2> result;
  int64_t storageRows = c.lookupTables ? c.n / packing::kTripleRows
                        : c.interleave ? c.n / c.interleave
                                       : c.n;
  auto weights = view<int8_t, 2>(reinterpret_cast<int8_t *>(in.weights.data()),
                                 {storageRows, storageBytes(c) / storageRows});
  int64_t rowGroups = c.shardsAlongK ? 1 : c.shards;
  auto scales = view<float, 2>(in.scales.data(), {rowGroups, c.shards / rowGroups});
  if (c.int8) {
    auto x = view<int8_t, 2>(in.q.data(), {rows, c.k});
    auto as = view<float, 1>(in.actScales.data(), {rows});
    using Fn = void (*)(StridedMemRefType<float, 2> *, StridedMemRefType<int8_t, 2> *,
                        StridedMemRefType<float, 1> *, StridedMemRefType<int8_t, 2> *,
                        StridedMemRefType<float, 2> *);
    reinterpret_cast<Fn>(compiled.function)(&result, &x, &as, &weights, &scales);
  } else {
    auto x = view<float, 2>(in.x.data(), {rows, c.k});
    using Fn = void (*)(StridedMemRefType<float, 2> *, StridedMemRefType<float, 2> *,
                        StridedMemRefType<int8_t, 2> *, StridedMemRefType<float, 2> *);
    reinterpret_cast<Fn>(compiled.function)(&result, &x, &weights, &scales);
  }
  std::vector<float> out(result.data + result.offset,
                         result.data + result.offset + rows * c.n);
  std::free(result.basePtr);
  return out;
}

void setThreads(int threads) {
  // The JIT loaded this library; dlopen returns the same instance.
  if (void *library = dlopen(kOpenMPLibrary, RTLD_NOW | RTLD_GLOBAL))
    if (auto set = reinterpret_cast<void (*)(int)>(
            dlsym(library, "omp_set_num_threads")))
      set(threads);
}

} // namespace

llvm::Expected<std::vector<MatmulTiming>>
trilm::bench::timeMatmul(const MatmulCase &c,
                         const std::vector<int> &threadCounts, int repeats) {
  Inputs inputs = makeInputs(c);
  auto kernel = compile(c, c.m, /*reference=*/false);
  if (!kernel)
    return kernel.takeError();

  // Check the first rows against the reference lowering before timing.
  int64_t checkRows = std::min<int64_t>(c.m, 2);
  auto reference = compile(c, checkRows, /*reference=*/true);
  if (!reference)
    return reference.takeError();
  std::vector<float> want = call(*reference, c, inputs, checkRows);
  std::vector<float> got = call(*kernel, c, inputs, c.m);
  double largest = 0;
  for (float v : want)
    largest = std::max(largest, double(std::fabs(v)));
  for (size_t i = 0; i < want.size(); ++i) {
    bool equal = c.int8 ? got[i] == want[i]
                        : std::fabs(got[i] - want[i]) <= 1e-5 * largest;
    if (!equal)
      return failure(llvm::formatv("{0}: kernel result {1} differs from the "
                                   "reference {2} at element {3}",
                                   c.name, got[i], want[i], i));
  }

  std::vector<MatmulTiming> timings;
  for (int threads : threadCounts) {
    setThreads(threads);
    std::vector<double> seconds;
    for (int r = 0; r < repeats + 1; ++r) {
      auto start = std::chrono::steady_clock::now();
      (void)call(*kernel, c, inputs, c.m);
      auto stop = std::chrono::steady_clock::now();
      if (r > 0) // the first call warms caches
        seconds.push_back(std::chrono::duration<double>(stop - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    MatmulTiming timing;
    timing.medianSeconds = seconds[seconds.size() / 2];
    timing.weightBytes = storageBytes(c);
    timing.weightGigabytesPerSecond =
        timing.weightBytes / timing.medianSeconds / 1e9;
    timing.gigaOpsPerSecond =
        2.0 * c.m * c.n * c.k / timing.medianSeconds / 1e9;
    timings.push_back(timing);
  }
  return timings;
}
