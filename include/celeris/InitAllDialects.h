//===- InitAllDialects.h - Register the Celeris dialects --------*- C++ -*-===//
//
// One entry point for tools and embedding compilers to register every
// dialect Celeris defines.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_INITALLDIALECTS_H
#define CELERIS_INITALLDIALECTS_H

#include "celeris/Dialect/Celeris/IR/CelerisDialect.h"
#include "mlir/IR/DialectRegistry.h"

namespace mlir::celeris {
inline void registerAllDialects(DialectRegistry &registry) {
  registry.insert<CelerisDialect>();
}
} // namespace mlir::celeris

#endif // CELERIS_INITALLDIALECTS_H
