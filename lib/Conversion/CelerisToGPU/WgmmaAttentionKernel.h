//===- WgmmaAttentionKernel.h - The sm_90a attention kernel -----*- C++ -*-===//
//
// The body of the attention kernel on Hopper's warpgroup tensor cores, for
// buildAttentionKernel (which creates the gpu.func and its launch
// attributes).
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_WGMMAATTENTIONKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_WGMMAATTENTIONKERNEL_H

#include "celeris/Conversion/CelerisToGPU/AttentionKernelBuilder.h"

namespace mlir::celeris {

/// Fills the empty entry block of `kernel` (arguments q, k, v, out[, lse])
/// with the wgmma attention of `spec` (spec.config.tensorCores is Wgmma).
void emitWgmmaAttentionKernelBody(gpu::GPUFuncOp kernel,
                                  const AttentionKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_WGMMAATTENTIONKERNEL_H
