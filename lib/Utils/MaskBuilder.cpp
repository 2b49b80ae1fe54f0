//===- MaskBuilder.cpp - #celeris.mask as index arithmetic ------*- C++ -*-===//
//
// The predicate of one (query position, key position) pair, the
// classification of a tile of pairs with dynamic bounds (the runtime
// counterpart of classifyTile), and the key ranges of a range of queries.
// Shared by the CPU tilings and the GPU kernel layer.
//
//===----------------------------------------------------------------------===//

#include "celeris/Utils/MaskBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {
/// Small arith builders over integer positions: `index`, or i32 where a
/// GPU kernel keeps its per-element arithmetic 32-bit.
struct IndexMath {
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(int64_t v) {
    return arith::ConstantOp::create(b, loc, IntegerAttr::get(type, v));
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
  Value notI(Value x) {
    return arith::XOrIOp::create(b, loc, x, boolean(true));
  }
  Value minS(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxS(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  /// floor(x / d) * d.
  Value roundDown(Value x, int64_t d) {
    return arith::MulIOp::create(b, loc, floorDiv(x, d), constant(d));
  }
};
} // namespace

Value mlir::celeris::buildMaskPredicate(OpBuilder &b, Location loc,
                                        MaskAttr mask, Value p, Value j) {
  IndexMath m{b, loc, p.getType()};
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

namespace {
/// Inclusive bounds [p0, p1] x [j0, j1] of a non-empty tile, as index values.
struct TileBounds {
  Value p0, p1, j0, j1;
};

/// (isEmpty, isFull) of `mask` over `t`, mirroring the interval rules of
/// classifyTile (MaskTileClassification.cpp): each i1 is true only when the
/// tile is certainly empty or full.
std::pair<Value, Value> classifyTileAt(IndexMath &m, MaskAttr mask,
                                       const TileBounds &t) {
  using Pred = arith::CmpIPredicate;
  ArrayRef<int64_t> params = mask.getParams();
  Value no = m.boolean(false);
  // Same block of `size` positions, for chunked and dilated segments.
  auto sameBlock = [&](int64_t size) -> std::pair<Value, Value> {
    Value bp0 = m.floorDiv(t.p0, size), bp1 = m.floorDiv(t.p1, size);
    Value bj0 = m.floorDiv(t.j0, size), bj1 = m.floorDiv(t.j1, size);
    Value disjoint =
        m.orI(m.cmp(Pred::slt, bp1, bj0), m.cmp(Pred::slt, bj1, bp0));
    Value single =
        m.andI(m.andI(m.cmp(Pred::eq, bp0, bp1), m.cmp(Pred::eq, bj0, bj1)),
               m.cmp(Pred::eq, bp0, bj0));
    return {disjoint, single};
  };
  switch (mask.getKind()) {
  case MaskKind::None:
    return {m.boolean(true), no};
  case MaskKind::All:
    return {no, m.boolean(true)};
  case MaskKind::Causal:
    return {m.cmp(Pred::sgt, t.j0, t.p1), m.cmp(Pred::sle, t.j1, t.p0)};
  case MaskKind::Window: {
    Value left = m.constant(params[0]), right = m.constant(params[1]);
    Value empty = m.orI(m.cmp(Pred::slt, t.j1, m.sub(t.p0, left)),
                        m.cmp(Pred::sgt, t.j0, m.add(t.p1, right)));
    Value full = m.andI(m.cmp(Pred::sge, t.j0, m.sub(t.p1, left)),
                        m.cmp(Pred::sle, t.j1, m.add(t.p0, right)));
    return {empty, full};
  }
  case MaskKind::Sink: {
    Value n = m.constant(params[0]);
    return {m.cmp(Pred::sge, t.j0, n), m.cmp(Pred::slt, t.j1, n)};
  }
  case MaskKind::BlockCausal: {
    int64_t size = params[0];
    return {m.cmp(Pred::sgt, m.floorDiv(t.j0, size), m.floorDiv(t.p1, size)),
            m.cmp(Pred::sle, m.floorDiv(t.j1, size), m.floorDiv(t.p0, size))};
  }
  case MaskKind::Prefix: {
    Value n = m.constant(params[0]);
    return {m.andI(m.cmp(Pred::sgt, t.j0, t.p1), m.cmp(Pred::sge, t.j0, n)),
            m.orI(m.cmp(Pred::sle, t.j1, t.p0), m.cmp(Pred::slt, t.j1, n))};
  }
  case MaskKind::Chunked:
    return sameBlock(params[0]);
  case MaskKind::Dilated: {
    auto [disjoint, single] = sameBlock(params[1]);
    // Off-grid positions make any multi-position tile partial for rate > 1.
    return {disjoint, params[0] == 1 ? single : no};
  }
  case MaskKind::Strided: {
    int64_t stride = params[0];
    if (stride == 1)
      return {no, m.boolean(true)};
    // p - j covers [p0 - j1, p1 - j0]; empty when it holds no multiple.
    Value lo = m.sub(t.p0, t.j1), hi = m.sub(t.p1, t.j0);
    Value lastMultiple = arith::MulIOp::create(
        m.b, m.loc, m.floorDiv(hi, stride), m.constant(stride));
    return {m.cmp(Pred::slt, lastMultiple, lo), no};
  }
  case MaskKind::Global: {
    // Empty when no token lies in either range; never claimed full.
    Value any = no;
    for (int64_t token : params) {
      Value c = m.constant(token);
      auto within = [&](Value lo, Value hi) {
        return m.andI(m.cmp(Pred::sle, lo, c), m.cmp(Pred::sle, c, hi));
      };
      any = m.orI(any, m.orI(within(t.p0, t.p1), within(t.j0, t.j1)));
    }
    return {m.notI(any), no};
  }
  case MaskKind::Union:
  case MaskKind::Intersect: {
    bool isUnion = mask.getKind() == MaskKind::Union;
    Value empty, full;
    for (MaskAttr operand : mask.getOperands()) {
      auto [e, f] = classifyTileAt(m, operand, t);
      if (!empty) {
        empty = e;
        full = f;
        continue;
      }
      // Union: empty if all are, full if any is; intersect: the converse.
      empty = isUnion ? m.andI(empty, e) : m.orI(empty, e);
      full = isUnion ? m.orI(full, f) : m.andI(full, f);
    }
    return {empty, full};
  }
  }
  llvm_unreachable("unknown mask kind");
}
} // namespace

std::pair<Value, Value>
mlir::celeris::buildTileClassification(OpBuilder &b, Location loc,
                                       MaskAttr mask, Value pBegin, Value pEnd,
                                       Value jBegin, Value jEnd) {
  IndexMath m{b, loc, pBegin.getType()};
  // Static bounds get the exact compile-time answer, so the caller's
  // scf.if folds away.
  APInt p0, p1, j0, j1;
  if (matchPattern(pBegin, m_ConstantInt(&p0)) &&
      matchPattern(pEnd, m_ConstantInt(&p1)) &&
      matchPattern(jBegin, m_ConstantInt(&j0)) &&
      matchPattern(jEnd, m_ConstantInt(&j1))) {
    TileClass c = classifyTile(mask, p0.getSExtValue(), p1.getSExtValue(),
                               j0.getSExtValue(), j1.getSExtValue());
    return {m.boolean(c == TileClass::Empty), m.boolean(c == TileClass::Full)};
  }
  Value one = m.constant(1);
  TileBounds t{pBegin, m.sub(pEnd, one), jBegin, m.sub(jEnd, one)};
  return classifyTileAt(m, mask, t);
}

namespace {
/// A half-open key interval [lo, hi); null bounds mean "unbounded".
struct KeyInterval {
  Value lo, hi;
};

/// A superset of the keys `mask` allows for some query in [pBegin, pEnd).
KeyInterval keyInterval(IndexMath &m, MaskAttr mask, Value pBegin, Value pEnd) {
  ArrayRef<int64_t> params = mask.getParams();
  Value pLast = m.sub(pEnd, m.constant(1));
  switch (mask.getKind()) {
  case MaskKind::Causal:
    return {Value(), pEnd};
  case MaskKind::Window:
    return {m.sub(pBegin, m.constant(params[0])),
            m.add(pEnd, m.constant(params[1]))};
  case MaskKind::Sink:
    return {Value(), m.constant(params[0])};
  case MaskKind::Prefix:
    return {Value(), m.maxS(pEnd, m.constant(params[0]))};
  case MaskKind::BlockCausal:
    return {Value(),
            m.add(m.roundDown(pLast, params[0]), m.constant(params[0]))};
  case MaskKind::Chunked:
  case MaskKind::Dilated: {
    // Keys share the query's chunk (segment).
    int64_t size = params[mask.getKind() == MaskKind::Chunked ? 0 : 1];
    return {m.roundDown(pBegin, size),
            m.add(m.roundDown(pLast, size), m.constant(size))};
  }
  case MaskKind::Intersect: {
    KeyInterval r;
    for (MaskAttr operand : mask.getOperands()) {
      KeyInterval o = keyInterval(m, operand, pBegin, pEnd);
      if (o.lo)
        r.lo = r.lo ? m.maxS(r.lo, o.lo) : o.lo;
      if (o.hi)
        r.hi = r.hi ? m.minS(r.hi, o.hi) : o.hi;
    }
    return r;
  }
  case MaskKind::Union: {
    // The hull; one unbounded side makes the union unbounded on that side.
    SmallVector<KeyInterval> parts;
    for (MaskAttr operand : mask.getOperands())
      parts.push_back(keyInterval(m, operand, pBegin, pEnd));
    KeyInterval r = parts.front();
    for (const KeyInterval &o : ArrayRef(parts).drop_front()) {
      r.lo = (r.lo && o.lo) ? m.minS(r.lo, o.lo) : Value();
      r.hi = (r.hi && o.hi) ? m.maxS(r.hi, o.hi) : Value();
    }
    return r;
  }
  default:
    // all, none, strided, global: any key.
    return {};
  }
}
} // namespace

std::pair<Value, Value> mlir::celeris::buildKeyRange(OpBuilder &b, Location loc,
                                                     MaskAttr mask,
                                                     Value pBegin, Value pEnd,
                                                     Value kvLen) {
  IndexMath m{b, loc, pBegin.getType()};
  KeyInterval r = keyInterval(m, mask, pBegin, pEnd);
  Value zero = m.constant(0);
  Value lo = r.lo ? m.minS(m.maxS(r.lo, zero), kvLen) : zero;
  Value hi = r.hi ? m.minS(m.maxS(r.hi, zero), kvLen) : kvLen;
  // An empty range is [lo, lo).
  return {lo, m.maxS(lo, hi)};
}

namespace {
/// Intervals of keys, each a superset-preserving part of what `mask` allows
/// for queries in [pBegin, pEnd): the union of the parts covers every
/// allowed key. Null bounds are unbounded. Empty means "give up, use the
/// hull" (more than `maxParts` parts).
SmallVector<KeyInterval> keyIntervals(IndexMath &m, MaskAttr mask, Value pBegin,
                                      Value pEnd, int64_t maxParts) {
  switch (mask.getKind()) {
  case MaskKind::Union: {
    SmallVector<KeyInterval> parts;
    for (MaskAttr operand : mask.getOperands()) {
      SmallVector<KeyInterval> sub =
          keyIntervals(m, operand, pBegin, pEnd, maxParts);
      if (sub.empty() || parts.size() + sub.size() > size_t(maxParts))
        return {};
      parts.append(sub);
    }
    return parts;
  }
  case MaskKind::Intersect: {
    // Distributes over unions: (A u B) n C = (A n C) u (B n C).
    SmallVector<KeyInterval> parts = {KeyInterval()};
    for (MaskAttr operand : mask.getOperands()) {
      SmallVector<KeyInterval> sub =
          keyIntervals(m, operand, pBegin, pEnd, maxParts);
      if (sub.empty() || parts.size() * sub.size() > size_t(maxParts))
        return {};
      SmallVector<KeyInterval> product;
      for (const KeyInterval &x : parts)
        for (const KeyInterval &y : sub) {
          KeyInterval r = x;
          if (y.lo)
            r.lo = r.lo ? m.maxS(r.lo, y.lo) : y.lo;
          if (y.hi)
            r.hi = r.hi ? m.minS(r.hi, y.hi) : y.hi;
          product.push_back(r);
        }
      parts = std::move(product);
    }
    return parts;
  }
  default:
    return {keyInterval(m, mask, pBegin, pEnd)};
  }
}
} // namespace

SmallVector<KeyTileRange>
mlir::celeris::buildKeyTileRanges(OpBuilder &b, Location loc, MaskAttr mask,
                                  Value pBegin, Value pEnd, Value kvLen,
                                  int64_t tileSize, int64_t maxRanges) {
  IndexMath m{b, loc, pBegin.getType()};
  using Pred = arith::CmpIPredicate;
  SmallVector<KeyInterval> parts =
      keyIntervals(m, mask, pBegin, pEnd, maxRanges);
  if (parts.empty())
    parts = {keyInterval(m, mask, pBegin, pEnd)};
  Value zero = m.constant(0);
  Value tiles = m.floorDiv(m.add(kvLen, m.constant(tileSize - 1)), tileSize);
  // Key intervals to tile ranges, clamped to [0, tiles) and non-inverted.
  SmallVector<KeyTileRange> ranges;
  for (const KeyInterval &part : parts) {
    Value lo = part.lo ? m.minS(m.maxS(part.lo, zero), kvLen) : zero;
    Value hi = part.hi ? m.minS(m.maxS(part.hi, zero), kvLen) : kvLen;
    Value begin = m.floorDiv(lo, tileSize);
    Value end = m.floorDiv(m.add(hi, m.constant(tileSize - 1)), tileSize);
    end = m.maxS(begin, m.minS(end, tiles));
    ranges.push_back({begin, end});
  }
  // Sorted by begin (a network of compare-and-swap, the count being
  // static), then each range starts where the ones before it end, so no
  // tile is visited twice.
  for (size_t i = 0; i < ranges.size(); ++i)
    for (size_t k = 0; k + 1 < ranges.size() - i; ++k) {
      KeyTileRange &x = ranges[k], &y = ranges[k + 1];
      Value swap = m.cmp(Pred::sgt, x.begin, y.begin);
      auto pick = [&](Value c, Value t, Value f) {
        return arith::SelectOp::create(b, loc, c, t, f).getResult();
      };
      KeyTileRange first{pick(swap, y.begin, x.begin),
                         pick(swap, y.end, x.end)};
      KeyTileRange second{pick(swap, x.begin, y.begin),
                          pick(swap, x.end, y.end)};
      x = first;
      y = second;
    }
  Value covered;
  for (KeyTileRange &r : ranges) {
    if (covered) {
      r.begin = m.maxS(r.begin, covered);
      r.end = m.maxS(r.end, r.begin);
      covered = m.maxS(covered, r.end);
    } else {
      covered = r.end;
    }
  }
  return ranges;
}
