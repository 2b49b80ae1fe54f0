//===- RecurrenceKernel.h - The chunkwise recurrence kernel ------*- C++
//-*-===//
//
// What the recurrence_chunk kernel needs to know about one
// celeris.recurrence, its shared memory, and its builder.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_RECURRENCEKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_RECURRENCEKERNEL_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include "OperandPrologue.h"

#include <optional>

namespace mlir::celeris {

/// A celeris.recurrence as the kernel sees it.
struct RecurrenceKernelSpec {
  GPUScheduleAttr schedule;
  /// Kernel argument types: memrefs with the function's static extents;
  /// decay, beta, initialState and finalState are null when absent. With a
  /// prologue, decay and beta have its argument's type.
  MemRefType query, key, value, decay, beta, initialState, output, finalState;
  /// The elementwise math the function applies to the argument the decay
  /// or beta comes from (empty: the argument is the operand); the kernels
  /// apply it as they load each element.
  std::optional<OperandPrologue> decayPrologue, betaPrologue;
  DecayKind decayKind = DecayKind::None;
  UpdateKind updateKind = UpdateKind::Additive;
  double scale = 1.0;

  int64_t getKeyDim() const { return query.getDimSize(3); }
  int64_t getValueDim() const { return value.getDimSize(3); }
  Type getElementType() const { return query.getElementType(); }
};

/// The arguments of a recurrence kernel (in the order of
/// buildRecurrenceKernel); the optional ones are null when absent.
struct RecurrenceKernelArgs {
  Value q, k, v, decay, beta, initialState, out, finalState;
  RecurrenceKernelArgs(gpu::GPUFuncOp kernel, const RecurrenceKernelSpec &spec);

  /// The decay and beta at `indices`, through the function's elementwise
  /// math when it computes them, as f32.
  Value loadDecay(OpBuilder &b, Location loc, ValueRange indices) const;
  Value loadBeta(OpBuilder &b, Location loc, ValueRange indices) const;

private:
  const RecurrenceKernelSpec &spec;
};

/// Bytes of dynamic shared memory the kernel of `spec` reserves.
int64_t getRecurrenceSharedBytes(const RecurrenceKernelSpec &spec);

/// The bodies of the three families, into `kernel` (arguments in the order
/// of buildRecurrenceKernel).
void emitRecurrenceChunkKernel(gpu::GPUFuncOp kernel,
                               const RecurrenceKernelSpec &spec);
void emitRecurrenceStepKernel(gpu::GPUFuncOp kernel,
                              const RecurrenceKernelSpec &spec);
void emitRecurrenceSequentialKernel(gpu::GPUFuncOp kernel,
                                    const RecurrenceKernelSpec &spec);

/// Adds the kernel `name` computing `spec` to `module`, of the family its
/// schedule names. Arguments: q, k, v, decay, beta, initial_state (each
/// when present), out, final_state (when returned).
FailureOr<gpu::GPUFuncOp>
buildRecurrenceKernel(gpu::GPUModuleOp module, StringRef name, Location loc,
                      const RecurrenceKernelSpec &spec);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_RECURRENCEKERNEL_H
