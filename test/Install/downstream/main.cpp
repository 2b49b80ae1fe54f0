// A downstream tool: registers the Celeris dialect and passes, parses an
// attention op, runs the mask simplification pipeline and prints the result.
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"
#include "celeris/InitAllDialects.h"
#include "celeris/InitAllPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

static const char *kInput = R"mlir(
func.func @f(%q: tensor<1x2x64x32xbf16>) -> tensor<1x2x64x32xbf16> {
  %o = celeris.attention %q, %q, %q mask <intersect(causal, window<left = 999, right = 0>)>
      : tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16> -> tensor<1x2x64x32xbf16>
  return %o : tensor<1x2x64x32xbf16>
}
)mlir";

int main() {
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect>();
  mlir::celeris::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kInput, &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  pm.addPass(mlir::celeris::createCelerisSimplifyMasks());
  if (mlir::failed(pm.run(*module)))
    return 1;
  int attentionOps = 0;
  module->walk([&](mlir::celeris::AttentionOp op) {
    ++attentionOps;
    llvm::outs() << "mask: " << mlir::Attribute(op.getMask()) << "\n";
  });
  return attentionOps == 1 ? 0 : 1;
}
