//===- FunctionKernel.cpp - A function of one Celeris op as a kernel ------===//

#include "FunctionKernel.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::celeris;

bool mlir::celeris::hasCelerisOps(func::FuncOp func) {
  WalkResult result = func.walk([](Operation *op) {
    return isa<CelerisDialect>(op->getDialect()) ? WalkResult::interrupt()
                                                 : WalkResult::advance();
  });
  return result.wasInterrupted();
}

FailureOr<Operation *> mlir::celeris::findKernelOp(func::FuncOp func) {
  StringRef name = func.getSymName();
  Region &body = func.getBody();
  if (!body.hasOneBlock())
    return func.emitError()
           << "GPU lowering: @" << name
           << " has more than one block; only a function made of one "
              "Celeris op with a GPU kernel and the return of its results "
              "becomes a kernel";
  Operation *found = nullptr;
  for (Operation &op : body.front().without_terminator()) {
    if (!isa<CelerisDialect>(op.getDialect()))
      continue;
    if (isa<MoEOp>(op))
      return op.emitError()
             << "'celeris.moe' has no GPU lowering yet: the layer is a "
                "sequence of launches (routing, dispatch, grouped GEMMs, "
                "combine) with buffers between them, and a function is one "
                "launch; give each of celeris.route, celeris.dispatch, "
                "celeris.grouped_matmul and celeris.combine a function of "
                "its own, or run the layer on the CPU path";
    if (!isa<AttentionOp, RecurrenceOp, ScanOp, SelectiveScanOp, RouteOp,
             DispatchOp, DispatchMapOp, GroupedMatmulOp, CombineOp>(op))
      return op.emitError()
             << "'" << op.getName()
             << "' has no GPU lowering yet (celeris.attention, "
                "celeris.recurrence, celeris.scan, celeris.selective_scan, "
                "celeris.route, celeris.dispatch, celeris.dispatch_map, "
                "celeris.grouped_matmul and celeris.combine have)";
    if (!found)
      found = &op;
  }
  if (!found) {
    // A function of a program may be one linalg op: a loop_nest kernel.
    for (Operation &op : body.front().without_terminator())
      if (isLoopNestOp(&op))
        return &op;
    return func.emitError()
           << "GPU lowering: @" << name
           << " holds no Celeris op with a GPU kernel at its top level";
  }
  return found;
}

LogicalResult mlir::celeris::checkKernelFunction(func::FuncOp func,
                                                 Operation *op, StringRef what,
                                                 ArrayRef<KernelInput> inputs,
                                                 StringRef resultOrder) {
  StringRef name = func.getSymName();
  StringRef opName = op->getName().getStringRef();
  Block &block = func.getBody().front();
  // The kernel reads its operands from its arguments: a value computed in
  // the function has no place in it, unless the kernel computes it as it
  // loads it.
  DenseSet<Operation *> absorbed;
  DenseSet<Value> sources;
  for (const KernelInput &input : inputs) {
    auto arg = dyn_cast<BlockArgument>(input.operand);
    if (arg && arg.getOwner() == &block) {
      sources.insert(arg);
      continue;
    }
    if (!input.prologue)
      return op->emitError()
             << what << ": the " << input.role << " is not an argument of @"
             << name << "; the kernel reads its operands from its arguments";
    FailureOr<OperandPrologue> prologue =
        OperandPrologue::trace(input.operand, input.role, [&](Location loc) {
          return mlir::emitError(loc) << what << ": ";
        });
    if (failed(prologue))
      return failure();
    sources.insert(prologue->getArgument());
    absorbed.insert(prologue->getOps().begin(), prologue->getOps().end());
    *input.prologue = std::move(*prologue);
  }
  // What only the absorbed ops use (the sizes of a dynamic splat) goes with
  // them.
  for (Operation &other : llvm::reverse(block.without_terminator()))
    if (&other != op && !absorbed.contains(&other) && isPure(&other) &&
        !other.use_empty() &&
        llvm::all_of(other.getUsers(),
                     [&](Operation *user) { return absorbed.contains(user); }))
      absorbed.insert(&other);
  SmallVector<StringRef> computable;
  for (const KernelInput &input : inputs)
    if (input.prologue)
      computable.push_back(input.role);
  for (Operation &other : block.without_terminator()) {
    if (&other == op || absorbed.contains(&other))
      continue;
    InFlightDiagnostic diag = other.emitError()
                              << what << ": @" << name << " holds '"
                              << other.getName() << "' besides one " << opName
                              << "; only a function made of one " << opName;
    if (!computable.empty())
      diag << " (and elementwise math on its "
           << llvm::join(computable, " and ") << ")";
    return diag << " and the return of its results becomes a kernel";
  }
  for (BlockArgument arg : block.getArguments())
    if (!sources.contains(arg))
      return func.emitError() << what << ": argument #" << arg.getArgNumber()
                              << " of @" << name << " is not an operand of its "
                              << opName << "; the kernel has no place for it";
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  if (!llvm::equal(ret.getOperands(), op->getResults()))
    return ret.emitError() << what << ": @" << name
                           << " must return the results of its " << opName
                           << " directly, in order (" << resultOrder
                           << "): the kernel writes them";
  // Programs call their kernels' functions; any other use would dangle.
  if (!SymbolTable::symbolKnownUseEmpty(func, func->getParentOp()) &&
      !isProgramCallee(func))
    return func.emitError() << what << ": @" << name
                            << " is used in the module; the kernel replaces "
                               "it, so those uses would dangle";
  return success();
}

void mlir::celeris::replaceFunctionByKernel(func::FuncOp func,
                                            gpu::GPUModuleOp kernels,
                                            ArrayRef<Value> values) {
  Block &block = func.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  // What `value` is of the function: checkKernelFunction made every
  // operand an argument or elementwise math on one, and every result
  // returned.
  auto source = [&](Value value) -> int64_t {
    for (auto [index, returned] : llvm::enumerate(ret.getOperands()))
      if (returned == value)
        return -1 - static_cast<int64_t>(index);
    SmallVector<Value> worklist = {value};
    while (!worklist.empty()) {
      Value next = worklist.pop_back_val();
      if (auto arg = dyn_cast<BlockArgument>(next);
          arg && arg.getOwner() == &block)
        return arg.getArgNumber();
      if (Operation *def = next.getDefiningOp())
        llvm::append_range(worklist, def->getOperands());
    }
    llvm_unreachable("a kernel operand that no argument computes");
  };
  SmallVector<int64_t> sources;
  for (Value value : values)
    if (value)
      sources.push_back(source(value));
  auto kernel = kernels.lookupSymbol<gpu::GPUFuncOp>(func.getSymName());
  kernel->setAttr(kArgumentSourcesAttrName,
                  DenseI64ArrayAttr::get(func.getContext(), sources));
  func.erase();
}

MemRefType mlir::celeris::getKernelMemRefType(Value value) {
  auto type = cast<ShapedType>(value.getType());
  return MemRefType::get(type.getShape(), type.getElementType());
}

MemRefType mlir::celeris::getKernelMemRefType(
    Value operand, const std::optional<OperandPrologue> &prologue) {
  return getKernelMemRefType(prologue ? Value(prologue->getArgument())
                                      : operand);
}

void mlir::celeris::storeFromF32(OpBuilder &b, Location loc, Value value,
                                 Value dest, ValueRange indices) {
  Type element = cast<MemRefType>(dest.getType()).getElementType();
  if (!element.isF32())
    value = arith::TruncFOp::create(b, loc, element, value);
  memref::StoreOp::create(b, loc, value, dest, indices);
}

Value mlir::celeris::loadAsF32(OpBuilder &b, Location loc, Value source,
                               ValueRange indices,
                               const std::optional<OperandPrologue> &prologue) {
  Value x = prologue ? prologue->loadElement(b, loc, source, indices)
                     : memref::LoadOp::create(b, loc, source, indices);
  if (!x.getType().isF32())
    x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  return x;
}

SmallVector<Value> mlir::celeris::loadRunAsF32(OpBuilder &b, Location loc,
                                               Value source, ValueRange prefix,
                                               Value first, int64_t count) {
  auto type = cast<MemRefType>(source.getType());
  Type element = type.getElementType();
  int64_t width = 128 / element.getIntOrFloatBitWidth();
  int64_t extent = type.getShape().back();
  bool vectors = count % width == 0 && !ShapedType::isDynamic(extent) &&
                 extent % width == 0;
  SmallVector<Value> values;
  auto indicesAt = [&](int64_t i) {
    SmallVector<Value> indices(prefix);
    indices.push_back(arith::AddIOp::create(
        b, loc, first, arith::ConstantIndexOp::create(b, loc, i)));
    return indices;
  };
  auto widen = [&](Value x) -> Value {
    return x.getType().isF32()
               ? x
               : arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  };
  for (int64_t i = 0; i < count; i += vectors ? width : 1) {
    if (!vectors) {
      values.push_back(loadAsF32(b, loc, source, indicesAt(i)));
      continue;
    }
    Value run = vector::LoadOp::create(
        b, loc, VectorType::get({width}, element), source, indicesAt(i),
        /*nontemporal=*/false, llvm::MaybeAlign(16));
    for (int64_t j = 0; j < width; ++j)
      values.push_back(widen(vector::ExtractOp::create(b, loc, run, j)));
  }
  return values;
}

FailureOr<GPUScheduleAttr> mlir::celeris::getRecordedSchedule(Operation *op,
                                                              StringRef what) {
  auto schedule =
      op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
  if (!schedule)
    return op->emitError()
           << what
           << ": no #celeris.gpu_schedule on the op; run "
              "celeris-select-gpu-schedule first (the celeris-gpu pipeline "
              "does)";
  return schedule;
}

FailureOr<GPUScheduleAttr>
mlir::celeris::getRecordedSchedule(Operation *op, StringRef what,
                                   KernelFamily family) {
  FailureOr<GPUScheduleAttr> schedule = getRecordedSchedule(op, what);
  if (failed(schedule))
    return failure();
  if (schedule->getKernel() != family)
    return op->emitError() << what << ": the schedule names the "
                           << stringifyKernelFamily(schedule->getKernel())
                           << " kernel; " << op->getName() << " runs on "
                           << stringifyKernelFamily(family);
  return schedule;
}

FailureOr<gpu::GPUFuncOp> mlir::celeris::createKernel(
    gpu::GPUModuleOp module, StringRef name, Location loc, TypeRange argTypes,
    ArrayRef<StringRef> argNames, GPUScheduleAttr schedule) {
  if (module.lookupSymbol(name))
    return emitError(loc) << "gpu.module @" << module.getName()
                          << " already has a symbol @" << name;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto kernel = gpu::GPUFuncOp::create(builder, loc, name,
                                       builder.getFunctionType(argTypes, {}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());
  kernel->setAttr("celeris.arg_names", builder.getStrArrayAttr(argNames));
  kernel->setAttr("celeris.gpu_schedule", schedule);
  return kernel;
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::createKernel(gpu::GPUModuleOp module, StringRef name,
                            Location loc, ArrayRef<KernelArgument> args,
                            GPUScheduleAttr schedule) {
  SmallVector<Type> types;
  SmallVector<StringRef> names;
  for (const KernelArgument &arg : args)
    if (arg.type) {
      types.push_back(arg.type);
      names.push_back(arg.name);
    }
  return createKernel(module, name, loc, types, names, schedule);
}

NamedAttrList mlir::celeris::getKernelLaunch(Builder &builder,
                                             ArrayRef<std::string> grid,
                                             int64_t threads,
                                             int64_t sharedBytes) {
  assert(!grid.empty() && grid.size() <= 3 && "a grid has 1 to 3 dimensions");
  SmallVector<StringRef> dims(grid.begin(), grid.end());
  dims.resize(3, "1");
  NamedAttrList launch;
  launch.append("grid", builder.getStrArrayAttr(dims));
  launch.append("block", builder.getDenseI32ArrayAttr(
                             {static_cast<int32_t>(threads), 1, 1}));
  launch.append("shared", builder.getStringAttr(std::to_string(sharedBytes)));
  return launch;
}

void mlir::celeris::capKernelRegisters(gpu::GPUFuncOp kernel, int64_t threads,
                                       int64_t ctasPerSm) {
  Builder builder(kernel.getContext());
  kernel->setAttr(
      NVVM::NVVMDialect::getMaxntidAttrName(),
      builder.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                  builder.getI32IntegerAttr(std::max<int64_t>(ctasPerSm, 1)));
}

LogicalResult mlir::celeris::lowerFunctionToGPU(func::FuncOp func,
                                                gpu::GPUModuleOp kernels,
                                                const NvidiaChip &chip) {
  FailureOr<Operation *> op = findKernelOp(func);
  if (failed(op))
    return failure();
  if (auto recurrence = dyn_cast<RecurrenceOp>(*op))
    return lowerRecurrenceFunctionToGPU(func, recurrence, kernels, chip);
  if (auto scan = dyn_cast<ScanOp>(*op))
    return lowerScanFunctionToGPU(func, scan, kernels);
  if (auto selective = dyn_cast<SelectiveScanOp>(*op))
    return lowerSelectiveScanFunctionToGPU(func, selective, kernels);
  if (auto gemm = dyn_cast<GroupedMatmulOp>(*op))
    return lowerGroupedMatmulFunctionToGPU(func, gemm, kernels);
  if (auto route = dyn_cast<RouteOp>(*op))
    return lowerRouteFunctionToGPU(func, route, kernels);
  if (auto dispatch = dyn_cast<DispatchOp>(*op))
    return lowerDispatchFunctionToGPU(func, dispatch, kernels);
  if (auto dispatchMap = dyn_cast<DispatchMapOp>(*op))
    return lowerDispatchMapFunctionToGPU(func, dispatchMap, kernels);
  if (auto combine = dyn_cast<CombineOp>(*op))
    return lowerCombineFunctionToGPU(func, combine, kernels);
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(*op))
    return lowerLinalgFunctionToGPU(func, linalgOp, kernels);
  return lowerAttentionFunctionToGPU(func, cast<AttentionOp>(*op), kernels,
                                     chip);
}
