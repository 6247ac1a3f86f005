//===- CPUTarget.h - CPU target descriptions and code emission --*- C++ -*-===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
//===----------------------------------------------------------------------===//

#ifndef TRILM_TARGET_CPU_CPUTARGET_H
#define TRILM_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "trilm/Dialect/TernaryCPU/IR/TernaryCPU.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
class Module;
class LLVMContext;
} // namespace llvm

namespace trilm::cpu {

/// What the CPU code generator needs to know about a target, derived from an
/// LLVM triple, CPU name and feature string.
struct CPUTarget {
  std::string triple;
  std::string cpu;
  std::string features;
  /// The int8 dot-product instructions the target has.
  ternary_cpu::Int8DotKind int8Dot = ternary_cpu::Int8DotKind::generic;
  /// The in-vector table lookups the target has (AVX-512 VBMI's vpermb,
  /// with vpermw).
  ternary_cpu::ByteLookupKind byteLookup = ternary_cpu::ByteLookupKind::generic;
  /// Output rows per tile: enough independent accumulators to hide the
  /// latency of the dot-product instruction.
  int64_t rowsPerTile = 4;
  /// L2 cache per core, which sizes the cache blocks: the host's for
  /// `native`, else a typical server core's.
  int64_t l2CacheBytes = int64_t(1) << 20;

  /// Whether int8 matmuls of 1.6-bit weights take the lookup-table kernels
  /// by default: where words and bytes are looked up by vpermw and vpermb
  /// (AVX-512 VBMI) and the panel kernel has vpdpbusd (AVX-512 VNNI).
  bool prefersLookupTables() const {
    return byteLookup == ternary_cpu::ByteLookupKind::avx512_vbmi &&
           int8Dot == ternary_cpu::Int8DotKind::avx512_vnni;
  }

  /// Validates the triple, CPU and features against LLVM's target registry.
  /// `cpu` may be "native" (the host CPU and its features); an empty triple
  /// is the host's. Fails with one line naming what is unknown.
  static llvm::Expected<CPUTarget> get(llvm::StringRef triple,
                                       llvm::StringRef cpu,
                                       llvm::StringRef features);

  /// The host: its triple, CPU and features.
  static llvm::Expected<CPUTarget> host();

  /// The target `module` records (see attachTo), validated like get().
  static llvm::Expected<CPUTarget> of(mlir::ModuleOp module);

  /// Records this target on `module`: `llvm.target` (#llvm.target<triple,
  /// chip, features>) and the L2 size in its DLTI target system spec.
  void attachTo(mlir::ModuleOp module) const;

  llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
  createTargetMachine() const;
};

/// Registers the LLVM targets trilm can compile for (idempotent).
void initializeLLVMTargets();

/// Translates a module in the LLVM dialect to LLVM IR for `target`, optimised
/// at -O`optLevel`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(mlir::ModuleOp module, const CPUTarget &target,
                  llvm::LLVMContext &context, unsigned optLevel = 3);

/// Translates, optimises and writes an ELF object file, in process.
llvm::Error emitObjectFile(mlir::ModuleOp module, const CPUTarget &target,
                           llvm::raw_pwrite_stream &os, unsigned optLevel = 3);

/// Writes a relocatable ELF object for `target` whose read-only section holds
/// the bytes of the file `dataPath` under the global symbol `symbol`, aligned
/// to `alignment`. The data is streamed, never held in memory whole.
llvm::Error emitDataObject(const CPUTarget &target, llvm::StringRef symbol,
                           llvm::StringRef dataPath, uint64_t alignment,
                           llvm::raw_ostream &os);

} // namespace trilm::cpu

#endif // TRILM_TARGET_CPU_CPUTARGET_H
