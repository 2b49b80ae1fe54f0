//===- FunctionKernel.h - A function of one Celeris op as a kernel -*- C++
//-*-===//
//
// The GPU lowering turns a function of model IR that is one Celeris op into
// the kernel computing it. The function is the unit because it is the ABI:
// its arguments are the kernel's inputs and its results the buffers the
// kernel writes. These are the checks every kernel family shares, and the
// lowerings of the families. Internal to the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_CONVERSION_CELERISTOGPU_FUNCTIONKERNEL_H
#define CELERIS_LIB_CONVERSION_CELERISTOGPU_FUNCTIONKERNEL_H

#include "celeris/Conversion/CelerisToGPU/CelerisToGPU.h"
#include "celeris/Dialect/Celeris/IR/CelerisOps.h"

#include "OperandPrologue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>

namespace mlir::celeris {

/// The one Celeris op with a GPU kernel (attention, recurrence, scan,
/// selective_scan, route, dispatch, grouped_matmul or combine) at the top of
/// `func`'s only block; any other Celeris op there is an error naming it.
FailureOr<Operation *> findKernelOp(func::FuncOp func);

/// An operand of a kernel's op as the function must provide it.
struct KernelInput {
  Value operand;
  /// How messages call it ("query").
  StringRef role;
  /// Where the operand's prologue goes when the kernel reads it element by
  /// element and it may be computed from an argument (OperandPrologue.h);
  /// null when it must be an argument.
  std::optional<OperandPrologue> *prologue = nullptr;
};

/// Whether `func` is exactly `op` between its arguments and its return:
/// every operand of `inputs` is an argument or, where it has a prologue
/// slot, computed from one by elementwise ops (traced into the slot); every
/// argument is used so; nothing else is computed; and the return gives
/// `op`'s results in order (`resultOrder` says which, for the message).
/// Errors start with `what` ("GPU attention").
LogicalResult checkKernelFunction(func::FuncOp func, Operation *op,
                                  StringRef what, ArrayRef<KernelInput> inputs,
                                  StringRef resultOrder);

/// `value`'s tensor type as a memref with the same extents: the kernel
/// argument type.
MemRefType getKernelMemRefType(Value value);
/// The kernel argument type of an operand read through `prologue` (its
/// argument's), or of the operand itself when it has none.
MemRefType getKernelMemRefType(Value operand,
                               const std::optional<OperandPrologue> &prologue);

/// Loads `source[indices]`, through `prologue` when there is one, and widens
/// it to f32: how the CUDA-core kernels read their operands.
Value loadAsF32(OpBuilder &b, Location loc, Value source, ValueRange indices,
                const std::optional<OperandPrologue> &prologue = std::nullopt);
/// Loads the `count` consecutive elements `source[prefix..., first + i]`
/// widened to f32, in 16-byte vectors where they line up: `count` and the
/// static innermost extent multiples of a vector, and `first` (which the
/// caller keeps a multiple of `count`) then a multiple too; else one element
/// at a time. Launches check that operands start 16-byte aligned.
SmallVector<Value> loadRunAsF32(OpBuilder &b, Location loc, Value source,
                                ValueRange prefix, Value first, int64_t count);
/// Stores the f32 `value` into `dest[indices]`, rounded to its element type.
void storeFromF32(OpBuilder &b, Location loc, Value value, Value dest,
                  ValueRange indices);

/// The #celeris.gpu_schedule recorded on `op`; an error starting with `what`
/// when there is none.
FailureOr<GPUScheduleAttr> getRecordedSchedule(Operation *op, StringRef what);
/// The recorded schedule, checked to name `family` (the one kernel family
/// of the op).
FailureOr<GPUScheduleAttr> getRecordedSchedule(Operation *op, StringRef what,
                                               KernelFamily family);

/// A new kernel `name` in `module` taking `argTypes`, with the manifest's
/// argument names and the schedule recorded on it (its launch, the
/// `celeris.launch` dictionary, is the family's to add); an error at `loc`
/// when the name is taken.
FailureOr<gpu::GPUFuncOp> createKernel(gpu::GPUModuleOp module, StringRef name,
                                       Location loc, TypeRange argTypes,
                                       ArrayRef<StringRef> argNames,
                                       GPUScheduleAttr schedule);

/// A kernel argument for createKernel: its type, null when the op has no
/// such operand (the argument is then left out), and its manifest name.
struct KernelArgument {
  MemRefType type;
  StringRef name;
};
/// createKernel over the arguments of `args` that are present, in order.
FailureOr<gpu::GPUFuncOp> createKernel(gpu::GPUModuleOp module, StringRef name,
                                       Location loc,
                                       ArrayRef<KernelArgument> args,
                                       GPUScheduleAttr schedule);

/// The start of a kernel's `celeris.launch` dictionary: `grid` (one to
/// three expressions of the named sizes; missing dimensions are 1), a
/// one-dimensional block of `threads`, and `sharedBytes` of dynamic shared
/// memory. The family appends its sizes, results, workspace and steps.
NamedAttrList getKernelLaunch(Builder &builder, ArrayRef<std::string> grid,
                              int64_t threads, int64_t sharedBytes);

/// Lets ptxas cap `kernel`'s registers at 65536 / (threads * ctasPerSm)
/// (.maxntid and .minnctapersm); a `ctasPerSm` of 0 (no bound asked for)
/// still caps them for one CTA, which must always fit.
void capKernelRegisters(gpu::GPUFuncOp kernel, int64_t threads,
                        int64_t ctasPerSm);

/// The attribute of a kernel that says which argument or result of the
/// function it replaced each of its manifest arguments is: an array of
/// i64, `i` for argument i and `-1 - r` for result r. Programs bind their
/// launches through it.
constexpr StringLiteral kArgumentSourcesAttrName = "celeris.arg_sources";

/// Erases `func`, which `kernels` now has the kernel of, after recording on
/// the kernel (kArgumentSourcesAttrName) what of `func` each kernel argument
/// is: `values` are the op's operands and results in the kernel's argument
/// order, null where the kernel has no argument. An operand computed from
/// an argument by a prologue is that argument.
void replaceFunctionByKernel(func::FuncOp func, gpu::GPUModuleOp kernels,
                             ArrayRef<Value> values);

/// Replace `func` (checked by findKernelOp to hold `op`) by its kernel.
LogicalResult lowerAttentionFunctionToGPU(func::FuncOp func, AttentionOp op,
                                          gpu::GPUModuleOp kernels,
                                          const NvidiaChip &chip);
LogicalResult lowerRecurrenceFunctionToGPU(func::FuncOp func, RecurrenceOp op,
                                           gpu::GPUModuleOp kernels,
                                           const NvidiaChip &chip);
LogicalResult lowerScanFunctionToGPU(func::FuncOp func, ScanOp op,
                                     gpu::GPUModuleOp kernels);
LogicalResult lowerSelectiveScanFunctionToGPU(func::FuncOp func,
                                              SelectiveScanOp op,
                                              gpu::GPUModuleOp kernels);

/// The loop_nest kernel of a function of one linalg op of a program
/// (LoopNestKernel.cpp).
LogicalResult lowerLinalgFunctionToGPU(func::FuncOp func, linalg::LinalgOp op,
                                       gpu::GPUModuleOp kernels);

LogicalResult lowerGroupedMatmulFunctionToGPU(func::FuncOp func,
                                              GroupedMatmulOp op,
                                              gpu::GPUModuleOp kernels);
LogicalResult lowerRouteFunctionToGPU(func::FuncOp func, RouteOp op,
                                      gpu::GPUModuleOp kernels);
LogicalResult lowerDispatchFunctionToGPU(func::FuncOp func, DispatchOp op,
                                         gpu::GPUModuleOp kernels);
LogicalResult lowerDispatchMapFunctionToGPU(func::FuncOp func, DispatchMapOp op,
                                            gpu::GPUModuleOp kernels);
LogicalResult lowerCombineFunctionToGPU(func::FuncOp func, CombineOp op,
                                        gpu::GPUModuleOp kernels);

/// Replaces `program` (a function marked kProgramAttrName, whose callees
/// `kernels` now has the kernels of) by the record of its launches: a
/// private declaration taking its arguments and results as memrefs, with
/// `celeris.arg_names` and a `celeris.program` dictionary of `launches`
/// (each a kernel and the names bound to its arguments), `buffers` (name,
/// memref type and shape of each result passed between launches) and
/// `results` (each result's shape), shapes as products of the arguments'
/// extents.
LogicalResult lowerProgramToGPU(func::FuncOp program, gpu::GPUModuleOp kernels);

/// The largest state dim of a selective scan on the GPU: a lane holds a
/// channel's states (and their runs' aggregates) in registers.
constexpr int64_t kMaxSelectiveScanStates = 16;

} // namespace mlir::celeris

#endif // CELERIS_LIB_CONVERSION_CELERISTOGPU_FUNCTIONKERNEL_H
