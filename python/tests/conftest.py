"""Shared fixtures: where the built tools are."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def tools():
    build = pathlib.Path(os.environ.get("TRILM_BUILD_DIR", ROOT / "build"))
    opt = build / "bin" / "trilm-opt"
    if not opt.exists():
        pytest.fail(f"{opt} is missing: build trilm first (scripts/test.sh does)")
    llvm = pathlib.Path("/usr/lib/llvm-22")
    return {
        "build": str(build),
        "opt": str(opt),
        "compile": str(build / "bin" / "trilm-compile"),
        "run": str(build / "bin" / "trilm-run"),
        "runner": str(llvm / "bin" / "mlir-runner"),
        "libs": ",".join(
            str(llvm / "lib" / name)
            for name in ("libmlir_runner_utils.so", "libmlir_c_runner_utils.so",
                         "libomp.so")
        ),
    }
