#!/usr/bin/env bash
# Runs the GPU checks on a machine with an NVIDIA GPU, from a build made
# elsewhere (no LLVM or toolkit needed here): the kernels against their
# reference with timings (trilm-gpu-check --bench), then each whole model
# compiled for the GPU against the same model on the CPU
# (trilm-gpu-model-check). Build them first where the toolkit is:
#   ninja -C build trilm-gpu-check trilm-gpu-model-check trilm-gpu-models
# Usage: scripts/gpu-checks.sh [BUILD_DIR] [OUTPUT_DIR]
set -u
build=${1:-build}
out=${2:-${OUT:-.}}
mkdir -p "$out"
status=0
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || true
"$build/bin/trilm-gpu-check" --bench > "$out/kernels.txt" 2>&1 || status=1
tail -n 3 "$out/kernels.txt"
for model in "$build"/test/GPU/models/*/; do
  model=${model%/}
  name=$(basename "$model")
  "$build/bin/trilm-gpu-model-check" "$model/cpu.so" "$model/gpu.so" \
    > "$out/model-$name.txt" 2>&1 || status=1
  tail -n 1 "$out/model-$name.txt"
done
exit $status
