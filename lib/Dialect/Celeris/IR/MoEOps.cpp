//===- MoEOps.cpp - Celeris MoE family ops ----------------------*- C++ -*-===//
//
// Verifiers and shape reification of the mixture-of-experts family: route,
// dispatch, grouped_matmul, combine and the composite moe layer.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/MoEOps.h"
#include "OpUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisMoEOps.cpp.inc"

/// Checks the routing attributes shared by `route` and `moe` against the
/// number of experts `numExperts` (possibly dynamic).
template <typename OpTy>
static LogicalResult verifyRoutingAttrs(OpTy op, int64_t numExperts) {
  int64_t k = op.getK();
  bool staticExperts = !ShapedType::isDynamic(numExperts);
  if (staticExperts && k > numExperts)
    return op.emitOpError()
           << "expects k (" << k << ") to be at most the number of experts ("
           << numExperts << ")";

  std::optional<uint64_t> numGroups = op.getNumGroups();
  std::optional<uint64_t> topkGroups = op.getTopkGroups();
  if (numGroups.has_value() != topkGroups.has_value())
    return op.emitOpError(
        "expects both num_groups and topk_groups, or neither");
  if (numGroups) {
    int64_t groups = *numGroups, best = *topkGroups;
    if (best > groups)
      return op.emitOpError()
             << "expects topk_groups (" << best
             << ") to be at most num_groups (" << groups << ")";
    if (staticExperts && numExperts % groups != 0)
      return op.emitOpError()
             << "expects the number of experts (" << numExperts
             << ") to be a multiple of num_groups (" << groups << ")";
    if (staticExperts && k > best * (numExperts / groups))
      return op.emitOpError()
             << "expects k (" << k
             << ") to be at most the number of experts of the topk_groups "
                "best groups ("
             << best * (numExperts / groups) << ")";
  }

  double scaling = op.getScalingFactor().convertToDouble();
  if (!(scaling > 0 && std::isfinite(scaling)))
    return op.emitOpError()
           << "expects a positive finite scaling_factor, got " << scaling;
  return success();
}

/// "expects <value> to have element type f32 or that of <a> (<ta>), got
/// <tb>": weights may be kept in f32 or in the activations' type.
static LogicalResult f32OrSameElementType(Operation *op, const Named &a,
                                          const Named &value) {
  Type elementType = value.type.getElementType();
  if (elementType.isF32() || elementType == a.type.getElementType())
    return success();
  return op->emitOpError() << "expects " << value.name
                           << " to have element type f32 or that of " << a.name
                           << " (" << a.type.getElementType() << "), got "
                           << elementType;
}

//===----------------------------------------------------------------------===//
// RouteOp
//===----------------------------------------------------------------------===//

LogicalResult RouteOp::verify() {
  Operation *op = getOperation();
  bool expertChoice = isExpertChoice();
  Named logits("logits", getLogits());
  if (failed(verify::rank(op, logits, 2, "[T, E]")))
    return failure();
  if (Value biasValue = getBias()) {
    Named bias("bias", biasValue);
    if (failed(verify::rank(op, bias, 1, "[E]")) ||
        failed(
            verify::sameDim(op, "the number of experts", logits, 1, bias, 0)))
      return failure();
  }

  // Token choice returns [T, k]; expert choice returns [E, capacity].
  std::optional<uint64_t> capacity = getCapacity();
  if (expertChoice) {
    if (!capacity)
      return emitOpError("expects a capacity with expert_choice routing");
    if (getRenormalize())
      return emitOpError("expects renormalize only with token_choice routing");
    if (getNumGroups() || getTopkGroups())
      return emitOpError("expects num_groups and topk_groups only with "
                         "token_choice routing");
    int64_t tokens = logits.dim(0);
    if (!ShapedType::isDynamic(tokens) &&
        static_cast<int64_t>(*capacity) > tokens)
      return emitOpError() << "expects capacity (" << *capacity
                           << ") to be at most the number of tokens (" << tokens
                           << ")";
  } else if (capacity) {
    return emitOpError("expects capacity only with expert_choice routing");
  }
  for (Named result :
       {Named("weights", getWeights()), Named("indices", getIndices())}) {
    if (expertChoice) {
      if (failed(verify::rank(op, result, 2, "[E, capacity]")) ||
          failed(verify::sameDim(op, "the number of experts", logits, 1, result,
                                 0)) ||
          failed(verify::dimEquals(op, "the capacity dimension", result, 1,
                                   *capacity)))
        return failure();
    } else {
      if (failed(verify::rank(op, result, 2, "[T, k]")) ||
          failed(verify::sameDim(op, "the number of tokens", logits, 0, result,
                                 0)) ||
          failed(verify::dimEquals(op, "the selection dimension", result, 1,
                                   getK())))
        return failure();
    }
  }
  return verifyRoutingAttrs(*this, logits.dim(1));
}

LogicalResult RouteOp::reifyResultShapes(OpBuilder &b,
                                         ReifiedRankedShapedTypeDims &reified) {
  Value logits = getLogits();
  SmallVector<OpFoldResult> shape;
  if (isExpertChoice())
    shape = {tensor::getMixedSize(b, getLoc(), logits, 1),
             b.getIndexAttr(getCapacity().value_or(0))};
  else
    shape = {tensor::getMixedSize(b, getLoc(), logits, 0),
             b.getIndexAttr(getK())};
  reified.push_back(shape);
  reified.push_back(shape);
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

/// What celeris.dispatch and celeris.dispatch_map both produce: `rows`
/// has a row per assignment (T k) and `offsets` one entry per expert.
static LogicalResult verifyDispatchedRows(Operation *op, const Named &experts,
                                          const Named &rows,
                                          const Named &offsets,
                                          int64_t numExperts) {
  int64_t tokens = experts.dim(0), slots = experts.dim(1);
  int64_t assignments =
      ShapedType::isDynamic(tokens) || ShapedType::isDynamic(slots)
          ? ShapedType::kDynamic
          : tokens * slots;
  if (failed(verify::dimEquals(op, "the number of rows (T * k)", rows, 0,
                               assignments)) ||
      failed(verify::dimEquals(op, "the number of experts", offsets, 0,
                               numExperts)))
    return failure();
  return success();
}

LogicalResult DispatchOp::verify() {
  Operation *op = getOperation();
  Named x("x", getX()), experts("experts", getExperts());
  Named permuted("permuted", getPermuted()), offsets("offsets", getOffsets());
  Named rowMap("row_map", getRowMap());
  if (failed(verify::rank(op, x, 2, "[T, d]")) ||
      failed(verify::rank(op, experts, 2, "[T, k]")) ||
      failed(verify::rank(op, permuted, 2, "[T * k, d]")) ||
      failed(verify::rank(op, offsets, 1, "[E]")) ||
      failed(verify::rank(op, rowMap, 2, "[T, k]")))
    return failure();
  if (failed(verify::sameElementType(op, x, permuted)))
    return failure();
  if (failed(verify::sameDim(op, "the number of tokens", x, 0, experts, 0)) ||
      failed(
          verify::sameDim(op, "the number of tokens", experts, 0, rowMap, 0)) ||
      failed(verify::sameDim(op, "the selection dimension", experts, 1, rowMap,
                             1)) ||
      failed(verify::sameDim(op, "the model dimension", x, 1, permuted, 1)))
    return failure();
  return verifyDispatchedRows(op, experts, permuted, offsets, getNumExperts());
}

//===----------------------------------------------------------------------===//
// DispatchMapOp
//===----------------------------------------------------------------------===//

LogicalResult DispatchMapOp::verify() {
  Operation *op = getOperation();
  Named experts("experts", getExperts());
  Named sourceRows("source_rows", getSourceRows()),
      offsets("offsets", getOffsets()), rowMap("row_map", getRowMap());
  if (failed(verify::rank(op, experts, 2, "[T, k]")) ||
      failed(verify::rank(op, sourceRows, 1, "[T * k]")) ||
      failed(verify::rank(op, offsets, 1, "[E]")) ||
      failed(verify::rank(op, rowMap, 2, "[T, k]")))
    return failure();
  if (failed(
          verify::sameDim(op, "the number of tokens", experts, 0, rowMap, 0)) ||
      failed(verify::sameDim(op, "the selection dimension", experts, 1, rowMap,
                             1)))
    return failure();
  return verifyDispatchedRows(op, experts, sourceRows, offsets,
                              getNumExperts());
}

//===----------------------------------------------------------------------===//
// GroupedMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult GroupedMatmulOp::verify() {
  Operation *op = getOperation();
  Named x("x", getX()), w("w", getW()), offsets("offsets", getOffsets());
  Named y("y", getY());
  if (failed(verify::rank(op, x, 2, getSourceRows() ? "[T, d]" : "[N, d]")) ||
      failed(verify::rank(op, w, 3, "[E, d, f]")) ||
      failed(verify::rank(op, offsets, 1, "[E]")) ||
      failed(verify::rank(op, y, 2, "[N, f]")))
    return failure();
  if (failed(verify::sameElementType(op, x, w)) ||
      failed(verify::sameElementType(op, x, y)))
    return failure();
  if (failed(verify::sameDim(op, "the input dimension", x, 1, w, 1)) ||
      failed(verify::sameDim(op, "the number of groups", w, 0, offsets, 0)) ||
      failed(verify::sameDim(op, "the output dimension", w, 2, y, 1)))
    return failure();
  // The product's rows are x's, or with gather those of source_rows.
  if (Value rows = getSourceRows()) {
    Named sourceRows("source_rows", rows);
    if (failed(verify::rank(op, sourceRows, 1, "[N]")) ||
        failed(verify::sameDim(op, "the number of rows", sourceRows, 0, y, 0)))
      return failure();
  } else if (failed(verify::sameDim(op, "the number of rows", x, 0, y, 0))) {
    return failure();
  }
  if (Value up = getWUp())
    if (up.getType() != getW().getType())
      return emitOpError() << "swiglu's w_up must have w's type "
                           << getW().getType() << ", got " << up.getType();
  return success();
}

LogicalResult
GroupedMatmulOp::reifyResultShapes(OpBuilder &b,
                                   ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value rows = getSourceRows() ? getSourceRows() : getX();
  reified.push_back(getMixedSizes(b, loc, {{rows, 0}, {getW(), 2}}));
  return success();
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::verify() {
  Operation *op = getOperation();
  Named y("y", getY()), weights("weights", getWeights());
  Named rowMap("row_map", getRowMap()), out("output", getOutput());
  if (failed(verify::rank(op, y, 2, "[N, f]")) ||
      failed(verify::rank(op, weights, 2, "[T, k]")) ||
      failed(verify::rank(op, rowMap, 2, "[T, k]")) ||
      failed(verify::rank(op, out, 2, "[T, f]")))
    return failure();
  if (failed(f32OrSameElementType(op, y, weights)) ||
      failed(verify::sameElementType(op, y, out)))
    return failure();
  if (failed(
          verify::sameDim(op, "the number of tokens", weights, 0, rowMap, 0)) ||
      failed(verify::sameDim(op, "the selection dimension", weights, 1, rowMap,
                             1)) ||
      failed(verify::sameDim(op, "the number of tokens", weights, 0, out, 0)) ||
      failed(verify::sameDim(op, "the output dimension", y, 1, out, 1)))
    return failure();
  return success();
}

LogicalResult
CombineOp::reifyResultShapes(OpBuilder &b,
                             ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  reified.push_back(getMixedSizes(b, loc, {{getRowMap(), 0}, {getY(), 1}}));
  return success();
}

//===----------------------------------------------------------------------===//
// MoEOp
//===----------------------------------------------------------------------===//

namespace {
/// A dimension that must agree across operands: `what` of `value` at `dim`.
struct DimUse {
  const Named *value;
  unsigned dim;
};
} // namespace

/// Checks that every use of a dimension agrees with the first one.
static LogicalResult sameDims(Operation *op, StringRef what,
                              ArrayRef<DimUse> uses) {
  for (const DimUse &use : uses.drop_front())
    if (failed(verify::sameDim(op, what, *uses.front().value, uses.front().dim,
                               *use.value, use.dim)))
      return failure();
  return success();
}

LogicalResult MoEOp::verify() {
  Operation *op = getOperation();
  Named x("x", getX()), router("router_weight", getRouterWeight());
  Named gate("w_gate", getWGate()), up("w_up", getWUp());
  Named down("w_down", getWDown()), out("output", getOutput());
  if (failed(verify::rank(op, x, 2, "[T, d]")) ||
      failed(verify::rank(op, router, 2, "[d, E]")) ||
      failed(verify::rank(op, gate, 3, "[E, d, f]")) ||
      failed(verify::rank(op, up, 3, "[E, d, f]")) ||
      failed(verify::rank(op, down, 3, "[E, f, d]")) ||
      failed(verify::rank(op, out, 2, "[T, d]")))
    return failure();
  if (failed(f32OrSameElementType(op, x, router)) ||
      failed(verify::sameElementType(op, x, gate)) ||
      failed(verify::sameElementType(op, x, up)) ||
      failed(verify::sameElementType(op, x, down)) ||
      failed(verify::sameElementType(op, x, out)))
    return failure();

  SmallVector<DimUse> modelDims = {{&x, 1},  {&router, 0}, {&gate, 1},
                                   {&up, 1}, {&down, 2},   {&out, 1}};
  SmallVector<DimUse> expertDims = {
      {&router, 1}, {&gate, 0}, {&up, 0}, {&down, 0}};

  std::optional<Named> bias;
  if (Value biasValue = getBias()) {
    bias.emplace("bias", biasValue);
    if (failed(verify::rank(op, *bias, 1, "[E]")))
      return failure();
    expertDims.push_back({&*bias, 0});
  }

  Value sharedValues[] = {getSharedGate(), getSharedUp(), getSharedDown()};
  if (llvm::count_if(sharedValues, [](Value v) { return v; }) % 3 != 0)
    return emitOpError("expects all three shared expert weights "
                       "(shared_gate, shared_up, shared_down) or none");
  std::optional<Named> sharedGate, sharedUp, sharedDown;
  if (hasSharedExperts()) {
    sharedGate.emplace("shared_gate", getSharedGate());
    sharedUp.emplace("shared_up", getSharedUp());
    sharedDown.emplace("shared_down", getSharedDown());
    if (failed(verify::rank(op, *sharedGate, 2, "[d, fs]")) ||
        failed(verify::rank(op, *sharedUp, 2, "[d, fs]")) ||
        failed(verify::rank(op, *sharedDown, 2, "[fs, d]")))
      return failure();
    for (const Named *shared : {&*sharedGate, &*sharedUp, &*sharedDown})
      if (failed(verify::sameElementType(op, x, *shared)))
        return failure();
    modelDims.append({{&*sharedGate, 0}, {&*sharedUp, 0}, {&*sharedDown, 1}});
    if (failed(
            sameDims(op, "the shared expert hidden dimension",
                     {{&*sharedGate, 1}, {&*sharedUp, 1}, {&*sharedDown, 0}})))
      return failure();
  }

  if (failed(sameDims(op, "the number of tokens", {{&x, 0}, {&out, 0}})) ||
      failed(sameDims(op, "the model dimension", modelDims)) ||
      failed(sameDims(op, "the number of experts", expertDims)) ||
      failed(sameDims(op, "the expert hidden dimension",
                      {{&gate, 2}, {&up, 2}, {&down, 1}})))
    return failure();
  return verifyRoutingAttrs(*this, router.dim(1));
}

LogicalResult MoEOp::reifyResultShapes(OpBuilder &b,
                                       ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  reified.push_back(getMixedSizes(b, loc, {{getX(), 0}, {getX(), 1}}));
  return success();
}
