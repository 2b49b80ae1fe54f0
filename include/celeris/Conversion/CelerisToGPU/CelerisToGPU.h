//===- CelerisToGPU.h - GPU kernels from Celeris functions ------*- C++ -*-===//
//
// The GPU lowering of Celeris: the schedule selection and the lowering of
// functions of model IR to kernels of a gpu.module, for compilers that
// embed them without the passes.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H
#define CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H

#include "celeris/Conversion/CelerisToGPU/GPUCostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::celeris {

class AttentionOp;
class RecurrenceOp;

/// The longest query (rows per sequence) the decode family takes.
constexpr int64_t kMaxDecodeQueryLength = 16;

/// The kernel family of `op`: attention_decode when its query length is
/// static and at most kMaxDecodeQueryLength (decode steps, speculative
/// decoding) and it has no segment ids, varlen offsets or block layout;
/// attention_prefill otherwise.
KernelFamily chooseAttentionFamily(AttentionOp op);

/// The kernel family of `op`: recurrence_step for the decode steps it runs
/// (a static length of 1), recurrence_chunk for the forms the chunked kernel
/// runs, recurrence_sequential (token by token) for the others.
KernelFamily chooseRecurrenceFamily(RecurrenceOp op);

/// Whether `func` holds a Celeris op anywhere, i.e. is for the GPU lowering.
bool hasCelerisOps(func::FuncOp func);

/// Records a #celeris.gpu_schedule on every celeris.attention and
/// celeris.recurrence of `module`
/// (see celeris-select-gpu-schedule). Fails after reporting every op whose
/// schedule cannot run on `chip`.
LogicalResult selectGPUSchedules(ModuleOp module, StringRef chip,
                                 const GPUScheduleOverrides &overrides);

/// Replaces `func`, which must consist of exactly one celeris.attention or
/// celeris.recurrence of its arguments and the return of its results, by
/// the kernel of the same name in `kernels`, built as the op's
/// celeris.gpu_schedule says. Everything else (other ops, forms the kernel
/// does not implement, a missing or unrunnable schedule) is reported at the
/// offending op and fails, leaving `func` in place.
LogicalResult lowerFunctionToGPU(func::FuncOp func, gpu::GPUModuleOp kernels,
                                 const NvidiaChip &chip);

/// The unit attribute celeris-outline-kernels puts on a function it turned
/// into a program: calls of functions of one Celeris op each, and a return.
constexpr StringLiteral kProgramAttrName = "celeris.program";

/// Whether `op` is a linalg op that becomes a `loop_nest` kernel of a
/// program (any but a fill, which starts another's output).
bool isLoopNestOp(Operation *op);

/// Whether `func` is called by a program: its one op becomes a kernel even
/// when it is a linalg op (the loop_nest family).
bool isProgramCallee(func::FuncOp func);

/// Splits every function of `module` that holds several Celeris ops into a
/// function per op and a program calling them (see
/// celeris-outline-kernels). Fails after reporting every op that feeds no
/// Celeris op.
LogicalResult outlineKernelFunctions(ModuleOp module);

/// Lowers every function of `module` that holds a Celeris op into a kernel
/// of `gpu.module @kernels` (created if needed; the module becomes a
/// gpu.container_module). Functions without Celeris ops are left alone.
/// Fails after reporting every function it cannot lower.
LogicalResult lowerCelerisFunctionsToGPU(ModuleOp module, StringRef chip);

} // namespace mlir::celeris

#endif // CELERIS_CONVERSION_CELERISTOGPU_CELERISTOGPU_H
