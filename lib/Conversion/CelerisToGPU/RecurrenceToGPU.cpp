//===- RecurrenceToGPU.cpp - Recurrence functions to GPU kernels -*- C++
//-*-===//
//
// Turns a function of model IR that is one celeris.recurrence into the
// recurrence_chunk kernel (FunctionKernel.h says why functions). The forms
// the kernel does not implement yet (the delta rule, per-key decay, f32
// operands, other key/value dims) are errors that name the form and say
// that the CPU path runs it.
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

/// Whether the kernel implements `op`'s form, with the reason when not.
static LogicalResult checkSupportedForm(RecurrenceOp op) {
  auto error = [&]() { return op->emitError("GPU recurrence: "); };
  auto cpu = " (the CPU path, celeris-cpu, runs it)";
  if (op.getUpdateKind() != UpdateKind::Additive)
    return error() << "the '" << stringifyUpdateKind(op.getUpdateKind())
                   << "' update has no GPU kernel yet, only 'additive'" << cpu;
  if (op.getDecayKind() == DecayKind::Vector)
    return error() << "the 'vector' decay has no GPU kernel yet, only "
                      "'none', 'head' and 'scalar'"
                   << cpu;
  auto query = cast<ShapedType>(op.getQuery().getType());
  Type element = query.getElementType();
  if (!element.isBF16() && !element.isF16())
    return error() << "supports bf16 and f16 operands (the tensor cores' "
                      "inputs; the state stays f32), got "
                   << element << cpu;
  auto describe = [](int64_t dim) {
    return ShapedType::isDynamic(dim) ? std::string("a dynamic one")
                                      : std::to_string(dim);
  };
  int64_t keyDim = query.getDimSize(3);
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (keyDim != 64 && keyDim != 128)
    return error() << "supports key dims 64 and 128, got " << describe(keyDim);
  if (valueDim != 64 && valueDim != 128)
    return error() << "supports value dims 64 and 128, got "
                   << describe(valueDim);
  return success();
}

LogicalResult
mlir::celeris::lowerRecurrenceFunctionToGPU(func::FuncOp func, RecurrenceOp op,
                                            gpu::GPUModuleOp kernels,
                                            const NvidiaChip &chip) {
  if (failed(checkSupportedForm(op)) ||
      failed(checkRecurrenceFunction(func, op)))
    return failure();
  auto schedule =
      op->getAttrOfType<GPUScheduleAttr>(GPUScheduleAttr::getAttrName());
  if (!schedule)
    return op->emitError()
           << "GPU recurrence: no #celeris.gpu_schedule on the op; run "
              "celeris-select-gpu-schedule first (the celeris-gpu pipeline "
              "does)";
  if (schedule.getKernel() != KernelFamily::RecurrenceChunk)
    return op->emitError()
           << "GPU recurrence: the schedule names the "
           << stringifyKernelFamily(schedule.getKernel())
           << " kernel; celeris.recurrence runs on recurrence_chunk";

  RecurrenceKernelSpec spec;
  spec.schedule = schedule;
  spec.query = getKernelMemRefType(op.getQuery());
  spec.key = getKernelMemRefType(op.getKey());
  spec.value = getKernelMemRefType(op.getValue());
  spec.output = getKernelMemRefType(op.getOutput());
  if (op.getDecay())
    spec.decay = getKernelMemRefType(op.getDecay());
  if (op.getInitialState())
    spec.initialState = getKernelMemRefType(op.getInitialState());
  if (op.getFinalState())
    spec.finalState = getKernelMemRefType(op.getFinalState());
  spec.decayKind = op.getDecayKind();
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
