//===- TensorBuilder.h - Builders of tensor code ----------------*- C++ -*-===//
//
// Small builders shared by the lowerings and decompositions that emit
// linalg.generic ops on tensors: empty and filled tensors, single-result
// generics that yield the value their body builds, affine maps, f32
// conversions and constants, and tensor.cast to a given type.
//
// TensorBuilder binds an OpBuilder and a location; the free functions take
// both explicitly, for use inside region bodies, where the builder passed to
// the body builds the ops.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_UTILS_TENSORBUILDER_H
#define CELERIS_UTILS_TENSORBUILDER_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpDefinition.h"

namespace mlir::celeris {

//===----------------------------------------------------------------------===//
// Free functions
//===----------------------------------------------------------------------===//

/// `v` extended to f32 (arith.extf), or `v` itself when it is already f32.
Value toF32(OpBuilder &b, Location loc, Value v);

/// The f32 value `v` truncated to `elementType` (arith.truncf), or `v`
/// itself when `elementType` is f32.
Value fromF32(OpBuilder &b, Location loc, Value v, Type elementType);

/// An f32 arith.constant of `value`.
Value f32Constant(OpBuilder &b, Location loc, double value);

/// `value` as `type` (a tensor.cast), where the two differ only in which
/// extents are static; `value` itself when it already has that type.
Value castTo(OpBuilder &b, Location loc, Value value, Type type);

/// A single-result linalg.generic writing into `init`, whose body yields the
/// value `body` builds from the block arguments (inputs, then `init`).
Value generic(OpBuilder &b, Location loc, Value init, ValueRange inputs,
              ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
              function_ref<Value(OpBuilder &, Location, ValueRange)> body);

//===----------------------------------------------------------------------===//
// TensorBuilder
//===----------------------------------------------------------------------===//

/// Builds tensor code with `b` at `loc`.
struct TensorBuilder {
  OpBuilder &b;
  Location loc;

  MLIRContext *getContext() const { return b.getContext(); }

  /// The map of `numDims` loop dimensions to `results` (no symbols).
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> results) const;

  /// A tensor.empty of `shape` and `elementType`.
  Value empty(ArrayRef<OpFoldResult> shape, Type elementType);
  /// A tensor.empty of `shape` and f32.
  Value emptyF32(ArrayRef<OpFoldResult> shape);
  /// A tensor of `shape` filled with `value` (tensor.empty + linalg.fill),
  /// of the type of `value`.
  Value filled(ArrayRef<OpFoldResult> shape, TypedAttr value);
  /// An f32 tensor of `shape` filled with `value`.
  Value filledF32(ArrayRef<OpFoldResult> shape, double value);

  /// A single-result linalg.generic writing into `init`, whose body yields
  /// the value `body` builds from the block arguments (inputs, then `init`).
  Value generic(Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iterators,
                function_ref<Value(OpBuilder &, ValueRange)> body);

  /// `value` as `type`; see the free function castTo.
  Value castTo(Value value, Type type);

  /// An f32 constant of `value`, built with `b`.
  Value f32Constant(double value);

  //===--- At `loc` with another builder (inside region bodies) -----------===//

  /// An f32 constant of `value`, built with `nb`.
  Value f32Constant(OpBuilder &nb, double value) const;
  /// `v` extended to f32 with `nb`; see the free function toF32.
  Value toF32(OpBuilder &nb, Value v) const;
  /// `v` truncated to `elementType` with `nb`; see the free function fromF32.
  Value fromF32(OpBuilder &nb, Value v, Type elementType) const;
};

} // namespace mlir::celeris

#endif // CELERIS_UTILS_TENSORBUILDER_H
