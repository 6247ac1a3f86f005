#!/usr/bin/env bash
# Sets up, builds and runs every trilm test: lit (check-trilm), gtest (ctest)
# and pytest; then, in a sanitizer build, lit, ctest, the fuzz targets and the
# malformed-input pytests. Exits non-zero if anything fails.
#   scripts/test.sh [build-dir]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
"$root/scripts/setup.sh" "$build"

ninja -C "$build"
status=0

echo "== lit (check-trilm) =="
ninja -C "$build" check-trilm || status=1

echo "== gtest (ctest) =="
(cd "$build" && ctest --output-on-failure) || status=1

echo "== pytest =="
TRILM_BUILD_DIR="$build" "$root/.venv/bin/python" -m pytest -q "$root/python/tests" || status=1

# The same code under AddressSanitizer and UndefinedBehaviorSanitizer, and
# the fuzz targets for a short while (docs/security.md).
asan="${TRILM_SANITIZER_BUILD_DIR:-$root/build-asan}"
source "$root/scripts/sanitizer-options.sh"
echo "== sanitizers: build ($asan) =="
"$root/scripts/sanitizer-build.sh" "$asan" || status=1
echo "== sanitizers: lit =="
ninja -C "$asan" check-trilm || status=1
echo "== sanitizers: gtest and fuzz corpora (ctest) =="
(cd "$asan" && ctest --output-on-failure) || status=1
echo "== sanitizers: fuzz targets =="
TRILM_SANITIZER_BUILD_DIR="$asan" "$root/scripts/fuzz.sh" 15 || status=1
echo "== sanitizers: pytest on malformed input =="
TRILM_BUILD_DIR="$asan" TRILM_SANITIZED=1 "$root/.venv/bin/python" -m pytest -q \
  "$root/python/tests/test_model_errors.py" \
  "$root/python/tests/test_gguf.py::test_unsupported_files_get_one_error_line" \
  "$root/python/tests/test_onnx.py" "$root/python/tests/test_bitnet.py::test_errors" || status=1

exit $status
