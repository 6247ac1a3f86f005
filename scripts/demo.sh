#!/usr/bin/env bash
# The main job: set up, build trilm, compile the small trained TriLM that the
# repository ships and generate text from a prompt with trilm-run (tokens/s
# on stderr), then its perplexity on held-out text; compile a generated TriLM
# checkpoint and run it against transformers; then show, step by step, a
# float matmul whose weights are ternary become a packed ternary matmul,
# lowered and executed.
#   scripts/demo.sh [build-dir]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
"$root/scripts/setup.sh" "$build"
ninja -C "$build" trilm-opt trilm-compile trilm-run trilm_runtime

echo "== 0. the trained tiny TriLM (models/tiny-trilm): text from a prompt =="
tiny="$build/demo/trained"
mkdir -p "$tiny"
# Compiling copies the checkpoint's tokenizer.json to model.tokenizer.json.
"$build/bin/trilm-compile" "$root/models/tiny-trilm" --emit=lib --cpu=native \
  --activations=int8 --quiet -o "$tiny/model.so"
"$build/bin/trilm-run" "$tiny/model.so" -p "Return the number of" -n 48 --seed 1 --threads 2
"$build/bin/trilm-run" "$tiny/model.so" --perplexity "$root/models/tiny-trilm/heldout.txt" \
  --ctx 128 --threads 2

echo "== 0b. a generated TriLM checkpoint, compiled and run through the C runtime =="
"$root/.venv/bin/python" "$root/examples/tiny_trilm.py" "$build" "$build/demo"

opt="$build/bin/trilm-opt"
example="$root/examples/ternary-matmul.mlir"
libs=/usr/lib/llvm-22/lib

echo "== 1. float weights become packed ternary weights (ternary-raise-matmul) =="
"$opt" "$example" --ternary-raise-matmul="packing=tq1 remarks=true" --canonicalize

for packing in tq2 tq1; do
  echo "== 2. lowered with the reference pipeline and executed ($packing) =="
  "$opt" "$example" --ternary-raise-matmul="packing=$packing" --trilm-reference-pipeline |
    /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
      -shared-libs="$libs/libmlir_runner_utils.so,$libs/libmlir_c_runner_utils.so"
done

echo "== 3. lowered with the fused CPU kernels for this machine and executed =="
"$opt" "$example" --ternary-raise-matmul --trilm-cpu-pipeline="cpu=native" |
  /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
    -shared-libs="$libs/libmlir_runner_utils.so,$libs/libmlir_c_runner_utils.so,$libs/libomp.so"

echo "== 4. the same matmul on float weights, without trilm (expected result) =="
"$opt" "$example" --trilm-reference-pipeline |
  /usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
    -shared-libs="$libs/libmlir_runner_utils.so,$libs/libmlir_c_runner_utils.so"
