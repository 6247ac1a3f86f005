//===- FuzzModelIR.cpp - Fuzz target: model IR ----------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Any text as MLIR with the trilm dialects and the upstream ones that model
// IR uses (func, arith, tensor) registered: parsed and verified, it gets
// diagnostics or a valid module, never a crash. The parsers and verifiers
// of the llm, ternary and ternary_cpu ops are what this exercises; the other
// upstream dialects stay out, so that findings are trilm's.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Parser/Parser.h"
#include "trilm/InitAllTrilm.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const mlir::DialectRegistry *registry = [] {
    auto *result = new mlir::DialectRegistry();
    result->insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                   mlir::tensor::TensorDialect>();
    trilm::registerAllDialects(*result);
    return result;
  }();
  mlir::MLIRContext context(*registry, mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected answer to most inputs.
  mlir::ScopedDiagnosticHandler silence(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // NUL-terminated, as every file and string the tools parse: MLIR's lexer
  // reads the terminator.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  return 0;
}
