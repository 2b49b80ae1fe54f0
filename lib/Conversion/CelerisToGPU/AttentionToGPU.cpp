//===- AttentionToGPU.cpp - Attention functions to GPU kernels --*- C++ -*-===//
//
// Turns a function of model IR that is one celeris.attention into the
// kernel computing it. The function is the unit because it is the ABI: its
// arguments are the kernel's inputs and its results the buffers the kernel
// writes. What the kernel does not implement (other mask shapes, data-
// dependent structure, softcap, other head dims or element types) is an
// error naming the form, never a silently different kernel.
//
//===----------------------------------------------------------------------===//

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
  std::pair<Value, StringRef> inputs[] = {{attention.getQuery(), "query"},
                                          {attention.getKey(), "key"},
                                          {attention.getValue(), "value"}};
  for (auto [value, what] : inputs) {
    auto arg = dyn_cast<BlockArgument>(value);
    if (!arg || arg.getOwner() != &block)
      return attention->emitError()
             << "GPU attention: the " << what << " is not an argument of @"
             << name << "; the kernel reads q, k and v from its arguments";
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
             << " is not the query, key or value of its celeris.attention; "
                "the kernel has no place for it";
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
/// not; sets `causal` from the simplified mask.
static LogicalResult checkSupportedForm(AttentionOp op, bool &causal) {
  auto error = [&]() { return op->emitError("GPU attention "); };
  auto queryType = cast<ShapedType>(op.getQuery().getType());
  Type element = queryType.getElementType();
  if (!element.isBF16() && !element.isF16())
    return error() << "supports bf16 and f16 operands, got " << element;
  int64_t headDim = queryType.getDimSize(3);
  if (headDim != 64 && headDim != 128) {
    InFlightDiagnostic diag = error() << "supports head dims 64 and 128, got ";
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

  std::pair<bool, StringRef> structure[] = {
      {op.getAlibiSlopes() != nullptr, "ALiBi slopes"},
      {op.getSoftcapAttr() != nullptr, "softcap"},
      {op.getQSegmentIds() != nullptr, "segment ids"},
      {op.getCuSeqlensQ() != nullptr, "varlen sequence offsets"},
      {op.getBlockCounts() != nullptr, "block layouts"},
      {op.getKvLengths() != nullptr, "kv_lengths"},
      {op.getPageTable() != nullptr, "page tables"}};
  for (auto [present, what] : structure)
    if (present)
      return error() << "does not support " << what << " yet";

  if (FloatAttr scale = op.getScaleAttr();
      scale && !(scale.getValueAsDouble() > 0))
    return error() << "needs a positive scale (the running maximum is taken "
                      "over unscaled scores), got "
                   << scale.getValueAsDouble();

  MaskAttr mask = simplifyMask(op.getMask(), op.getStaticMaskExtent());
  if (mask.getKind() != MaskKind::All && mask.getKind() != MaskKind::Causal)
    return error() << "supports the masks all and causal, got "
                   << Attribute(mask);
  causal = mask.getKind() == MaskKind::Causal;
  if (std::optional<int64_t> offset = op.getQueryOffset(); causal && offset) {
    // The kernel aligns the diagonal bottom-right: offset Sk - Sq.
    int64_t sq = queryType.getDimSize(2);
    int64_t sk = cast<ShapedType>(op.getKey().getType()).getDimSize(2);
    bool isDefault = !ShapedType::isDynamic(sq) && !ShapedType::isDynamic(sk) &&
                     *offset == sk - sq;
    if (!isDefault)
      return error() << "supports a causal mask only with the default "
                        "query_offset (Sk - Sq, bottom-right aligned), got "
                     << *offset;
  }
  return success();
}

LogicalResult mlir::celeris::lowerAttentionFunctionToGPU(
    func::FuncOp func, gpu::GPUModuleOp kernels, const NvidiaChip &chip,
    const AttentionKernelOverrides &overrides) {
  FailureOr<AttentionOp> found = findAttention(func);
  if (failed(found))
    return failure();
  AttentionOp op = *found;
  bool causal = false;
  if (failed(checkSupportedForm(op, causal)) ||
      failed(checkAttentionFunction(func, op)))
    return failure();
  if (!SymbolTable::symbolKnownUseEmpty(func, func->getParentOp()))
    return func.emitError() << "GPU attention: @" << func.getSymName()
                            << " is used in the module; the kernel replaces "
                               "it, so those uses would dangle";

  auto queryType = cast<ShapedType>(op.getQuery().getType());
  AttentionKernelSpec spec;
  spec.headDim = queryType.getDimSize(3);
  spec.elementType = queryType.getElementType();
  spec.causal = causal;
  double scale = op.getScaleAttr()
                     ? op.getScaleAttr().getValueAsDouble()
                     : 1.0 / std::sqrt(static_cast<double>(spec.headDim));
  spec.scaleLog2e = static_cast<float>(scale * llvm::numbers::log2e);
  spec.storeLse = op.getLse() != nullptr;
  FailureOr<AttentionKernelConfig> config = selectAttentionKernelConfig(
      chip, spec.headDim, spec.elementType, overrides,
      [&]() { return op->emitError("GPU attention: "); });
  if (failed(config))
    return failure();
  spec.config = *config;

  if (failed(buildAttentionKernel(kernels, func.getSymName(), func.getLoc(),
                                  spec)))
    return failure();
  func.erase();
  return success();
}
