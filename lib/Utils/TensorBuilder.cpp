//===- TensorBuilder.cpp - Builders of tensor code --------------*- C++ -*-===//
//
// The shared builders of tensor code declared in TensorBuilder.h.
//
//===----------------------------------------------------------------------===//

#include "celeris/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::celeris;

//===----------------------------------------------------------------------===//
// Free functions
//===----------------------------------------------------------------------===//

Value mlir::celeris::toF32(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isF32())
    return v;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
}

Value mlir::celeris::fromF32(OpBuilder &b, Location loc, Value v,
                             Type elementType) {
  if (elementType.isF32())
    return v;
  return arith::TruncFOp::create(b, loc, elementType, v);
}

Value mlir::celeris::f32Constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value mlir::celeris::castTo(OpBuilder &b, Location loc, Value value,
                            Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

Value mlir::celeris::generic(
    OpBuilder &b, Location loc, Value init, ValueRange inputs,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, body(nb, l, args));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// TensorBuilder
//===----------------------------------------------------------------------===//

AffineMap TensorBuilder::map(unsigned numDims,
                             ArrayRef<AffineExpr> results) const {
  return AffineMap::get(numDims, 0, results, getContext());
}

Value TensorBuilder::empty(ArrayRef<OpFoldResult> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value TensorBuilder::emptyF32(ArrayRef<OpFoldResult> shape) {
  return empty(shape, b.getF32Type());
}

Value TensorBuilder::filled(ArrayRef<OpFoldResult> shape, TypedAttr value) {
  Value init = empty(shape, value.getType());
  Value cst = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, cst, init).getResult(0);
}

Value TensorBuilder::filledF32(ArrayRef<OpFoldResult> shape, double value) {
  return filled(shape, b.getF32FloatAttr(value));
}

Value TensorBuilder::generic(
    Value init, ValueRange inputs, ArrayRef<AffineMap> maps,
    ArrayRef<utils::IteratorType> iterators,
    function_ref<Value(OpBuilder &, ValueRange)> body) {
  return celeris::generic(
      b, loc, init, inputs, maps, iterators,
      [&](OpBuilder &nb, Location, ValueRange args) { return body(nb, args); });
}

Value TensorBuilder::castTo(Value value, Type type) {
  return celeris::castTo(b, loc, value, type);
}

Value TensorBuilder::f32Constant(double value) {
  return celeris::f32Constant(b, loc, value);
}

Value TensorBuilder::f32Constant(OpBuilder &nb, double value) const {
  return celeris::f32Constant(nb, loc, value);
}

Value TensorBuilder::toF32(OpBuilder &nb, Value v) const {
  return celeris::toF32(nb, loc, v);
}

Value TensorBuilder::fromF32(OpBuilder &nb, Value v, Type elementType) const {
  return celeris::fromF32(nb, loc, v, elementType);
}
