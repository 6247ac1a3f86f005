//===- trilm-bench.cpp - Benchmarks of trilm's generated kernels ----------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//   trilm-bench bandwidth        read bandwidth roofs, 1 and 2 streams
//   trilm-bench matmul [opts]    the generated kernels on TriLM layer shapes
//
//===----------------------------------------------------------------------===//

#include "trilm/Bench/Bench.h"
#include "trilm/Target/CPU/CPUTarget.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace trilm;
using namespace trilm::bench;
namespace cl = llvm::cl;

static cl::OptionCategory toolOptions("trilm-bench options");

static cl::opt<std::string> command(cl::Positional, cl::Required,
                                    cl::desc("<bandwidth | matmul>"),
    cl::cat(toolOptions));
static cl::list<std::string>
    models("models", cl::CommaSeparated,
           cl::desc("TriLM sizes: 99M, 1.1B, 3.9B (default: all)"),
    cl::cat(toolOptions));
static cl::list<std::string>
    shapes("shapes", cl::CommaSeparated,
           cl::desc("Custom N x K shapes instead of the models' layers, "
                    "e.g. 9216x3072 (one scale per tensor)"),
    cl::cat(toolOptions));
static cl::list<int64_t> rowCounts("m", cl::CommaSeparated,
                                   cl::desc("Activation rows (default: 1)"),
    cl::cat(toolOptions));
static cl::list<int> threadCounts("num-threads", cl::CommaSeparated,
                                  cl::desc("Thread counts (default: 1,2)"),
    cl::cat(toolOptions));
static cl::list<std::string>
    packings("packing", cl::CommaSeparated,
             cl::desc("Packings: tq2, tq1 (default: both)"),
    cl::cat(toolOptions));
static cl::list<std::string>
    modes("mode", cl::CommaSeparated,
          cl::desc("Activation modes: int8, fp (default: both)"),
    cl::cat(toolOptions));
static cl::opt<int64_t>
    interleave("interleave",
               cl::desc("Weights with this many rows interleaved, as "
                        "trilm-cpu-pipeline stores constants (0: row-major)"),
               cl::init(0),
    cl::cat(toolOptions));
static cl::opt<std::string>
    tile("tile",
         cl::desc("Register tile ROWSxACT_ROWS of the kernels, e.g. 2x8 "
                  "(default: the target's)"),
    cl::cat(toolOptions));
static cl::opt<int64_t> panelMinActRows(
    "panel-min-act-rows",
    cl::desc("The fewest activation rows an int8 GEMM takes the panel kernel "
             "for (0: never; default: the target's)"),
    cl::init(-1), cl::cat(toolOptions));
static cl::opt<int> lookupTables(
    "lookup-tables",
    cl::desc("Store int8 1.6-bit weights as trit triples and multiply them "
             "by table lookups, for layers whose N is a multiple of 32, "
             "--interleave applying to the others (1: on, 0: off; default: "
             "the target's, as compiled models)"),
    cl::init(-1), cl::cat(toolOptions));
static cl::opt<std::string>
    targetCpu("cpu",
              cl::desc("CPU the kernels are compiled for (default: native)"),
              cl::init("native"), cl::cat(toolOptions));
static cl::opt<std::string>
    targetFeatures("features",
                   cl::desc("Target features added or removed, e.g. "
                            "-avx512f (default: none)"),
                   cl::cat(toolOptions));
static cl::opt<int> repeats("repeats", cl::desc("Timed calls per case"),
                            cl::init(7),
    cl::cat(toolOptions));

namespace {

struct Model {
  const char *name;
  int64_t hidden, ffn, shards;
};
constexpr Model kModels[] = {
    {"99M", 512, 1280, 1}, {"1.1B", 1792, 5120, 2}, {"3.9B", 3072, 9216, 6}};

std::vector<int64_t> bandwidthSizes() {
  std::vector<int64_t> sizes;
  for (int64_t size = 32 << 10; size <= (int64_t(512) << 20); size *= 4)
    sizes.push_back(size);
  return sizes;
}

std::string humanBytes(int64_t bytes) {
  if (bytes >= (int64_t(1) << 20))
    return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "trilm-bench") << message << "\n";
  return 1;
}

int runBandwidth() {
  llvm::outs() << "| working set | streams | read GB/s (median) | read GB/s (best) "
                  "|\n|---|---|---|---|\n";
  for (int streams : {1, 2})
    for (const BandwidthSample &s :
         measureReadBandwidth(bandwidthSizes(), streams, repeats))
      llvm::outs() << "| " << humanBytes(s.bytes) << " | " << s.streams
                   << " | " << llvm::format("%.1f", s.gigabytesPerSecond)
                   << " | " << llvm::format("%.1f", s.bestGigabytesPerSecond)
                   << " |\n";
  return 0;
}

int runMatmul() {
  std::vector<int> threads(threadCounts.begin(), threadCounts.end());
  if (threads.empty())
    threads = {1, 2};
  std::vector<int64_t> ms(rowCounts.begin(), rowCounts.end());
  if (ms.empty())
    ms = {1};
  std::vector<std::string> schemes(packings.begin(), packings.end());
  if (schemes.empty())
    schemes = {"tq2", "tq1"};
  std::vector<std::string> activationModes(modes.begin(), modes.end());
  if (activationModes.empty())
    activationModes = {"int8", "fp"};
  for (const std::string &mode : activationModes)
    if (mode != "int8" && mode != "fp")
      return fail("unknown mode '" + mode + "'; expected int8 or fp");
  for (const std::string &name : models)
    if (llvm::none_of(kModels, [&](const Model &m) { return name == m.name; }))
      return fail("unknown model '" + name + "'; expected 99M, 1.1B or 3.9B");
  int64_t tileRows = 0, tileActRows = 0;
  if (!tile.empty()) {
    auto [rowsText, actRowsText] = llvm::StringRef(tile).split('x');
    if (rowsText.getAsInteger(10, tileRows) ||
        actRowsText.getAsInteger(10, tileActRows) || tileRows < 1 ||
        tileRows > 16 || tileActRows < 1 || tileActRows > 16)
      return fail("--tile must be ROWSxACT_ROWS with both from 1 to 16, got '" +
                  tile + "'");
  }

  auto target = cpu::CPUTarget::get("", targetCpu, targetFeatures);
  if (!target)
    return fail(llvm::toString(target.takeError()));
  if (lookupTables < -1 || lookupTables > 1)
    return fail("--lookup-tables must be 1, 0 or -1, got " +
                std::to_string(lookupTables));
  // As in compiled models, the weights that take the lookup tables are
  // stored as trit triples and the others as --interleave says.
  bool tables = lookupTables == 1 ||
                (lookupTables == -1 && target->prefersLookupTables());
  llvm::outs() << "host: " << target->triple << ", cpu " << target->cpu
               << ", int8 dot: " << ternary_cpu::stringifyInt8DotKind(target->int8Dot)
               << ", 1.6-bit int8 lookup tables: " << (tables ? "yes" : "no")
               << "\n";
  // Roofs for each thread count, measured in this run.
  std::map<int, std::vector<BandwidthSample>> roofs;
  for (int t : threads)
    roofs[t] = measureReadBandwidth(bandwidthSizes(), t, 7);

  struct Layer {
    const char *name;
    int64_t n, k;
    bool alongK;
  };
  struct Workload {
    std::string model;
    int64_t shards;
    std::vector<Layer> layers;
  };
  std::vector<Workload> workloads;
  if (!shapes.empty()) {
    Workload custom{"custom", 1, {}};
    for (const std::string &shape : shapes) {
      auto [n, k] = llvm::StringRef(shape).split('x');
      int64_t rows = 0, cols = 0;
      if (n.getAsInteger(10, rows) || k.getAsInteger(10, cols) || rows <= 0 ||
          cols <= 0)
        return fail("bad shape '" + shape + "'; expected NxK, e.g. 9216x3072");
      custom.layers.push_back({"-", rows, cols, false});
    }
    workloads.push_back(custom);
  }
  for (const Model &model : kModels) {
    if (!shapes.empty() ||
        (!models.empty() && llvm::find(models, model.name) == models.end()))
      continue;
    workloads.push_back(
        {model.name,
         model.shards,
         {{"q,k,v", model.hidden, model.hidden, false},
          {"o", model.hidden, model.hidden, true},
          {"gate,up", model.ffn, model.hidden, false},
          {"down", model.hidden, model.ffn, true}}});
  }

  llvm::outs() << "\n| model | layer | N x K | M | packing | mode | threads | "
                  "time (ms) | weight GB/s | GOPS | % of read roof |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Workload &model : workloads) {
    for (const Layer &layer : model.layers)
      for (int64_t m : ms)
        for (const std::string &schemeName : schemes)
          for (const std::string &mode : activationModes) {
            std::optional<packing::Scheme> scheme =
                packing::parseScheme(schemeName);
            if (!scheme)
              return fail("unknown packing '" + schemeName +
                          "'; expected tq2 or tq1");
            MatmulCase c{model.model + " " + layer.name,
                         m,
                         layer.n,
                         layer.k,
                         *scheme,
                         mode == "int8",
                         model.shards,
                         layer.alongK,
                         interleave};
            c.cpu = targetCpu;
            c.features = targetFeatures;
            c.tileRows = tileRows;
            c.tileActRows = tileActRows;
            c.panelMinActRows = panelMinActRows;
            c.lookupTables = tables && c.int8 &&
                             c.scheme == packing::Scheme::TQ1 &&
                             c.n % packing::kTripleRows == 0;
            if (interleave && (interleave < 2 || interleave > 64 ||
                               (interleave & (interleave - 1)) ||
                               layer.n % interleave))
              return fail("--interleave must be a power of two from 2 to 64 "
                          "that divides N");
            auto timings = timeMatmul(c, threads, repeats);
            if (!timings)
              return fail(llvm::toString(timings.takeError()));
            for (size_t i = 0; i < threads.size(); ++i) {
              const MatmulTiming &t = (*timings)[i];
              double roof = roofFor(roofs[threads[i]], t.weightBytes);
              llvm::outs()
                  << "| " << model.model << " | " << layer.name << " | "
                  << layer.n << " x " << layer.k << " | " << m << " | "
                  << schemeName << " | " << mode << " | " << threads[i]
                  << " | " << llvm::format("%.3f", t.medianSeconds * 1e3)
                  << " | " << llvm::format("%.1f", t.weightGigabytesPerSecond)
                  << " | " << llvm::format("%.1f", t.gigaOpsPerSecond) << " | ";
              // Prompt-sized M is compute-bound: the read roof says nothing.
              if (m >= 64)
                llvm::outs() << "- |\n";
              else
                llvm::outs() << llvm::format(
                                    "%.0f%%",
                                    100.0 * t.weightGigabytesPerSecond / roof)
                             << " |\n";
              llvm::outs().flush();
            }
          }
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv,
                              "trilm-bench: figures for trilm's kernels\n");
  if (command == "bandwidth")
    return runBandwidth();
  if (command == "matmul")
    return runMatmul();
  return fail("unknown command '" + command + "'; expected bandwidth or matmul");
}
