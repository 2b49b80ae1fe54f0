//===- LoopNestKernel.cpp - The loop_nest kernel family ---------*- C++ -*-===//
//
// A linalg op of a program (the router's logits, SwiGLU's silu(g)·u, a
// residual add, a row reduction) on the CUDA cores: a thread per point of
// the op's parallel iteration space (the first output's innermost dimension
// fastest, so its stores coalesce), the reduction dimensions looped inside
// the thread in order, the payload evaluated on scalars loaded through the
// indexing maps. Deterministic: every output element is one thread's
// sequential result. It runs any payload of arith/math ops; it is the
// kernel of the ops no specialised family covers, not a fast one.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kThreads = 256;

/// How an output starts: as a function argument's values, a constant, or
/// not at all (a payload that does not read it).
struct OutputInit {
  /// The kernel argument holding the initial values, or -1.
  int argument = -1;
  /// The fill value, when it is a constant.
  TypedAttr constant;
};

/// Where the extent of each loop dimension of `op` is read: an operand and
/// one of its dimensions that the indexing maps give as that loop
/// dimension alone.
FailureOr<SmallVector<std::pair<unsigned, unsigned>>>
findLoopExtents(linalg::LinalgOp op) {
  SmallVector<std::pair<unsigned, unsigned>> sources(op.getNumLoops(),
                                                     {~0u, 0});
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [position, expr] : llvm::enumerate(map.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(expr);
          dim && sources[dim.getPosition()].first == ~0u)
        sources[dim.getPosition()] = {operand.getOperandNumber(),
                                      static_cast<unsigned>(position)};
  }
  if (llvm::any_of(sources, [](auto s) { return s.first == ~0u; }))
    return op->emitError() << "GPU loop nest: every loop dimension must be "
                              "a dimension of some operand";
  return sources;
}

} // namespace

LogicalResult
mlir::celeris::lowerLinalgFunctionToGPU(func::FuncOp func, linalg::LinalgOp op,
                                        gpu::GPUModuleOp kernels) {
  StringRef what = "GPU loop nest";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::LoopNest);
  if (failed(schedule))
    return failure();
  Block &block = func.getBody().front();
  auto isArgument = [&](Value value) {
    auto arg = dyn_cast<BlockArgument>(value);
    return arg && arg.getOwner() == &block;
  };
  if (!op.hasPureTensorSemantics())
    return op->emitError() << what << ": the op must be on tensors";
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!isa<ShapedType>(input->get().getType()))
      return op->emitError() << what << ": input #" << input->getOperandNumber()
                             << " is a scalar; the kernel reads tensors";
    if (!isArgument(input->get()))
      return op->emitError()
             << what << ": input #" << input->getOperandNumber()
             << " is not an argument of @" << func.getSymName()
             << "; the kernel reads its operands from its arguments";
  }

  // Each output's start: an argument, a constant fill of an empty tensor,
  // or an empty tensor the payload does not read.
  SmallVector<OutputInit> inits;
  SmallVector<Value> initArguments;
  for (OpOperand &init : op.getDpsInitsMutable()) {
    OutputInit start;
    Value value = init.get();
    bool read = op.payloadUsesValueFromOperand(&init);
    if (isArgument(value)) {
      start.argument =
          static_cast<int>(op.getNumDpsInputs() + initArguments.size());
      initArguments.push_back(value);
    } else if (auto splat = value.getDefiningOp<arith::ConstantOp>()) {
      auto elements = dyn_cast<SplatElementsAttr>(splat.getValue());
      if (!elements)
        return splat->emitError()
               << what << ": an output starting as a constant must be a splat";
      start.constant = elements.getSplatValue<TypedAttr>();
    } else if (auto fill = value.getDefiningOp<linalg::FillOp>()) {
      auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
      if (!constant || !fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() ||
          constant.getType() != getElementTypeOrSelf(value.getType()))
        return fill->emitError()
               << what
               << ": an output starts as a fill of a constant into "
                  "tensor.empty, an argument, or tensor.empty";
      start.constant = constant.getValue();
    } else if (!value.getDefiningOp<tensor::EmptyOp>() || read) {
      return op->emitError()
             << what << ": output #" << init.getOperandNumber()
             << " must start as an argument, a splat constant, a constant "
                "fill of tensor.empty, or (when the payload does not read it) "
                "tensor.empty";
    }
    inits.push_back(start);
  }
  // Nothing else: the inits' producers and the op, returned in order.
  for (Operation &other : block.without_terminator()) {
    // The extents come from the arguments at launch: the index math that
    // sizes an empty output is not needed.
    bool sizeMath =
        isPure(&other) && llvm::none_of(other.getResultTypes(), [](Type type) {
          return isa<ShapedType>(type);
        });
    if (&other == op.getOperation() || sizeMath ||
        isa<tensor::EmptyOp, tensor::DimOp, linalg::FillOp, arith::ConstantOp>(
            other))
      continue;
    return other.emitError()
           << what << ": @" << func.getSymName() << " holds '"
           << other.getName() << "' besides one " << op->getName()
           << "; only a function made of one linalg op (with its outputs' "
              "fills) and the return of its results becomes a kernel";
  }
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  if (!llvm::equal(ret.getOperands(), op->getResults()))
    return ret.emitError() << what << ": @" << func.getSymName()
                           << " must return the results of its "
                           << op->getName() << " directly, in order";
  // The payload: scalar ops, and values from above that are constants.
  Block *payload = op.getBlock();
  for (Operation &inner : payload->without_terminator()) {
    if (inner.getNumRegions() || isa<linalg::LinalgOp>(inner))
      return inner.emitError()
             << what << ": the payload holds '" << inner.getName()
             << "', which the kernel cannot run per element";
    for (Value operand : inner.getOperands())
      if (operand.getParentBlock() != payload &&
          !operand.getDefiningOp<arith::ConstantOp>())
        return inner.emitError()
               << what
               << ": the payload reads a value from outside the op "
                  "that is not a constant";
  }
  FailureOr<SmallVector<std::pair<unsigned, unsigned>>> extents =
      findLoopExtents(op);
  if (failed(extents))
    return failure();
  SmallVector<int64_t> staticRanges = op.getStaticLoopRanges();
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    unsigned operand = (*extents)[d].first;
    if (ShapedType::isDynamic(staticRanges[d]) &&
        operand >= op.getNumDpsInputs() &&
        inits[operand - op.getNumDpsInputs()].argument < 0)
      return op->emitError()
             << what << ": loop dimension " << d
             << " is dynamic and no argument has it, so its extent is "
                "unknown at launch";
  }

  // Arguments: inputs, initial outputs, outputs.
  MLIRContext *ctx = func.getContext();
  SmallVector<Type> argTypes;
  SmallVector<std::string> names;
  SmallVector<Value> sources;
  bool matmul = isa<linalg::MatmulOp>(op);
  for (auto [i, input] : llvm::enumerate(op.getDpsInputs())) {
    argTypes.push_back(getKernelMemRefType(input));
    names.push_back(matmul ? (i ? "b" : "a") : "input" + std::to_string(i));
    sources.push_back(input);
  }
  for (auto [i, init] : llvm::enumerate(initArguments)) {
    argTypes.push_back(getKernelMemRefType(init));
    names.push_back("init" + std::to_string(i));
    sources.push_back(init);
  }
  for (auto [i, result] : llvm::enumerate(op->getResults())) {
    argTypes.push_back(getKernelMemRefType(result));
    names.push_back(op->getNumResults() == 1 ? "out"
                                             : "out" + std::to_string(i));
    sources.push_back(result);
  }
  SmallVector<StringRef> nameRefs(names.begin(), names.end());
  FailureOr<gpu::GPUFuncOp> created = createKernel(
      kernels, func.getSymName(), func.getLoc(), argTypes, nameRefs, *schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;

  // The launch: a thread per parallel point; each loop extent a size.
  // The operand whose dimension gives a loop's extent is a kernel argument
  // of the same index (inputs and argument inits come first, in order; an
  // init that is not an argument reads the output's own extent).
  auto argumentOf = [&](unsigned operand) -> unsigned {
    if (operand < op.getNumDpsInputs())
      return operand;
    unsigned output = operand - op.getNumDpsInputs();
    if (inits[output].argument >= 0)
      return inits[output].argument;
    return op.getNumDpsInputs() + initArguments.size() + output;
  };
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  NamedAttrList sizes;
  SmallVector<std::string> extentText(op.getNumLoops());
  std::string points;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    auto [operand, dim] = (*extents)[d];
    if (ShapedType::isDynamic(staticRanges[d])) {
      extentText[d] = "L" + std::to_string(d);
      sizes.append(extentText[d],
                   StringAttr::get(ctx, names[argumentOf(operand)] + "[" +
                                            std::to_string(dim) + "]"));
    } else {
      extentText[d] = std::to_string(staticRanges[d]);
    }
    if (iterators[d] == utils::IteratorType::parallel)
      points += (points.empty() ? "" : "*") + extentText[d];
  }
  if (points.empty())
    points = "1";
  Builder builder(ctx);
  NamedAttrList launch = getKernelLaunch(
      builder, {"ceildiv(" + points + "," + std::to_string(kThreads) + ")"},
      kThreads, /*sharedBytes=*/0);
  launch.append("sizes", sizes.getDictionary(ctx));
  NamedAttrList results;
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    SmallVector<std::string> shape;
    for (AffineExpr expr : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      auto [operand, dim] = (*extents)[d];
      shape.push_back(ShapedType::isDynamic(staticRanges[d])
                          ? names[argumentOf(operand)] + "[" +
                                std::to_string(dim) + "]"
                          : std::to_string(staticRanges[d]));
    }
    SmallVector<StringRef> refs(shape.begin(), shape.end());
    results.append(names[op.getNumDpsInputs() + initArguments.size() + i],
                   builder.getStrArrayAttr(refs));
  }
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));

  // The body.
  KernelBuilder b(kernel.getLoc(), ctx);
  b.setInsertionPointToStart(&kernel.getBody().front());
  unsigned firstOutput = op.getNumDpsInputs() + initArguments.size();
  SmallVector<Value> loopExtents;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    auto [operand, dim] = (*extents)[d];
    loopExtents.push_back(
        ShapedType::isDynamic(staticRanges[d])
            ? Value(memref::DimOp::create(
                  b, kernel.getArgument(argumentOf(operand)), dim))
            : b.idx(staticRanges[d]));
  }
  // The parallel dimensions, outermost first, in the first output's order.
  SmallVector<unsigned> parallel;
  AffineMap firstMap = op.getIndexingMapMatchingResult(op->getResult(0));
  for (AffineExpr expr : firstMap.getResults())
    parallel.push_back(cast<AffineDimExpr>(expr).getPosition());
  for (unsigned d = 0; d < op.getNumLoops(); ++d)
    if (iterators[d] == utils::IteratorType::parallel &&
        !llvm::is_contained(parallel, d))
      parallel.push_back(d);
  Value total = b.idx(1);
  for (unsigned d : parallel)
    total = b.mul(total, loopExtents[d]);
  Value point =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kThreads),
            gpu::ThreadIdOp::create(b, gpu::Dimension::x));
  b.ifThen(b.cmp(arith::CmpIPredicate::ult, point, total), [&] {
    SmallVector<Value> indices(op.getNumLoops());
    Value rest = point;
    for (unsigned d : llvm::reverse(parallel)) {
      indices[d] = arith::RemUIOp::create(b, rest, loopExtents[d]);
      rest = arith::DivUIOp::create(b, rest, loopExtents[d]);
    }
    auto at = [&](AffineMap map) {
      return affine::expandAffineMap(b, b.getLoc(), map, indices).value();
    };
    auto outputIndices = [&](unsigned output) {
      return at(op.getIndexingMapMatchingResult(op->getResult(output)));
    };
    // Accumulators start from the inits.
    SmallVector<Value> accumulators;
    for (auto [i, start] : llvm::enumerate(inits)) {
      Type type = getElementTypeOrSelf(op->getResult(i).getType());
      if (start.argument >= 0)
        accumulators.push_back(memref::LoadOp::create(
            b, kernel.getArgument(start.argument), outputIndices(i)));
      else if (start.constant)
        accumulators.push_back(
            arith::ConstantOp::create(b, type, start.constant));
      else // Not read by the payload.
        accumulators.push_back(arith::ConstantOp::create(
            b, type, cast<TypedAttr>(b.getZeroAttr(type))));
    }
    // One evaluation of the payload at `indices`.
    auto evaluate = [&](ValueRange current) {
      IRMapping mapping;
      for (OpOperand *input : op.getDpsInputOperands())
        mapping.map(payload->getArgument(input->getOperandNumber()),
                    memref::LoadOp::create(
                        b, kernel.getArgument(input->getOperandNumber()),
                        at(op.getMatchingIndexingMap(input))));
      for (auto [i, value] : llvm::enumerate(current))
        mapping.map(payload->getArgument(op.getNumDpsInputs() + i), value);
      for (Operation &inner : payload->without_terminator()) {
        for (Value operand : inner.getOperands())
          if (!mapping.contains(operand) && operand.getDefiningOp())
            b.clone(*operand.getDefiningOp(), mapping);
        if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
          mapping.map(index.getResult(), indices[index.getDim()]);
          continue;
        }
        b.clone(inner, mapping);
      }
      return llvm::map_to_vector(
          payload->getTerminator()->getOperands(),
          [&](Value v) { return mapping.lookupOrDefault(v); });
    };
    // The reduction loops, in order, inside the thread.
    std::function<SmallVector<Value>(unsigned, ValueRange)> loop =
        [&](unsigned d, ValueRange current) -> SmallVector<Value> {
      if (d == op.getNumLoops())
        return evaluate(current);
      if (iterators[d] == utils::IteratorType::parallel)
        return loop(d + 1, current);
      auto forOp = scf::ForOp::create(
          b, b.idx(0), loopExtents[d], b.idx(1), current,
          [&](OpBuilder &nested, Location, Value iv, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nested.getInsertionBlock(),
                                nested.getInsertionPoint());
            indices[d] = iv;
            scf::YieldOp::create(b, loop(d + 1, carried));
          });
      return SmallVector<Value>(forOp.getResults());
    };
    SmallVector<Value> values = loop(0, accumulators);
    for (auto [i, value] : llvm::enumerate(values))
      memref::StoreOp::create(b, value, kernel.getArgument(firstOutput + i),
                              outputIndices(i));
  });
  gpu::ReturnOp::create(b);
  replaceFunctionByKernel(func, kernels, sources);
  return success();
}
