//===- RecurrenceSequentialKernel.cpp - A recurrence token by token -------===//
//
// The recurrence_sequential kernel: celeris.recurrence walked one token at a
// time with the f32 state in registers, for every decay and update kind
// (the fused recurrent form). It is the kernel of the forms the chunked
// kernel does not run: per-key decay, the delta rules, f32 operands and
// dims other than 64 and 128.
//
// Grid (ceil(Dv / 32), H, B), 4 warps. A warp owns 8 state columns; lane
// 8 g + c holds column c's key rows g Dk / 4 .. (g + 1) Dk / 4 - 1. Per
// token:
//
//   S = a (.) S                  a: 1, exp(g_h), exp(g_t) or exp(g_t[dk])
//   additive: S += k v^T         delta: S += beta k (v - S^T k)^T
//   o = scale S^T q
//
// The column sums S^T k and S^T q add the 4 row groups' partials by two
// butterfly shuffles, so every lane of a column sees the same sum and the
// result is deterministic; warps never wait for each other. The operands of
// token t + 1 are loaded before token t is computed.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "RecurrenceKernel.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {
/// The operands of one token as one thread reads them: its key rows of q
/// and k (and of the gate, per-key decay), its column of v, and the token's
/// scalars.
struct TokenOperands {
  SmallVector<Value> queries, keys, gates;
  Value value, gate, strength;

  SmallVector<Value> flatten() const {
    SmallVector<Value> all(queries);
    llvm::append_range(all, keys);
    llvm::append_range(all, gates);
    all.push_back(value);
    if (gate)
      all.push_back(gate);
    if (strength)
      all.push_back(strength);
    return all;
  }

  /// The inverse of flatten, over `values` of a token shaped like `like`.
  static TokenOperands unflatten(ValueRange values, const TokenOperands &like) {
    TokenOperands token;
    size_t at = 0;
    auto take = [&](size_t n) {
      SmallVector<Value> part(values.begin() + at, values.begin() + at + n);
      at += n;
      return part;
    };
    token.queries = take(like.queries.size());
    token.keys = take(like.keys.size());
    token.gates = take(like.gates.size());
    token.value = values[at++];
    if (like.gate)
      token.gate = values[at++];
    if (like.strength)
      token.strength = values[at++];
    return token;
  }
};
} // namespace

void mlir::celeris::emitRecurrenceSequentialKernel(
    gpu::GPUFuncOp kernel, const RecurrenceKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  RecurrenceKernelArgs args(kernel, spec);
  Value q = args.q, k = args.k, v = args.v, initial = args.initialState,
        out = args.out, final = args.finalState;

  constexpr int64_t kRowGroups = 4, kWarpColumns = 8;
  int64_t keyDim = spec.getKeyDim();
  int64_t rows = keyDim / kRowGroups;
  int64_t valueDim = spec.getValueDim();

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, 32);
  Value warp = b.divu(tid, 32);
  Value group = b.divu(lane, kWarpColumns);
  Value column =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x),
                  spec.schedule.getKvTile()),
            b.add(b.mul(warp, kWarpColumns), b.remu(lane, kWarpColumns)));
  Value head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  Value batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  Value length = memref::DimOp::create(b, q, 2);
  Value rowBase = b.mul(group, rows);

  // Value dims are multiples of 8: a warp's columns are all inside or all
  // past the last one, and a warp past it has nothing to do.
  Value inside = b.cmp(arith::CmpIPredicate::slt, column, b.idx(valueDim));
  auto guard = scf::IfOp::create(b, inside, /*withElseRegion=*/false);
  b.setInsertionPointToStart(guard.thenBlock());

  auto loadF32 = [&](Value source, ValueRange indices) {
    return loadAsF32(b, b.getLoc(), source, indices);
  };
  auto loadToken = [&](Value token) {
    TokenOperands operands;
    // The lane's key rows of q and k, in 16-byte vectors where they line up.
    operands.queries =
        loadRunAsF32(b, b.getLoc(), q, {batch, head, token}, rowBase, rows);
    operands.keys =
        loadRunAsF32(b, b.getLoc(), k, {batch, head, token}, rowBase, rows);
    if (spec.decayKind == DecayKind::Vector)
      for (int64_t i = 0; i < rows; ++i)
        operands.gates.push_back(args.loadDecay(
            b, b.getLoc(), {batch, head, token, b.add(rowBase, i)}));
    operands.value = loadF32(v, {batch, head, token, column});
    if (spec.decayKind == DecayKind::Scalar)
      operands.gate = args.loadDecay(b, b.getLoc(), {batch, head, token});
    if (spec.updateKind == UpdateKind::Delta)
      operands.strength = args.loadBeta(b, b.getLoc(), {batch, head, token});
    return operands;
  };
  auto exp = [&](Value g) { return b.exp2(b.mulF(g, b.f32(M_LOG2E))); };

  Value headDecay;
  if (spec.decayKind == DecayKind::Head)
    headDecay = exp(args.loadDecay(b, b.getLoc(), {head}));

  SmallVector<Value> state;
  for (int64_t i = 0; i < rows; ++i)
    state.push_back(
        initial ? loadF32(initial, {batch, head, b.add(rowBase, i), column})
                : b.f32(0.0));

  // Token 0's operands, clamped so that an empty sequence reads in bounds
  // (nothing is computed from them then).
  Value last = b.maxS(b.sub(length, b.idx(1)), b.idx(0));
  TokenOperands first = loadToken(b.minS(b.idx(0), last));
  SmallVector<Value> carried(state);
  llvm::append_range(carried, first.flatten());
  auto loop = scf::ForOp::create(b, b.idx(0), length, b.idx(1), carried);
  {
    OpBuilder::InsertionGuard inLoop(b);
    b.setInsertionPointToStart(loop.getBody());
    Value token = loop.getInductionVar();
    ValueRange iterArgs = loop.getRegionIterArgs();
    SmallVector<Value> s(iterArgs.take_front(rows));
    TokenOperands now =
        TokenOperands::unflatten(iterArgs.drop_front(rows), first);
    TokenOperands next = loadToken(b.minS(b.add(token, b.idx(1)), last));

    for (int64_t i = 0; i < rows; ++i) {
      Value a = headDecay;
      if (spec.decayKind == DecayKind::Scalar)
        a = exp(now.gate);
      else if (spec.decayKind == DecayKind::Vector)
        a = exp(now.gates[i]);
      if (a)
        s[i] = b.mulF(a, s[i]);
    }
    // The sum over all Dk rows of x[row] * S[row] for this lane's column.
    auto columnSum = [&](ArrayRef<Value> x) {
      Value partial = b.f32(0.0);
      for (int64_t i = 0; i < rows; ++i)
        partial = b.fma(x[i], s[i], partial);
      partial = b.addF(partial, b.shuffleXor(partial, kWarpColumns));
      return b.addF(partial, b.shuffleXor(partial, 2 * kWarpColumns));
    };
    Value update = now.value;
    if (spec.updateKind == UpdateKind::Delta)
      update = b.mulF(now.strength,
                      arith::SubFOp::create(b, update, columnSum(now.keys)));
    for (int64_t i = 0; i < rows; ++i)
      s[i] = b.fma(now.keys[i], update, s[i]);
    Value o = b.mulF(columnSum(now.queries), b.f32(spec.scale));
    b.ifThen(b.cmp(arith::CmpIPredicate::eq, group, b.idx(0)), [&] {
      storeFromF32(b, b.getLoc(), o, out, {batch, head, token, column});
    });
    SmallVector<Value> yielded(s);
    llvm::append_range(yielded, next.flatten());
    scf::YieldOp::create(b, yielded);
  }
  if (final)
    for (int64_t i = 0; i < rows; ++i)
      memref::StoreOp::create(
          b, loop.getResult(i), final,
          ValueRange{batch, head, b.add(rowBase, i), column});
  b.setInsertionPointAfter(guard);
  gpu::ReturnOp::create(b);
}
