//===- celeris-plugin.cpp - Celeris as an mlir-opt plugin -------*- C++ -*-===//
//
// Entry points for `mlir-opt --load-dialect-plugin=CelerisPlugin.so` (the
// dialect) and `--load-pass-plugin=CelerisPlugin.so` (the passes).
//
//===----------------------------------------------------------------------===//

#include "celeris/InitAllDialects.h"
#include "celeris/InitAllPasses.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Celeris", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::celeris::registerAllDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "Celeris", LLVM_VERSION_STRING,
          []() { mlir::celeris::registerAllPasses(); }};
}
