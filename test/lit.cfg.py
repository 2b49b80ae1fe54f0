# -*- Python -*-
"""lit configuration of the Celeris regression tests."""

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "CELERIS"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.celeris_obj_root, "test")
config.excludes = ["CMakeLists.txt", "README.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs", "Install"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%shlibext", config.llvm_shlib_ext))
config.substitutions.append(("%celeris_src", config.celeris_src_root))
config.substitutions.append(("%celeris_obj", config.celeris_obj_root))
config.substitutions.append(("%celeris_libs", config.celeris_lib_dir))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%mlir_dir", config.mlir_dir))
# Runtime libraries of mlir-runner, for tests that execute lowered IR.
llvm_lib_dir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
config.substitutions.append(
    ("%mlir_runner_utils", os.path.join(llvm_lib_dir, "libmlir_runner_utils" + config.llvm_shlib_ext)))
config.substitutions.append(
    ("%mlir_c_runner_utils", os.path.join(llvm_lib_dir, "libmlir_c_runner_utils" + config.llvm_shlib_ext)))

# ptxas of the CUDA Toolkit, where CMake found one (CELERIS_PTXAS): tests
# that assemble PTX and read its resource report say `REQUIRES: ptxas`.
if config.cuda_ptxas and os.path.isfile(config.cuda_ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.cuda_ptxas))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.celeris_tools_dir, config.llvm_tools_dir]
tools = [
    "celeris-opt",
    "celeris-compile",
    "celeris-run",
    # The upstream driver loads Celeris as a plugin.
    ToolSubst("mlir-opt", unresolved="fatal"),
    ToolSubst("mlir-runner", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

config.environment["FILECHECK_OPTS"] = "--dump-input=fail"
