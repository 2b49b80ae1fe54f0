//===- OpUtils.cpp - Helpers shared by the Celeris op families --*- C++ -*-===//
//
// Implements the helpers of OpUtils.h.
//
//===----------------------------------------------------------------------===//

#include "OpUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace mlir::celeris;

std::string verify::dimToString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}

LogicalResult verify::rank(Operation *op, const Named &value, int64_t rank,
                           StringRef layout) {
  if (value.type.getRank() == rank)
    return success();
  return op->emitOpError() << "expects " << value.name << " to have rank "
                           << rank << " (" << layout << "), got " << value.type;
}

LogicalResult verify::sameDim(Operation *op, StringRef what, const Named &a,
                              unsigned da, const Named &b, unsigned db) {
  int64_t va = a.dim(da), vb = b.dim(db);
  if (ShapedType::isDynamic(va) || ShapedType::isDynamic(vb) || va == vb)
    return success();
  return op->emitOpError() << "expects " << what << " of " << b.name << " ("
                           << vb << ") to equal that of " << a.name << " ("
                           << va << ")";
}

LogicalResult verify::sameLeadingDims(Operation *op,
                                      ArrayRef<StringLiteral> what,
                                      const Named &a, const Named &b) {
  for (auto [i, name] : llvm::enumerate(what))
    if (failed(sameDim(op, name, a, i, b, i)))
      return failure();
  return success();
}

LogicalResult verify::dimEquals(Operation *op, StringRef what,
                                const Named &value, unsigned d,
                                int64_t expected) {
  int64_t actual = value.dim(d);
  if (ShapedType::isDynamic(actual) || ShapedType::isDynamic(expected) ||
      actual == expected)
    return success();
  return op->emitOpError() << "expects " << what << " of " << value.name
                           << " to be " << expected << ", got " << actual;
}

LogicalResult verify::sameElementType(Operation *op, const Named &a,
                                      const Named &b) {
  if (a.type.getElementType() == b.type.getElementType())
    return success();
  return op->emitOpError() << "expects " << b.name
                           << " to have the element type of " << a.name << " ("
                           << a.type.getElementType() << "), got "
                           << b.type.getElementType();
}

LogicalResult verify::elementType(Operation *op, const Named &value,
                                  Type expected) {
  if (value.type.getElementType() == expected)
    return success();
  return op->emitOpError() << "expects " << value.name
                           << " to have element type " << expected << ", got "
                           << value.type.getElementType();
}

int64_t verify::ceilDivDim(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return ShapedType::kDynamic;
  return (a + b - 1) / b;
}

LogicalResult verify::headGrouping(Operation *op, const Named &query,
                                   const Named &key) {
  int64_t hq = query.dim(1), hkv = key.dim(1);
  if (ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) ||
      (hkv != 0 && hq % hkv == 0))
    return success();
  return op->emitOpError() << "expects the number of query heads (" << hq
                           << ") to be a multiple of the number of key/value "
                              "heads ("
                           << hkv << ")";
}

LogicalResult verify::finiteScale(Operation *op, FloatAttr scale) {
  if (scale && !std::isfinite(scale.getValueAsDouble()))
    return op->emitOpError()
           << "expects a finite scale, got " << scale.getValueAsDouble();
  return success();
}

SmallVector<OpFoldResult>
mlir::celeris::getMixedSizes(OpBuilder &b, Location loc,
                             ArrayRef<std::pair<Value, int64_t>> dims) {
  return llvm::map_to_vector(dims, [&](std::pair<Value, int64_t> dim) {
    return tensor::getMixedSize(b, loc, dim.first, dim.second);
  });
}
