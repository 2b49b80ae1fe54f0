//===- AttentionOps.cpp - Celeris attention family ops ----------*- C++ -*-===//
//
// Verifiers, shape reification and canonicalization of attention and the
// block-layout builders.
//
//===----------------------------------------------------------------------===//

#include "celeris/Dialect/Celeris/IR/AttentionOps.h"
#include "OpUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::celeris;
using verify::Named;

#define GET_OP_CLASSES
#include "celeris/Dialect/Celeris/IR/CelerisAttentionOps.cpp.inc"

/// Checks a `[bq, bk]` block size attribute.
static LogicalResult verifyBlockSize(Operation *op, ArrayRef<int64_t> sizes) {
  if (sizes.size() != 2 || sizes[0] < 1 || sizes[1] < 1)
    return op->emitOpError()
           << "expects block_size to be two positive sizes [query block, key "
              "block], got ["
           << sizes << "]";
  return success();
}

/// Rewrites an op's `mask` attribute to its simplified form.
template <typename OpTy>
static LogicalResult simplifyMaskOf(OpTy op, PatternRewriter &rewriter,
                                    std::optional<MaskExtent> extent) {
  MaskAttr mask = op.getMaskAttr();
  if (!mask)
    return failure();
  MaskAttr simplified = simplifyMask(mask, extent);
  if (simplified == mask)
    return failure();
  rewriter.modifyOpInPlace(op, [&] { op.setMaskAttr(simplified); });
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  Operation *op = getOperation();
  Named q("query", getQuery()), k("key", getKey()), v("value", getValue());
  Named out("output", getOutput());
  if (failed(verify::rank(op, q, 4, "[B, Hq, Sq, D]")) ||
      failed(verify::rank(op, k, 4,
                          isPaged() ? "[pages, Hkv, page_size, D]"
                                    : "[B, Hkv, Sk, D]")) ||
      failed(verify::rank(op, v, 4,
                          isPaged() ? "[pages, Hkv, page_size, Dv]"
                                    : "[B, Hkv, Sk, Dv]")) ||
      failed(verify::rank(op, out, 4, "[B, Hq, Sq, Dv]")))
    return failure();
  if (failed(verify::sameElementType(op, q, k)) ||
      failed(verify::sameElementType(op, q, v)) ||
      failed(verify::sameElementType(op, q, out)))
    return failure();

  // Key/value heads and sequence (or page pool) agree.
  if (failed(verify::sameDim(op, "the head dimension", q, 3, k, 3)) ||
      failed(
          verify::sameDim(op, "the number of key/value heads", k, 1, v, 1)) ||
      failed(verify::sameDim(
          op, isPaged() ? "the number of pages" : "the batch size", k, 0, v,
          0)) ||
      failed(verify::sameDim(op, isPaged() ? "the page size" : "the key length",
                             k, 2, v, 2)))
    return failure();
  if (!isPaged() && failed(verify::sameDim(op, "the batch size", q, 0, k, 0)))
    return failure();
  if (failed(verify::headGrouping(op, q, k)))
    return failure();

  // The output is [B, Hq, Sq, Dv].
  if (failed(verify::sameLeadingDims(op, verify::kBatchHeadsQuery, q, out)))
    return failure();
  if (failed(verify::sameDim(op, "the value head dimension", v, 3, out, 3)))
    return failure();
  if (Value lseValue = getLse()) {
    Named lse("lse", lseValue);
    if (failed(verify::rank(op, lse, 3, "[B, Hq, Sq]")))
      return failure();
    if (failed(verify::sameLeadingDims(op, verify::kBatchHeadsQuery, q, lse)))
      return failure();
  }

  // Optional structure operands.
  if (Value slopes = getAlibiSlopes()) {
    Named alibi("alibi_slopes", slopes);
    if (failed(verify::rank(op, alibi, 1, "[Hq]")) ||
        failed(verify::sameDim(op, "the number of heads", q, 1, alibi, 0)))
      return failure();
  }
  if (static_cast<bool>(getQSegmentIds()) !=
      static_cast<bool>(getKvSegmentIds()))
    return emitOpError("expects both query and key/value segment ids, or "
                       "neither");
  if (getQSegmentIds()) {
    Named qIds("q_segment_ids", getQSegmentIds());
    Named kvIds("kv_segment_ids", getKvSegmentIds());
    if (failed(verify::rank(op, qIds, 2, "[B, Sq]")) ||
        failed(verify::rank(op, kvIds, 2, "[B, Sk]")) ||
        failed(verify::sameDim(op, "the batch size", q, 0, qIds, 0)) ||
        failed(verify::sameDim(op, "the query length", q, 2, qIds, 1)) ||
        failed(verify::sameDim(op, "the batch size", q, 0, kvIds, 0)))
      return failure();
    if (!isPaged() &&
        failed(verify::sameDim(op, "the key length", k, 2, kvIds, 1)))
      return failure();
  }
  if (static_cast<bool>(getCuSeqlensQ()) != static_cast<bool>(getCuSeqlensKv()))
    return emitOpError("expects both query and key/value cumulative sequence "
                       "lengths, or neither");
  if (getCuSeqlensQ()) {
    Named cuQ("cu_seqlens_q", getCuSeqlensQ());
    Named cuKv("cu_seqlens_kv", getCuSeqlensKv());
    if (failed(verify::rank(op, cuQ, 1, "[num_sequences + 1]")) ||
        failed(verify::rank(op, cuKv, 1, "[num_sequences + 1]")) ||
        failed(
            verify::sameDim(op, "the number of sequences", cuQ, 0, cuKv, 0)) ||
        failed(verify::dimEquals(op, "the batch size (packed sequences)", q, 0,
                                 1)))
      return failure();
    if (cuQ.dim(0) == 0)
      return emitOpError("expects cu_seqlens_q and cu_seqlens_kv to hold at "
                         "least one offset (the start of the first sequence)");
    if (getKvLengths() || isPaged())
      return emitOpError("expects varlen offsets not to be combined with "
                         "kv_lengths or a page table");
  }
  if (static_cast<bool>(getBlockCounts()) !=
      static_cast<bool>(getBlockIndices()))
    return emitOpError("expects both block counts and block indices, or "
                       "neither");
  if (getBlockCounts()) {
    if (!getBlockSize())
      return emitOpError("expects a block_size with a block layout");
    ArrayRef<int64_t> blockSize = *getBlockSize();
    if (failed(verifyBlockSize(op, blockSize)))
      return failure();
    Named counts("block_counts", getBlockCounts());
    Named indices("block_indices", getBlockIndices());
    if (failed(
            verify::rank(op, counts, 3, "[B or 1, Hq or 1, query blocks]")) ||
        failed(verify::rank(op, indices, 4,
                            "[B or 1, Hq or 1, query blocks, max key "
                            "blocks]")))
      return failure();
    if (failed(verify::sameLeadingDims(op, verify::kBatchHeadsQueryBlocks,
                                       counts, indices)))
      return failure();
    for (auto [i, what] :
         llvm::enumerate(ArrayRef(verify::kBatchHeadsQuery).take_front(2))) {
      int64_t d = counts.dim(i), full = q.dim(i);
      if (!ShapedType::isDynamic(d) && d != 1 && !ShapedType::isDynamic(full) &&
          d != full)
        return emitOpError() << "expects " << what << " of block_counts (" << d
                             << ") to be 1 or that of query (" << full << ")";
    }
    if (failed(verify::dimEquals(op, "the number of query blocks", counts, 2,
                                 verify::ceilDivDim(q.dim(2), blockSize[0]))))
      return failure();
  } else if (getBlockSize()) {
    return emitOpError("expects block_size only with a block layout");
  }
  if (Value lens = getKvLengths()) {
    Named kvLengths("kv_lengths", lens);
    if (failed(verify::rank(op, kvLengths, 1, "[B]")) ||
        failed(verify::sameDim(op, "the batch size", q, 0, kvLengths, 0)))
      return failure();
  }
  if (Value table = getPageTable()) {
    Named pageTable("page_table", table);
    if (failed(verify::rank(op, pageTable, 2, "[B, pages per sequence]")) ||
        failed(verify::sameDim(op, "the batch size", q, 0, pageTable, 0)))
      return failure();
  }

  if (failed(verify::finiteScale(op, getScaleAttr())))
    return failure();
  if (FloatAttr softcap = getSoftcapAttr()) {
    double value = softcap.getValueAsDouble();
    if (!(value > 0 && std::isfinite(value)))
      return emitOpError() << "expects a positive finite softcap, got "
                           << value;
  }
  return success();
}

std::optional<MaskExtent> AttentionOp::getStaticMaskExtent() {
  // Per-sequence lengths move the query positions of each sequence.
  if (getCuSeqlensQ() || getKvLengths() || isPaged())
    return std::nullopt;
  int64_t sq = getQuery().getType().getDimSize(2);
  int64_t sk = getKey().getType().getDimSize(2);
  if (ShapedType::isDynamic(sq) || ShapedType::isDynamic(sk))
    return std::nullopt;
  int64_t offset = getQueryOffset().value_or(sk - sq);
  return MaskExtent{offset, offset + sq, sk};
}

LogicalResult
AttentionOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &reified) {
  Location loc = getLoc();
  Value q = getQuery();
  reified.push_back(
      getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}, {getValue(), 3}}));
  if (getLse())
    reified.push_back(getMixedSizes(b, loc, {{q, 0}, {q, 1}, {q, 2}}));
  return success();
}

namespace {
/// Replaces the mask by its canonical form over the op's static extent.
struct SimplifyAttentionMask : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    return simplifyMaskOf(op, rewriter, op.getStaticMaskExtent());
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *ctx) {
  results.add<SimplifyAttentionMask>(ctx);
}

//===----------------------------------------------------------------------===//
// MaskBlockLayoutOp
//===----------------------------------------------------------------------===//

/// The constant value of an index operand, or kDynamic.
static int64_t constantOrDynamic(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return ShapedType::kDynamic;
}

LogicalResult MaskBlockLayoutOp::verify() {
  Operation *op = getOperation();
  ArrayRef<int64_t> blockSize = getBlockSize();
  if (failed(verifyBlockSize(op, blockSize)))
    return failure();
  Named counts("counts", getCounts()), indices("indices", getIndices());
  if (failed(verify::rank(op, counts, 3, "[1, 1, query blocks]")) ||
      failed(
          verify::rank(op, indices, 4, "[1, 1, query blocks, key blocks]")) ||
      failed(verify::dimEquals(op, "the batch dimension", counts, 0, 1)) ||
      failed(verify::dimEquals(op, "the head dimension", counts, 1, 1)) ||
      failed(verify::dimEquals(op, "the batch dimension", indices, 0, 1)) ||
      failed(verify::dimEquals(op, "the head dimension", indices, 1, 1)) ||
      failed(verify::sameDim(op, "the number of query blocks", counts, 2,
                             indices, 2)))
    return failure();
  int64_t qLen = constantOrDynamic(getQLen());
  int64_t kvLen = constantOrDynamic(getKvLen());
  if (failed(verify::dimEquals(op, "the number of query blocks", counts, 2,
                               verify::ceilDivDim(qLen, blockSize[0]))) ||
      failed(verify::dimEquals(op, "the number of key blocks", indices, 3,
                               verify::ceilDivDim(kvLen, blockSize[1]))))
    return failure();
  return success();
}

namespace {
/// Simplifies the mask over constant query and key lengths.
struct SimplifyBlockLayoutMask : OpRewritePattern<MaskBlockLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaskBlockLayoutOp op,
                                PatternRewriter &rewriter) const override {
    int64_t qLen = constantOrDynamic(op.getQLen());
    int64_t kvLen = constantOrDynamic(op.getKvLen());
    std::optional<MaskExtent> extent;
    if (!ShapedType::isDynamic(qLen) && !ShapedType::isDynamic(kvLen)) {
      int64_t offset = op.getQueryOffset().value_or(kvLen - qLen);
      extent = MaskExtent{offset, offset + qLen, kvLen};
    }
    return simplifyMaskOf(op, rewriter, extent);
  }
};
} // namespace

void MaskBlockLayoutOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                    MLIRContext *ctx) {
  results.add<SimplifyBlockLayoutMask>(ctx);
}

//===----------------------------------------------------------------------===//
// TopkBlocksOp
//===----------------------------------------------------------------------===//

LogicalResult TopkBlocksOp::verify() {
  Operation *op = getOperation();
  Named scores("scores", getScores());
  Named counts("counts", getCounts()), indices("indices", getIndices());
  if (failed(verify::rank(op, scores, 4, "[B, H, query blocks, key blocks]")) ||
      failed(verify::rank(op, counts, 3, "[B, H, query blocks]")) ||
      failed(verify::rank(op, indices, 4, "[B, H, query blocks, k]")))
    return failure();
  for (auto [i, what] : llvm::enumerate(verify::kBatchHeadsQueryBlocks)) {
    if (failed(verify::sameDim(op, what, scores, i, counts, i)) ||
        failed(verify::sameDim(op, what, scores, i, indices, i)))
      return failure();
  }
  int64_t k = getK();
  if (failed(verify::dimEquals(op, "the selection dimension", indices, 3, k)))
    return failure();
  int64_t keyBlocks = scores.dim(3);
  if (!ShapedType::isDynamic(keyBlocks) && k > keyBlocks)
    return emitOpError() << "expects k (" << k
                         << ") to be at most the number of key blocks ("
                         << keyBlocks << ")";
  if (getMask()) {
    if (!getBlockSize())
      return emitOpError("expects a block_size with a mask");
    return verifyBlockSize(op, *getBlockSize());
  }
  if (getBlockSize() || getQueryOffset())
    return emitOpError("expects block_size and query_offset only with a mask");
  return success();
}

namespace {
/// Simplifies the eligibility mask over the static block grid.
struct SimplifyTopkBlocksMask : OpRewritePattern<TopkBlocksOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopkBlocksOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<MaskExtent> extent;
    RankedTensorType scores = op.getScores().getType();
    std::optional<ArrayRef<int64_t>> blockSize = op.getBlockSize();
    if (blockSize && scores.hasStaticShape()) {
      int64_t qLen = scores.getDimSize(2) * (*blockSize)[0];
      int64_t kvLen = scores.getDimSize(3) * (*blockSize)[1];
      int64_t offset = op.getQueryOffset().value_or(kvLen - qLen);
      extent = MaskExtent{offset, offset + qLen, kvLen};
    }
    return simplifyMaskOf(op, rewriter, extent);
  }
};
} // namespace

void TopkBlocksOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *ctx) {
  results.add<SimplifyTopkBlocksMask>(ctx);
}

void mlir::celeris::populateSimplifyMasksPatterns(RewritePatternSet &patterns) {
  patterns.add<SimplifyAttentionMask, SimplifyBlockLayoutMask,
               SimplifyTopkBlocksMask>(patterns.getContext());
}
