//===- AttentionKernelBuilder.h - The mma.sync attention kernel -*- C++ -*-===//
//
// Emits the FlashAttention-2 forward kernel for NVIDIA tensor cores
// (cp.async, ldmatrix, mma.sync m16n8k16) as a gpu.func, specialised at
// compile time for head dim, element type, mask, scale and schedule.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELBUILDER_H
#define CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELBUILDER_H

#include "celeris/Conversion/CelerisToGPU/AttentionKernelConfig.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::celeris {

/// What one attention kernel computes and how it is scheduled.
struct AttentionKernelSpec {
  /// Head dim of q, k and v: 64 or 128.
  int64_t headDim = 128;
  /// bf16 or f16 (q, k, v and out).
  Type elementType;
  /// Bottom-right aligned causal mask (key j allowed for query row i iff
  /// j <= i + Sk - Sq); otherwise every key is allowed.
  bool causal = false;
  /// Softmax scale times log2(e): the kernel exponentiates in base 2.
  float scaleLog2e = 0;
  /// Whether the kernel takes and writes lse[B, Hq, Sq] (natural log).
  bool storeLse = true;
  AttentionKernelConfig config;
};

/// Adds to `module` the kernel `name` computing attention as `spec` says,
/// with the arguments q, k, v: memref<?x?x?xDxT> ([B, H, S, D], dense
/// row-major), out: memref<?x?x?xDxT> and, with spec.storeLse, lse:
/// memref<?x?x?xf32>. The kernel carries its launch geometry
/// (`celeris.launch`, grid ceildiv(Sq, queryTile) x Hq x B) and argument
/// names (`celeris.arg_names`). The device functions it calls are added to
/// `module` once. Fails, with an error at `loc`, when `module` already has a
/// symbol of one of those names that is not the expected function.
FailureOr<gpu::GPUFuncOp> buildAttentionKernel(gpu::GPUModuleOp module,
                                               StringRef name, Location loc,
                                               const AttentionKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_CELERISTOGPU_ATTENTIONKERNELBUILDER_H
