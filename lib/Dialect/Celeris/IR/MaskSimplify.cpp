//===- MaskSimplify.cpp - Canonical form of #celeris.mask -------*- C++ -*-===//
//
// The mask simplifier. It works bottom-up: operands are simplified first,
// then a node is rewritten by
//   1. extent rules (only with a static extent): a primitive that allows
//      every (query, key) pair of the extent becomes `all`, one that allows
//      none becomes `none`, a window whose left edge reaches key 0 for every
//      query and whose right edge is 0 becomes `causal`;
//   2. primitive identities: block_causal<1> = causal, strided<1> = all,
//      dilated<1, w> = chunked<w>;
//   3. combinator algebra: flattening, identity and absorbing elements,
//      deduplication, pairwise folds between primitives, a canonical operand
//      order, and collapsing to the single remaining operand.
// Every rewrite preserves `allows(p, j)` exactly (within the extent when one
// is given); the unit tests check this by exhaustive evaluation.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace mlir::celeris;

/// A strict weak order on masks, used to sort combinator operands so that
/// union(a, b) and union(b, a) have one canonical form.
static bool maskLess(MaskAttr a, MaskAttr b) {
  if (a.getKind() != b.getKind())
    return a.getKind() < b.getKind();
  if (a.getParams() != b.getParams())
    return std::lexicographical_compare(
        a.getParams().begin(), a.getParams().end(), b.getParams().begin(),
        b.getParams().end());
  ArrayRef<MaskAttr> x = a.getOperands(), y = b.getOperands();
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                      maskLess);
}

/// Rules that need the extent of the problem.
static MaskAttr simplifyPrimitiveInExtent(MaskAttr mask,
                                          const MaskExtent &extent) {
  MLIRContext *ctx = mask.getContext();
  // Nothing to decide over an empty problem.
  if (extent.queryEnd <= extent.queryBegin || extent.kvLength <= 0)
    return mask;
  int64_t pMin = extent.queryBegin, pMax = extent.queryEnd - 1;
  int64_t jMax = extent.kvLength - 1;
  ArrayRef<int64_t> params = mask.getParams();
  switch (mask.getKind()) {
  case MaskKind::Causal:
    if (pMin >= jMax)
      return MaskAttr::getAll(ctx);
    if (pMax < 0)
      return MaskAttr::getNone(ctx);
    break;
  case MaskKind::Window: {
    bool leftFree = pMax - params[0] <= 0;
    bool rightFree = pMin + params[1] >= jMax;
    if (leftFree && rightFree)
      return MaskAttr::getAll(ctx);
    if (leftFree && params[1] == 0)
      return simplifyPrimitiveInExtent(MaskAttr::getCausal(ctx), extent);
    break;
  }
  case MaskKind::Sink:
  case MaskKind::Prefix:
    if (params[0] > jMax)
      return MaskAttr::getAll(ctx);
    break;
  case MaskKind::BlockCausal: {
    // Every key block at or before the first query's block.
    int64_t b = params[0];
    if (pMin >= 0 && pMin / b >= jMax / b)
      return MaskAttr::getAll(ctx);
    break;
  }
  case MaskKind::Chunked: {
    // One chunk holds every query and every key.
    int64_t c = params[0];
    if (pMin >= 0 && pMax / c == 0 && jMax / c == 0)
      return MaskAttr::getAll(ctx);
    break;
  }
  case MaskKind::Global:
    if (llvm::all_of(params, [&](int64_t t) { return t > jMax && t > pMax; }))
      return MaskAttr::getNone(ctx);
    break;
  default:
    break;
  }
  return mask;
}

/// Identities of single primitives that hold for every extent.
static MaskAttr simplifyPrimitive(MaskAttr mask) {
  MLIRContext *ctx = mask.getContext();
  ArrayRef<int64_t> params = mask.getParams();
  switch (mask.getKind()) {
  case MaskKind::BlockCausal:
    if (params[0] == 1)
      return MaskAttr::getCausal(ctx);
    break;
  case MaskKind::Strided:
    if (params[0] == 1)
      return MaskAttr::getAll(ctx);
    break;
  case MaskKind::Dilated:
    if (params[0] == 1)
      return MaskAttr::get(ctx, MaskKind::Chunked, {params[1]});
    break;
  default:
    break;
  }
  return mask;
}

/// Folds a pair of operands of a union into one mask when a simple identity
/// applies, or returns null.
static MaskAttr foldUnionPair(MaskAttr a, MaskAttr b) {
  MLIRContext *ctx = a.getContext();
  if (maskLess(b, a))
    std::swap(a, b);
  MaskKind ka = a.getKind(), kb = b.getKind();
  ArrayRef<int64_t> pa = a.getParams(), pb = b.getParams();
  // Windows contain the diagonal, so two windows nest per side.
  if (ka == MaskKind::Window && kb == MaskKind::Window)
    return MaskAttr::getWindow(ctx, std::max(pa[0], pb[0]),
                               std::max(pa[1], pb[1]));
  if (ka == MaskKind::Sink && kb == MaskKind::Sink)
    return MaskAttr::get(ctx, MaskKind::Sink, {std::max(pa[0], pb[0])});
  if (ka == MaskKind::Prefix && kb == MaskKind::Prefix)
    return MaskAttr::get(ctx, MaskKind::Prefix, {std::max(pa[0], pb[0])});
  if (ka == MaskKind::Global && kb == MaskKind::Global) {
    SmallVector<int64_t> tokens(pa);
    tokens.append(pb.begin(), pb.end());
    llvm::sort(tokens);
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    return MaskAttr::get(ctx, MaskKind::Global, tokens);
  }
  if (ka == MaskKind::Causal) {
    // A window with no look-ahead is inside causal.
    if (kb == MaskKind::Window && pb[1] == 0)
      return a;
    if (kb == MaskKind::Sink)
      return MaskAttr::get(ctx, MaskKind::Prefix, pb);
    if (kb == MaskKind::Prefix || kb == MaskKind::BlockCausal)
      return b;
  }
  // prefix<n> = causal ∪ sink<n>.
  if (ka == MaskKind::Sink && kb == MaskKind::Prefix)
    return MaskAttr::get(ctx, MaskKind::Prefix, {std::max(pa[0], pb[0])});
  return {};
}

/// Folds a pair of operands of an intersection, or returns null.
static MaskAttr foldIntersectPair(MaskAttr a, MaskAttr b) {
  MLIRContext *ctx = a.getContext();
  if (maskLess(b, a))
    std::swap(a, b);
  MaskKind ka = a.getKind(), kb = b.getKind();
  ArrayRef<int64_t> pa = a.getParams(), pb = b.getParams();
  if (ka == MaskKind::Window && kb == MaskKind::Window)
    return MaskAttr::getWindow(ctx, std::min(pa[0], pb[0]),
                               std::min(pa[1], pb[1]));
  if (ka == MaskKind::Sink && kb == MaskKind::Sink)
    return MaskAttr::get(ctx, MaskKind::Sink, {std::min(pa[0], pb[0])});
  if (ka == MaskKind::Causal) {
    if (kb == MaskKind::Window)
      return MaskAttr::getWindow(ctx, pb[0], 0);
    // Both contain causal.
    if (kb == MaskKind::Prefix || kb == MaskKind::BlockCausal)
      return a;
  }
  return {};
}

/// Simplifies a combinator whose operands are already simplified.
static MaskAttr simplifyCombinator(MaskKind kind, ArrayRef<MaskAttr> operands,
                                   MLIRContext *ctx) {
  bool isUnion = kind == MaskKind::Union;
  MaskKind identity = isUnion ? MaskKind::None : MaskKind::All;
  MaskKind absorbing = isUnion ? MaskKind::All : MaskKind::None;

  // Flatten, drop identities, stop at an absorbing element.
  SmallVector<MaskAttr> flat;
  for (MaskAttr operand : operands) {
    if (operand.getKind() == absorbing)
      return operand;
    if (operand.getKind() == identity)
      continue;
    if (operand.getKind() == kind)
      llvm::append_range(flat, operand.getOperands());
    else
      flat.push_back(operand);
  }

  // Fold pairs until no identity applies.
  auto foldPair = isUnion ? foldUnionPair : foldIntersectPair;
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t i = 0; i < flat.size() && !changed; ++i) {
      for (size_t j = i + 1; j < flat.size() && !changed; ++j) {
        MaskAttr folded =
            flat[i] == flat[j] ? flat[i] : foldPair(flat[i], flat[j]);
        if (!folded)
          continue;
        flat[i] = simplifyPrimitive(folded);
        flat.erase(flat.begin() + j);
        if (flat[i].getKind() == absorbing)
          return flat[i];
        changed = true;
      }
    }
  }

  if (flat.empty())
    return MaskAttr::get(ctx, identity);
  if (flat.size() == 1)
    return flat.front();
  llvm::sort(flat, maskLess);
  return MaskAttr::get(ctx, kind, {}, flat);
}

/// One bottom-up rewrite of `mask`.
static MaskAttr simplifyOnce(MaskAttr mask, std::optional<MaskExtent> extent) {
  if (!mask.isCombinator()) {
    MaskAttr simplified = simplifyPrimitive(mask);
    if (extent)
      simplified = simplifyPrimitiveInExtent(simplified, *extent);
    return simplified;
  }
  SmallVector<MaskAttr> operands = llvm::map_to_vector(
      mask.getOperands(), [&](MaskAttr m) { return simplifyOnce(m, extent); });
  MaskAttr result =
      simplifyCombinator(mask.getKind(), operands, mask.getContext());
  // A fold may have produced a primitive that the extent simplifies further
  // (intersect(causal, window<l, r>) -> window<l, 0> -> causal).
  if (extent && !result.isCombinator())
    result = simplifyPrimitiveInExtent(result, *extent);
  return result;
}

MaskAttr mlir::celeris::simplifyMask(MaskAttr mask,
                                     std::optional<MaskExtent> extent) {
  // Folding a pair can expose a rule at an outer level; every rewrite
  // shrinks the tree or keeps it, so a fixpoint is reached quickly.
  for (MaskAttr next = simplifyOnce(mask, extent); next != mask;
       next = simplifyOnce(mask, extent))
    mask = next;
  return mask;
}
