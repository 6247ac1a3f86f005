#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, in the sanitizer
# build (scripts/sanitizer-build.sh). Each target starts from its committed
# seed corpus (test/fuzz/corpus/NAME) and grows a working corpus in the build
# directory; a finding is written there as crash-*, leak-* or timeout-* and
# fails the run.
#   scripts/fuzz.sh [SECONDS] [NAME...]   (default: 60 s, every target)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TRILM_SANITIZER_BUILD_DIR:-$root/build-asan}"
seconds="${1:-60}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(safetensors safetensors-index llama-config tokenizer model-ir gguf onnx)
fi

"$root/scripts/sanitizer-build.sh" "$build" >/dev/null
source "$root/scripts/sanitizer-options.sh"

status=0
for name in "${targets[@]}"; do
  corpus="$build/fuzz/corpus/$name"
  artifacts="$build/fuzz/artifacts/$name/"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$root/test/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
  echo "== fuzz $name for ${seconds}s =="
  if ! "$build/bin/trilm-fuzz-$name" "$corpus" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$artifacts" -print_final_stats=1 \
      2> "$build/fuzz/$name.log"; then
    echo "fuzz $name: a finding; see $build/fuzz/$name.log and $artifacts"
    tail -40 "$build/fuzz/$name.log"
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE" \
    "$build/fuzz/$name.log" || true
done
exit $status
