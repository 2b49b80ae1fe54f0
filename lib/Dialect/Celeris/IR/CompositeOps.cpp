//===- CompositeOps.cpp - Celeris Composite family ops --------*- C++ -*-===//
//
// Verifiers and shape reification of the attention composites: native sparse
// attention (celeris.nsa) and multi-head latent attention (celeris.mla).
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/CompositeOps.h"
#include "OpUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisCompositeOps.cpp.inc"

//===----------------------------------------------------------------------===//
// NsaOp
//===----------------------------------------------------------------------===//

/// The number of compressed tokens of a sequence of `seqLen` keys: blocks of
/// `block` keys taken every `stride` positions; dynamic if `seqLen` is.
static int64_t compressedLength(int64_t seqLen, int64_t block, int64_t stride) {
  if (ShapedType::isDynamic(seqLen))
    return ShapedType::kDynamic;
  return seqLen < block ? 0 : (seqLen - block) / stride + 1;
}

LogicalResult NsaOp::verify() {
  Operation *op = getOperation();
  Named q("query", getQuery()), k("key", getKey()), v("value", getValue());
  Named kCmp("compressed_key", getCompressedKey());
  Named vCmp("compressed_value", getCompressedValue());
  Named gates("gates", getGates()), out("output", getOutput());
  if (failed(verify::rank(op, q, 4, "[B, Hq, S, D]")) ||
      failed(verify::rank(op, k, 4, "[B, Hkv, S, D]")) ||
      failed(verify::rank(op, v, 4, "[B, Hkv, S, Dv]")) ||
      failed(verify::rank(op, kCmp, 4, "[B, Hkv, Sc, D]")) ||
      failed(verify::rank(op, vCmp, 4, "[B, Hkv, Sc, Dv]")) ||
      failed(verify::rank(op, gates, 4, "[B, Hq, S, 3]")) ||
      failed(verify::rank(op, out, 4, "[B, Hq, S, Dv]")))
    return failure();
  for (const Named *other : {&k, &v, &kCmp, &vCmp, &gates, &out})
    if (failed(verify::sameElementType(op, q, *other)))
      return failure();

  // Batch, heads and sequence.
  for (const Named *other : {&k, &v, &kCmp, &vCmp, &gates, &out})
    if (failed(verify::sameDim(op, "the batch size", q, 0, *other, 0)))
      return failure();
  for (const Named *other : {&v, &kCmp, &vCmp})
    if (failed(verify::sameDim(op, "the number of key/value heads", k, 1,
                               *other, 1)))
      return failure();
  for (const Named *other : {&gates, &out})
    if (failed(verify::sameDim(op, "the number of heads", q, 1, *other, 1)))
      return failure();
  if (failed(verify::headGrouping(op, q, k)))
    return failure();
  for (const Named *other : {&k, &v, &gates, &out})
    if (failed(verify::sameDim(op, "the sequence length", q, 2, *other, 2)))
      return failure();

  // Head dimensions.
  if (failed(verify::sameDim(op, "the head dimension", q, 3, k, 3)) ||
      failed(verify::sameDim(op, "the head dimension", q, 3, kCmp, 3)) ||
      failed(verify::sameDim(op, "the value head dimension", v, 3, vCmp, 3)) ||
      failed(verify::sameDim(op, "the value head dimension", v, 3, out, 3)) ||
      failed(verify::dimEquals(op, "the number of gates (g_cmp, g_slc, g_win)",
                               gates, 3, 3)))
    return failure();

  // Compression and selection geometry.
  int64_t cmpBlock = getCmpBlock(), cmpStride = getCmpStride();
  int64_t selectBlock = getSelectBlock();
  if (cmpBlock % cmpStride != 0)
    return emitOpError() << "expects cmp_block (" << cmpBlock
                         << ") to be a multiple of cmp_stride (" << cmpStride
                         << ")";
  if (selectBlock % cmpStride != 0)
    return emitOpError() << "expects select_block (" << selectBlock
                         << ") to be a multiple of cmp_stride (" << cmpStride
                         << ")";
  if (failed(verify::sameDim(op, "the number of compressed tokens", kCmp, 2,
                             vCmp, 2)) ||
      failed(verify::dimEquals(
          op,
          "the number of compressed tokens (floor((S - cmp_block) / "
          "cmp_stride) + 1, or 0 when S < cmp_block)",
          kCmp, 2, compressedLength(q.dim(2), cmpBlock, cmpStride))))
    return failure();
  return verify::finiteScale(op, getScaleAttr());
}

LogicalResult NsaOp::reifyResultShapes(OpBuilder &b,
                                       ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value q = getQuery();
  reified.push_back(
      getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}, {getValue(), 3}}));
  return success();
}

//===----------------------------------------------------------------------===//
// MlaOp
//===----------------------------------------------------------------------===//

LogicalResult MlaOp::verify() {
  Operation *op = getOperation();
  Named qNope("q_nope", getQNope()), qRope("q_rope", getQRope());
  Named latent("kv_latent", getKvLatent()), kRope("k_rope", getKRope());
  Named wUk("w_uk", getWUk()), wUv("w_uv", getWUv());
  Named out("output", getOutput());
  if (failed(verify::rank(op, qNope, 4, "[B, H, Sq, Dn]")) ||
      failed(verify::rank(op, qRope, 4, "[B, H, Sq, Dr]")) ||
      failed(verify::rank(op, latent, 3, "[B, Sk, Dl]")) ||
      failed(verify::rank(op, kRope, 3, "[B, Sk, Dr]")) ||
      failed(verify::rank(op, wUk, 3, "[H, Dl, Dn]")) ||
      failed(verify::rank(op, wUv, 3, "[H, Dl, Dv]")) ||
      failed(verify::rank(op, out, 4, "[B, H, Sq, Dv]")))
    return failure();
  for (const Named *other : {&qRope, &latent, &kRope, &wUk, &wUv, &out})
    if (failed(verify::sameElementType(op, qNope, *other)))
      return failure();

  // Queries and output are [B, H, Sq, *].
  for (auto [i, what] : llvm::enumerate(verify::kBatchHeadsQuery))
    if (failed(verify::sameDim(op, what, qNope, i, qRope, i)) ||
        failed(verify::sameDim(op, what, qNope, i, out, i)))
      return failure();
  // The cache is [B, Sk, *], the up-projections [H, Dl, *].
  if (failed(verify::sameDim(op, "the batch size", qNope, 0, latent, 0)) ||
      failed(verify::sameDim(op, "the batch size", qNope, 0, kRope, 0)) ||
      failed(verify::sameDim(op, "the key length", latent, 1, kRope, 1)) ||
      failed(verify::sameDim(op, "the number of heads", qNope, 1, wUk, 0)) ||
      failed(verify::sameDim(op, "the number of heads", qNope, 1, wUv, 0)) ||
      failed(verify::sameDim(op, "the latent dimension", latent, 2, wUk, 1)) ||
      failed(verify::sameDim(op, "the latent dimension", latent, 2, wUv, 1)))
    return failure();
  // Head dimensions.
  if (failed(verify::sameDim(op, "the rope dimension", qRope, 3, kRope, 2)) ||
      failed(verify::sameDim(op, "the non-rope head dimension", qNope, 3, wUk,
                             2)) ||
      failed(verify::sameDim(op, "the value head dimension", wUv, 2, out, 3)))
    return failure();
  if (Value lseValue = getLse()) {
    Named lse("lse", lseValue);
    if (failed(verify::rank(op, lse, 3, "[B, H, Sq]")))
      return failure();
    if (failed(
            verify::sameLeadingDims(op, verify::kBatchHeadsQuery, qNope, lse)))
      return failure();
  }
  return verify::finiteScale(op, getScaleAttr());
}

LogicalResult MlaOp::reifyResultShapes(OpBuilder &b,
                                       ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value q = getQNope();
  reified.push_back(
      getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}, {getWUv(), 2}}));
  if (getLse())
    reified.push_back(getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}}));
  return success();
}
