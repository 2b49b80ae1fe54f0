//===- KernelBuilder.cpp - The builder every GPU kernel block uses -------===//
//
// Scalar helpers of the kernel layer. Math goes to NVVM intrinsics (one
// MUFU instruction), not to math.* ops: those lower to libdevice's accurate
// routines, tens of instructions each.
//
//===----------------------------------------------------------------------===//

#include "celeris/GPU/KernelBuilder.h"
#include "celeris/GPU/PtxInstructions.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::celeris;

Value KernelBuilder::idx(int64_t value) {
  return arith::ConstantIndexOp::create(*this, value);
}
Value KernelBuilder::i32(int64_t value) {
  return arith::ConstantIntOp::create(*this, value, 32);
}
Value KernelBuilder::i64(int64_t value) {
  return arith::ConstantIntOp::create(*this, value, 64);
}
Value KernelBuilder::f32(double value) {
  return arith::ConstantFloatOp::create(*this, getF32Type(),
                                        APFloat(static_cast<float>(value)));
}
Value KernelBuilder::boolean(bool value) {
  return arith::ConstantIntOp::create(*this, value, 1);
}
Value KernelBuilder::intLike(Value like, int64_t value) {
  if (like.getType().isIndex())
    return idx(value);
  return arith::ConstantIntOp::create(*this, like.getType(), value);
}

Value KernelBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(*this, x, y);
}
Value KernelBuilder::add(Value x, int64_t y) {
  return y ? add(x, intLike(x, y)) : x;
}
Value KernelBuilder::sub(Value x, Value y) {
  return arith::SubIOp::create(*this, x, y);
}
Value KernelBuilder::mul(Value x, Value y) {
  return arith::MulIOp::create(*this, x, y);
}
Value KernelBuilder::mul(Value x, int64_t y) { return mul(x, intLike(x, y)); }
Value KernelBuilder::divu(Value x, int64_t y) {
  return arith::DivUIOp::create(*this, x, intLike(x, y));
}
Value KernelBuilder::remu(Value x, int64_t y) {
  return arith::RemUIOp::create(*this, x, intLike(x, y));
}
Value KernelBuilder::minS(Value x, Value y) {
  return arith::MinSIOp::create(*this, x, y);
}
Value KernelBuilder::maxS(Value x, Value y) {
  return arith::MaxSIOp::create(*this, x, y);
}
Value KernelBuilder::cmp(arith::CmpIPredicate predicate, Value x, Value y) {
  return arith::CmpIOp::create(*this, predicate, x, y);
}
Value KernelBuilder::select(Value condition, Value ifTrue, Value ifFalse) {
  return arith::SelectOp::create(*this, condition, ifTrue, ifFalse);
}
Value KernelBuilder::andI(Value x, Value y) {
  return arith::AndIOp::create(*this, x, y);
}
Value KernelBuilder::orI(Value x, Value y) {
  return arith::OrIOp::create(*this, x, y);
}
Value KernelBuilder::notI(Value x) {
  return arith::XOrIOp::create(*this, x, boolean(true));
}
Value KernelBuilder::toI32(Value x) {
  if (x.getType().isInteger(32))
    return x;
  if (x.getType().isIndex())
    return arith::IndexCastOp::create(*this, getI32Type(), x);
  return arith::TruncIOp::create(*this, getI32Type(), x);
}
Value KernelBuilder::toI64(Value x) {
  if (x.getType().isInteger(64))
    return x;
  if (x.getType().isIndex())
    return arith::IndexCastOp::create(*this, getI64Type(), x);
  return arith::ExtSIOp::create(*this, getI64Type(), x);
}
Value KernelBuilder::toIndex(Value x) {
  if (x.getType().isIndex())
    return x;
  return arith::IndexCastOp::create(*this, getIndexType(), x);
}

Value KernelBuilder::addF(Value x, Value y) {
  return arith::AddFOp::create(*this, x, y);
}
Value KernelBuilder::mulF(Value x, Value y) {
  return arith::MulFOp::create(*this, x, y);
}
Value KernelBuilder::maxF(Value x, Value y) {
  return arith::MaximumFOp::create(*this, x, y);
}
Value KernelBuilder::fma(Value x, Value y, Value z) {
  return LLVM::FMAOp::create(*this, x, y, z);
}
Value KernelBuilder::callIntrinsic(StringRef name, ValueRange args) {
  return LLVM::CallIntrinsicOp::create(*this, getF32Type(), getStringAttr(name),
                                       args)
      .getResult(0);
}
Value KernelBuilder::exp2(Value x) {
  return callIntrinsic("llvm.nvvm.ex2.approx.ftz.f32", x);
}
Value KernelBuilder::log2(Value x) {
  return callIntrinsic("llvm.nvvm.lg2.approx.f", x);
}
Value KernelBuilder::tanh(Value x) { return ptx::tanhApprox(*this, x); }

Value KernelBuilder::shuffleXor(Value x, int32_t mask) {
  return gpu::ShuffleOp::create(*this, x, mask, 32, gpu::ShuffleMode::XOR)
      .getShuffleResult();
}

Value KernelBuilder::shuffleIndex(Value x, int32_t lane) {
  return gpu::ShuffleOp::create(*this, x, lane, 32, gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

Value KernelBuilder::shuffleUp(Value x, int32_t delta) {
  return gpu::ShuffleOp::create(*this, x, delta, 32, gpu::ShuffleMode::UP)
      .getShuffleResult();
}

void KernelBuilder::ifThen(Value condition, function_ref<void()> body) {
  auto op = scf::IfOp::create(*this, TypeRange(), condition,
                              /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(*this);
  setInsertionPointToStart(op.thenBlock());
  body();
}
