//===- Passes.td - CPU target passes -----------------------*- tablegen -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CPU_PASSES_TD
#define TRILM_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def TrilmAttachCPUTarget : Pass<"trilm-attach-cpu-target", "::mlir::ModuleOp"> {
  let summary = "Record the CPU target in the module";
  let description = [{
    Validates the triple, CPU and features against LLVM's target registry
    (`native` is the host's CPU and features) and records them on the
    module, where every later pass reads them:

    - `llvm.target = #llvm.target<triple = ..., chip = ..., features = ...>`;
    - the L2 cache size per core, as
      `dlti.target_system_spec = #dlti.target_system_spec<"CPU" =
      #dlti.target_device_spec<"L2_cache_size_in_bytes" = N : i64>>`
      (the host's for `native`, else `l2-cache-kib` or 1 MiB).

    An unknown triple, CPU or feature is an error naming it.
  }];
  let options = [
    Option<"triple", "triple", "std::string", /*default=*/"\"\"",
           "Target triple (default: the host's)">,
    Option<"cpu", "cpu", "std::string", /*default=*/"\"generic\"",
           "Target CPU, or native for the host CPU and its features">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "Target features, LLVM style: +avx512vnni,-avxvnni,...">,
    Option<"l2CacheKiB", "l2-cache-kib", "int64_t", /*default=*/"0",
           "L2 cache per core in KiB (0: the host's for native, else 1024)">,
  ];
  let dependentDialects = [
    "::mlir::DLTIDialect",
    "::mlir::LLVM::LLVMDialect",
  ];
}

def TrilmFinalizeCPUModule
    : Pass<"trilm-finalize-cpu-module", "::mlir::ModuleOp"> {
  let summary = "Drop what only the CPU strategy reads from a lowered module";
  let description = [{
    The last step of the CPU lowering: removes the DLTI target system spec
    (the cache sizes the kernel selection read), so that the module holds
    only LLVM-dialect operations and attributes and any MLIR tool that
    knows the LLVM dialect (mlir-runner, mlir-translate) reads it.
    `llvm.target` stays: code generation reads the triple, CPU and features
    from it.
  }];
}

#endif // TRILM_TARGET_CPU_PASSES_TD
