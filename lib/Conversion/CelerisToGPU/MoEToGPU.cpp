//===- MoEToGPU.cpp - Mixture-of-experts functions to GPU kernels ---------===//
//
// Turns a function of model IR that is one celeris.route, celeris.dispatch,
// celeris.grouped_matmul or celeris.combine into its kernel (FunctionKernel.h
// says why functions). The operands are read as they are: each must be an
// argument of the function.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

using namespace mlir;
using namespace mlir::celeris;

/// Replaces `func` by its kernel when `build` made one; `values` as
/// replaceFunctionByKernel takes them.
static LogicalResult replaceByKernel(func::FuncOp func,
                                     gpu::GPUModuleOp kernels,
                                     FailureOr<gpu::GPUFuncOp> kernel,
                                     ArrayRef<Value> values) {
  if (failed(kernel))
    return failure();
  replaceFunctionByKernel(func, kernels, values);
  return success();
}

LogicalResult mlir::celeris::lowerGroupedMatmulFunctionToGPU(
    func::FuncOp func, GroupedMatmulOp op, gpu::GPUModuleOp kernels) {
  StringRef what = "GPU grouped matmul";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::GroupedGemm);
  if (failed(schedule))
    return failure();
  SmallVector<KernelInput> inputs = {
      {op.getX(), "x"}, {op.getW(), "w"}, {op.getOffsets(), "offsets"}};
  if (Value rows = op.getSourceRows())
    inputs.push_back({rows, "source_rows"});
  if (Value up = op.getWUp())
    inputs.push_back({up, "w_up"});
  if (failed(checkKernelFunction(func, op, what, inputs, "y")))
    return failure();
  auto x = cast<ShapedType>(op.getX().getType());
  if (!x.getElementType().isBF16() && !x.getElementType().isF16())
    return op->emitError() << what
                           << ": the grouped_gemm kernel multiplies bf16 or "
                              "f16 on the tensor cores, got "
                           << x.getElementType();
  int64_t depth = x.getDimSize(1);
  int64_t columns = cast<ShapedType>(op.getY().getType()).getDimSize(1);
  if (ShapedType::isDynamic(depth) || depth % 64 != 0 ||
      ShapedType::isDynamic(columns) || columns % 64 != 0)
    return op->emitError()
           << what << ": the kernel streams 64-deep slices of x and w and "
           << "tiles of 64 output columns: x's dim 1 (d) and y's dim 1 (f) "
              "must be static multiples of 64, got "
           << (ShapedType::isDynamic(depth) ? std::string("?")
                                            : std::to_string(depth))
           << " and "
           << (ShapedType::isDynamic(columns) ? std::string("?")
                                              : std::to_string(columns));
  GroupedGemmKernelSpec spec;
  spec.schedule = *schedule;
  spec.x = getKernelMemRefType(op.getX());
  spec.w = getKernelMemRefType(op.getW());
  spec.offsets = getKernelMemRefType(op.getOffsets());
  spec.y = getKernelMemRefType(op.getY());
  if (op.getSourceRows())
    spec.sourceRows = getKernelMemRefType(op.getSourceRows());
  if (op.getWUp()) {
    spec.wUp = getKernelMemRefType(op.getWUp());
    if (spec.schedule.getKvTile() < 128)
      return op->emitError()
             << what << ": the swiglu form splits a tile's kv_tile "
             << "accumulator columns into gate and up halves of whole "
                "64-column blocks: kv_tile must be 128 or 256, got "
             << spec.schedule.getKvTile();
  }
  return replaceByKernel(
      func, kernels,
      buildGroupedGemmKernel(kernels, func.getSymName(), func.getLoc(), spec),
      {op.getX(), op.getW(), op.getOffsets(), op.getSourceRows(), op.getWUp(),
       op.getY()});
}

/// The largest number of groups a warp ranks with unrolled compares.
static constexpr int64_t kMaxRoutedGroups = 32;

LogicalResult mlir::celeris::lowerRouteFunctionToGPU(func::FuncOp func,
                                                     RouteOp op,
                                                     gpu::GPUModuleOp kernels) {
  StringRef what = "GPU routing";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::MoeRoute);
  if (failed(schedule))
    return failure();
  SmallVector<KernelInput> inputs = {{op.getLogits(), "logits"}};
  if (Value bias = op.getBias())
    inputs.push_back({bias, "bias"});
  if (failed(checkKernelFunction(func, op, what, inputs,
                                 "weights, then the indices")))
    return failure();
  int64_t experts = cast<ShapedType>(op.getLogits().getType()).getDimSize(1);
  RouteKernelSpec spec;
  spec.schedule = *schedule;
  spec.logits = getKernelMemRefType(op.getLogits());
  if (op.getBias())
    spec.bias = getKernelMemRefType(op.getBias());
  spec.weights = getKernelMemRefType(op.getWeights());
  spec.experts = getKernelMemRefType(op.getIndices());
  spec.sigmoid = op.getScoreFunc() == ScoreFunc::Sigmoid;
  spec.scalingFactor = op.getScalingFactor().convertToDouble();
  if (op.getMode() == RoutingMode::ExpertChoice) {
    int64_t capacity = *op.getCapacity();
    if (ShapedType::isDynamic(experts))
      return op->emitError() << what << ": expert choice runs a CTA per "
                             << "expert: the expert count (logits' dim 1) "
                                "must be static";
    if (capacity > kMaxExpertChoiceCapacity)
      return op->emitError()
             << what << ": an expert's picks are sorted in shared memory: "
             << "the capacity must be at most " << kMaxExpertChoiceCapacity
             << ", got " << capacity;
    spec.capacity = capacity;
    return replaceByKernel(
        func, kernels,
        buildExpertChoiceKernel(kernels, func.getSymName(), func.getLoc(),
                                spec),
        {op.getLogits(), op.getBias(), op.getWeights(), op.getIndices()});
  }
  if (ShapedType::isDynamic(experts) || experts > kMaxRoutedExperts)
    return op->emitError() << what << ": a warp holds a token's scores in "
                           << "registers: the expert count (logits' dim 1) "
                              "must be static and at most "
                           << kMaxRoutedExperts << ", got "
                           << (ShapedType::isDynamic(experts)
                                   ? std::string("a dynamic one")
                                   : std::to_string(experts));
  if (op.getK() > kMaxRoutedTopK)
    return op->emitError() << what << ": the kernel picks at most "
                           << kMaxRoutedTopK
                           << " experts a token, got k = " << op.getK();
  if (std::optional<uint64_t> groups = op.getNumGroups()) {
    if (*groups > kMaxRoutedGroups)
      return op->emitError() << what << ": group-limited routing ranks at "
                             << "most " << kMaxRoutedGroups
                             << " groups on the GPU, got " << *groups;
    spec.numGroups = *groups;
    spec.topkGroups = *op.getTopkGroups();
  }
  spec.k = op.getK();
  spec.renormalize = op.getRenormalize();
  return replaceByKernel(
      func, kernels,
      buildRouteKernel(kernels, func.getSymName(), func.getLoc(), spec),
      {op.getLogits(), op.getBias(), op.getWeights(), op.getIndices()});
}

LogicalResult
mlir::celeris::lowerCombineFunctionToGPU(func::FuncOp func, CombineOp op,
                                         gpu::GPUModuleOp kernels) {
  StringRef what = "GPU combine";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::MoeCombine);
  if (failed(schedule))
    return failure();
  if (failed(checkKernelFunction(func, op, what,
                                 {{op.getY(), "expert outputs"},
                                  {op.getWeights(), "weights"},
                                  {op.getRowMap(), "row map"}},
                                 "out")))
    return failure();
  CombineKernelSpec spec;
  spec.schedule = *schedule;
  spec.y = getKernelMemRefType(op.getY());
  spec.weights = getKernelMemRefType(op.getWeights());
  spec.rowMap = getKernelMemRefType(op.getRowMap());
  spec.out = getKernelMemRefType(op.getOutput());
  return replaceByKernel(
      func, kernels,
      buildCombineKernel(kernels, func.getSymName(), func.getLoc(), spec),
      {op.getY(), op.getWeights(), op.getRowMap(), op.getOutput()});
}

/// The dispatch kernels count every expert per warp in shared memory.
static LogicalResult checkDispatchedExperts(Operation *op, StringRef what,
                                            int64_t experts) {
  if (experts <= kMaxRoutedExperts)
    return success();
  return op->emitError() << what << ": the kernels keep per-warp counts of "
                         << "every expert in shared memory: at most "
                         << kMaxRoutedExperts << " experts, got " << experts;
}

/// What celeris.dispatch and celeris.dispatch_map share: the assignments,
/// offsets, row map, expert count and capacity.
template <typename DispatchOpTy>
static DispatchKernelSpec getDispatchSpec(DispatchOpTy op,
                                          GPUScheduleAttr schedule) {
  DispatchKernelSpec spec;
  spec.schedule = schedule;
  spec.experts = getKernelMemRefType(op.getExperts());
  spec.offsets = getKernelMemRefType(op.getOffsets());
  spec.rowMap = getKernelMemRefType(op.getRowMap());
  spec.numExperts = op.getNumExperts();
  spec.capacity = op.getCapacity();
  return spec;
}

LogicalResult
mlir::celeris::lowerDispatchFunctionToGPU(func::FuncOp func, DispatchOp op,
                                          gpu::GPUModuleOp kernels) {
  StringRef what = "GPU dispatch";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::MoeDispatch);
  if (failed(schedule))
    return failure();
  if (failed(checkKernelFunction(
          func, op, what, {{op.getX(), "x"}, {op.getExperts(), "experts"}},
          "permuted, offsets, then row_map")))
    return failure();
  if (failed(checkDispatchedExperts(op, what, op.getNumExperts())))
    return failure();
  DispatchKernelSpec spec = getDispatchSpec(op, *schedule);
  spec.x = getKernelMemRefType(op.getX());
  spec.permuted = getKernelMemRefType(op.getPermuted());
  return replaceByKernel(
      func, kernels,
      buildDispatchKernel(kernels, func.getSymName(), func.getLoc(), spec),
      {op.getX(), op.getExperts(), op.getPermuted(), op.getOffsets(),
       op.getRowMap()});
}

LogicalResult mlir::celeris::lowerDispatchMapFunctionToGPU(
    func::FuncOp func, DispatchMapOp op, gpu::GPUModuleOp kernels) {
  StringRef what = "GPU dispatch map";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::MoeDispatch);
  if (failed(schedule))
    return failure();
  if (failed(checkKernelFunction(func, op, what, {{op.getExperts(), "experts"}},
                                 "source_rows, offsets, then row_map")))
    return failure();
  if (failed(checkDispatchedExperts(op, what, op.getNumExperts())))
    return failure();
  DispatchKernelSpec spec = getDispatchSpec(op, *schedule);
  spec.sourceRows = getKernelMemRefType(op.getSourceRows());
  return replaceByKernel(
      func, kernels,
      buildDispatchKernel(kernels, func.getSymName(), func.getLoc(), spec),
      {op.getExperts(), op.getSourceRows(), op.getOffsets(), op.getRowMap()});
}
