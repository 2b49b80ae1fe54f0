//===- AttentionToGPU.cpp - Attention functions to GPU kernels --*- C++ -*-===//
//
// Turns a function of model IR that is one celeris.attention into the
// kernel computing it (FunctionKernel.h says why functions). The schedule's
// family (prefill or decode) picks the kernel; what
// it does not implement (page tables with prefill, segment ids, varlen or
// block layouts with decode, other head dims or element types) is an error
// naming the form, never a silently different kernel.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernel.h"
#include "FunctionKernel.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

/// Whether `func` is exactly `attention` between its arguments and its
/// return: the function's signature is the kernel's.
static LogicalResult checkAttentionFunction(func::FuncOp func,
                                            AttentionOp attention) {
  SmallVector<KernelInput> inputs = {{attention.getQuery(), "query"},
                                     {attention.getKey(), "key"},
                                     {attention.getValue(), "value"}};
  std::pair<Value, StringRef> optional[] = {
      {attention.getAlibiSlopes(), "ALiBi slopes"},
      {attention.getKvLengths(), "kv_lengths"},
      {attention.getPageTable(), "page table"},
      {attention.getQSegmentIds(), "query segment ids"},
      {attention.getKvSegmentIds(), "key segment ids"},
      {attention.getCuSeqlensQ(), "query sequence offsets"},
      {attention.getCuSeqlensKv(), "key sequence offsets"},
      {attention.getBlockCounts(), "block counts"},
      {attention.getBlockIndices(), "block indices"}};
  for (auto [value, what] : optional)
    if (value)
      inputs.push_back({value, what});
  // The kernel reads its operands by tiles: no prologue.
  return checkKernelFunction(func, attention, "GPU attention", inputs,
                             "output, then lse if any");
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
  bool padded = getAttentionTileHeadDim(headDim) != headDim;
  if (headDim != 64 && headDim != 128 && headDim != 256 && !padded) {
    InFlightDiagnostic diag = error()
                              << "supports head dims 64, 128 and 256 (and "
                                 "multiples of 8 below 64, padded to 64), got ";
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

static MemRefType toMemRef(Value value) { return getKernelMemRefType(value); }

LogicalResult
mlir::celeris::lowerAttentionFunctionToGPU(func::FuncOp func, AttentionOp op,
                                           gpu::GPUModuleOp kernels,
                                           const NvidiaChip &chip) {
  if (failed(checkSupportedForm(op)) ||
      failed(checkAttentionFunction(func, op)))
    return failure();
  FailureOr<GPUScheduleAttr> recorded =
      getRecordedSchedule(op, "GPU attention");
  if (failed(recorded))
    return failure();
  GPUScheduleAttr schedule = *recorded;

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
  if (headDim != spec.getSourceHeadDim() && spec.isDecode())
    return op->emitError()
           << "GPU attention: the decode kernel supports head dims 64, 128 "
              "and 256, got "
           << spec.getSourceHeadDim()
           << " (the prefill kernel pads smaller ones to 64)";
  // Simplified over the static extent of the problem when there is one.
  spec.mask = simplifyMask(op.getMask(), op.getStaticMaskExtent());
  spec.queryOffset = op.getQueryOffset();
  spec.scale =
      op.getScaleAttr()
          ? op.getScaleAttr().getValueAsDouble()
          : 1.0 / std::sqrt(static_cast<double>(spec.getSourceHeadDim()));
  if (FloatAttr softcap = op.getSoftcapAttr())
    spec.softcap = softcap.getValueAsDouble();
  if (failed(checkAttentionSchedule(
          chip, schedule, headDim,
          [&] { return op->emitError("GPU attention: "); },
          /*tileList=*/op.getQSegmentIds() != nullptr)))
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
  replaceFunctionByKernel(
      func, kernels,
      {op.getQuery(), op.getKey(), op.getValue(), op.getAlibiSlopes(),
       op.getQSegmentIds(), op.getKvSegmentIds(), op.getCuSeqlensQ(),
       op.getCuSeqlensKv(), op.getBlockCounts(), op.getBlockIndices(),
       op.getKvLengths(), op.getPageTable(), op.getOutput(), op.getLse()});
  return success();
}
