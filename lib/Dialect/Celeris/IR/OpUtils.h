//===- OpUtils.h - Helpers shared by the Celeris op families ----*- C++ -*-===//
//
// Small checks every Celeris verifier uses, so that the same broken relation
// is reported with the same words in every op (operands are named, and a
// message states the expected relation and the values found), and the shape
// helper of the ReifyRankedShapedTypeOpInterface implementations.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_LIB_DIALECT_CELERIS_IR_OPUTILS_H
#define CELERIS_LIB_DIALECT_CELERIS_IR_OPUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

namespace mlir::celeris::verify {

/// A value with the name the op's documentation gives it.
struct Named {
  StringRef name;
  RankedTensorType type;
  Named(StringRef name, Value value)
      : name(name), type(cast<RankedTensorType>(value.getType())) {}
  Named(StringRef name, Type type)
      : name(name), type(cast<RankedTensorType>(type)) {}
  int64_t dim(unsigned i) const { return type.getDimSize(i); }
};

/// Prints a dimension, `?` when dynamic.
std::string dimToString(int64_t dim);

/// "expects <name> to have rank <rank> (<layout>), got <type>".
LogicalResult rank(Operation *op, const Named &value, int64_t rank,
                   StringRef layout);

/// "expects <what> of <b> (<vb>) to equal that of <a> (<va>)": both dims
/// must agree when both are static.
LogicalResult sameDim(Operation *op, StringRef what, const Named &a,
                      unsigned da, const Named &b, unsigned db);

/// sameDim on each leading dimension `i < what.size()`, named `what[i]`.
LogicalResult sameLeadingDims(Operation *op, ArrayRef<StringLiteral> what,
                              const Named &a, const Named &b);

/// Names of the leading dimensions of queries and of what follows their
/// shape (outputs, lse, block layouts).
inline constexpr StringLiteral kBatchHeadsQuery[] = {
    "the batch size", "the number of heads", "the query length"};
inline constexpr StringLiteral kBatchHeadsQueryBlocks[] = {
    "the batch size", "the number of heads", "the query blocks"};

/// "expects <what> of <value> to be <expected>, got <actual>": a static dim
/// must equal `expected` when `expected` is static too.
LogicalResult dimEquals(Operation *op, StringRef what, const Named &value,
                        unsigned d, int64_t expected);

/// "expects <b> to have the element type of <a> (<ta>), got <tb>".
LogicalResult sameElementType(Operation *op, const Named &a, const Named &b);

/// "expects <value> to have element type <expected>, got <actual>".
LogicalResult elementType(Operation *op, const Named &value, Type expected);

/// Ceiling division of non-negative sizes, dynamic if either is dynamic.
int64_t ceilDivDim(int64_t a, int64_t b);

/// "expects the number of query heads (<hq>) to be a multiple of the number
/// of key/value heads (<hkv>)": dimension 1 of `query` over that of `key`.
LogicalResult headGrouping(Operation *op, const Named &query, const Named &key);

/// "expects a finite scale, got <value>" unless `scale` is absent or finite.
LogicalResult finiteScale(Operation *op, FloatAttr scale);

} // namespace mlir::celeris::verify

namespace mlir::celeris {
/// The sizes of the given (value, dimension) pairs, as constants where
/// static and `tensor.dim` ops where dynamic: one reified result shape.
SmallVector<OpFoldResult>
getMixedSizes(OpBuilder &b, Location loc,
              ArrayRef<std::pair<Value, int64_t>> dims);
} // namespace mlir::celeris

#endif // CELERIS_LIB_DIALECT_CELERIS_IR_OPUTILS_H
