//===- trilm-run.cpp - Text in, text out for compiled models --------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// trilm-run model.so -p "Once upon a time" -n 64 [--temp 0.8 --seed 1]
// trilm-run model.so --perplexity wiki.txt [--ctx 512 --ppl-stride 256]
// trilm-run model.so --bench [--bench-json]
// trilm-run --tokenizer tokenizer.json --tokenize -p "text"
//
// Encodes the prompt with the model's tokenizer, evaluates it, then samples
// and streams text to stdout as it is generated; timings go to stderr.
//
//===----------------------------------------------------------------------===//

#include "trilm-c/Runtime.h"
#include "trilm/Bench/Bench.h"
#include "trilm/Runner/Sampler.h"
#include "trilm/Runner/StopStrings.h"
#include "trilm/Tokenizer/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <thread>

namespace cl = llvm::cl;
using trilm::runner::Sampler;
using trilm::runner::SamplerOptions;
using trilm::runner::StopStrings;
using trilm::tokenizer::Tokenizer;

static cl::OptionCategory toolOptions("trilm-run options");

static cl::opt<std::string> modelPath(cl::Positional,
                                      cl::desc("<model.so>"),
                                      cl::cat(toolOptions));
static cl::opt<std::string>
    weightsPath("weights",
                cl::desc("External weights (default: beside the model)"),
                cl::value_desc("file"), cl::cat(toolOptions));
static cl::opt<std::string> tokenizerPath(
    "tokenizer",
    cl::desc("tokenizer.json (default: MODEL.tokenizer.json, as trilm-compile "
             "copies it, or tokenizer.json beside the model)"),
    cl::value_desc("file"), cl::cat(toolOptions));
static cl::opt<std::string> prompt("p", cl::desc("The prompt"),
                                   cl::value_desc("text"),
                                   cl::cat(toolOptions));
static cl::alias promptLong("prompt", cl::aliasopt(prompt));
static cl::opt<std::string> promptFile("f",
                                       cl::desc("Read the prompt from a file "
                                                "(- for stdin; stdin is the "
                                                "default without -p)"),
                                       cl::value_desc("file"),
                                       cl::cat(toolOptions));
static cl::opt<int64_t> maxTokens("n", cl::desc("Tokens to generate at most"),
                                  cl::init(128), cl::cat(toolOptions));
static cl::opt<int64_t> contextLength(
    "ctx", cl::desc("Context length (0: the model's maximum)"), cl::init(0),
    cl::cat(toolOptions));
static cl::opt<float> temperature("temp",
                                  cl::desc("Temperature (0: greedy)"),
                                  cl::init(0.8f), cl::cat(toolOptions));
static cl::opt<int64_t> topK("top-k", cl::desc("Top-k (0: off)"),
                             cl::init(40), cl::cat(toolOptions));
static cl::opt<float> topP("top-p", cl::desc("Top-p (1: off)"),
                           cl::init(0.95f), cl::cat(toolOptions));
static cl::opt<float> minP("min-p", cl::desc("Min-p (0: off)"),
                           cl::init(0.05f), cl::cat(toolOptions));
static cl::opt<float> repeatPenalty("repeat-penalty",
                                    cl::desc("Repetition penalty (1: off)"),
                                    cl::init(1.0f), cl::cat(toolOptions));
static cl::opt<int64_t>
    repeatLastN("repeat-last-n",
                cl::desc("Tokens the repetition penalty looks back at"),
                cl::init(64), cl::cat(toolOptions));
static cl::opt<uint64_t> seed("seed", cl::desc("Sampling seed"), cl::init(0),
                              cl::cat(toolOptions));
static cl::list<std::string> stopStrings("stop",
                                         cl::desc("Stop when this text is "
                                                  "generated (repeatable)"),
                                         cl::value_desc("text"),
                                         cl::cat(toolOptions));
static cl::opt<bool> ignoreEOS("ignore-eos",
                               cl::desc("Do not stop at the end-of-text token"),
                               cl::init(false), cl::cat(toolOptions));
static cl::opt<bool> noBOS("no-bos",
                           cl::desc("Do not add the tokenizer's special "
                                    "tokens (a BOS) to the prompt"),
                           cl::init(false), cl::cat(toolOptions));
static cl::opt<bool> tokenizeOnly(
    "tokenize",
    cl::desc("Print the prompt's token ids as a JSON list and exit (needs "
             "only --tokenizer)"),
    cl::init(false), cl::cat(toolOptions));
static cl::opt<bool> detokenize(
    "detokenize",
    cl::desc("Read token ids (a JSON list or separated by spaces) as the "
             "prompt, print their text and exit (needs only --tokenizer)"),
    cl::init(false), cl::cat(toolOptions));
static cl::opt<std::string> perplexityFile(
    "perplexity",
    cl::desc("Print the perplexity of FILE's text over windows of --ctx "
             "tokens (default 512), with its standard error"),
    cl::value_desc("file"), cl::cat(toolOptions));
static cl::opt<int64_t> perplexityStride(
    "ppl-stride",
    cl::desc("Advance windows by this many tokens, scoring only the new ones "
             "(default: --ctx, non-overlapping windows)"),
    cl::init(0), cl::cat(toolOptions));
static cl::opt<bool> bench("bench",
                           cl::desc("Time prompt processing and decoding"),
                           cl::init(false), cl::cat(toolOptions));
static cl::opt<int64_t> benchPrompt("bench-prompt",
                                    cl::desc("Prompt tokens per --bench run"),
                                    cl::init(512), cl::cat(toolOptions));
static cl::opt<int64_t> benchDecode("bench-decode",
                                    cl::desc("Decoded tokens per --bench run"),
                                    cl::init(128), cl::cat(toolOptions));
static cl::opt<int64_t> benchRepeats("bench-repeats",
                                     cl::desc("Runs per --bench measurement"),
                                     cl::init(5), cl::cat(toolOptions));
static cl::opt<bool> benchJSON("bench-json",
                               cl::desc("--bench results as JSON lines"),
                               cl::init(false), cl::cat(toolOptions));
static cl::opt<bool> quiet("quiet", cl::desc("No timings on stderr"),
                           cl::init(false), cl::cat(toolOptions));

namespace {

/// One line on stderr and exit code 1.
[[noreturn]] void fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "trilm-run") << message << "\n";
  std::exit(1);
}

void check(llvm::Error error) {
  if (error)
    fail(llvm::toString(std::move(error)));
}

template <typename T> T check(llvm::Expected<T> value) {
  if (!value)
    fail(llvm::toString(value.takeError()));
  return std::move(*value);
}

std::string readPrompt() {
  if (!prompt.empty() && !promptFile.empty())
    fail("give the prompt with -p or -f, not both");
  if (prompt.getNumOccurrences())
    return prompt;
  std::string file = promptFile.empty() ? "-" : promptFile.getValue();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(file, /*IsText=*/false);
  if (!buffer)
    fail("cannot read the prompt from " + file + ": " +
         buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

std::unique_ptr<Tokenizer> openTokenizer() {
  std::string path = tokenizerPath;
  if (path.empty()) {
    if (modelPath.empty())
      fail("name the tokenizer with --tokenizer");
    // What trilm-compile copies from the checkpoint, else the directory's.
    llvm::StringRef stem = modelPath;
    stem.consume_back(".so");
    llvm::SmallString<256> beside(llvm::sys::path::parent_path(modelPath));
    llvm::sys::path::append(beside, "tokenizer.json");
    path = (stem + ".tokenizer.json").str();
    if (!llvm::sys::fs::exists(path))
      path = std::string(beside);
    if (!llvm::sys::fs::exists(path))
      fail("no " + stem + ".tokenizer.json or tokenizer.json beside " +
           modelPath + "; name one with --tokenizer");
  }
  return check(Tokenizer::fromFile(path));
}

/// A trilm_status as one line.
void checkStatus(trilm_status status, const trilm_error &error) {
  if (status != TRILM_OK)
    fail(error.message);
}

struct ModelCloser {
  void operator()(trilm_model *model) const { trilm_model_free(model); }
};
struct ContextCloser {
  void operator()(trilm_context *context) const {
    trilm_context_free(context);
  }
};

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

using ModelHandle = std::unique_ptr<trilm_model, ModelCloser>;
using ContextHandle = std::unique_ptr<trilm_context, ContextCloser>;

/// The model of the command line, checked against its tokenizer when there
/// is one (--bench needs none).
ModelHandle openModel(const Tokenizer *tokenizer) {
  if (modelPath.empty())
    fail("name a model compiled with trilm-compile --emit=lib");
  trilm_error error;
  trilm_model *model = nullptr;
  checkStatus(trilm_model_open_with_weights(
                  modelPath.c_str(),
                  weightsPath.empty() ? nullptr : weightsPath.c_str(), &model,
                  &error),
              error);
  ModelHandle handle(model);
  int64_t vocabulary = trilm_model_get_info(model).vocab_size;
  if (tokenizer && tokenizer->getVocabSize() > vocabulary)
    fail("the tokenizer has " + llvm::Twine(tokenizer->getVocabSize()) +
         " tokens but the model's vocabulary is " + llvm::Twine(vocabulary) +
         ": they do not belong together");
  return handle;
}

ContextHandle createContext(trilm_model *model, int64_t length,
                            int32_t threads) {
  trilm_error error;
  trilm_context *context = nullptr;
  checkStatus(trilm_context_create(model, length, threads, &context, &error),
              error);
  return ContextHandle(context);
}

/// Generates from `tokens` (the prompt), streaming text to stdout.
void generate(trilm_model *model, const Tokenizer &tokenizer,
              std::vector<int32_t> tokens, const SamplerOptions &sampling,
              int32_t threads) {
  trilm_model_info info = trilm_model_get_info(model);
  int64_t length = contextLength ? contextLength.getValue()
                                 : info.max_positions;
  if (tokens.empty())
    fail("the prompt is empty");
  if (static_cast<int64_t>(tokens.size()) > length)
    fail("the prompt has " + llvm::Twine(tokens.size()) +
         " tokens; the context holds " + llvm::Twine(length));
  ContextHandle context = createContext(model, length, threads);
  trilm_error error;
  std::vector<float> logits(info.vocab_size);
  auto start = std::chrono::steady_clock::now();
  checkStatus(trilm_context_eval_last(context.get(), tokens.data(),
                                      static_cast<int64_t>(tokens.size()),
                                      logits.data(), &error),
              error);
  double promptSeconds = secondsSince(start);

  Sampler sampler(sampling);
  Tokenizer::StreamDecoder decoder(tokenizer, /*skipSpecial=*/true);
  StopStrings text(stopStrings);
  int64_t generated = 0;
  bool contextFull = false;
  start = std::chrono::steady_clock::now();
  while (generated < maxTokens) {
    int32_t next = sampler.sample(logits, tokens);
    ++generated;
    tokens.push_back(next);
    if (!ignoreEOS && next == info.eos_token_id)
      break;
    llvm::outs() << text.push(check(decoder.next(next)));
    llvm::outs().flush();
    if (text.stopped())
      break;
    if (generated == maxTokens)
      break;
    if (trilm_context_position(context.get()) >= length) {
      contextFull = true;
      break;
    }
    checkStatus(trilm_context_eval_last(context.get(), &next, 1,
                                        logits.data(), &error),
                error);
  }
  // What the decoder still holds (a cut UTF-8 sequence) ends the text,
  // unless a stop string did.
  if (!text.stopped())
    llvm::outs() << text.push(decoder.finish());
  llvm::outs() << text.finish() << "\n";
  llvm::outs().flush();
  double decodeSeconds = secondsSince(start);
  if (contextFull)
    llvm::WithColor::warning(llvm::errs(), "trilm-run")
        << "stopped: the context of " << length << " positions is full\n";
  if (quiet)
    return;
  size_t promptTokens = tokens.size() - generated;
  llvm::errs() << llvm::format("prompt: %zu tokens in %.3f s (%.1f tokens/s)\n",
                               promptTokens, promptSeconds,
                               promptTokens / promptSeconds);
  if (generated > 0)
    llvm::errs() << llvm::format(
        "decode: %lld tokens in %.3f s (%.2f tokens/s)\n",
        static_cast<long long>(generated), decodeSeconds,
        generated / decodeSeconds);
}

/// -log p(token) under `logits` (natural log), in double precision.
double negativeLogLikelihood(llvm::ArrayRef<float> logits, int32_t token) {
  double largest = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float logit : logits)
    sum += std::exp(static_cast<double>(logit) - largest);
  return largest + std::log(sum) - logits[token];
}

/// Perplexity of the text of --perplexity: windows of --ctx tokens,
/// advancing by --ppl-stride, each token scored once from the logits of the
/// window it is new in (the first token of the text is not scored).
void perplexity(trilm_model *model, const Tokenizer &tokenizer,
                int32_t threads) {
  trilm_model_info info = trilm_model_get_info(model);
  int64_t window = contextLength
                       ? contextLength.getValue()
                       : std::min<int64_t>(512, info.max_positions);
  int64_t stride = perplexityStride ? perplexityStride.getValue() : window;
  if (window < 2 || window > info.max_positions)
    fail("--ctx for --perplexity must be between 2 and " +
         llvm::Twine(info.max_positions) + ", got " + llvm::Twine(window));
  if (stride < 1 || stride > window)
    fail("--ppl-stride must be between 1 and --ctx (" + llvm::Twine(window) +
         "), got " + llvm::Twine(stride));
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::errorOrToExpected(llvm::MemoryBuffer::getFile(perplexityFile));
  if (!file)
    fail("cannot read " + perplexityFile + ": " +
         llvm::toString(file.takeError()));
  std::vector<int32_t> tokens =
      check(tokenizer.encode((*file)->getBuffer(), /*addSpecialTokens=*/false));
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count < 2)
    fail(perplexityFile + " has fewer than 2 tokens");

  ContextHandle context = createContext(model, window, threads);
  std::vector<float> logits;
  std::vector<double> losses;
  int64_t evaluated = 0, windows = 0, scoredUpTo = 1;
  trilm_error error;
  auto start = std::chrono::steady_clock::now();
  for (int64_t begin = 0; scoredUpTo < count; begin += stride) {
    int64_t end = std::min(begin + window, count);
    trilm_context_reset(context.get());
    logits.resize(static_cast<size_t>(end - begin) * info.vocab_size);
    checkStatus(trilm_context_eval(context.get(), tokens.data() + begin,
                                   end - begin, logits.data(), &error),
                error);
    evaluated += end - begin;
    ++windows;
    for (int64_t t = std::max(scoredUpTo, begin + 1); t < end; ++t)
      losses.push_back(negativeLogLikelihood(
          llvm::ArrayRef<float>(logits).slice((t - 1 - begin) * info.vocab_size,
                                              info.vocab_size),
          tokens[t]));
    scoredUpTo = end;
  }
  double seconds = secondsSince(start);
  double mean = 0, squares = 0;
  for (double loss : losses)
    mean += loss;
  mean /= losses.size();
  for (double loss : losses)
    squares += (loss - mean) * (loss - mean);
  double n = static_cast<double>(losses.size());
  double standardError = n > 1 ? std::sqrt(squares / (n - 1) / n) : 0.0;
  double value = std::exp(mean);
  // The standard error of exp(mean) by the delta method.
  llvm::outs() << llvm::format(
      "perplexity: %.4f +/- %.4f (%lld tokens scored in %lld windows of %lld, "
      "stride %lld)\n",
      value, value * standardError, static_cast<long long>(losses.size()),
      static_cast<long long>(windows), static_cast<long long>(window),
      static_cast<long long>(stride));
  if (!quiet)
    llvm::errs() << llvm::format("evaluated %lld tokens in %.3f s (%.1f "
                                 "tokens/s)\n",
                                 static_cast<long long>(evaluated), seconds,
                                 evaluated / seconds);
}

/// --bench: prompt processing and decoding speed, --bench-repeats runs of
/// each, as a table or JSON lines.
void runBench(trilm_model *model, int32_t threads) {
  trilm_model_info info = trilm_model_get_info(model);
  if (benchPrompt < 1 || benchDecode < 0 || benchRepeats < 1)
    fail("--bench-prompt and --bench-repeats must be positive, "
         "--bench-decode 0 or more");
  int64_t length = benchPrompt + benchDecode;
  if (length > info.max_positions)
    fail("--bench-prompt plus --bench-decode (" + llvm::Twine(length) +
         ") exceed the model's " + llvm::Twine(info.max_positions) +
         " positions");
  ContextHandle context = createContext(model, length, threads);
  // Fixed token ids spread over the vocabulary: the speed does not depend
  // on which tokens they are.
  std::vector<int32_t> prompt(benchPrompt);
  for (int64_t i = 0; i < benchPrompt; ++i)
    prompt[i] = static_cast<int32_t>((i * 7919 + 13) % info.vocab_size);
  std::vector<float> logits(info.vocab_size);
  std::vector<double> promptRates, decodeRates;
  trilm_error error;
  for (int64_t run = 0; run < benchRepeats; ++run) {
    trilm_context_reset(context.get());
    auto start = std::chrono::steady_clock::now();
    checkStatus(trilm_context_eval_last(context.get(), prompt.data(),
                                        benchPrompt, logits.data(), &error),
                error);
    promptRates.push_back(benchPrompt / secondsSince(start));
    if (benchDecode == 0)
      continue;
    start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < benchDecode; ++i) {
      int32_t token = prompt[i % benchPrompt];
      checkStatus(trilm_context_eval_last(context.get(), &token, 1,
                                          logits.data(), &error),
                  error);
    }
    decodeRates.push_back(benchDecode / secondsSince(start));
  }
  auto median = [](std::vector<double> &rates) {
    std::sort(rates.begin(), rates.end());
    size_t half = rates.size() / 2;
    return rates.size() % 2 ? rates[half] : (rates[half - 1] + rates[half]) / 2;
  };
  // Decoding reads every weight and the cache once per token: the bytes
  // over the time per token, against the read roof measured here at that
  // size (DRAM for any real model) with the same threads.
  int64_t bytesPerToken =
      trilm_model_bytes_per_token(model, benchPrompt + benchDecode / 2);
  double roof = 0;
  // The OpenMP default (0) is a thread per core.
  int streams =
      threads > 0 ? threads
                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (!decodeRates.empty()) {
    std::vector<trilm::bench::BandwidthSample> samples =
        trilm::bench::measureReadBandwidth({bytesPerToken}, streams, 5);
    roof = trilm::bench::roofFor(samples, bytesPerToken);
  }
  auto report = [&](llvm::StringRef test, std::vector<double> rates,
                    bool decode) {
    if (rates.empty())
      return;
    double typical = median(rates);
    double gigabytes = decode ? typical * bytesPerToken / 1e9 : 0;
    if (benchJSON) {
      llvm::json::Array samples;
      for (double rate : rates)
        samples.push_back(rate);
      llvm::json::Object result{{"test", test},
                                {"threads", threads},
                                {"tokens_per_second_median", typical},
                                {"tokens_per_second_min", rates.front()},
                                {"tokens_per_second_max", rates.back()},
                                {"samples", std::move(samples)}};
      if (decode) {
        result["bytes_per_token"] = bytesPerToken;
        result["read_gigabytes_per_second"] = gigabytes;
        result["read_roof_gigabytes_per_second"] = roof;
      }
      llvm::outs() << llvm::json::Value(std::move(result)) << "\n";
      return;
    }
    llvm::outs() << llvm::format("| %-8s | %14.2f | %10.2f | %10.2f |",
                                 test.str().c_str(), typical, rates.front(),
                                 rates.back());
    if (decode)
      llvm::outs() << llvm::format(" %10.1f | %11.1f | %6.0f%% |\n",
                                   bytesPerToken / 1e6, gigabytes,
                                   roof > 0 ? 100 * gigabytes / roof : 0.0);
    else
      llvm::outs() << "            |             |         |\n";
  };
  if (!benchJSON)
    llvm::outs()
        << "| test     | tokens/s (med) |        min |        max | "
           "MB / token | read GB/s | of roof |\n"
           "|----------|----------------|------------|------------|"
           "------------|-------------|---------|\n";
  report(("pp" + llvm::Twine(benchPrompt)).str(), promptRates, false);
  report(("tg" + llvm::Twine(benchDecode)).str(), decodeRates, true);
  if (!benchJSON && roof > 0)
    llvm::outs() << llvm::format(
        "read roof at %.1f MB on %d threads, measured now: %.1f GB/s\n",
        bytesPerToken / 1e6, streams, roof);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers a -threads of its own; this one is the runner's.
  auto &registered = cl::getRegisteredOptions();
  if (auto it = registered.find("threads"); it != registered.end())
    it->second->removeArgument();
  cl::opt<int32_t> threads("threads",
                           cl::desc("Threads (0: the OpenMP default)"),
                           cl::init(0), cl::cat(toolOptions));
  cl::HideUnrelatedOptions(toolOptions);
  cl::ParseCommandLineOptions(argc, argv,
                              "trilm-run: generate text with a model compiled "
                              "by trilm-compile\n");

  SamplerOptions sampling;
  sampling.temperature = temperature;
  sampling.topK = topK;
  sampling.topP = topP;
  sampling.minP = minP;
  sampling.repeatPenalty = repeatPenalty;
  sampling.repeatLastN = repeatLastN;
  sampling.seed = seed;
  check(sampling.validate());
  if (maxTokens < 0)
    fail("-n must be 0 or more, got " + llvm::Twine(maxTokens.getValue()));
  for (const std::string &stop : stopStrings)
    if (stop.empty())
      fail("--stop needs a non-empty text");

  if (bench) {
    // Speed needs neither a tokenizer nor a prompt.
    ModelHandle model = openModel(/*tokenizer=*/nullptr);
    runBench(model.get(), threads);
    return 0;
  }
  std::unique_ptr<Tokenizer> tokenizer = openTokenizer();
  if (!perplexityFile.empty()) {
    ModelHandle model = openModel(tokenizer.get());
    perplexity(model.get(), *tokenizer, threads);
    return 0;
  }
  std::string text = readPrompt();
  if (detokenize) {
    std::vector<int32_t> ids;
    for (char &c : text)
      if (llvm::StringRef(",[]\n\t\r").contains(c))
        c = ' ';
    llvm::SmallVector<llvm::StringRef> fields;
    llvm::StringRef(text).split(fields, ' ', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef field : fields) {
      int32_t id;
      if (field.getAsInteger(10, id))
        fail("'" + field + "' is not a token id");
      ids.push_back(id);
    }
    llvm::outs() << check(tokenizer->decode(ids, /*skipSpecial=*/false));
    return 0;
  }
  std::vector<int32_t> tokens = check(tokenizer->encode(text, !noBOS));
  if (tokenizeOnly) {
    llvm::outs() << "[";
    for (size_t i = 0; i < tokens.size(); ++i)
      llvm::outs() << (i ? ", " : "") << tokens[i];
    llvm::outs() << "]\n";
    return 0;
  }
  ModelHandle model = openModel(tokenizer.get());
  generate(model.get(), *tokenizer, std::move(tokens), sampling, threads);
  return 0;
}
