//===- Core.cpp - trilm's Python extension (trilm._core) ------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// The compiler (trilm::compile), the C runtime, the tokenizer, the sampler
// and the generation loop of trilm-run, for the `trilm` package. Compiling
// and evaluating release the GIL. Errors are Python exceptions carrying the
// one-line messages of the C API and the compiler.
//
//===----------------------------------------------------------------------===//

#include "trilm-c/Runtime.h"
#include "trilm/Compiler/Compiler.h"
#include "trilm/Runner/Sampler.h"
#include "trilm/Runner/StopStrings.h"
#include "trilm/Tokenizer/Tokenizer.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

/// The Python exception classes (trilm/errors.py) errors become.
enum class Kind { Compile, Model, Context, Tokenizer };

/// An error for Python: the class, the one-line message and, for the C
/// runtime's errors, its trilm_status (0 otherwise).
struct Failure : std::runtime_error {
  Failure(Kind kind, const std::string &message, int status = 0)
      : std::runtime_error(message), kind(kind), status(status) {}
  Kind kind;
  int status;
};

[[noreturn]] void raise(Kind kind, llvm::Error error) {
  throw Failure(kind, llvm::toString(std::move(error)));
}

template <typename T> T take(Kind kind, llvm::Expected<T> value) {
  if (!value)
    raise(kind, value.takeError());
  return std::move(*value);
}

void check(Kind kind, trilm_status status, const trilm_error &error) {
  if (status != TRILM_OK)
    throw Failure(kind, error.message, status);
}

/// Raises a Failure as the Python class of its kind, with `status` set.
void translate(const std::exception_ptr &exception, void *) {
  try {
    std::rethrow_exception(exception);
  } catch (const Failure &failure) {
    static const char *const names[] = {"CompileError", "ModelError",
                                        "ContextError", "TokenizerError"};
    nb::object type = nb::module_::import_("trilm.errors")
                          .attr(names[static_cast<int>(failure.kind)]);
    nb::object value = type(failure.what(), failure.status);
    PyErr_SetObject(type.ptr(), value.ptr());
  }
}

trilm::ternary::PackingScheme parsePacking(const std::string &name) {
  if (name == "2-bit" || name == "tq2")
    return trilm::ternary::PackingScheme::tq2;
  if (name == "1.6-bit" || name == "tq1")
    return trilm::ternary::PackingScheme::tq1;
  throw Failure(Kind::Compile, "packing must be \"2-bit\" or \"1.6-bit\", got \"" +
                       name + "\"");
}

/// Compiles a checkpoint directory into a shared library at `output` (and,
/// with external weights, the weights file beside it). Returns the weights
/// file ("" when embedded) and the tokenizer copied beside the library ("").
nb::dict compileCheckpoint(const std::string &source, const std::string &output,
                           const std::string &packing,
                           const std::string &activations,
                           const std::string &target,
                           const std::string &weights,
                           const std::string &kvCache,
                           const std::string &ggufScales,
                           std::optional<nb::callable> progress) {
  trilm::CompileOptions options;
  options.emit = trilm::EmitKind::Library;
  options.packing = parsePacking(packing);
  if (activations == "int8")
    options.activations = trilm::Activations::Int8;
  else if (activations == "fp32")
    options.activations = trilm::Activations::FP32;
  else
    throw Failure(Kind::Compile, "activations must be \"int8\" or \"fp32\", got \"" +
                         activations + "\"");
  if (weights == "external")
    options.weights = trilm::WeightsKind::External;
  else if (weights == "embedded")
    options.weights = trilm::WeightsKind::Embedded;
  else
    throw Failure(Kind::Compile, "weights must be \"external\" or \"embedded\", got \"" +
                         weights + "\"");
  if (kvCache == "f32")
    options.kvCache = trilm::frontend::ModelOptions::KVCache::F32;
  else if (kvCache == "f16")
    options.kvCache = trilm::frontend::ModelOptions::KVCache::F16;
  else
    throw Failure(Kind::Compile,
                  "kv_cache must be \"f32\" or \"f16\", got \"" + kvCache +
                      "\"");
  if (ggufScales == "blocks")
    options.ggufScales = trilm::gguf::ScaleRecovery::Blocks;
  else if (ggufScales == "shards")
    options.ggufScales = trilm::gguf::ScaleRecovery::Shards;
  else
    throw Failure(Kind::Compile,
                  "gguf_scales must be \"blocks\" or \"shards\", got \"" +
                      ggufScales + "\"");
  // "native": this machine's CPU; "generic": any CPU of the host's
  // architecture; otherwise a triple or architecture name.
  if (target == "native") {
    options.cpu = "native";
  } else if (target != "generic") {
    options.triple = target;
  }
  if (progress)
    options.progress = [&progress](int64_t done, int64_t total) {
      nb::gil_scoped_acquire acquire;
      (*progress)(done, total);
    };
  llvm::Expected<trilm::CompileResult> result = [&] {
    nb::gil_scoped_release release;
    return trilm::compile(source, output, options);
  }();
  trilm::CompileResult compiled = take(Kind::Compile, std::move(result));
  nb::dict out;
  out["weights"] = compiled.weightsPath;
  out["tokenizer"] = compiled.tokenizerPath;
  out["triple"] = compiled.triple;
  out["cpu"] = compiled.cpu;
  out["warnings"] = compiled.warnings;
  return out;
}

class Model {
public:
  Model(const std::string &path, std::optional<std::string> weights) {
    trilm_error error;
    trilm_model *opened = nullptr;
    trilm_status status;
    {
      nb::gil_scoped_release release;
      status = trilm_model_open_with_weights(
          path.c_str(), weights ? weights->c_str() : nullptr, &opened, &error);
    }
    check(Kind::Model, status, error);
    model.reset(opened, trilm_model_free);
  }

  /// The model, shared: a context keeps it open after Model.close().
  std::shared_ptr<trilm_model> share() const {
    if (!model)
      throw Failure(Kind::Model, "the model is closed");
    return model;
  }
  trilm_model *get() const { return share().get(); }

  nb::dict info() const {
    trilm_model_info info = trilm_model_get_info(get());
    nb::dict out;
    out["vocab_size"] = info.vocab_size;
    out["hidden_size"] = info.hidden_size;
    out["num_layers"] = info.num_layers;
    out["num_heads"] = info.num_heads;
    out["num_kv_heads"] = info.num_kv_heads;
    out["head_dim"] = info.head_dim;
    out["max_positions"] = info.max_positions;
    out["int8_activations"] = info.int8_activations != 0;
    out["bos_token_id"] = info.bos_token_id;
    out["eos_token_id"] = info.eos_token_id;
    return out;
  }

  void close() { model.reset(); }

private:
  std::shared_ptr<trilm_model> model;
};

using Logits = nb::ndarray<nb::numpy, float>;

/// A float array that numpy owns the memory of: the runtime writes into it
/// directly, and numpy frees it.
std::pair<Logits, float *> newLogits(std::initializer_list<size_t> shape) {
  size_t count = 1;
  for (size_t dim : shape)
    count *= dim;
  float *data = new float[std::max<size_t>(count, 1)];
  nb::capsule owner(data, [](void *p) noexcept { delete[] (float *)p; });
  return {Logits(data, shape.size(), shape.begin(), owner), data};
}

class Context {
public:
  Context(Model &model, int64_t length, int32_t threads)
      : model(model.share()),
        vocab(trilm_model_get_info(this->model.get()).vocab_size) {
    trilm_error error;
    trilm_context *created = nullptr;
    check(Kind::Context, trilm_context_create(this->model.get(), length,
                                              threads, &created, &error),
          error);
    context.reset(created);
  }

  trilm_context *get() const {
    if (!context)
      throw Failure(Kind::Context, "the context is closed");
    return context.get();
  }

  Logits eval(const std::vector<int32_t> &tokens) {
    auto [array, data] = newLogits({tokens.size(), size_t(vocab)});
    run(trilm_context_eval, tokens, data);
    return array;
  }

  Logits evalLast(const std::vector<int32_t> &tokens) {
    auto [array, data] = newLogits({size_t(vocab)});
    run(trilm_context_eval_last, tokens, data);
    return array;
  }

  /// The last token's logits into `logits` (vocab floats), GIL released.
  void evalLastInto(const std::vector<int32_t> &tokens, float *logits) {
    run(trilm_context_eval_last, tokens, logits);
  }

  void reset() {
    std::lock_guard<std::mutex> lock(mutex);
    trilm_context_reset(get());
  }
  int64_t position() {
    std::lock_guard<std::mutex> lock(mutex);
    return trilm_context_position(get());
  }
  void close() {
    std::lock_guard<std::mutex> lock(mutex);
    context.reset();
  }

private:
  template <typename Eval>
  void run(Eval eval, const std::vector<int32_t> &tokens, float *logits) {
    trilm_error error;
    trilm_status status;
    {
      nb::gil_scoped_release release;
      // The runtime's contexts are not thread-safe: Python threads take
      // turns (the lock is taken without the GIL, so no deadlock).
      std::lock_guard<std::mutex> lock(mutex);
      if (!context)
        throw Failure(Kind::Context, "the context is closed");
      status = eval(context.get(), tokens.data(), int64_t(tokens.size()),
                    logits, &error);
    }
    check(Kind::Context, status, error);
  }

  struct Closer {
    void operator()(trilm_context *context) const {
      trilm_context_free(context);
    }
  };
  // Declared before the context, so that the context is freed first.
  std::shared_ptr<trilm_model> model;
  std::unique_ptr<trilm_context, Closer> context;
  int64_t vocab;
  std::mutex mutex;
};

class Tokenizer {
public:
  explicit Tokenizer(std::unique_ptr<trilm::tokenizer::Tokenizer> impl)
      : impl(std::move(impl)) {}

  static Tokenizer fromFile(const std::string &path) {
    return Tokenizer(take(Kind::Tokenizer, 
        trilm::tokenizer::Tokenizer::fromFile(path)));
  }

  std::vector<int32_t> encode(const std::string &text, bool addSpecial) {
    nb::gil_scoped_release release;
    return take(Kind::Tokenizer, impl->encode(text, addSpecial));
  }

  std::string decode(const std::vector<int32_t> &ids, bool skipSpecial) {
    return take(Kind::Tokenizer, impl->decode(ids, skipSpecial));
  }

  int64_t vocabSize() const { return impl->getVocabSize(); }
  const trilm::tokenizer::Tokenizer &get() const { return *impl; }

private:
  std::shared_ptr<trilm::tokenizer::Tokenizer> impl;
};

/// trilm-run's generation loop as an iterator of text pieces: the prompt is
/// evaluated on the first step, then one token per step is sampled with
/// runner::Sampler, decoded as a stream and cut at stop strings.
class Generator {
public:
  Generator(Context &context, Tokenizer &tokenizer, std::vector<int32_t> prompt,
            int64_t maxTokens, const trilm::runner::SamplerOptions &sampling,
            std::vector<std::string> stops, int64_t eosToken,
            int64_t contextLength, int64_t vocab)
      : context(context), tokens(std::move(prompt)), maxTokens(maxTokens),
        sampler(sampling), decoder(tokenizer.get(), /*skipSpecial=*/true),
        text(std::move(stops)), eosToken(eosToken),
        contextLength(contextLength), logits(vocab) {
    if (llvm::Error error = sampling.validate())
      raise(Kind::Context, std::move(error));
    if (tokens.empty())
      throw Failure(Kind::Context, "the prompt is empty");
    if (int64_t(tokens.size()) > contextLength)
      throw Failure(Kind::Context, "the prompt has " + std::to_string(tokens.size()) +
                           " tokens; the context holds " +
                           std::to_string(contextLength));
  }

  /// The next piece of text (possibly empty), or nullopt at the end.
  std::optional<std::string> next() {
    if (done)
      return std::nullopt;
    if (!started) {
      started = true;
      context.evalLastInto(tokens, logits.data());
    }
    if (generated == maxTokens)
      return end();
    int32_t token = sampler.sample(logits, tokens);
    ++generated;
    tokens.push_back(token);
    if (token == eosToken)
      return end();
    std::string piece =
        text.push(take(Kind::Tokenizer, decoder.next(token)));
    if (text.stopped()) {
      done = true;
      return piece;
    }
    if (generated < maxTokens && context.position() < contextLength)
      context.evalLastInto({token}, logits.data());
    else
      generated = maxTokens; // the next call ends the text
    return piece;
  }

private:
  std::optional<std::string> end() {
    done = true;
    std::string rest;
    if (!text.stopped())
      rest = text.push(decoder.finish());
    rest += text.finish();
    return rest;
  }

  Context &context;
  std::vector<int32_t> tokens;
  int64_t maxTokens;
  trilm::runner::Sampler sampler;
  trilm::tokenizer::Tokenizer::StreamDecoder decoder;
  trilm::runner::StopStrings text;
  int64_t eosToken, contextLength;
  std::vector<float> logits;
  int64_t generated = 0;
  bool started = false, done = false;
};

} // namespace

NB_MODULE(_core, m) {
  m.doc() = "trilm's compiler, runtime, tokenizer and sampler (use the "
            "trilm package, not this module)";

  nb::register_exception_translator(translate);

  m.def("compile_checkpoint", &compileCheckpoint, "source"_a, "output"_a,
        "packing"_a, "activations"_a, "target"_a, "weights"_a, "kv_cache"_a,
        "gguf_scales"_a, "progress"_a = nb::none(),
        "Compiles a checkpoint directory or GGUF file into a shared library.");

  nb::class_<Model>(m, "Model")
      .def(nb::init<const std::string &, std::optional<std::string>>(),
           "path"_a, "weights"_a = nb::none())
      .def("info", &Model::info)
      .def("close", &Model::close);

  nb::class_<Context>(m, "Context")
      .def(nb::init<Model &, int64_t, int32_t>(), "model"_a, "length"_a,
           "threads"_a, nb::keep_alive<1, 2>())
      .def("eval", &Context::eval, "tokens"_a)
      .def("eval_last", &Context::evalLast, "tokens"_a)
      .def("reset", &Context::reset)
      .def_prop_ro("position", &Context::position)
      .def("close", &Context::close);

  nb::class_<Tokenizer>(m, "Tokenizer")
      .def_static("from_file", &Tokenizer::fromFile, "path"_a)
      .def("encode", &Tokenizer::encode, "text"_a,
           "add_special_tokens"_a = true)
      .def("decode", &Tokenizer::decode, "ids"_a,
           "skip_special_tokens"_a = false)
      .def_prop_ro("vocab_size", &Tokenizer::vocabSize);

  nb::class_<Generator>(m, "Generator")
      .def(
          "__init__",
          [](Generator *self, Context &context, Tokenizer &tokenizer,
             std::vector<int32_t> prompt, int64_t maxTokens, float temperature,
             int64_t topK, float topP, float minP, float repeatPenalty,
             int64_t repeatLastN, uint64_t seed,
             std::vector<std::string> stops, int64_t eosToken,
             int64_t contextLength, int64_t vocab) {
            trilm::runner::SamplerOptions sampling;
            sampling.temperature = temperature;
            sampling.topK = topK;
            sampling.topP = topP;
            sampling.minP = minP;
            sampling.repeatPenalty = repeatPenalty;
            sampling.repeatLastN = repeatLastN;
            sampling.seed = seed;
            new (self) Generator(context, tokenizer, std::move(prompt),
                                 maxTokens, sampling, std::move(stops),
                                 eosToken, contextLength, vocab);
          },
          "context"_a, "tokenizer"_a, "prompt"_a, "max_tokens"_a,
          "temperature"_a, "top_k"_a, "top_p"_a, "min_p"_a,
          "repeat_penalty"_a, "repeat_last_n"_a, "seed"_a, "stop"_a,
          "eos_token_id"_a, "context_length"_a, "vocab_size"_a,
          nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>())
      .def("next", &Generator::next);
}
