//===- CelerisToGPU.h - GPU kernels from Celeris functions ------*- C++ -*-===//
//
// The GPU lowering of Celeris: functions of model IR become kernels of a
// gpu.module, for compilers that embed it without the pass.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H
#define CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H

#include "celeris/Conversion/CelerisToGPU/AttentionKernelBuilder.h"
#include "celeris/Conversion/CelerisToGPU/AttentionKernelConfig.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::celeris {

/// Whether `func` holds a Celeris op anywhere, i.e. is for the GPU lowering.
bool hasCelerisOps(func::FuncOp func);

/// Replaces `func`, which must consist of exactly one celeris.attention of
/// its arguments and the return of its results, by the kernel of the same
/// name in `kernels`: arguments q, k, v, out and lse (when the op returns
/// it), schedule from the cost model of `chip` and `overrides`. Everything
/// else (other ops, unsupported attention forms, bad schedules) is reported
/// at the offending op and fails, leaving `func` in place.
LogicalResult
lowerAttentionFunctionToGPU(func::FuncOp func, gpu::GPUModuleOp kernels,
                            const NvidiaChip &chip,
                            const AttentionKernelOverrides &overrides);

/// Lowers every function of `module` that holds a Celeris op into a kernel
/// of `gpu.module @kernels` (created if needed; the module becomes a
/// gpu.container_module). Functions without Celeris ops are left alone.
/// Fails after reporting every function it cannot lower.
LogicalResult
lowerCelerisFunctionsToGPU(ModuleOp module, StringRef chip,
                           const AttentionKernelOverrides &overrides);

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H
