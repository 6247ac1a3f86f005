//===- ModelMain.c - The main of executables built by trilm-compile -------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// trilm-compile --emit=exe links a model with the runtime and this program:
//
//   MODEL [--threads N] [--generate N] [--prompt-batch N] [--logits FILE]
//         [--weights FILE] [--model LIBRARY] [--timing 1] TOKEN...
//
// It evaluates the prompt's token ids (in batches of --prompt-batch tokens,
// all at once by default), then generates --generate tokens greedily and
// prints them, space separated. --logits writes the f32 logits of every
// evaluated position. --timing 1 prints the prompt time and the decoding
// speed to stderr. External weights are read from --weights, by default
// the program's path plus .weights (see trilm_model_open). Tokenisation is
// not its job: it reads and prints ids. Built without a model, it runs the
// shared library named by --model.
//
//===----------------------------------------------------------------------===//

#include "trilm-c/Runtime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int usage(const char *program) {
  fprintf(stderr,
          "usage: %s [--threads N] [--generate N] [--prompt-batch N] "
          "[--logits FILE] [--weights FILE] [--model LIBRARY] [--timing 1] "
          "TOKEN...\n",
          program);
  return 2;
}

/* Parses a non-negative integer option value; -1 when it is not one or
 * does not fit in a long long. */
static long long count(const char *text) {
  char *end;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  return *text && !*end && errno == 0 && value >= 0 ? value : -1;
}

static double now(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return time.tv_sec + time.tv_nsec * 1e-9;
}

static int failed(const char *program, const trilm_error *error) {
  fprintf(stderr, "%s: %s\n", program, error->message);
  return 1;
}

int main(int argc, char **argv) {
  const char *program = argv[0];
  long long threads = 0, generate = 0, batch = 0, timing = 0;
  const char *logitsPath = NULL, *weightsPath = NULL, *libraryPath = NULL;
  int first = 1;
  for (; first + 1 < argc && strncmp(argv[first], "--", 2) == 0; first += 2) {
    const char *option = argv[first], *value = argv[first + 1];
    if (!strcmp(option, "--threads"))
      threads = count(value);
    else if (!strcmp(option, "--generate"))
      generate = count(value);
    else if (!strcmp(option, "--prompt-batch"))
      batch = count(value);
    else if (!strcmp(option, "--logits"))
      logitsPath = value;
    else if (!strcmp(option, "--weights"))
      weightsPath = value;
    else if (!strcmp(option, "--model"))
      libraryPath = value;
    else if (!strcmp(option, "--timing"))
      timing = count(value);
    else
      return usage(program);
    if (threads < 0 || generate < 0 || batch < 0 || timing < 0)
      return usage(program);
  }
  int64_t prompt = argc - first;
  if (prompt < 1)
    return usage(program);
  if (threads > INT32_MAX) {
    fprintf(stderr, "%s: --threads %lld exceeds %d\n", program, threads,
            TRILM_MAX_THREADS);
    return 2;
  }
  for (int64_t i = 0; i < prompt; ++i) {
    long long token = count(argv[first + i]);
    if (token < 0 || token > INT32_MAX) {
      fprintf(stderr, "%s: '%s' is not a token id\n", program, argv[first + i]);
      return 2;
    }
  }
  // The context holds prompt and generated tokens; it refuses more than the
  // model's positions before anything is sized from --generate.
  int64_t total = generate > INT64_MAX - prompt ? INT64_MAX : prompt + generate;

  trilm_error error;
  trilm_model *model;
  trilm_context *context;
  if (trilm_model_open_with_weights(libraryPath, weightsPath, &model, &error) !=
      TRILM_OK)
    return failed(program, &error);
  if (trilm_context_create(model, total, (int32_t)threads, &context, &error) !=
      TRILM_OK)
    return failed(program, &error);
  int64_t vocab = trilm_model_get_info(model).vocab_size;
  size_t logitBytes;
  int32_t *tokens = malloc(sizeof(int32_t) * (size_t)total);
  float *logits =
      __builtin_mul_overflow((size_t)vocab * sizeof(float), (size_t)total,
                             &logitBytes)
          ? NULL
          : malloc(logitBytes);
  if (!tokens || !logits) {
    fprintf(stderr, "%s: out of memory\n", program);
    return 1;
  }
  for (int64_t i = 0; i < prompt; ++i)
    tokens[i] = (int32_t)count(argv[first + i]);

  double promptSeconds = 0, decodeSeconds = 0;
  for (int64_t done = 0; done < total;) {
    int64_t step = 1;
    if (done < prompt)
      step = batch > 0 && batch < prompt - done ? batch : prompt - done;
    double start = now();
    // Without --logits only each batch's last logits matter (generation).
    trilm_status status =
        logitsPath ? trilm_context_eval(context, tokens + done, step,
                                        logits + done * vocab, &error)
                   : trilm_context_eval_last(context, tokens + done, step,
                                             logits + (done + step - 1) * vocab,
                                             &error);
    if (status != TRILM_OK)
      return failed(program, &error);
    *(done < prompt ? &promptSeconds : &decodeSeconds) += now() - start;
    done += step;
    if (done >= prompt && done < total) {
      /* Greedy: the most likely next token. */
      const float *last = logits + (done - 1) * vocab;
      int32_t best = 0;
      for (int32_t v = 1; v < vocab; ++v)
        if (last[v] > last[best])
          best = v;
      tokens[done] = best;
      printf("%d%s", best, done + 1 < total ? " " : "\n");
    }
  }
  if (timing) {
    fprintf(stderr, "prompt: %lld tokens in %.3f s (%.1f tokens/s)\n",
            (long long)prompt, promptSeconds, prompt / promptSeconds);
    if (generate > 0)
      fprintf(stderr, "decode: %lld tokens in %.3f s (%.2f tokens/s)\n",
              generate, decodeSeconds, generate / decodeSeconds);
  }
  if (logitsPath) {
    FILE *out = fopen(logitsPath, "wb");
    size_t floats = (size_t)(vocab * total);
    if (!out || fwrite(logits, sizeof(float), floats, out) != floats ||
        fclose(out) != 0) {
      fprintf(stderr, "%s: cannot write %s\n", program, logitsPath);
      return 1;
    }
  }
  trilm_context_free(context);
  trilm_model_free(model);
  free(logits);
  free(tokens);
  return 0;
}
