//===- InitAllPasses.h - Register the Celeris passes ------------*- C++ -*-===//
//
// One entry point for tools and embedding compilers to register every
// Celeris pass and pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_INITALLPASSES_H
#define CELERIS_INITALLPASSES_H

#include "celeris/Conversion/Passes.h"
#include "celeris/Dialect/Celeris/Transforms/Passes.h"
#include "celeris/Pipelines/Pipelines.h"

namespace mlir::celeris {
inline void registerAllPasses() {
  registerCelerisPasses();
  registerCelerisConversionPasses();
  registerCelerisPipelines();
}
} // namespace mlir::celeris

#endif // CELERIS_INITALLPASSES_H
