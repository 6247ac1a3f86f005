#!/usr/bin/env python3
"""cuBLAS fp16 GEMM on the shapes of trilm-gpu-check --bench, for the ratios
in docs/gpu.md: y = x @ W^T through torch.nn.functional.linear (cuBLAS
underneath), with W cycled through enough copies (512 MiB) to be read from
device memory, not L2, as the trilm benchmark does; timed both launched from
Python one by one and replayed as one CUDA graph (the kernels' own time, as
trilm-gpu-check reports). Needs PyTorch and a GPU.
"""
import torch

SHAPES = [("qkv_1b", 6144, 2048), ("o_1b", 2048, 2048), ("gate_up_1b", 11264, 2048),
          ("down_1b", 2048, 5632), ("qkv_4b", 9216, 3072), ("o_4b", 3072, 3072),
          ("gate_up_4b", 18432, 3072), ("down_4b", 3072, 9216)]


def main():
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = True
    print("GPU:", torch.cuda.get_device_name(), "torch", torch.__version__)
    for name, n, k in SHAPES:
        weight_bytes = n * k * 2
        copies = max(1, (512 << 20) // weight_bytes)
        weights = [torch.randn(n, k, device="cuda", dtype=torch.float16) for _ in range(copies)]
        for m in (1, 8, 16, 128):
            x = torch.randn(m, k, device="cuda", dtype=torch.float16)
            for w in weights:
                torch.nn.functional.linear(x, w)
            launches = max(200, 2 * copies)
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for i in range(launches):
                torch.nn.functional.linear(x, weights[i % copies])
            stop.record()
            torch.cuda.synchronize()
            host_launched = start.elapsed_time(stop) * 1e-3 / launches
            graph = torch.cuda.CUDAGraph()
            stream = torch.cuda.Stream()
            with torch.cuda.stream(stream):
                for w in weights[:2]:
                    torch.nn.functional.linear(x, w)
                torch.cuda.synchronize()
                with torch.cuda.graph(graph, stream=stream):
                    for i in range(launches):
                        torch.nn.functional.linear(x, weights[i % copies])
            graph.replay()
            torch.cuda.synchronize()
            replays = 5
            start.record()
            for _ in range(replays):
                graph.replay()
            stop.record()
            torch.cuda.synchronize()
            seconds = start.elapsed_time(stop) * 1e-3 / (replays * launches)
            print("CUBLAS %-11s N=%-6d K=%-5d M=%-4d %8.2f us (host-launched %6.2f us) "
                  "%7.1f GB/s fp16 weights %7.2f TFLOP/s"
                  % (name, n, k, m, seconds * 1e6, host_launched * 1e6,
                     weight_bytes / seconds / 1e9, 2.0 * m * n * k / seconds / 1e12))
            del graph
        del weights
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
