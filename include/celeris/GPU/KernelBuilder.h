//===- KernelBuilder.h - The builder every GPU kernel block uses -*- C++
//-*-===//
//
// An ImplicitLocOpBuilder with the scalar vocabulary of kernel code: index,
// i32 and f32 constants and arithmetic, the fast NVVM math intrinsics, warp
// shuffles and structured control flow. The blocks of the kernel layer
// (celeris/GPU/*.h) and the kernel families built from them take one.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_KERNELBUILDER_H
#define CELERIS_GPU_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::celeris {

class KernelBuilder : public ImplicitLocOpBuilder {
public:
  using ImplicitLocOpBuilder::ImplicitLocOpBuilder;

  //===--- Constants ------------------------------------------------------===//
  Value idx(int64_t value);
  Value i32(int64_t value);
  Value i64(int64_t value);
  Value f32(double value);
  Value boolean(bool value);
  /// A constant of `value` with the type of `like` (index or integer).
  Value intLike(Value like, int64_t value);

  //===--- Integer arithmetic (index or integer operands) -----------------===//
  Value add(Value x, Value y);
  Value add(Value x, int64_t y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  Value mul(Value x, int64_t y);
  Value divu(Value x, int64_t y);
  Value remu(Value x, int64_t y);
  Value minS(Value x, Value y);
  Value maxS(Value x, Value y);
  Value cmp(arith::CmpIPredicate predicate, Value x, Value y);
  Value select(Value condition, Value ifTrue, Value ifFalse);
  Value andI(Value x, Value y);
  Value orI(Value x, Value y);
  Value notI(Value x);
  Value toI32(Value x);
  Value toI64(Value x);
  Value toIndex(Value x);

  //===--- f32 arithmetic -------------------------------------------------===//
  Value addF(Value x, Value y);
  Value mulF(Value x, Value y);
  Value maxF(Value x, Value y);
  /// x * y + z, one fma.rn.f32.
  Value fma(Value x, Value y, Value z);
  /// 2^x by ex2.approx.ftz.f32: one MUFU.EX2. Without ftz ptxas wraps it in
  /// fixups for denormal results, which no probability here needs.
  Value exp2(Value x);
  /// log2(x) by lg2.approx.f32.
  Value log2(Value x);
  /// tanh(x) by tanh.approx.f32 (sm_75+).
  Value tanh(Value x);

  //===--- Warps and control flow -----------------------------------------===//
  /// `x` of lane (this lane ^ mask) of the warp.
  Value shuffleXor(Value x, int32_t mask);
  /// The value `x` of lane `lane` of the warp.
  Value shuffleIndex(Value x, int32_t lane);
  /// `x` of lane (this lane - delta); lanes below `delta` get their own.
  Value shuffleUp(Value x, int32_t delta);
  /// Emits `body` under `scf.if condition` (no results).
  void ifThen(Value condition, function_ref<void()> body);

private:
  Value callIntrinsic(StringRef name, ValueRange args);
};

} // namespace mlir::celeris

#endif // CELERIS_GPU_KERNELBUILDER_H
