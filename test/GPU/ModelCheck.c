/*===- ModelCheck.c - A whole model on the GPU against the CPU ------------===*
 *
 * Part of trilm: an MLIR compiler for ternary language models.
 *
 * trilm-gpu-model-check CPU_MODEL GPU_MODEL: the same checkpoint compiled
 * for the CPU (whose logits match transformers, test/Integration) and for
 * CUDA, run through the C runtime on the same tokens: a prompt, then tokens
 * decoded greedily from the CPU's logits. Every logit of every step is
 * compared. The GPU rounds matmul activations to f16, so the tolerance is
 * relative to the largest logit of the step.
 *
 * Exit status: 0 equal within the tolerance, 1 a mismatch or an error, 77
 * no GPU with --skip-without-gpu (the error line is printed either way).
 *
 *===----------------------------------------------------------------------===*/

#include "trilm-c/Runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kPromptTokens = 9, kDecodedTokens = 6 };
/* Worst |gpu - cpu| over the step's largest |cpu| logit. */
static const double kTolerance = 1e-2;

static int check(trilm_status status, const trilm_error *error) {
  if (status == TRILM_OK)
    return 0;
  fprintf(stderr, "trilm-gpu-model-check: %s\n", error->message);
  return 1;
}

/* Compares `rows` rows of logits; returns the worst relative difference. */
static double compare(const float *cpu, const float *gpu, int64_t rows,
                      int64_t vocab) {
  double worst = 0;
  for (int64_t row = 0; row < rows; ++row) {
    double largest = 0, difference = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      double expected = cpu[row * vocab + i], actual = gpu[row * vocab + i];
      largest = fmax(largest, fabs(expected));
      /* NaN on either side is a mismatch. */
      double d = fabs(actual - expected);
      difference = d == d ? fmax(difference, d) : INFINITY;
    }
    double relative = difference / fmax(largest, 1e-30);
    worst = fmax(worst, relative);
  }
  return worst;
}

static int64_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logits[i] > logits[best])
      best = i;
  return best;
}

int main(int argc, char **argv) {
  int skipWithoutGPU = argc > 1 && strcmp(argv[1], "--skip-without-gpu") == 0;
  if (argc != 3 + skipWithoutGPU) {
    fprintf(stderr, "usage: %s [--skip-without-gpu] CPU_MODEL GPU_MODEL\n",
            argv[0]);
    return 1;
  }
  const char *cpuPath = argv[1 + skipWithoutGPU];
  const char *gpuPath = argv[2 + skipWithoutGPU];
  trilm_error error = {{0}};
  trilm_model *cpu = NULL, *gpu = NULL;
  if (check(trilm_model_open(cpuPath, &cpu, &error), &error))
    return 1;
  trilm_status status = trilm_model_open(gpuPath, &gpu, &error);
  if (status != TRILM_OK) {
    trilm_model_free(cpu);
    fprintf(stderr, "trilm-gpu-model-check: %s\n", error.message);
    if (status == TRILM_ERROR_DEVICE && skipWithoutGPU) {
      fprintf(stderr, "SKIPPED: the GPU checks need an NVIDIA GPU\n");
      return 77;
    }
    return 1;
  }
  trilm_model_info info = trilm_model_get_info(cpu);
  int64_t vocab = info.vocab_size;
  trilm_context *cpuContext = NULL, *gpuContext = NULL;
  int64_t length = kPromptTokens + kDecodedTokens;
  if (check(trilm_context_create(cpu, length, 0, &cpuContext, &error),
            &error) ||
      check(trilm_context_create(gpu, length, 0, &gpuContext, &error),
            &error))
    return 1;
  float *cpuLogits = malloc(sizeof(float) * kPromptTokens * vocab);
  float *gpuLogits = malloc(sizeof(float) * kPromptTokens * vocab);
  if (!cpuLogits || !gpuLogits)
    return 1;

  int32_t prompt[kPromptTokens];
  for (int i = 0; i < kPromptTokens; ++i)
    prompt[i] = (int32_t)((7919 * (i + 1)) % vocab);
  if (check(trilm_context_eval(cpuContext, prompt, kPromptTokens, cpuLogits,
                               &error),
            &error) ||
      check(trilm_context_eval(gpuContext, prompt, kPromptTokens, gpuLogits,
                               &error),
            &error))
    return 1;
  double worst = compare(cpuLogits, gpuLogits, kPromptTokens, vocab);
  printf("prompt of %d tokens: worst difference %.3g of the largest logit\n",
         kPromptTokens, worst);
  int failed = !(worst <= kTolerance);
  const float *last = cpuLogits + (kPromptTokens - 1) * vocab;
  int32_t token = (int32_t)argmax(last, vocab);
  for (int step = 0; step < kDecodedTokens; ++step) {
    if (check(trilm_context_eval(cpuContext, &token, 1, cpuLogits, &error),
              &error) ||
        check(trilm_context_eval(gpuContext, &token, 1, gpuLogits, &error),
              &error))
      return 1;
    double stepWorst = compare(cpuLogits, gpuLogits, 1, vocab);
    printf("decode step %d (token %d): worst difference %.3g\n", step, token,
           stepWorst);
    failed |= !(stepWorst <= kTolerance);
    token = (int32_t)argmax(cpuLogits, vocab);
  }
  printf("%s: %s (tolerance %.g of the largest logit)\n", gpuPath,
         failed ? "MISMATCH" : "equal to the CPU", kTolerance);
  free(cpuLogits);
  free(gpuLogits);
  trilm_context_free(cpuContext);
  trilm_context_free(gpuContext);
  trilm_model_free(cpu);
  trilm_model_free(gpu);
  return failed;
}
