//===- CelerisToLinalg.h - Reference lowering of Celeris --------*- C++ -*-===//
//
// Patterns that lower Celeris ops to their reference computation on tensors.
// The mask code they emit comes from celeris/Utils/MaskBuilder.h.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H
#define CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H

#include "celeris/Dialect/Celeris/IR/CelerisAttrs.h"
#include "celeris/Utils/MaskBuilder.h"
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

} // namespace celeris
} // namespace mlir

#endif // CELERIS_CONVERSION_CELERISTOLINALG_CELERISTOLINALG_H
