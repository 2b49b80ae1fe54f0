//===- RecurrenceToGPU.cpp - Recurrence functions to GPU kernels -*- C++
//-*-===//
//
// Turns a function of model IR that is one celeris.recurrence into the
// kernel of its schedule's family (FunctionKernel.h says why functions):
// recurrence_chunk for the sequences the chunked kernel runs,
// recurrence_sequential (token by token) for every other form, and
// recurrence_step for one token. A form a family does not implement is an
// error that names the form and says what runs it.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "RecurrenceKernel.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

/// Whether `func` is exactly `op` between its arguments and its return, with
/// the decay and beta (which every kernel loads element by element) possibly
/// computed from an argument by elementwise math: their prologues go into
/// `spec`.
static LogicalResult checkRecurrenceFunction(func::FuncOp func, RecurrenceOp op,
                                             RecurrenceKernelSpec &spec) {
  SmallVector<KernelInput> inputs = {
      {op.getQuery(), "query"}, {op.getKey(), "key"}, {op.getValue(), "value"}};
  if (Value decay = op.getDecay())
    inputs.push_back({decay, "decay", &spec.decayPrologue});
  if (Value beta = op.getBeta())
    inputs.push_back({beta, "beta", &spec.betaPrologue});
  if (Value initial = op.getInitialState())
    inputs.push_back({initial, "initial state"});
  return checkKernelFunction(func, op, "GPU recurrence", inputs,
                             "output, then final_state if any");
}

static std::string describeDim(int64_t dim) {
  return ShapedType::isDynamic(dim) ? std::string("a dynamic one")
                                    : std::to_string(dim);
}

/// Why the recurrence_chunk kernel does not implement `op`'s form; empty
/// when it does.
static std::string whyNotChunkForm(RecurrenceOp op) {
  std::string why;
  llvm::raw_string_ostream os(why);
  if (op.getDecayKind() == DecayKind::Vector) {
    os << "the 'vector' decay has no chunked GPU kernel yet, only 'none', "
          "'head' and 'scalar'";
    return why;
  }
  auto query = cast<ShapedType>(op.getQuery().getType());
  Type element = query.getElementType();
  if (!element.isBF16() && !element.isF16()) {
    os << "the chunked kernel supports bf16 and f16 operands (the tensor "
          "cores' inputs; the state stays f32), got '"
       << element << "'";
    return why;
  }
  int64_t keyDim = query.getDimSize(3);
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (keyDim != 64 && keyDim != 128)
    os << "the chunked kernel supports key dims 64 and 128, got "
       << describeDim(keyDim);
  else if (valueDim != 64 && valueDim != 128)
    os << "the chunked kernel supports value dims 64 and 128, got "
       << describeDim(valueDim);
  return why;
}

/// Why a CUDA-core kernel (`family`, a thread holding Dk / 4 values of a
/// state column) does not take `op`'s dims, empty when it does: static key
/// dims a multiple of 4 up to 256, static value dims a multiple of
/// `valueMultiple` (a warp's columns).
static std::string whyNotColumnKernelDims(RecurrenceOp op, StringRef family,
                                          int64_t valueMultiple) {
  std::string why;
  llvm::raw_string_ostream os(why);
  int64_t keyDim = cast<ShapedType>(op.getQuery().getType()).getDimSize(3);
  int64_t valueDim = cast<ShapedType>(op.getValue().getType()).getDimSize(3);
  if (ShapedType::isDynamic(keyDim) || keyDim % 4 != 0 || keyDim > 256)
    os << "the " << family
       << " kernel supports static key dims that are multiples of 4 up to "
          "256, got "
       << describeDim(keyDim);
  else if (ShapedType::isDynamic(valueDim) || valueDim % valueMultiple != 0)
    os << "the " << family
       << " kernel supports static value dims that are multiples of "
       << valueMultiple << ", got " << describeDim(valueDim);
  return why;
}

/// Why the recurrence_sequential kernel does not implement `op`'s form
/// (empty when it does): every decay and update, any float type and
/// length; warps of 8 columns.
static std::string whyNotSequentialForm(RecurrenceOp op) {
  return whyNotColumnKernelDims(op, "recurrence_sequential", 8);
}

/// Why the recurrence_step kernel does not implement `op`'s form (empty when
/// it does): every decay and update, any float type; one token, warps of 32
/// columns.
static std::string whyNotStepForm(RecurrenceOp op) {
  int64_t length = cast<ShapedType>(op.getQuery().getType()).getDimSize(2);
  if (length != 1)
    return "the recurrence_step kernel takes one token (a static length of "
           "1), got " +
           describeDim(length);
  return whyNotColumnKernelDims(op, "recurrence_step", 32);
}

KernelFamily mlir::celeris::chooseRecurrenceFamily(RecurrenceOp op) {
  if (whyNotStepForm(op).empty())
    return KernelFamily::RecurrenceStep;
  if (whyNotChunkForm(op).empty())
    return KernelFamily::RecurrenceChunk;
  return KernelFamily::RecurrenceSequential;
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
  std::string why;
  switch (family) {
  case KernelFamily::RecurrenceStep:
    why = whyNotStepForm(op);
    break;
  case KernelFamily::RecurrenceSequential:
    why = whyNotSequentialForm(op);
    break;
  case KernelFamily::RecurrenceChunk:
    why = whyNotChunkForm(op);
    if (!why.empty() && whyNotSequentialForm(op).empty())
      why += " (recurrence_sequential runs it token by token)";
    break;
  default:
    return op->emitError() << "GPU recurrence: the schedule names the "
                           << stringifyKernelFamily(family)
                           << " kernel; celeris.recurrence runs on "
                              "recurrence_chunk, recurrence_sequential or "
                              "recurrence_step";
  }
  if (!why.empty())
    return op->emitError() << "GPU recurrence: " << why;
  RecurrenceKernelSpec spec;
  if (failed(checkRecurrenceFunction(func, op, spec)))
    return failure();

  spec.schedule = schedule;
  spec.query = getKernelMemRefType(op.getQuery());
  spec.key = getKernelMemRefType(op.getKey());
  spec.value = getKernelMemRefType(op.getValue());
  spec.output = getKernelMemRefType(op.getOutput());
  if (op.getDecay())
    spec.decay = getKernelMemRefType(op.getDecay(), spec.decayPrologue);
  if (op.getBeta())
    spec.beta = getKernelMemRefType(op.getBeta(), spec.betaPrologue);
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
  replaceFunctionByKernel(func, kernels,
                          {op.getQuery(), op.getKey(), op.getValue(),
                           op.getDecay(), op.getBeta(), op.getInitialState(),
                           op.getOutput(), op.getFinalState()});
  return success();
}
