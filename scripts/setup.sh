#!/usr/bin/env bash
# Installs everything trilm needs on a fresh Debian bookworm machine and
# configures the build. Idempotent: a second run installs nothing.
#   scripts/setup.sh [build-dir]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"

packages=(
  cmake ninja-build git python3 python3-venv
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools clang-22 lld-22
  libclang-rt-22-dev libpcre2-dev libicu-dev pkg-config
  libomp-22-dev libgtest-dev
  # ONNX's protobuf schema, for the ONNX frontend.
  libonnx-dev libprotobuf-dev
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # The reference for whole-model tests: transformers (from PyPI) runs on
  # Debian's CPU build of PyTorch; PyPI's torch wheels need CUDA libraries.
  python3-torch
  # The gguf package's dependencies (python/requirements.txt).
  python3-yaml python3-requests
)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# Python test dependencies, pinned, in a venv next to the build. It is made
# from Debian's Python and sees its packages, for python3-torch.
venv="$root/.venv"
if ! grep -qs "include-system-site-packages = true" "$venv/pyvenv.cfg" ||
   ! grep -qs "^home = /usr/bin$" "$venv/pyvenv.cfg"; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if ! cmp -s "$root/python/requirements.txt" "$venv/.requirements.txt"; then
  "$venv/bin/pip" install -q -r "$root/python/requirements.txt"
  cp "$root/python/requirements.txt" "$venv/.requirements.txt"
fi

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_ENABLE_LLD=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE="$venv/bin/python"
fi
