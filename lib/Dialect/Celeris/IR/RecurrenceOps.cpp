//===- RecurrenceOps.cpp - Celeris Recurrence family ops --------*- C++ -*-===//
//
// Verifiers and shape reification of the matrix-state recurrence, the
// elementwise scan and the selective scan.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/RecurrenceOps.h"
#include "OpUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

/// Names of the leading dimensions shared by the recurrence's sequences.
static constexpr StringLiteral kBatchHeadsSequence[] = {
    "the batch size", "the number of heads", "the sequence length"};

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisRecurrenceOps.cpp.inc"

//===----------------------------------------------------------------------===//
// RecurrenceOp
//===----------------------------------------------------------------------===//

/// The layout of the `decay` operand for a decay kind.
static StringRef decayLayout(DecayKind kind) {
  switch (kind) {
  case DecayKind::None:
    return "";
  case DecayKind::Head:
    return "[H]";
  case DecayKind::Scalar:
    return "[B, H, S]";
  case DecayKind::Vector:
    return "[B, H, S, Dk]";
  }
  llvm_unreachable("unknown decay kind");
}

/// Checks a `[B, H, Dk, Dv]` state against the query and value.
static LogicalResult verifyState(Operation *op, const Named &state,
                                 const Named &q, const Named &v) {
  if (failed(verify::rank(op, state, 4, "[B, H, Dk, Dv]")) ||
      failed(verify::sameDim(op, "the batch size", q, 0, state, 0)) ||
      failed(verify::sameDim(op, "the number of heads", q, 1, state, 1)) ||
      failed(verify::sameDim(op, "the key head dimension", q, 3, state, 2)) ||
      failed(verify::sameDim(op, "the value head dimension", v, 3, state, 3)))
    return failure();
  return success();
}

LogicalResult RecurrenceOp::verify() {
  Operation *op = getOperation();
  Named q("query", getQuery()), k("key", getKey()), v("value", getValue());
  Named out("output", getOutput());
  if (failed(verify::rank(op, q, 4, "[B, H, S, Dk]")) ||
      failed(verify::rank(op, k, 4, "[B, H, S, Dk]")) ||
      failed(verify::rank(op, v, 4, "[B, H, S, Dv]")) ||
      failed(verify::rank(op, out, 4, "[B, H, S, Dv]")))
    return failure();
  if (failed(verify::sameElementType(op, q, k)) ||
      failed(verify::sameElementType(op, q, v)) ||
      failed(verify::sameElementType(op, v, out)))
    return failure();

  // Keys match queries everywhere; values and the output share [B, H, S].
  for (auto [i, what] : llvm::enumerate(kBatchHeadsSequence)) {
    if (failed(verify::sameDim(op, what, q, i, k, i)) ||
        failed(verify::sameDim(op, what, q, i, v, i)) ||
        failed(verify::sameDim(op, what, q, i, out, i)))
      return failure();
  }
  if (failed(verify::sameDim(op, "the key head dimension", q, 3, k, 3)) ||
      failed(verify::sameDim(op, "the value head dimension", v, 3, out, 3)))
    return failure();

  // The decay operand's presence and shape follow the decay kind.
  DecayKind decayKind = getDecayKind();
  StringRef kindName = stringifyDecayKind(decayKind);
  Value decayValue = getDecay();
  if (decayKind == DecayKind::None) {
    if (decayValue)
      return emitOpError("expects no decay operand for decay kind 'none'");
  } else if (!decayValue) {
    return emitOpError() << "expects a decay operand of shape "
                         << decayLayout(decayKind) << " for decay kind '"
                         << kindName << "'";
  } else {
    Named decay("decay", decayValue);
    std::string layout =
        (decayLayout(decayKind) + " for decay kind '" + kindName + "'").str();
    if (decayKind == DecayKind::Head) {
      if (failed(verify::rank(op, decay, 1, layout)) ||
          failed(verify::sameDim(op, "the number of heads", q, 1, decay, 0)))
        return failure();
    } else {
      int64_t rank = decayKind == DecayKind::Scalar ? 3 : 4;
      if (failed(verify::rank(op, decay, rank, layout)))
        return failure();
      if (failed(verify::sameLeadingDims(op, kBatchHeadsSequence, q, decay)))
        return failure();
      if (decayKind == DecayKind::Vector &&
          failed(verify::sameDim(op, "the key head dimension", q, 3, decay, 3)))
        return failure();
    }
  }

  // The delta rule needs its write strengths beta; the additive update none.
  UpdateKind updateKind = getUpdateKind();
  Value betaValue = getBeta();
  if (updateKind == UpdateKind::Additive && betaValue)
    return emitOpError("expects no beta operand for update kind 'additive'");
  if (updateKind == UpdateKind::Delta && !betaValue)
    return emitOpError(
        "expects a beta operand of shape [B, H, S] for update kind 'delta'");
  if (betaValue) {
    Named beta("beta", betaValue);
    if (failed(verify::rank(op, beta, 3, "[B, H, S]")) ||
        failed(verify::sameElementType(op, q, beta)))
      return failure();
    if (failed(verify::sameLeadingDims(op, kBatchHeadsSequence, q, beta)))
      return failure();
  }

  if (Value init = getInitialState())
    if (failed(verifyState(op, Named("initial_state", init), q, v)))
      return failure();
  if (Value final = getFinalState())
    if (failed(verifyState(op, Named("final_state", final), q, v)))
      return failure();

  return verify::finiteScale(op, getScaleAttr());
}

LogicalResult
RecurrenceOp::reifyResultShapes(OpBuilder &b,
                                ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value q = getQuery(), v = getValue();
  reified.push_back(getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}, {v, 3}}));
  if (getFinalState())
    reified.push_back(getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 3}, {v, 3}}));
  return success();
}

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::verify() {
  Operation *op = getOperation();
  Named a("a", getA()), b("b", getB()), h("h", getH());
  int64_t rank = a.type.getRank();
  if (rank < 1)
    return emitOpError() << "expects a to have rank at least 1, got " << a.type;
  if (failed(verify::rank(op, b, rank, "the rank of a")) ||
      failed(verify::rank(op, h, rank, "the rank of a")) ||
      failed(verify::sameElementType(op, a, b)) ||
      failed(verify::sameElementType(op, b, h)))
    return failure();
  for (int64_t i = 0; i < rank; ++i) {
    std::string what = "dimension " + std::to_string(i);
    if (failed(verify::sameDim(op, what, a, i, b, i)) ||
        failed(verify::sameDim(op, what, b, i, h, i)))
      return failure();
  }

  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "expects axis (" << axis << ") to be in [0, "
                         << rank << "), the dimensions of a";

  if (Value initValue = getInitial()) {
    Named init("initial", initValue);
    if (failed(verify::rank(op, init, rank - 1,
                            "the shape of a without the scan axis")) ||
        failed(verify::sameElementType(op, a, init)))
      return failure();
    for (int64_t i = 0, j = 0; i < rank; ++i) {
      if (i == axis)
        continue;
      int64_t ai = a.dim(i), ij = init.dim(j);
      if (!ShapedType::isDynamic(ai) && !ShapedType::isDynamic(ij) && ai != ij)
        return emitOpError() << "expects dimension " << j << " of initial ("
                             << ij << ") to equal dimension " << i << " of a ("
                             << ai << "), the scan axis removed";
      ++j;
    }
  }
  return success();
}

LogicalResult ScanOp::reifyResultShapes(OpBuilder &builder,
                                        ReifiedRankedShapedTypeDims &reified) {
  reified.push_back(tensor::getMixedSizes(builder, getLoc(), getB()));
  return success();
}

//===----------------------------------------------------------------------===//
// SelectiveScanOp
//===----------------------------------------------------------------------===//

LogicalResult SelectiveScanOp::verify() {
  Operation *op = getOperation();
  Named u("u", getU()), delta("delta", getDelta()), a("A", getA());
  Named bMat("Bmat", getBmat()), c("C", getC()), y("y", getY());
  if (failed(verify::rank(op, u, 3, "[B, D, L]")) ||
      failed(verify::rank(op, delta, 3, "[B, D, L]")) ||
      failed(verify::rank(op, a, 2, "[D, N]")) ||
      failed(verify::rank(op, bMat, 3, "[B, N, L]")) ||
      failed(verify::rank(op, c, 3, "[B, N, L]")) ||
      failed(verify::rank(op, y, 3, "[B, D, L]")))
    return failure();
  if (failed(verify::sameElementType(op, u, delta)) ||
      failed(verify::sameElementType(op, u, bMat)) ||
      failed(verify::sameElementType(op, u, c)) ||
      failed(verify::sameElementType(op, u, y)))
    return failure();

  static constexpr StringLiteral kBatchChannelsLength[] = {
      "the batch size", "the number of channels", "the sequence length"};
  for (auto [i, what] : llvm::enumerate(kBatchChannelsLength))
    if (failed(verify::sameDim(op, what, u, i, delta, i)) ||
        failed(verify::sameDim(op, what, u, i, y, i)))
      return failure();
  if (failed(verify::sameDim(op, "the number of channels", u, 1, a, 0)))
    return failure();
  for (const Named &input : {bMat, c})
    if (failed(verify::sameDim(op, "the batch size", u, 0, input, 0)) ||
        failed(verify::sameDim(op, "the state size", a, 1, input, 1)) ||
        failed(verify::sameDim(op, "the sequence length", u, 2, input, 2)))
      return failure();

  for (auto [name, value] : {std::pair<StringRef, Value>{"D", getD()},
                             {"delta_bias", getDeltaBias()}}) {
    if (!value)
      continue;
    Named perChannel(name, value);
    if (failed(verify::rank(op, perChannel, 1, "[D]")) ||
        failed(
            verify::sameDim(op, "the number of channels", u, 1, perChannel, 0)))
      return failure();
  }
  if (Value zValue = getZ()) {
    Named z("z", zValue);
    if (failed(verify::rank(op, z, 3, "[B, D, L]")) ||
        failed(verify::sameElementType(op, u, z)))
      return failure();
    if (failed(verify::sameLeadingDims(op, kBatchChannelsLength, u, z)))
      return failure();
  }
  if (Value lastValue = getLastState()) {
    Named last("last_state", lastValue);
    if (failed(verify::rank(op, last, 3, "[B, D, N]")) ||
        failed(verify::sameDim(op, "the batch size", u, 0, last, 0)) ||
        failed(verify::sameDim(op, "the number of channels", u, 1, last, 1)) ||
        failed(verify::sameDim(op, "the state size", a, 1, last, 2)))
      return failure();
  }
  return success();
}

LogicalResult
SelectiveScanOp::reifyResultShapes(OpBuilder &b,
                                   ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value u = getU();
  reified.push_back(getMixedSizes(b, loc, {{u, 0}, {u, 1}, {u, 2}}));
  if (getLastState())
    reified.push_back(getMixedSizes(b, loc, {{u, 0}, {u, 1}, {getA(), 1}}));
  return success();
}
