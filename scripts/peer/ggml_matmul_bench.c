// ggml's CPU matmul for one ternary layer shape, timed the way trilm-bench
// times trilm's (scripts/peer-bench.sh builds this against the llama.cpp it
// builds; not part of trilm or its tests).
//
//   ggml_matmul_bench TYPE N K M THREADS REPEATS
//
// TYPE is tq2_0 or tq1_0. The N x K weights are random trits quantised by
// ggml itself (exactly ternary, one scale per 256-block); the M x K f32
// activations are random. One mul_mat graph is computed once to warm up, then
// REPEATS times; the median time of a call, in milliseconds, is printed. A
// call includes what ggml does for it on the CPU: quantising the activations
// to q8_K and the dot products.
#include "ggml-cpu.h"
#include "ggml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compareTimes(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// A deterministic generator, so that both sides of a comparison can be rerun
// on the same data.
static unsigned long long state = 0x9e3779b97f4a7c15ull;
static unsigned nextRandom(void) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return (unsigned)(state >> 33);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s tq2_0|tq1_0 N K M THREADS REPEATS\n", argv[0]);
    return 2;
  }
  enum ggml_type type;
  if (strcmp(argv[1], "tq2_0") == 0)
    type = GGML_TYPE_TQ2_0;
  else if (strcmp(argv[1], "tq1_0") == 0)
    type = GGML_TYPE_TQ1_0;
  else {
    fprintf(stderr, "error: unknown type '%s' (tq2_0 or tq1_0)\n", argv[1]);
    return 2;
  }
  long n = atol(argv[2]), k = atol(argv[3]), m = atol(argv[4]);
  int threads = atoi(argv[5]), repeats = atoi(argv[6]);
  if (n <= 0 || k <= 0 || k % 256 != 0 || m <= 0 || threads <= 0 ||
      repeats <= 0) {
    fprintf(stderr, "error: N, M, THREADS and REPEATS must be positive and K "
                    "a positive multiple of 256\n");
    return 2;
  }

  ggml_time_init();
  ggml_cpu_init();
  size_t weightBytes = ggml_row_size(type, k) * (size_t)n;
  // Room for the tensors, the graph, and the work buffer ggml allocates in
  // the context (the q8_K activations).
  size_t memory = weightBytes + sizeof(float) * (size_t)(k * m + n * m) +
                  2 * (size_t)(k * m) + ggml_graph_overhead() + (64u << 20);
  struct ggml_init_params params = {memory, NULL, false};
  struct ggml_context *ctx = ggml_init(params);
  if (!ctx) {
    fprintf(stderr, "error: cannot allocate %zu bytes\n", memory);
    return 1;
  }

  struct ggml_tensor *weights = ggml_new_tensor_2d(ctx, type, k, n);
  float *row = malloc(sizeof(float) * (size_t)k);
  for (long r = 0; r < n; ++r) {
    for (long c = 0; c < k; ++c)
      row[c] = (float)((int)(nextRandom() % 3) - 1);
    ggml_quantize_chunk(type, row,
                        (char *)weights->data + r * ggml_row_size(type, k), 0,
                        1, k, NULL);
  }
  free(row);
  struct ggml_tensor *x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, m);
  float *xs = (float *)x->data;
  for (long i = 0; i < k * m; ++i)
    xs[i] = (float)(nextRandom() % 2001) / 1000.0f - 1.0f;

  struct ggml_tensor *y = ggml_mul_mat(ctx, weights, x);
  struct ggml_cgraph *graph = ggml_new_graph(ctx);
  ggml_build_forward_expand(graph, y);

  double *times = malloc(sizeof(double) * (size_t)repeats);
  for (int i = -1; i < repeats; ++i) {
    int64_t start = ggml_time_us();
    if (ggml_graph_compute_with_ctx(ctx, graph, threads) != GGML_STATUS_SUCCESS) {
      fprintf(stderr, "error: ggml could not compute the graph\n");
      return 1;
    }
    if (i >= 0)
      times[i] = (double)(ggml_time_us() - start) / 1000.0;
  }
  qsort(times, (size_t)repeats, sizeof(double), compareTimes);
  double median = repeats % 2 ? times[repeats / 2]
                              : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;
  printf("%.4f\n", median);
  free(times);
  ggml_free(ctx);
  return 0;
}
