//===- MaskPredicate.cpp - #celeris.mask as arith ops -----------*- C++ -*-===//
//
// Emits the predicate of a structured mask for one (query position, key
// position) pair. Positions are `index` values; block and segment
// arithmetic uses floor division so that positions before 0 (negative query
// offsets) behave as MaskAttr::allows documents.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToLinalg/CelerisToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {
/// Small arith builders over index values.
struct IndexMath {
  OpBuilder &b;
  Location loc;

  Value constant(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value boolean(bool v) { return arith::ConstantIntOp::create(b, loc, v, 1); }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, pred, x, y);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value floorDiv(Value x, int64_t d) {
    return arith::FloorDivSIOp::create(b, loc, x, constant(d));
  }
  /// x mod d in [0, d).
  Value floorMod(Value x, int64_t d) {
    Value q = floorDiv(x, d);
    return sub(x, arith::MulIOp::create(b, loc, q, constant(d)));
  }
  Value isMultiple(Value x, int64_t d) {
    return cmp(arith::CmpIPredicate::eq, floorMod(x, d), constant(0));
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
};
} // namespace

Value mlir::celeris::buildMaskPredicate(OpBuilder &b, Location loc,
                                        MaskAttr mask, Value p, Value j) {
  IndexMath m{b, loc};
  using Pred = arith::CmpIPredicate;
  ArrayRef<int64_t> params = mask.getParams();
  switch (mask.getKind()) {
  case MaskKind::None:
    return m.boolean(false);
  case MaskKind::All:
    return m.boolean(true);
  case MaskKind::Causal:
    return m.cmp(Pred::sle, j, p);
  case MaskKind::Window:
    return m.andI(m.cmp(Pred::sge, j, m.sub(p, m.constant(params[0]))),
                  m.cmp(Pred::sle, j, m.add(p, m.constant(params[1]))));
  case MaskKind::Sink:
    return m.cmp(Pred::slt, j, m.constant(params[0]));
  case MaskKind::Dilated: {
    int64_t rate = params[0], segment = params[1];
    Value sameSegment =
        m.cmp(Pred::eq, m.floorDiv(p, segment), m.floorDiv(j, segment));
    Value onGrid = m.andI(m.isMultiple(m.floorMod(p, segment), rate),
                          m.isMultiple(m.floorMod(j, segment), rate));
    return m.andI(sameSegment, onGrid);
  }
  case MaskKind::Strided:
    return m.isMultiple(m.sub(p, j), params[0]);
  case MaskKind::BlockCausal:
    return m.cmp(Pred::sle, m.floorDiv(j, params[0]), m.floorDiv(p, params[0]));
  case MaskKind::Prefix:
    return m.orI(m.cmp(Pred::sle, j, p),
                 m.cmp(Pred::slt, j, m.constant(params[0])));
  case MaskKind::Chunked:
    return m.cmp(Pred::eq, m.floorDiv(p, params[0]), m.floorDiv(j, params[0]));
  case MaskKind::Global: {
    Value any = m.boolean(false);
    for (int64_t token : params) {
      Value t = m.constant(token);
      any = m.orI(any, m.orI(m.cmp(Pred::eq, p, t), m.cmp(Pred::eq, j, t)));
    }
    return any;
  }
  case MaskKind::Union:
  case MaskKind::Intersect: {
    bool isUnion = mask.getKind() == MaskKind::Union;
    Value result;
    for (MaskAttr operand : mask.getOperands()) {
      Value v = buildMaskPredicate(b, loc, operand, p, j);
      result = !result ? v : (isUnion ? m.orI(result, v) : m.andI(result, v));
    }
    return result;
  }
  }
  llvm_unreachable("unknown mask kind");
}
