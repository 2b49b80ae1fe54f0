//===- OperandPrologue.cpp - Elementwise math fused into operand loads ----===//

#include "OperandPrologue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace mlir::celeris;

/// Whether `op` is a constant whose value is one scalar: a scalar constant
/// or a splat tensor.
static bool isScalarConstant(Operation *op) {
  Attribute value;
  if (!matchPattern(op, m_Constant(&value)))
    return false;
  if (auto elements = dyn_cast<ElementsAttr>(value))
    return elements.isSplat();
  return isa<TypedAttr>(value);
}

/// Whether `op` is an elementwise arith or math op on tensors of `shape`
/// (its one result and every operand that is not a scalar constant).
static bool isElementwiseOnShape(Operation *op, ArrayRef<int64_t> shape) {
  if (!isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) ||
      !op->hasTrait<OpTrait::Elementwise>() || op->getNumResults() != 1 ||
      op->getNumRegions() != 0)
    return false;
  auto hasShape = [&](Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    return type && type.getShape() == shape;
  };
  if (!hasShape(op->getResult(0)))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    Operation *producer = operand.getDefiningOp();
    return hasShape(operand) || (producer && isScalarConstant(producer));
  });
}

FailureOr<OperandPrologue>
OperandPrologue::trace(Value operand, StringRef role,
                       function_ref<InFlightDiagnostic(Location)> emitError) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(operand.getType()).getShape();
  BlockArgument argument;
  SmallVector<Operation *> ops;
  DenseSet<Operation *> visited;
  // Post-order over the producers: every op after the ops it reads.
  std::function<LogicalResult(Value)> visit =
      [&](Value value) -> LogicalResult {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (argument && argument != arg)
        return emitError(operand.getLoc())
               << "the " << role << " is computed from two arguments (#"
               << argument.getArgNumber() << " and #" << arg.getArgNumber()
               << "); the kernel reads it from one";
      argument = arg;
      return success();
    }
    Operation *op = value.getDefiningOp();
    if (!visited.insert(op).second)
      return success();
    if (isScalarConstant(op)) {
      ops.push_back(op);
      return success();
    }
    if (auto splat = dyn_cast<tensor::SplatOp>(op)) {
      Operation *scalar = splat.getInput().getDefiningOp();
      if (!scalar || !isScalarConstant(scalar))
        return emitError(op->getLoc())
               << "the " << role
               << " splats a value that is not a constant; the kernel has "
                  "no place for it";
      if (visited.insert(scalar).second)
        ops.push_back(scalar);
      ops.push_back(op);
      return success();
    }
    if (!isElementwiseOnShape(op, shape))
      return emitError(op->getLoc())
             << "the " << role << " is computed by '" << op->getName()
             << "', which the kernel cannot apply as it loads the " << role
             << ": only elementwise arith and math ops on tensors of its "
                "shape and splat constants can be";
    for (Value input : op->getOperands())
      if (failed(visit(input)))
        return failure();
    ops.push_back(op);
    return success();
  };
  if (failed(visit(operand)))
    return failure();
  if (!argument)
    return emitError(operand.getLoc())
           << "the " << role
           << " is a constant; pass it as an argument of the function";
  return OperandPrologue(argument, std::move(ops));
}

Value OperandPrologue::loadElement(OpBuilder &b, Location loc, Value source,
                                   ValueRange indices) const {
  IRMapping scalars;
  scalars.map(argument, memref::LoadOp::create(b, loc, source, indices));
  for (Operation *op : ops) {
    Value result = op->getResult(0);
    Attribute value;
    if (matchPattern(op, m_Constant(&value))) {
      if (auto elements = dyn_cast<ElementsAttr>(value))
        value = elements.getSplatValue<Attribute>();
      scalars.map(result, arith::ConstantOp::create(
                              b, loc, cast<TypedAttr>(value).getType(),
                              cast<TypedAttr>(value)));
      continue;
    }
    if (auto splat = dyn_cast<tensor::SplatOp>(op)) {
      scalars.map(result, scalars.lookup(splat.getInput()));
      continue;
    }
    // The function's op's location: a diagnostic about the scalar op (a
    // math op with no expansion) points at it.
    OperationState state(op->getLoc(), op->getName());
    for (Value input : op->getOperands())
      state.addOperands(scalars.lookup(input));
    state.addTypes(getElementTypeOrSelf(result.getType()));
    state.addAttributes(op->getAttrs());
    scalars.map(result, b.create(state)->getResult(0));
  }
  return ops.empty() ? scalars.lookup(Value(argument))
                     : scalars.lookup(ops.back()->getResult(0));
}

namespace {
/// An f32 math op NVPTX has an instruction for, as its NVVM intrinsic (the
/// NVVM lowering would call libdevice for the math op and for its LLVM
/// intrinsic alike).
template <typename MathOp>
struct MathToNVVMIntrinsic : OpRewritePattern<MathOp> {
  MathToNVVMIntrinsic(MLIRContext *ctx, StringRef intrinsic)
      : OpRewritePattern<MathOp>(ctx), intrinsic(intrinsic) {}
  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32())
      return failure();
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr(intrinsic), op->getOperands());
    return success();
  }
  StringRef intrinsic;
};

/// |x| = maximum(x, -x): NaN stays NaN and -0 becomes +0, as fabs does.
struct AbsToMaximum : OpRewritePattern<math::AbsFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::AbsFOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getOperand();
    rewriter.replaceOpWithNewOp<arith::MaximumFOp>(
        op, x, arith::NegFOp::create(rewriter, op.getLoc(), x));
    return success();
  }
};
} // namespace

LogicalResult mlir::celeris::expandPrologueMath(Operation *module) {
  RewritePatternSet patterns(module->getContext());
  auto every = [](StringRef) { return true; };
  // bf16/f16 math through f32, f32 math by polynomials, what those leave
  // into arith, and the ops NVPTX has instructions for into intrinsics.
  populateMathF32ExpansionPatterns(patterns, every);
  populateMathPolynomialApproximationPatterns(patterns, every);
  math::populateExpansionPatterns(patterns);
  MLIRContext *ctx = module->getContext();
  patterns.add<MathToNVVMIntrinsic<math::FloorOp>>(ctx, "llvm.nvvm.floor.f");
  patterns.add<MathToNVVMIntrinsic<math::CeilOp>>(ctx, "llvm.nvvm.ceil.f");
  patterns.add<MathToNVVMIntrinsic<math::SqrtOp>>(ctx, "llvm.nvvm.sqrt.rn.f");
  patterns.add<MathToNVVMIntrinsic<math::FmaOp>>(ctx, "llvm.nvvm.fma.rn.f");
  patterns.add<MathToNVVMIntrinsic<math::TruncOp>>(ctx, "llvm.nvvm.trunc.f");
  patterns.add<AbsToMaximum>(ctx);
  if (failed(applyPatternsGreedily(module, std::move(patterns))))
    return module->emitError("GPU lowering: the expansion of math ops into "
                             "arith did not converge");
  WalkResult result = module->walk([](Operation *op) {
    if (!isa<math::MathDialect>(op->getDialect()))
      return WalkResult::advance();
    op->emitError() << "GPU lowering: '" << op->getName()
                    << "' in an operand's elementwise math has no expansion "
                       "for the GPU (exp, log, log1p, tanh, erf, sin, cos "
                       "and the like have)";
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}
