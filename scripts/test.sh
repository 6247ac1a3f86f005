#!/usr/bin/env bash
# Sets up, builds and runs every trilm test: lit (check-trilm), gtest (ctest)
# and pytest. Exits non-zero if anything fails.
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

exit $status
