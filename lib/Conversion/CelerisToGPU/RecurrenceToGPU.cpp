//===- RecurrenceToGPU.cpp - Recurrence functions to GPU kernels -*- C++
//-*-===//
//
// Turns a function of model IR that is one celeris.recurrence into the
// kernel of its schedule's family (FunctionKernel.h says why functions):
// recurrence_chunk for sequences, recurrence_step for one token. The forms
// a kernel does not implement yet (the chunked delta rule and per-key
// decay, f32 operands for the tensor cores, other dims) are errors that
// name the form and say what runs it.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "RecurrenceKernel.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

static LogicalResult checkRecurrenceFunction(func::FuncOp func,
                                             RecurrenceOp op) {
  SmallVector<std::pair<Value, StringRef>> inputs = {
      {op.getQuery(), "query"}, {op.getKey(), "key"}, {op.getValue(), "value"}};
  if (Value decay = op.getDecay())
    inputs.push_back({decay, "decay"});
  if (Value beta = op.getBeta())
    inputs.push_back({beta, "beta"});
  if (Value initial = op.getInitialState())
    inputs.push_back({initial, "initial state"});
  return checkKernelFunction(func, op, "GPU recurrence", inputs,
                             "output, then final_state if any");
}

static std::string describeDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("a dynamic one")
                                    : std::to_string(dim);
}

/// Whether the recurrence_chunk kernel implements `op`'s form, with the
/// reason when not.
static LogicalResult checkChunkForm(RecurrenceOp op) {
  auto error = [&]() { return op->emitError("GPU recurrence: "); };
  auto cpu = " (the CPU path, celeris-cpu, runs it; the GPU runs it for one "
             "token)";
  if (op.getUpdateKind() != UpdateKind::Additive)
    return error() << "the '" << stringifyUpdateKind(op.getUpdateKind())
                   << "' update has no chunked GPU kernel yet, only "
                      "'additive'"
                   << cpu;
  if (op.getDecayKind() == DecayKind::Vector)
    return error() << "the 'vector' decay has no chunked GPU kernel yet, only "
                      "'none', 'head' and 'scalar'"
                   << cpu;
  auto query = cast<ShapedType>(op.getQuery().getType());
  Type element = query.getElementType();
  if (!element.isBF16() && !element.isF16())
    return error() << "the chunked kernel supports bf16 and f16 operands (the "
                      "tensor cores' inputs; the state stays f32), got "
                   << element << cpu;
  int64_t keyDim = query.getDimSize(3);
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (keyDim != 64 && keyDim != 128)
    return error() << "the chunked kernel supports key dims 64 and 128, got "
                   << describeDim(keyDim);
  if (valueDim != 64 && valueDim != 128)
    return error() << "the chunked kernel supports value dims 64 and 128, got "
                   << describeDim(valueDim);
  return success();
}

/// Whether the recurrence_step kernel implements `op`'s form: every decay
/// and update, any float type; one token, key dims a multiple of 4 up to 256
/// (a thread holds Dk / 4 values), value dims a multiple of 32.
static LogicalResult checkStepForm(RecurrenceOp op) {
  auto error = [&]() { return op->emitError("GPU recurrence: "); };
  auto query = cast<ShapedType>(op.getQuery().getType());
  if (query.getDimSize(2) != 1)
    return error() << "the recurrence_step kernel takes one token (a static "
                      "length of 1), got "
                   << describeDim(query.getDimSize(2));
  int64_t keyDim = query.getDimSize(3);
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (ShapedType::isDynamic(keyDim) || keyDim % 4 != 0 || keyDim > 256)
    return error() << "the recurrence_step kernel supports static key dims "
                      "that are multiples of 4 up to 256, got "
                   << describeDim(keyDim);
  if (ShapedType::isDynamic(valueDim) || valueDim % 32 != 0)
    return error() << "the recurrence_step kernel supports static value dims "
                      "that are multiples of 32, got "
                   << describeDim(valueDim);
  return success();
}

LogicalResult
mlir::celeris::lowerRecurrenceFunctionToGPU(func::FuncOp func, RecurrenceOp op,
                                            gpu::GPUModuleOp kernels,
                                            const NvidiaChip &chip) {
  FailureOr<GPUScheduleAttr> recorded =
      getRecordedSchedule(op, "GPU recurrence");
  if (failed(recorded))
    return failure();
  GPUScheduleAttr schedule = *recorded;
  KernelFamily family = schedule.getKernel();
  if (family != KernelFamily::RecurrenceChunk &&
      family != KernelFamily::RecurrenceStep)
    return op->emitError() << "GPU recurrence: the schedule names the "
                           << stringifyKernelFamily(family)
                           << " kernel; celeris.recurrence runs on "
                              "recurrence_chunk or recurrence_step";
  if (failed(family == KernelFamily::RecurrenceStep ? checkStepForm(op)
                                                    : checkChunkForm(op)) ||
      failed(checkRecurrenceFunction(func, op)))
    return failure();

  RecurrenceKernelSpec spec;
  spec.schedule = schedule;
  spec.query = getKernelMemRefType(op.getQuery());
  spec.key = getKernelMemRefType(op.getKey());
  spec.value = getKernelMemRefType(op.getValue());
  spec.output = getKernelMemRefType(op.getOutput());
  if (op.getDecay())
    spec.decay = getKernelMemRefType(op.getDecay());
  if (op.getBeta())
    spec.beta = getKernelMemRefType(op.getBeta());
  if (op.getInitialState())
    spec.initialState = getKernelMemRefType(op.getInitialState());
  if (op.getFinalState())
    spec.finalState = getKernelMemRefType(op.getFinalState());
  spec.decayKind = op.getDecayKind();
  spec.updateKind = op.getUpdateKind();
  spec.scale = op.getScaleAttr()
                   ? op.getScaleAttr().getValueAsDouble()
                   : 1.0 / std::sqrt(static_cast<double>(spec.getKeyDim()));
  int64_t shared = getRecurrenceSharedBytes(spec);
  if (shared > chip.maxSharedPerBlock)
    return op->emitError() << "GPU recurrence: the kernel needs " << shared
                           << " bytes of shared memory, more than the "
                           << chip.maxSharedPerBlock << " a CTA may have on "
                           << chip.name;
  if (failed(buildRecurrenceKernel(kernels, func.getSymName(), func.getLoc(),
                                   spec)))
    return failure();
  func.erase();
  return success();
}
