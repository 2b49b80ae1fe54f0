//===- ScanToGPU.cpp - Scan functions to GPU kernels ----------------------===//
//
// Turns a function of model IR that is one celeris.scan or one
// celeris.selective_scan into its blocked-scan kernel (FunctionKernel.h says
// why functions). Every operand is read element by element, so any of them
// may be computed from an argument by elementwise math (RG-LRU's
// a = sigmoid(x), Mamba-1's A = -exp(A_log)), which the kernel applies as it
// loads it.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "ScanKernel.h"

using namespace mlir;
using namespace mlir::celeris;

LogicalResult mlir::celeris::lowerScanFunctionToGPU(func::FuncOp func,
                                                    ScanOp op,
                                                    gpu::GPUModuleOp kernels) {
  StringRef what = "GPU scan";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::ScanBlocked);
  if (failed(schedule))
    return failure();
  ScanKernelSpec spec;
  SmallVector<KernelInput> inputs = {{op.getA(), "a", &spec.aPrologue},
                                     {op.getB(), "b", &spec.bPrologue}};
  if (Value initial = op.getInitial())
    inputs.push_back({initial, "initial", &spec.initialPrologue});
  if (failed(checkKernelFunction(func, op, what, inputs, "h")))
    return failure();
  spec.schedule = *schedule;
  spec.a = getKernelMemRefType(op.getA(), spec.aPrologue);
  spec.b = getKernelMemRefType(op.getB(), spec.bPrologue);
  if (op.getInitial())
    spec.initial = getKernelMemRefType(op.getInitial(), spec.initialPrologue);
  spec.h = getKernelMemRefType(op.getH());
  spec.axis = op.getAxis();
  spec.reverse = op.getReverse();
  if (failed(buildScanKernel(kernels, func.getSymName(), func.getLoc(), spec)))
    return failure();
  replaceFunctionByKernel(func, kernels,
                          {op.getA(), op.getB(), op.getInitial(), op.getH()});
  return success();
}

LogicalResult mlir::celeris::lowerSelectiveScanFunctionToGPU(
    func::FuncOp func, SelectiveScanOp op, gpu::GPUModuleOp kernels) {
  StringRef what = "GPU selective scan";
  FailureOr<GPUScheduleAttr> schedule =
      getRecordedSchedule(op, what, KernelFamily::SelectiveScan);
  if (failed(schedule))
    return failure();
  int64_t states = cast<ShapedType>(op.getA().getType()).getDimSize(1);
  if (ShapedType::isDynamic(states) || states < 1 ||
      states > kMaxSelectiveScanStates)
    return op->emitError() << what << ": the kernel keeps a channel's "
                           << "states in registers: the state dim (A's dim 1) "
                              "must be static, 1 to "
                           << kMaxSelectiveScanStates << ", got "
                           << (ShapedType::isDynamic(states)
                                   ? std::string("a dynamic one")
                                   : std::to_string(states));
  SelectiveScanKernelSpec spec;
  SmallVector<KernelInput> inputs = {
      {op.getU(), "u", &spec.uPrologue},
      {op.getDelta(), "delta", &spec.deltaPrologue},
      {op.getA(), "A", &spec.APrologue},
      {op.getBmat(), "B", &spec.BmatPrologue},
      {op.getC(), "C", &spec.CPrologue}};
  if (Value skip = op.getD())
    inputs.push_back({skip, "D", &spec.DPrologue});
  if (Value gate = op.getZ())
    inputs.push_back({gate, "z", &spec.zPrologue});
  if (Value bias = op.getDeltaBias())
    inputs.push_back({bias, "delta_bias", &spec.deltaBiasPrologue});
  if (failed(checkKernelFunction(func, op, what, inputs,
                                 "y, then last_state if any")))
    return failure();
  spec.schedule = *schedule;
  spec.u = getKernelMemRefType(op.getU(), spec.uPrologue);
  spec.delta = getKernelMemRefType(op.getDelta(), spec.deltaPrologue);
  spec.A = getKernelMemRefType(op.getA(), spec.APrologue);
  spec.Bmat = getKernelMemRefType(op.getBmat(), spec.BmatPrologue);
  spec.C = getKernelMemRefType(op.getC(), spec.CPrologue);
  if (op.getD())
    spec.D = getKernelMemRefType(op.getD(), spec.DPrologue);
  if (op.getZ())
    spec.z = getKernelMemRefType(op.getZ(), spec.zPrologue);
  if (op.getDeltaBias())
    spec.deltaBias =
        getKernelMemRefType(op.getDeltaBias(), spec.deltaBiasPrologue);
  spec.y = getKernelMemRefType(op.getY());
  if (op.getLastState())
    spec.lastState = getKernelMemRefType(op.getLastState());
  spec.deltaSoftplus = op.getDeltaSoftplus();
  if (failed(buildSelectiveScanKernel(kernels, func.getSymName(), func.getLoc(),
                                      spec)))
    return failure();
  replaceFunctionByKernel(func, kernels,
                          {op.getU(), op.getDelta(), op.getA(), op.getBmat(),
                           op.getC(), op.getD(), op.getZ(), op.getDeltaBias(),
                           op.getY(), op.getLastState()});
  return success();
}
