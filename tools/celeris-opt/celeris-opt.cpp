//===- celeris-opt.cpp - The Celeris optimizer driver -----------*- C++ -*-===//
//
// mlir-opt with every upstream dialect, pass, extension and LLVM IR
// translation interface, plus the Celeris dialect and passes.
//
//===----------------------------------------------------------------------===//

#include "celeris/InitAllDialects.h"
#include "celeris/InitAllPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

namespace mlir::celeris::test {
void registerTestKernelBlocksPass();
} // namespace mlir::celeris::test

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::celeris::registerAllPasses();
  mlir::celeris::test::registerTestKernelBlocksPass();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::celeris::registerAllDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Celeris optimizer driver\n", registry));
}
