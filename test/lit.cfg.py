# -*- Python -*-
# lit configuration for trilm.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TRILM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trilm_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "fuzz", "GPU"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(
    ("%make_checkpoint", f"{config.python_executable} "
     f"{os.path.join(config.trilm_src_root, 'scripts', 'make_trilm_checkpoint.py')}"))
config.substitutions.append(("%shlibext", ".so"))
config.substitutions.append(
    ("%mlir_runner_utils", os.path.join(config.mlir_lib_dir, "libmlir_runner_utils.so"))
)
config.substitutions.append(
    ("%mlir_c_runner_utils", os.path.join(config.mlir_lib_dir, "libmlir_c_runner_utils.so"))
)

# The sanitizer options scripts/test.sh sets for the sanitizer build.
llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "ASAN_OPTIONS",
                                     "UBSAN_OPTIONS"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.trilm_tools_dir, config.llvm_tools_dir]
tools = ["trilm-bench", "trilm-compile", "trilm-opt", "trilm-run", "mlir-runner", "mlir-translate", "llc", "llvm-objdump", "llvm-nm", "FileCheck", "not", "count"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The GPU kernels' PTX is assembled by the CUDA toolkit's ptxas where it is
# installed (it needs no GPU).
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
config.substitutions.append(
    ("%extract_ptx", f"{config.python_executable} "
     f"{os.path.join(config.trilm_src_root, 'scripts', 'extract_ptx.py')}"))
if os.path.exists(os.path.join(config.trilm_tools_dir, "trilm-gpu-check")):
    config.available_features.add("trilm-gpu-check")
    llvm_config.add_tool_substitutions(["trilm-gpu-check", "trilm-gpu-model-check"],
                                       tool_dirs)
config.substitutions.append(("%trilm_lib", os.path.join(config.trilm_obj_root, "lib")))
