//===- CelerisToLinalg.h - Reference lowering of Celeris --------*- C++ -*-===//
//
// Patterns that lower Celeris ops to their reference computation on tensors,
// and the mask predicate builder shared with the tiled lowerings.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H
#define CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "mlir/IR/Builders.h"

namespace mlir {
class PatternRewriter;
class RewritePatternSet;
namespace celeris {

/// Adds the patterns lowering Celeris ops to linalg/tensor/arith/math: the
/// union of the per-family sets below.
void populateCelerisToLinalgPatterns(RewritePatternSet &patterns);

/// Per-family pattern sets of the reference lowering.
void populateAttentionToLinalgPatterns(RewritePatternSet &patterns);
void populateBlockLayoutToLinalgPatterns(RewritePatternSet &patterns);
void populateRecurrenceToLinalgPatterns(RewritePatternSet &patterns);
void populateMoEToLinalgPatterns(RewritePatternSet &patterns);

class AttentionOp;

/// Why the reference lowering cannot lower `op` (for example "has segment
/// ids"), or std::nullopt when it can.
std::optional<std::string> getUnsupportedAttentionForm(AttentionOp op);

/// Replaces `op` by the `output` and, when the op returns one, `lse` that a
/// lowering computed, cast to the op's result types (which may be more
/// static than the sizes derived from the operands).
void replaceAttentionOp(PatternRewriter &rewriter, AttentionOp op, Value output,
                        Value lse);

/// Emits arith ops computing `mask.allows(queryPos, keyPos)` as an i1, for
/// index-typed positions.
Value buildMaskPredicate(OpBuilder &b, Location loc, MaskAttr mask,
                         Value queryPos, Value keyPos);

/// Emits i1 values (isEmpty, isFull) classifying the non-empty tile of
/// queries at [pBegin, pEnd) and keys at [jBegin, jEnd) (index values) under
/// `mask`, conservatively as classifyTile does: isEmpty only if no pair is
/// allowed, isFull only if every pair is. Constant bounds give constants.
std::pair<Value, Value> buildTileClassification(OpBuilder &b, Location loc,
                                                MaskAttr mask, Value pBegin,
                                                Value pEnd, Value jBegin,
                                                Value jEnd);

/// Emits index arithmetic for [lo, hi), 0 <= lo <= hi <= kvLen: a key range
/// outside of which `mask` allows no key for any query position in
/// [pBegin, pEnd). Tiled loops iterate over it instead of every key, so a
/// causal or sliding-window tile row visits only the tiles it can use.
std::pair<Value, Value> buildKeyRange(OpBuilder &b, Location loc, MaskAttr mask,
                                      Value pBegin, Value pEnd, Value kvLen);

} // namespace celeris
} // namespace mlir

#endif // CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H
