//===- AttentionToGPU.cpp - Attention functions to GPU kernels --*- C++ -*-===//
//
// Turns a function of model IR that is one celeris.attention into the
// kernel computing it. The function is the unit because it is the ABI: its
// arguments are the kernel's inputs and its results the buffers the kernel
// writes. The schedule's family (prefill or decode) picks the kernel; what
// it does not implement (page tables with prefill, segment ids, varlen or
// block layouts with decode, other head dims or element types) is an error
// naming the form, never a silently different kernel.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"
#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

bool mlir::celeris::hasCelerisOps(func::FuncOp func) {
  WalkResult result = func.walk([](Operation *op) {
    return isa<CelerisDialect>(op->getDialect()) ? WalkResult::interrupt()
                                                 : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// The celeris.attention at the top of `func`'s only block, if that is the
/// only Celeris op there.
static FailureOr<AttentionOp> findAttention(func::FuncOp func) {
  StringRef name = func.getSymName();
  Region &body = func.getBody();
  if (!body.hasOneBlock())
    return func.emitError() << "GPU attention: @" << name
                            << " has more than one block; only a function "
                               "made of one celeris.attention and the return "
                               "of its results becomes a kernel";
  Block &block = body.front();
  AttentionOp attention;
  for (Operation &op : block.without_terminator()) {
    if (isa<CelerisDialect>(op.getDialect()) && !isa<AttentionOp>(op))
      return op.emitError() << "'" << op.getName()
                            << "' has no GPU lowering yet (only "
                               "celeris.attention has)";
    if (!attention)
      attention = dyn_cast<AttentionOp>(op);
  }
  if (!attention)
    return func.emitError() << "GPU attention: @" << name
                            << " holds no celeris.attention at its top level";
  return attention;
}

/// Whether `func` is exactly `attention` between its arguments and its
/// return: the function's signature is the kernel's.
static LogicalResult checkAttentionFunction(func::FuncOp func,
                                            AttentionOp attention) {
  StringRef name = func.getSymName();
  Block &block = func.getBody().front();
  // q, k and v are the kernel's arguments: a value computed in the function
  // has no place in it.
  SmallVector<std::pair<Value, StringRef>> inputs = {
      {attention.getQuery(), "query"},
      {attention.getKey(), "key"},
      {attention.getValue(), "value"}};
  if (Value alibi = attention.getAlibiSlopes())
    inputs.push_back({alibi, "ALiBi slopes"});
  if (Value lengths = attention.getKvLengths())
    inputs.push_back({lengths, "kv_lengths"});
  if (Value table = attention.getPageTable())
    inputs.push_back({table, "page table"});
  std::pair<Value, StringRef> optional[] = {
      {attention.getQSegmentIds(), "query segment ids"},
      {attention.getKvSegmentIds(), "key segment ids"},
      {attention.getCuSeqlensQ(), "query sequence offsets"},
      {attention.getCuSeqlensKv(), "key sequence offsets"},
      {attention.getBlockCounts(), "block counts"},
      {attention.getBlockIndices(), "block indices"}};
  for (auto [value, what] : optional)
    if (value)
      inputs.push_back({value, what});
  for (auto [value, what] : inputs) {
    auto arg = dyn_cast<BlockArgument>(value);
    if (!arg || arg.getOwner() != &block)
      return attention->emitError()
             << "GPU attention: the " << what << " is not an argument of @"
             << name << "; the kernel reads its operands from its arguments";
  }
  for (Operation &op : block.without_terminator())
    if (&op != attention.getOperation())
      return op.emitError()
             << "GPU attention: @" << name << " holds '" << op.getName()
             << "' besides one celeris.attention; only a "
                "function made of one celeris.attention and "
                "the return of its results becomes a kernel";
  for (BlockArgument arg : block.getArguments()) {
    if (llvm::none_of(inputs, [&](auto input) { return input.first == arg; }))
      return func.emitError()
             << "GPU attention: argument #" << arg.getArgNumber() << " of @"
             << name
             << " is not an operand of its celeris.attention; the kernel "
                "has no place for it";
  }

  auto ret = cast<func::ReturnOp>(block.getTerminator());
  if (!llvm::equal(ret.getOperands(), attention->getResults()))
    return ret.emitError() << "GPU attention: @" << name
                           << " must return the results of its "
                              "celeris.attention directly, in order (output, "
                              "then lse if any): the kernel writes them";
  return success();
}

/// Whether the kernel implements `op`'s form, with the reason when it does
/// not.
static LogicalResult checkSupportedForm(AttentionOp op) {
  auto error = [&]() { return op->emitError("GPU attention "); };
  auto queryType = cast<ShapedType>(op.getQuery().getType());
  Type element = queryType.getElementType();
  if (!element.isBF16() && !element.isF16())
    return error() << "supports bf16 and f16 operands, got " << element;
  int64_t headDim = queryType.getDimSize(3);
  if (headDim != 64 && headDim != 128 && headDim != 256) {
    InFlightDiagnostic diag = error()
                              << "supports head dims 64, 128 and 256, got ";
    if (ShapedType::isDynamic(headDim))
      return diag << "a dynamic head dim";
    return diag << headDim;
  }
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (valueDim != headDim)
    return error() << "needs the value head dim equal to the query head dim ("
                   << headDim << "), got "
                   << (ShapedType::isDynamic(valueDim)
                           ? std::string("a dynamic one")
                           : std::to_string(valueDim));

  if (FloatAttr scale = op.getScaleAttr();
      scale && !(scale.getValueAsDouble() > 0))
    return error() << "needs a positive scale (the running maximum is taken "
                      "over unscaled scores), got "
                   << scale.getValueAsDouble();
  return success();
}

/// Whether the kernel family of `schedule` implements `op`'s structure.
static LogicalResult checkFamilyForm(AttentionOp op, GPUScheduleAttr schedule) {
  auto error = [&]() { return op->emitError("GPU attention: "); };
  int64_t queryLength = cast<ShapedType>(op.getQuery().getType()).getDimSize(2);
  if (schedule.getKernel() == KernelFamily::AttentionPrefill) {
    if (op.getPageTable())
      return error() << "paged KV caches run on the attention_decode kernel, "
                        "for query lengths up to "
                     << kMaxDecodeQueryLength
                     << " known when compiling; this query length is "
                     << (ShapedType::isDynamic(queryLength)
                             ? std::string("dynamic")
                             : std::to_string(queryLength));
    return success();
  }
  if (ShapedType::isDynamic(queryLength) || queryLength > kMaxDecodeQueryLength)
    return error() << "the attention_decode kernel takes static query "
                      "lengths up to "
                   << kMaxDecodeQueryLength << ", got "
                   << (ShapedType::isDynamic(queryLength)
                           ? std::string("a dynamic one")
                           : std::to_string(queryLength));
  std::pair<Value, StringRef> prefillOnly[] = {
      {op.getQSegmentIds(), "segment ids"},
      {op.getCuSeqlensQ(), "varlen offsets"},
      {op.getBlockCounts(), "block layouts"}};
  for (auto [value, what] : prefillOnly)
    if (value)
      return error() << what
                     << " run on the attention_prefill kernel, not "
                        "attention_decode";
  return success();
}

static MemRefType toMemRef(Value value) {
  auto type = cast<ShapedType>(value.getType());
  return MemRefType::get(type.getShape(), type.getElementType());
}

LogicalResult mlir::celeris::lowerAttentionFunctionToGPU(
    func::FuncOp func, gpu::GPUModuleOp kernels, const NvidiaChip &chip) {
  FailureOr<AttentionOp> found = findAttention(func);
  if (failed(found))
    return failure();
  AttentionOp op = *found;
  if (failed(checkSupportedForm(op)) ||
      failed(checkAttentionFunction(func, op)))
    return failure();
  if (!SymbolTable::symbolKnownUseEmpty(func, func->getParentOp()))
    return func.emitError() << "GPU attention: @" << func.getSymName()
                            << " is used in the module; the kernel replaces "
                               "it, so those uses would dangle";
  auto schedule =
      op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
  if (!schedule)
    return op->emitError()
           << "GPU attention: no #celeris.gpu_schedule on the op; run "
              "celeris-select-gpu-schedule first (the celeris-gpu pipeline "
              "does)";

  AttentionKernelSpec spec;
  spec.schedule = schedule;
  spec.query = toMemRef(op.getQuery());
  spec.key = toMemRef(op.getKey());
  spec.value = toMemRef(op.getValue());
  spec.output = toMemRef(op.getOutput());
  if (op.getLse())
    spec.lse = toMemRef(op.getLse());
  if (op.getAlibiSlopes())
    spec.alibiSlopes = toMemRef(op.getAlibiSlopes());
  if (failed(checkFamilyForm(op, schedule)))
    return failure();
  if (op.getKvLengths())
    spec.kvLengths = toMemRef(op.getKvLengths());
  if (op.getPageTable())
    spec.pageTable = toMemRef(op.getPageTable());
  if (op.getQSegmentIds()) {
    spec.qSegmentIds = toMemRef(op.getQSegmentIds());
    spec.kvSegmentIds = toMemRef(op.getKvSegmentIds());
  }
  if (op.getCuSeqlensQ()) {
    spec.cuSeqlensQ = toMemRef(op.getCuSeqlensQ());
    spec.cuSeqlensKv = toMemRef(op.getCuSeqlensKv());
  }
  if (op.getBlockCounts()) {
    spec.blockCounts = toMemRef(op.getBlockCounts());
    spec.blockIndices = toMemRef(op.getBlockIndices());
    spec.blockSize.assign(op.getBlockSize()->begin(), op.getBlockSize()->end());
    if (spec.blockSize[0] % schedule.getQueryTile() != 0 ||
        spec.blockSize[1] % schedule.getKvTile() != 0)
      return op->emitError()
             << "GPU attention: the block layout's blocks ["
             << spec.blockSize[0] << ", " << spec.blockSize[1]
             << "] must be whole tiles of the schedule (query tile "
             << schedule.getQueryTile() << ", key tile " << schedule.getKvTile()
             << ")";
  }
  int64_t headDim = spec.getHeadDim();
  // Simplified over the static extent of the problem when there is one.
  spec.mask = simplifyMask(op.getMask(), op.getStaticMaskExtent());
  spec.queryOffset = op.getQueryOffset();
  spec.scale = op.getScaleAttr()
                   ? op.getScaleAttr().getValueAsDouble()
                   : 1.0 / std::sqrt(static_cast<double>(headDim));
  if (FloatAttr softcap = op.getSoftcapAttr())
    spec.softcap = softcap.getValueAsDouble();
  if (failed(checkAttentionSchedule(chip, schedule, headDim, [&] {
        return op->emitError("GPU attention: ");
      })))
    return failure();
  spec.sharedBytes =
      getAttentionSharedBytes(schedule, headDim, spec.qSegmentIds != nullptr);
  if (spec.isDecode()) {
    // Shared memory bounds the CTAs of an SM (at most 32).
    int64_t perSm =
        std::min<int64_t>(32, chip.sharedPerSm / (spec.sharedBytes + 1024));
    spec.decodeSlots = chip.smCount * std::max<int64_t>(perSm, 1);
  }
  if (failed(buildAttentionKernel(kernels, func.getSymName(), func.getLoc(),
                                  spec)))
    return failure();
  func.erase();
  return success();
}
