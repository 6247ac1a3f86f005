//===- trilm-opt.cpp - trilm's optimizer driver ---------------------------===//
//
// Part of trilm: an MLIR compiler for ternary language models.
//
// Like mlir-opt: every upstream dialect and pass plus trilm's.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "trilm/InitAllTrilm.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  trilm::registerAllPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // GPU kernels are serialised (to PTX, cubin) through LLVM IR in process.
  mlir::registerAllToLLVMIRTranslations(registry);
  trilm::registerAllDialects(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "trilm optimizer driver: MLIR passes for ternary models\n",
      registry));
}
