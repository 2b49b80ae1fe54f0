//===- PtxInstructions.h - PTX that no MLIR 22 op expresses -----*- C++ -*-===//
//
// Every inline PTX string of Celeris lives in PtxInstructions.cpp, one
// helper per instruction, each with a lit test
// (test/GPU/ptx-instructions.mlir). Everything else the kernels need is an
// upstream gpu/nvgpu/nvvm op.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_PTXINSTRUCTIONS_H
#define CELERIS_GPU_PTXINSTRUCTIONS_H

#include "celeris/GPU/KernelBuilder.h"

namespace mlir::celeris::ptx {

/// `wgmma.mma_async.sync.aligned.m64n<N>k16.f32.<t>.<t>` with the A operand
/// in registers (four b32 registers of packed pairs, the accumulator-row
/// layout) and B from shared memory through `bDescriptor`;
/// `nvvm.wgmma.mma_async` only takes A from shared memory. `accumulators`
/// are the N/2 f32 values of D (D = A B when `accumulate` is false);
/// `transposeB` reads B MN-major. Returns the new accumulators, valid after
/// the matching `wgmma.wait_group`.
SmallVector<Value> wgmmaRegisterA(KernelBuilder &b, Type elementType,
                                  ArrayRef<Value> accumulators,
                                  ArrayRef<Value> aRegisters, Value bDescriptor,
                                  bool accumulate, bool transposeB);

/// Passes f32 `values` through an empty volatile asm. A wgmma result is
/// written asynchronously: no use of it may be scheduled above the
/// `wgmma.wait_group` that makes it valid, and LLVM sees no dependence
/// between the two. The asm after the wait is that dependence.
SmallVector<Value> fenceRegisters(KernelBuilder &b, ArrayRef<Value> values);

/// `tanh.approx.f32` (sm_75+, about 2^-11 relative error): LLVM 22 has no
/// NVVM intrinsic for it.
Value tanhApprox(KernelBuilder &b, Value x);

} // namespace mlir::celeris::ptx

#endif // CELERIS_GPU_PTXINSTRUCTIONS_H
