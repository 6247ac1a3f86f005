#!/usr/bin/env bash
# Configures and builds trilm with AddressSanitizer and
# UndefinedBehaviorSanitizer, and with libFuzzer's coverage so that the fuzz
# targets (test/fuzz) are libFuzzer programs. Idempotent; run scripts/setup.sh
# first (scripts/test.sh does).
#   scripts/sanitizer-build.sh [build-dir]   (default: build-asan)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-asan}"

if [[ ! -f "$build/build.ninja" ]]; then
  # LLVM_USE_SANITIZER drops -z defs where the sanitizer runtimes would
  # leave symbols undefined (the runtime library).
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_ENABLE_LLD=ON \
    -DLLVM_USE_SANITIZER="Address;Undefined" \
    -DLLVM_USE_SANITIZE_COVERAGE=ON \
    -DTRILM_ENABLE_FUZZERS=ON \
    -DTRILM_BUILD_PYTHON=OFF \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$root/.venv/bin/python"
fi
# An uninstrumented interpreter cannot load a sanitized extension: the
# Python package is tested in the release build only.
grep -qs "^TRILM_BUILD_PYTHON:BOOL=OFF" "$build/CMakeCache.txt" ||
  cmake -DTRILM_BUILD_PYTHON=OFF "$build" > /dev/null
ninja -C "$build"
