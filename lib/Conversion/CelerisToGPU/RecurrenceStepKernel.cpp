//===- RecurrenceStepKernel.cpp - One token of a recurrence ---------------===//
//
// The recurrence_step kernel: celeris.recurrence over one token, the decode
// step of every linear sequence model (all decay and update kinds). It is
// bandwidth-bound: the f32 state is read and written once. Grid (Dv / 32,
// H, B), 4 warps: lane l owns state column 32 x + l, warp w the key rows
// w Dk / 4 ..; a thread keeps its Dk / 4 values of the column in registers.
//
//   S = a (.) S0                         a: 1, exp(g_h), exp(g_t) or
//   exp(g_t[dk]) additive: S += k v^T                 delta: S += beta k (v -
//   S^T k)^T o = scale S^T q
//
// The column sums S^T k and S^T q reduce each warp's rows in registers and
// the 4 warps through shared memory, in a fixed order: the step is
// deterministic.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "RecurrenceKernel.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

void mlir::celeris::emitRecurrenceStepKernel(gpu::GPUFuncOp kernel,
                                             const RecurrenceKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  RecurrenceKernelArgs args(kernel, spec);
  Value q = args.q, k = args.k, v = args.v, initial = args.initialState,
        out = args.out, final = args.finalState;

  int64_t warps = spec.schedule.getWarps();
  int64_t columns = spec.schedule.getKvTile();
  int64_t rowsPerWarp = spec.getKeyDim() / warps;
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  // Two buffers of the warps' column partials: S^T k, then S^T q.
  Value partials = kernel.addWorkgroupAttribution(
      MemRefType::get({2 * warps * columns}, b.getF32Type(), nullptr,
                      workgroup),
      kernel.getLoc());

  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, 32);
  Value warp = b.divu(tid, 32);
  Value column =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), columns), lane);
  Value head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  Value batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  Value token = b.idx(0);
  Value rowBase = b.mul(warp, rowsPerWarp);

  auto loadF32 = [&](Value source, ValueRange indices) {
    return loadAsF32(b, b.getLoc(), source, indices);
  };
  auto exp = [&](Value g) { return b.exp2(b.mulF(g, b.f32(M_LOG2E))); };

  Value tokenDecay;
  if (spec.decayKind == DecayKind::Head)
    tokenDecay = exp(args.loadDecay(b, b.getLoc(), {head}));
  else if (spec.decayKind == DecayKind::Scalar)
    tokenDecay = exp(args.loadDecay(b, b.getLoc(), {batch, head, token}));

  // The warp's key rows of k and q, in 16-byte vectors (every lane reads
  // the same ones: 8 bf16 a load instead of one).
  SmallVector<Value> keys = loadRunAsF32(b, b.getLoc(), k, {batch, head, token},
                                         rowBase, rowsPerWarp);
  SmallVector<Value> queries = loadRunAsF32(
      b, b.getLoc(), q, {batch, head, token}, rowBase, rowsPerWarp);
  SmallVector<Value> state;
  for (int64_t i = 0; i < rowsPerWarp; ++i) {
    Value row = b.add(rowBase, i);
    if (!initial) {
      state.push_back(b.f32(0.0));
      continue;
    }
    Value s = loadF32(initial, {batch, head, row, column});
    Value a = tokenDecay;
    if (spec.decayKind == DecayKind::Vector)
      a = exp(args.loadDecay(b, b.getLoc(), {batch, head, token, row}));
    state.push_back(a ? b.mulF(a, s) : s);
  }

  // The sum over all key rows of x[row] * state[row] for this column.
  auto columnSum = [&](ArrayRef<Value> x, int64_t buffer) {
    Value partial = b.f32(0.0);
    for (int64_t i = 0; i < rowsPerWarp; ++i)
      partial = b.fma(x[i], state[i], partial);
    Value base = b.idx(buffer * warps * columns);
    memref::StoreOp::create(
        b, partial, partials,
        ValueRange{b.add(base, b.add(b.mul(warp, columns), lane))});
    gpu::BarrierOp::create(b);
    Value total = b.f32(0.0);
    for (int64_t w = 0; w < warps; ++w)
      total =
          b.addF(total, memref::LoadOp::create(
                            b, partials,
                            ValueRange{b.add(base, b.add(lane, w * columns))}));
    return total;
  };

  Value update = loadF32(v, {batch, head, token, column});
  if (spec.updateKind == UpdateKind::Delta) {
    Value old = columnSum(keys, 0);
    Value strength = args.loadBeta(b, b.getLoc(), {batch, head, token});
    update = b.mulF(strength, arith::SubFOp::create(b, update, old));
  }
  for (int64_t i = 0; i < rowsPerWarp; ++i)
    state[i] = b.fma(keys[i], update, state[i]);
  Value o = b.mulF(columnSum(queries, 1), b.f32(spec.scale));
  b.ifThen(b.cmp(arith::CmpIPredicate::eq, warp, b.idx(0)), [&] {
    storeFromF32(b, b.getLoc(), o, out, {batch, head, token, column});
  });
  if (final)
    for (int64_t i = 0; i < rowsPerWarp; ++i)
      memref::StoreOp::create(
          b, state[i], final,
          ValueRange{batch, head, b.add(rowBase, i), column});
  gpu::ReturnOp::create(b);
}
