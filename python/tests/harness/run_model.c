/* Runs a model linked into this program through the trilm C runtime:
 *   run_model LOGITS_FILE PROMPT_LENGTH TOKEN...
 * evaluates the first PROMPT_LENGTH tokens at once (prefill), the rest one
 * by one (decode), and writes every token's logits (f32) to LOGITS_FILE. */

#include "trilm-c/Runtime.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: run_model LOGITS_FILE PROMPT_LENGTH TOKEN...\n");
    return 2;
  }
  int64_t count = argc - 3, prompt = atoll(argv[2]);
  int32_t *tokens = malloc(sizeof(int32_t) * count);
  for (int64_t i = 0; i < count; ++i)
    tokens[i] = atoi(argv[3 + i]);

  trilm_error error;
  trilm_model *model;
  trilm_context *context;
  if (trilm_model_open(NULL, &model, &error) != TRILM_OK ||
      trilm_context_create(model, count, 0, &context, &error) != TRILM_OK) {
    fprintf(stderr, "run_model: %s\n", error.message);
    return 1;
  }
  int64_t vocab = trilm_model_get_info(model).vocab_size;
  float *logits = malloc(sizeof(float) * vocab * count);
  for (int64_t done = 0; done < count;) {
    int64_t step = done == 0 && prompt > 0 ? prompt : 1;
    if (trilm_context_eval(context, tokens + done, step, logits + done * vocab,
                           &error) != TRILM_OK) {
      fprintf(stderr, "run_model: %s\n", error.message);
      return 1;
    }
    done += step;
  }
  FILE *out = fopen(argv[1], "wb");
  if (!out || fwrite(logits, sizeof(float), vocab * count, out) !=
                  (size_t)(vocab * count)) {
    fprintf(stderr, "run_model: cannot write %s\n", argv[1]);
    return 1;
  }
  fclose(out);
  trilm_context_free(context);
  trilm_model_free(model);
  free(logits);
  free(tokens);
  return 0;
}
