//===- OperandPrologue.h - Elementwise math fused into operand loads -*- C++
//-*-===//
//
// Model IR computes small operands in the function itself: gates go through
// log-sigmoid, write strengths through sigmoid, Mamba's A is -exp(A_log). A
// kernel that reads such an operand element by element applies that math
// as it loads each element, so the computed tensor never exists in memory
// and the function stays one kernel. Internal to the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_OPERANDPROLOGUE_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_OPERANDPROLOGUE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

namespace mlir::celeris {

/// How an operand of a kernel's op follows from one argument of its
/// function: through elementwise arith and math ops on tensors of the
/// operand's shape, with splat constants as their other operands.
class OperandPrologue {
public:
  /// Traces `operand`, a value of a function's only block, back to the
  /// function argument it is computed from.
  /// An op that is not elementwise, a shape that differs from the
  /// operand's, no argument or two of them is an error from `emitError`
  /// (at the offending op when there is one) naming `role`.
  static FailureOr<OperandPrologue>
  trace(Value operand, StringRef role,
        function_ref<InFlightDiagnostic(Location)> emitError);

  BlockArgument getArgument() const { return argument; }
  /// The ops from the argument to the operand in program order (constants
  /// included); empty when the operand is the argument.
  ArrayRef<Operation *> getOps() const { return ops; }

  /// The operand's element at `indices`: the argument's, loaded from
  /// `source` (the kernel argument holding it), through the ops on
  /// scalars.
  Value loadElement(OpBuilder &b, Location loc, Value source,
                    ValueRange indices) const;

private:
  OperandPrologue(BlockArgument argument, SmallVector<Operation *> ops)
      : argument(argument), ops(std::move(ops)) {}

  BlockArgument argument;
  SmallVector<Operation *> ops;
};

/// Rewrites the math ops prologues put into the kernels of `module` (exp,
/// log1p, tanh, erf, ...) into arith ops by MLIR's polynomial
/// approximations, so the kernels need no libdevice (which the NVVM target
/// links only when it finds the CUDA toolkit). A math op with no expansion
/// is an error at the op it came from.
LogicalResult expandPrologueMath(Operation *module);

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_OPERANDPROLOGUE_H
