//===- RecurrenceKernel.cpp - The chunkwise recurrence kernel -------------===//
//
// celeris.recurrence with an additive update in chunkwise form. One CTA of
// 8 warps walks the chunks of C = 64 tokens of one (sequence, head); grid
// (H, B). The state S (Dk x Dv, f32) stays in the warps' registers from the
// first chunk to the last. With b_t the cumulative log2 gate inside the
// chunk (b_t = log2(e) (g_c0 + ... + g_t); 0 without decay), S' the state
// before the chunk and scale folded in:
//
//   O    = scale (Q K^T (.) D) V + scale diag(2^b) Q S',
//          D[i][j] = 2^(b_i - b_j) for j <= i, else 0
//   S    = 2^b_last S' + (K (.) 2^(b_last - b))^T V
//
// Per chunk: Q, K and V arrive through a 2-stage cp.async pipeline (the next
// chunk loads while this one computes); warp w computes rows 16 (w % 4) ..
// of O over half of the value columns: warps w and w + 4 each score half of
// the keys and share P through shared memory (a named barrier per pair);
// the weighted keys go to shared memory; after a CTA barrier, warp w
// updates its rows of S (key rows 16 (w % (Dk / 16)) .., a column part)
// with the weighted keys as the transposed A operand, and writes S in the
// element type to shared memory, the B operand of the next chunk's Q S'.
// Scalar gates: warp 0 loads the next chunk's at the top of the iteration
// and writes their scan into the other of two gate buffers at its end;
// RetNet's are arithmetic. The barrier that opens the next chunk orders all
// of it.
//
// The delta rule (DeltaNet, Gated DeltaNet) goes through each chunk's UT
// transform first: the chunk's value updates U solve
//
//   (I + diag(beta) A) U = diag(beta) (V - diag(2^b) K S'),
//   A[i][j] = 2^(b_i - b_j) k_i.k_j for j < i,
//
// so the kernel writes A's scaled rows (f32) to shared memory, Y = V -
// diag(2^b) K S' over V, solves T = (I + diag(beta) A)^-1 diag(beta) by
// forward substitution into the P tile, and writes U = T Y over Y; the
// additive steps above then run with U for V.
//
// Tokens past the sequence load as zeros (their gates as 0), so the last
// partial chunk needs no masking beyond not storing its rows.
//
//===----------------------------------------------------------------------===//

#include "RecurrenceKernel.h"
#include "FunctionKernel.h"

#include "celeris/GPU/TensorCoreMma.h"
#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {
constexpr int64_t kWarps = 8;
constexpr int64_t kThreads = 32 * kWarps;

/// Shared memory, in elements of the operand type: per stage the Q, K and V
/// tiles; the weighted keys (with a decay); the state in the element type;
/// the masked scores P of the chunk (with the delta rule first its T); then
/// two buffers of C f32 cumulative gates and, with the delta rule, the f32
/// system I + diag(beta) A.
struct RecurrenceLayout {
  SharedTile keys, values, state, probabilities;
  int64_t chunk, stages;
  bool weighted, delta;

  explicit RecurrenceLayout(const RecurrenceKernelSpec &spec)
      : chunk(spec.schedule.getKvTile()), stages(spec.schedule.getStages()),
        weighted(spec.decayKind != DecayKind::None),
        delta(spec.updateKind == UpdateKind::Delta) {
    Type element = spec.getElementType();
    keys = {chunk, spec.getKeyDim(), element, TileLayout::Padded};
    values = {chunk, spec.getValueDim(), element, TileLayout::Padded};
    state = {spec.getKeyDim(), spec.getValueDim(), element, TileLayout::Padded};
    probabilities = {chunk, chunk, element, TileLayout::Padded};
  }
  int64_t stageElements() const {
    return 2 * keys.elements() + values.elements();
  }
  int64_t queryOffset(int64_t stage) const { return stage * stageElements(); }
  int64_t keyOffset(int64_t stage) const {
    return queryOffset(stage) + keys.elements();
  }
  int64_t valueOffset(int64_t stage) const {
    return keyOffset(stage) + keys.elements();
  }
  int64_t weightedKeyOffset() const { return stages * stageElements(); }
  int64_t stateOffset() const {
    return weightedKeyOffset() + (weighted ? keys.elements() : 0);
  }
  int64_t probabilityOffset() const { return stateOffset() + state.elements(); }
  int64_t gateBytes() const {
    return llvm::alignTo(2 * (probabilityOffset() + probabilities.elements()),
                         16);
  }
  /// The delta rule's unit lower-triangular system, f32 [chunk][chunk] with
  /// rows padded to spread them over the banks.
  static constexpr int64_t kSystemStride = 68;
  int64_t systemBytes() const { return gateBytes() + 2 * chunk * 4; }
  int64_t usableBytes() const {
    return systemBytes() + (delta ? chunk * kSystemStride * 4 : 0);
  }
};

class RecurrenceKernelEmitter {
public:
  RecurrenceKernelEmitter(gpu::GPUFuncOp kernel,
                          const RecurrenceKernelSpec &spec)
      : spec(spec), args(kernel, spec), layout(spec),
        b(kernel.getLoc(), kernel.getContext()) {
    b.setInsertionPointToStart(&kernel.getBody().front());
    q = args.q;
    k = args.k;
    v = args.v;
    initialState = args.initialState;
    out = args.out;
    finalState = args.finalState;
  }

  void emit();

private:
  /// Scalar gates: warp 0 loads the raw gates of chunk `n` (two tokens a
  /// lane, 0 past the sequence), in log2 units; other warps get zeros. The
  /// loop issues the next chunk's loads at its top, so their latency hides
  /// behind the chunk's work.
  std::pair<Value, Value> loadGates(Value n);
  /// Scalar gates: warp 0 writes the cumulative gates of `raw` into gate
  /// buffer `buffer` (an inclusive scan over the warp).
  void storeGates(std::pair<Value, Value> raw, Value buffer);
  /// The cumulative log2 gate b of chunk-local token `t` of the current
  /// chunk: from gate buffer `buffer` (scalar), or (t + 1) log2(gamma) up to
  /// the last token of the sequence (head).
  Value gateAt(Value buffer, Value t);
  /// Writes the thread's part of the state, rounded to the element type,
  /// into the state tile.
  void writeState(ArrayRef<Value> state);
  /// The (row, column) of state value `i` of this thread.
  std::pair<Value, Value> stateCoordinates(int64_t i);
  /// Writes K (.) 2^(b_last - b) of stage `stage` into the weighted keys.
  void weightKeys(Value stage, Value buffer, Value last);
  /// The delta rule: replaces V of stage `stage` by the chunk's U (see
  /// the file comment) for the rest of the chunk.
  void replaceValuesByDeltas(TensorCoreMma &mma, Value stage, Value buffer,
                             Value c0);
  /// beta of chunk-local token `t` of the chunk starting at `c0`; 0 past the
  /// sequence.
  Value betaAt(Value c0, Value t);
  Value elementOffset(int64_t constant, Value stage, int64_t perStage) {
    return b.add(b.mul(stage, perStage), constant);
  }

  const RecurrenceKernelSpec &spec;
  RecurrenceKernelArgs args;
  RecurrenceLayout layout;
  KernelBuilder b;
  Value q, k, v, initialState, out, finalState;
  Value tid, warp, laneId, group, quad, batch, head, length;
  Value gates;
  /// Head decay: log2(gamma) of the CTA's head; the tokens of the current
  /// chunk that are in the sequence.
  Value headGate, chunkTokens;
  std::optional<SharedMemory> smem;
};
} // namespace

std::pair<Value, Value> RecurrenceKernelEmitter::loadGates(Value n) {
  Value c0 = b.mul(n, layout.chunk);
  // Only chunks with tokens: for an empty sequence there is no gate to read,
  // not even token 0.
  Value firstWarp = b.cmp(arith::CmpIPredicate::eq, warp, b.idx(0));
  Value load = b.andI(firstWarp, b.cmp(arith::CmpIPredicate::slt, c0, length));
  Type f32 = b.getF32Type();
  auto branch = scf::IfOp::create(b, TypeRange{f32, f32}, load,
                                  /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    Value gate[2];
    for (int64_t e = 0; e < 2; ++e) {
      Value position = b.add(c0, b.add(b.mul(laneId, 2), e));
      Value inside = b.cmp(arith::CmpIPredicate::slt, position, length);
      // Past the sequence read token 0 (there is one) and use 0.
      Value at = b.select(inside, position, b.idx(0));
      Value g = args.loadDecay(b, b.getLoc(), {batch, head, at});
      gate[e] = b.select(inside, b.mulF(g, b.f32(M_LOG2E)), b.f32(0.0));
    }
    scf::YieldOp::create(b, ValueRange{gate[0], gate[1]});
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(b, ValueRange{b.f32(0.0), b.f32(0.0)});
  }
  return {branch.getResult(0), branch.getResult(1)};
}

void RecurrenceKernelEmitter::storeGates(std::pair<Value, Value> raw,
                                         Value buffer) {
  b.ifThen(b.cmp(arith::CmpIPredicate::eq, warp, b.idx(0)), [&] {
    // Inclusive scan of the lanes' pair sums (Hillis-Steele).
    Value pair = b.addF(raw.first, raw.second);
    Value scan = pair;
    for (int32_t delta = 1; delta < 32; delta *= 2) {
      Value from = b.shuffleUp(scan, delta);
      Value has = b.cmp(arith::CmpIPredicate::sge, laneId, b.idx(delta));
      scan = b.select(has, b.addF(scan, from), scan);
    }
    Value before = arith::SubFOp::create(b, scan, pair);
    Value base = b.add(b.mul(buffer, layout.chunk), b.mul(laneId, 2));
    memref::StoreOp::create(b, b.addF(before, raw.first), gates, base);
    memref::StoreOp::create(b, scan, gates, b.add(base, 1));
  });
}

Value RecurrenceKernelEmitter::gateAt(Value buffer, Value t) {
  if (spec.decayKind == DecayKind::Head) {
    Value tokens = b.minS(b.add(t, 1), chunkTokens);
    Value count = arith::SIToFPOp::create(b, b.getF32Type(), b.toI32(tokens));
    return b.mulF(headGate, count);
  }
  return memref::LoadOp::create(
      b, gates, ValueRange{b.add(b.mul(buffer, layout.chunk), t)});
}

std::pair<Value, Value> RecurrenceKernelEmitter::stateCoordinates(int64_t i) {
  int64_t rowGroups = spec.getKeyDim() / 16;
  int64_t columns = spec.getValueDim() * rowGroups / kWarps;
  Value row = b.add(b.mul(b.remu(warp, rowGroups), 16),
                    b.add(group, 8 * AccumulatorFragment::rowOf(i)));
  Value column = b.add(b.mul(b.divu(warp, rowGroups), columns),
                       b.add(b.mul(quad, 2), AccumulatorFragment::columnOf(i)));
  return {row, column};
}

void RecurrenceKernelEmitter::writeState(ArrayRef<Value> state) {
  auto pairType = VectorType::get({2}, b.getF32Type());
  auto narrowType = VectorType::get({2}, spec.getElementType());
  for (size_t i = 0; i < state.size(); i += 2) {
    auto [row, column] = stateCoordinates(i);
    Value pair = vector::FromElementsOp::create(
        b, pairType, ValueRange{state[i], state[i + 1]});
    Value narrow = arith::TruncFOp::create(b, narrowType, pair);
    Value offset = b.add(b.idx(layout.stateOffset()),
                         layout.state.offsetOf(b, row, column));
    vector::StoreOp::create(b, narrow, smem->view(), ValueRange{offset});
  }
}

void RecurrenceKernelEmitter::weightKeys(Value stage, Value buffer,
                                         Value last) {
  int64_t chunksPerRow = spec.getKeyDim() / 8;
  int64_t vectors = layout.chunk * chunksPerRow;
  auto narrowType = VectorType::get({8}, spec.getElementType());
  auto wideType = VectorType::get({8}, b.getF32Type());
  Value keys =
      elementOffset(layout.keyOffset(0), stage, layout.stageElements());
  for (int64_t pass = 0; pass < vectors / kThreads; ++pass) {
    Value index = b.add(tid, pass * kThreads);
    Value row = b.divu(index, chunksPerRow);
    Value column = b.mul(b.remu(index, chunksPerRow), 8);
    Value inTile = layout.keys.offsetOf(b, row, column);
    Value key = vector::LoadOp::create(b, narrowType, smem->view(),
                                       ValueRange{b.add(keys, inTile)});
    Value weight = b.exp2(arith::SubFOp::create(b, last, gateAt(buffer, row)));
    Value scaled =
        arith::MulFOp::create(b, arith::ExtFOp::create(b, wideType, key),
                              vector::BroadcastOp::create(b, wideType, weight));
    vector::StoreOp::create(
        b, arith::TruncFOp::create(b, narrowType, scaled), smem->view(),
        ValueRange{b.add(b.idx(layout.weightedKeyOffset()), inTile)});
  }
}

Value RecurrenceKernelEmitter::betaAt(Value c0, Value t) {
  Value position = b.add(c0, t);
  Value inside = b.cmp(arith::CmpIPredicate::slt, position, length);
  // Past the sequence read token 0 (the chunk has tokens) and use 0.
  Value at = b.select(inside, position, b.idx(0));
  Value strength = args.loadBeta(b, b.getLoc(), {batch, head, at});
  return b.select(inside, strength, b.f32(0.0));
}

void RecurrenceKernelEmitter::replaceValuesByDeltas(TensorCoreMma &mma,
                                                    Value stage, Value buffer,
                                                    Value c0) {
  int64_t chunk = layout.chunk, dk = spec.getKeyDim(), dv = spec.getValueDim();
  Type element = spec.getElementType();
  auto pairType = VectorType::get({2}, b.getF32Type());
  auto narrowType = VectorType::get({2}, element);
  int64_t stride = RecurrenceLayout::kSystemStride;
  Value system =
      smem->viewAt(b, b.getF32Type(), layout.systemBytes(), chunk * stride);
  Value keyTile =
      elementOffset(layout.keyOffset(0), stage, layout.stageElements());
  Value valueTile =
      elementOffset(layout.valueOffset(0), stage, layout.stageElements());
  // Warp w: rows 16 (w % 4) .., half w / 4 of the columns (keys for the
  // system, values for Y and U).
  Value rowBase = b.mul(b.remu(warp, 4), 16);
  Value half = b.divu(warp, 4);
  Value rows[2] = {b.add(rowBase, group), b.add(rowBase, b.add(group, 8))};
  Value rowGate[2], rowBeta[2];
  for (int64_t r = 0; r < 2; ++r) {
    rowGate[r] = layout.weighted ? gateAt(buffer, rows[r]) : Value();
    rowBeta[r] = betaAt(c0, rows[r]);
  }
  MmaOperandA keys = mma.prepareA(b, {layout.keys, keyTile, rowBase, {}});

  // The system's strictly lower part: beta_i 2^(b_i - b_j) k_i.k_j, j < i.
  int64_t keysPerWarp = chunk / 2;
  Value keyBase = b.mul(half, keysPerWarp);
  AccumulatorFragment products =
      AccumulatorFragment::splat(b.f32(0.0), keysPerWarp);
  mma.multiply(b, products, keys,
               {layout.keys,
                b.add(keyTile, b.mul(keyBase, layout.keys.rowStride())),
                /*kMajor=*/true},
               dk, /*accumulate=*/false);
  for (size_t i = 0; i < products.values.size(); ++i) {
    int64_t r = AccumulatorFragment::rowOf(i);
    Value column =
        b.add(keyBase, b.add(b.mul(quad, 2), AccumulatorFragment::columnOf(i)));
    Value factor = rowBeta[r];
    if (layout.weighted)
      factor = b.mulF(factor, b.exp2(arith::SubFOp::create(
                                  b, rowGate[r], gateAt(buffer, column))));
    Value below = b.cmp(arith::CmpIPredicate::slt, column, rows[r]);
    Value entry =
        b.select(below, b.mulF(products.values[i], factor), b.f32(0.0));
    memref::StoreOp::create(b, entry, system,
                            ValueRange{b.add(b.mul(rows[r], stride), column)});
  }

  // Y = V - diag(2^b) K S', in place of V (each thread its own elements).
  int64_t outColumns = dv / 2;
  Value columnBase = b.mul(half, outColumns);
  AccumulatorFragment projected =
      AccumulatorFragment::splat(b.f32(0.0), outColumns);
  mma.multiply(b, projected, keys,
               {layout.state, b.add(b.idx(layout.stateOffset()), columnBase),
                /*kMajor=*/false},
               dk, /*accumulate=*/false);
  auto valueOffset = [&](int64_t i) {
    int64_t r = AccumulatorFragment::rowOf(i);
    Value column = b.add(
        columnBase, b.add(b.mul(quad, 2), AccumulatorFragment::columnOf(i)));
    return b.add(valueTile, layout.values.offsetOf(b, rows[r], column));
  };
  for (size_t i = 0; i < projected.values.size(); i += 2) {
    int64_t r = AccumulatorFragment::rowOf(i);
    Value offset = valueOffset(i);
    Value value = arith::ExtFOp::create(
        b, pairType,
        vector::LoadOp::create(b, narrowType, smem->view(), ValueRange{offset})
            .getResult());
    Value pair = vector::FromElementsOp::create(
        b, pairType, ValueRange{projected.values[i], projected.values[i + 1]});
    if (layout.weighted)
      pair = arith::MulFOp::create(
          b, pair,
          vector::BroadcastOp::create(b, pairType, b.exp2(rowGate[r])));
    Value difference = arith::SubFOp::create(b, value, pair);
    vector::StoreOp::create(b,
                            arith::TruncFOp::create(b, narrowType, difference),
                            smem->view(), ValueRange{offset});
  }
  gpu::BarrierOp::create(b);

  // T = (I + lower)^-1 diag(beta) by forward substitution, column by
  // column, a lane quad per column: lane 4 c' + p of warp w holds the
  // partial sums of rows p, p + 4, .. of column c = 8 w + c'. Step i takes
  // X[i][c] (1 on the diagonal, 0 above it, else minus row i's finished
  // partial sum) from its lane and adds lower[j][i] X[i][c] to the rows j
  // below it: one shuffle and up to 16 independent FMAs on the step's
  // critical path. A warp skips the steps left of its columns, where
  // X[i][c] is 0.
  Value column = b.add(b.mul(warp, 8), b.divu(laneId, 4));
  Value part = b.remu(laneId, 4);
  Value quadBase = b.toI32(b.sub(laneId, part));
  int64_t held = chunk / 4;
  SmallVector<Value> partial(held, b.f32(0.0));
  auto solved = [&](int64_t i, Value sum) {
    Value diagonal = b.cmp(arith::CmpIPredicate::eq, column, b.idx(i));
    Value below = b.cmp(arith::CmpIPredicate::ult, column, b.idx(i));
    return b.select(diagonal, b.f32(1.0),
                    b.select(below, arith::NegFOp::create(b, sum), b.f32(0.0)));
  };
  for (int64_t i = 0; i + 1 < chunk; ++i) {
    Value needed = b.cmp(arith::CmpIPredicate::ule, b.mul(warp, 8), b.idx(i));
    auto step =
        scf::IfOp::create(b, SmallVector<Type>(held, b.getF32Type()), needed,
                          /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(step.thenBlock());
      Value owner = gpu::ShuffleOp::create(
                        b, partial[i / 4],
                        arith::AddIOp::create(b, quadBase, b.i32(i % 4)),
                        b.i32(32), gpu::ShuffleMode::IDX)
                        .getShuffleResult();
      Value x = solved(i, owner);
      // Rows 4 m + p <= i have lower[.][i] = 0: from m = i / 4 on.
      SmallVector<Value> updated(partial.begin(), partial.begin() + i / 4);
      for (int64_t m = i / 4; m < held; ++m) {
        Value entry = memref::LoadOp::create(
            b, system,
            ValueRange{b.add(b.mul(b.add(part, 4 * m), stride), b.idx(i))});
        updated.push_back(b.fma(entry, x, partial[m]));
      }
      scf::YieldOp::create(b, updated);
      b.setInsertionPointToStart(step.elseBlock());
      scf::YieldOp::create(b, partial);
    }
    for (int64_t m = 0; m < held; ++m)
      partial[m] = step.getResult(m);
  }
  SmallVector<Value> inverse;
  for (int64_t m = 0; m < held; ++m) {
    // Row 4 m + p of the column: its finished sum turned into X.
    Value row = b.add(part, 4 * m);
    Value diagonal = b.cmp(arith::CmpIPredicate::eq, column, row);
    Value below = b.cmp(arith::CmpIPredicate::ult, column, row);
    inverse.push_back(b.select(
        diagonal, b.f32(1.0),
        b.select(below, arith::NegFOp::create(b, partial[m]), b.f32(0.0))));
  }
  Value columnBeta = betaAt(c0, column);
  for (int64_t m = 0; m < held; ++m) {
    Value row = b.add(part, 4 * m);
    Value entry =
        arith::TruncFOp::create(b, element, b.mulF(inverse[m], columnBeta));
    memref::StoreOp::create(
        b, entry, smem->view(),
        ValueRange{b.add(b.idx(layout.probabilityOffset()),
                         layout.probabilities.offsetOf(b, row, column))});
  }
  gpu::BarrierOp::create(b);

  // U = T Y, then in place of Y once every warp has read it.
  MmaOperandA inverseA = mma.prepareA(
      b,
      {layout.probabilities, b.idx(layout.probabilityOffset()), rowBase, {}});
  AccumulatorFragment deltas =
      AccumulatorFragment::splat(b.f32(0.0), outColumns);
  mma.multiply(b, deltas, inverseA,
               {layout.values, b.add(valueTile, columnBase), /*kMajor=*/false},
               chunk, /*accumulate=*/false);
  gpu::BarrierOp::create(b);
  for (size_t i = 0; i < deltas.values.size(); i += 2) {
    Value pair = vector::FromElementsOp::create(
        b, pairType, ValueRange{deltas.values[i], deltas.values[i + 1]});
    vector::StoreOp::create(b, arith::TruncFOp::create(b, narrowType, pair),
                            smem->view(), ValueRange{valueOffset(i)});
  }
  gpu::BarrierOp::create(b);
}

void RecurrenceKernelEmitter::emit() {
  int64_t chunk = layout.chunk, dk = spec.getKeyDim(), dv = spec.getValueDim();
  Type element = spec.getElementType();
  smem = SharedMemory::create(b, element, layout.usableBytes());
  tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  warp = b.divu(tid, 32);
  laneId = b.remu(tid, 32);
  FragmentLane lane = FragmentLane::get(b, tid);
  group = lane.group;
  quad = lane.quad;
  head = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  length = memref::DimOp::create(b, q, 2);
  gates = smem->viewAt(b, b.getF32Type(), layout.gateBytes(), 2 * chunk);
  std::unique_ptr<TensorCoreMma> mma =
      TensorCoreMma::create(TensorCoreKind::MmaSync, element, *smem, laneId);
  TilePipeline pipeline(*smem, PipelineSync::CtaBarrier, layout.stages,
                        kThreads, /*barrierBytes=*/0);
  pipeline.initialize(b, tid);
  TileLoader keyLoader(b, layout.keys, tid, kThreads);
  TileLoader valueLoader(b, layout.values, tid, kThreads);
  Value chunks = b.divu(b.add(length, chunk - 1), chunk);

  // The initial state in the warps' registers, and in shared memory for
  // the first chunk's Q S'.
  // A warp's 16 rows of its column part: half the columns a thread.
  int64_t stateValues = dv * (dk / 16) / kWarps / 2;
  SmallVector<Value> state;
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t i = 0; i < stateValues; i += 2) {
    if (!initialState) {
      state.append(2, b.f32(0.0));
      continue;
    }
    auto [row, column] = stateCoordinates(i);
    Value pair = vector::LoadOp::create(b, pairType, initialState,
                                        ValueRange{batch, head, row, column});
    for (int64_t e = 0; e < 2; ++e)
      state.push_back(vector::ExtractOp::create(b, pair, e));
  }
  writeState(state);
  bool scalarGates = spec.decayKind == DecayKind::Scalar;
  if (scalarGates)
    storeGates(loadGates(b.idx(0)), b.idx(0));
  if (spec.decayKind == DecayKind::Head)
    headGate = b.mulF(args.loadDecay(b, b.getLoc(), {head}), b.f32(M_LOG2E));

  // Chunk n loads into stage n % 2; chunks past the last load nothing (row
  // limit 0) but still complete their stage.
  auto produce = [&](Value n) {
    pipeline.produce(b, n, [&](Value stage) {
      Value c0 = b.mul(n, chunk);
      Value limit = b.select(b.cmp(arith::CmpIPredicate::slt, n, chunks),
                             length, b.idx(0));
      SmallVector<Value> tokens;
      auto load = [&](const TileLoader &loader, int64_t offset, Value source) {
        tokens.append(loader.load(
            b, *smem, elementOffset(offset, stage, layout.stageElements()),
            source, ValueRange{batch, head}, c0, limit));
      };
      load(keyLoader, layout.queryOffset(0), q);
      load(keyLoader, layout.keyOffset(0), k);
      load(valueLoader, layout.valueOffset(0), v);
      return tokens;
    });
  };
  produce(b.idx(0));

  auto loop = scf::ForOp::create(b, b.idx(0), chunks, b.idx(1), state);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    SmallVector<Value> carried(loop.getRegionIterArgs());
    pipeline.waitFull(b, n, /*forTensorCores=*/false);
    produce(b.add(n, 1));
    std::pair<Value, Value> nextGates;
    if (scalarGates)
      nextGates = loadGates(b.add(n, 1));
    Value stage = pipeline.stageOf(b, n);
    Value buffer = b.remu(n, 2);
    Value c0 = b.mul(n, chunk);
    chunkTokens = b.sub(length, c0);
    Value last;
    if (layout.weighted) {
      last = gateAt(buffer, b.idx(chunk - 1));
      weightKeys(stage, buffer, last);
    }

    if (layout.delta)
      replaceValuesByDeltas(*mma, stage, buffer, c0);

    // O for rows 16 (w % 4) .. over value columns of half w / 4.
    int64_t outColumns = dv / 2;
    Value rowBase = b.mul(b.remu(warp, 4), 16);
    Value columnBase = b.mul(b.divu(warp, 4), outColumns);
    MmaOperandA query = mma->prepareA(
        b, {layout.keys,
            elementOffset(layout.queryOffset(0), stage, layout.stageElements()),
            rowBase,
            {}});
    // Warps w and w + 4 share their rows' scores: each computes the keys of
    // its half, masks them and writes P to shared memory; after their pair
    // barrier both read all of it as the A operand of P V.
    int64_t keysPerWarp = chunk / 2;
    Value keyBase = b.mul(b.divu(warp, 4), keysPerWarp);
    AccumulatorFragment scores =
        AccumulatorFragment::splat(b.f32(0.0), keysPerWarp);
    mma->multiply(b, scores, query,
                  {layout.keys,
                   b.add(elementOffset(layout.keyOffset(0), stage,
                                       layout.stageElements()),
                         b.mul(keyBase, layout.keys.rowStride())),
                   /*kMajor=*/true},
                  dk, /*accumulate=*/false);
    Value rows[2] = {b.add(rowBase, group), b.add(rowBase, b.add(group, 8))};
    // 2^(b_i - b_j) on and below the diagonal; a thread's 8 columns and 2
    // rows each read their gate once.
    Value rowGate[2];
    for (int64_t r = 0; r < 2; ++r)
      rowGate[r] = layout.weighted ? gateAt(buffer, rows[r]) : Value();
    DenseMap<int64_t, Value> columnGate;
    Value scale = b.f32(spec.scale);
    auto narrowType = VectorType::get({2}, element);
    for (size_t i = 0; i < scores.values.size(); i += 2) {
      int64_t r = AccumulatorFragment::rowOf(i);
      Value pair[2];
      for (int64_t e = 0; e < 2; ++e) {
        int64_t columnInBlock = AccumulatorFragment::columnOf(i + e);
        Value column = b.add(keyBase, b.add(b.mul(quad, 2), columnInBlock));
        Value factor = scale;
        if (layout.weighted) {
          Value &gate = columnGate[columnInBlock];
          if (!gate)
            gate = gateAt(buffer, column);
          factor =
              b.mulF(scale, b.exp2(arith::SubFOp::create(b, rowGate[r], gate)));
        }
        Value causal = b.cmp(arith::CmpIPredicate::sle, column, rows[r]);
        pair[e] =
            b.select(causal, b.mulF(scores.values[i + e], factor), b.f32(0.0));
      }
      Value column = b.add(
          keyBase, b.add(b.mul(quad, 2), AccumulatorFragment::columnOf(i)));
      Value offset = b.add(b.idx(layout.probabilityOffset()),
                           layout.probabilities.offsetOf(b, rows[r], column));
      Value wide = vector::FromElementsOp::create(b, pairType,
                                                  ValueRange{pair[0], pair[1]});
      vector::StoreOp::create(b, arith::TruncFOp::create(b, narrowType, wide),
                              smem->view(), ValueRange{offset});
    }
    // Named barrier 1 + w % 4 of the warp pair (barrier 0 is the CTA's).
    NVVM::BarrierOp::create(b, TypeRange{}, b.toI32(b.add(b.remu(warp, 4), 1)),
                            b.i32(64), NVVM::BarrierReductionAttr(), Value());
    MmaOperandA probabilities = mma->prepareA(
        b,
        {layout.probabilities, b.idx(layout.probabilityOffset()), rowBase, {}});

    AccumulatorFragment output =
        AccumulatorFragment::splat(b.f32(0.0), outColumns);
    mma->multiply(b, output, query,
                  {layout.state, b.add(b.idx(layout.stateOffset()), columnBase),
                   /*kMajor=*/false},
                  dk, /*accumulate=*/false);
    Value rowFactor[2] = {scale, scale};
    if (layout.weighted)
      for (int64_t r = 0; r < 2; ++r)
        rowFactor[r] = b.mulF(scale, b.exp2(rowGate[r]));
    for (size_t i = 0; i < output.values.size(); ++i)
      output.values[i] =
          b.mulF(output.values[i], rowFactor[AccumulatorFragment::rowOf(i)]);
    mma->multiply(b, output, probabilities,
                  {layout.values,
                   b.add(elementOffset(layout.valueOffset(0), stage,
                                       layout.stageElements()),
                         columnBase),
                   /*kMajor=*/false},
                  chunk, /*accumulate=*/true);
    for (int64_t r = 0; r < 2; ++r) {
      Value position = b.add(c0, rows[r]);
      b.ifThen(b.cmp(arith::CmpIPredicate::slt, position, length), [&] {
        for (int64_t i = 2 * r; i < int64_t(output.values.size()); i += 4) {
          Value pair = vector::FromElementsOp::create(
              b, pairType, ValueRange{output.values[i], output.values[i + 1]});
          Value column = b.add(columnBase, b.add(b.mul(quad, 2), 8 * (i / 4)));
          vector::StoreOp::create(
              b, arith::TruncFOp::create(b, narrowType, pair), out,
              ValueRange{batch, head, position, column},
              /*nontemporal=*/false, llvm::MaybeAlign(4));
        }
      });
    }
    // Every warp read the state tile; the weighted keys are complete.
    gpu::BarrierOp::create(b);

    // S = 2^b_last S' + (weighted K)^T V over this warp's rows and columns.
    int64_t rowGroups = dk / 16;
    int64_t stateColumns = dv * rowGroups / kWarps;
    AccumulatorFragment next{carried};
    if (layout.weighted) {
      Value decayed = b.exp2(last);
      for (Value &s : next.values)
        s = b.mulF(s, decayed);
    }
    Value keys = layout.weighted ? b.idx(layout.weightedKeyOffset())
                                 : elementOffset(layout.keyOffset(0), stage,
                                                 layout.stageElements());
    MmaOperandA transposedKeys;
    transposedKeys.tile = layout.keys;
    transposedKeys.tileOffset = keys;
    transposedKeys.rowOffset = b.mul(b.remu(warp, rowGroups), 16);
    transposedKeys.kMajor = false;
    transposedKeys = mma->prepareA(b, transposedKeys);
    mma->multiply(b, next, transposedKeys,
                  {layout.values,
                   b.add(elementOffset(layout.valueOffset(0), stage,
                                       layout.stageElements()),
                         b.mul(b.divu(warp, rowGroups), stateColumns)),
                   /*kMajor=*/false},
                  chunk, /*accumulate=*/true);
    writeState(next.values);
    if (scalarGates)
      storeGates(nextGates, b.remu(b.add(n, 1), 2));
    scf::YieldOp::create(b, next.values);
  }
  // No copy may still write shared memory when the CTA exits.
  pipeline.drain(b);
  if (finalState) {
    ValueRange result = loop.getResults();
    for (size_t i = 0; i < result.size(); i += 2) {
      auto [row, column] = stateCoordinates(i);
      Value pair = vector::FromElementsOp::create(
          b, pairType, ValueRange{result[i], result[i + 1]});
      vector::StoreOp::create(b, pair, finalState,
                              ValueRange{batch, head, row, column},
                              /*nontemporal=*/false, llvm::MaybeAlign(8));
    }
  }
  gpu::ReturnOp::create(b);
}

int64_t
mlir::celeris::getRecurrenceSharedBytes(const RecurrenceKernelSpec &spec) {
  if (spec.schedule.getKernel() != KernelFamily::RecurrenceChunk)
    return 0;
  return SharedMemory::getReservedBytes(RecurrenceLayout(spec).usableBytes());
}

RecurrenceKernelArgs::RecurrenceKernelArgs(gpu::GPUFuncOp kernel,
                                           const RecurrenceKernelSpec &spec)
    : spec(spec) {
  unsigned arg = 0;
  auto next = [&](bool present) {
    return present ? kernel.getArgument(arg++) : Value();
  };
  q = next(true);
  k = next(true);
  v = next(true);
  decay = next(bool(spec.decay));
  beta = next(bool(spec.beta));
  initialState = next(bool(spec.initialState));
  out = next(true);
  finalState = next(bool(spec.finalState));
}

Value RecurrenceKernelArgs::loadDecay(OpBuilder &b, Location loc,
                                      ValueRange indices) const {
  return loadAsF32(b, loc, decay, indices, spec.decayPrologue);
}

Value RecurrenceKernelArgs::loadBeta(OpBuilder &b, Location loc,
                                     ValueRange indices) const {
  return loadAsF32(b, loc, beta, indices, spec.betaPrologue);
}

void mlir::celeris::emitRecurrenceChunkKernel(
    gpu::GPUFuncOp kernel, const RecurrenceKernelSpec &spec) {
  RecurrenceKernelEmitter(kernel, spec).emit();
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildRecurrenceKernel(gpu::GPUModuleOp module, StringRef name,
                                     Location loc,
                                     const RecurrenceKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  FailureOr<gpu::GPUFuncOp> created =
      createKernel(module, name, loc,
                   {{spec.query, "q"},
                    {spec.key, "k"},
                    {spec.value, "v"},
                    {spec.decay, "decay"},
                    {spec.beta, "beta"},
                    {spec.initialState, "initial_state"},
                    {spec.output, "out"},
                    {spec.finalState, "final_state"}},
                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;

  KernelFamily family = spec.schedule.getKernel();
  int64_t threads = spec.schedule.getThreads();
  NamedAttrList sizes;
  sizes.append("B", builder.getStringAttr("q[0]"));
  sizes.append("H", builder.getStringAttr("q[1]"));
  NamedAttrList launch;
  if (family != KernelFamily::RecurrenceChunk) {
    // A CTA per 32 state columns of a (head, sequence).
    int64_t columns = spec.schedule.getKvTile();
    std::string columnTiles =
        std::to_string((spec.getValueDim() + columns - 1) / columns);
    launch.append("grid", builder.getStrArrayAttr({columnTiles, "H", "B"}));
  } else {
    // One CTA per (head, sequence), whatever the lengths.
    launch.append("grid", builder.getStrArrayAttr({"H", "B", "1"}));
  }
  launch.append("block", builder.getDenseI32ArrayAttr(
                             {static_cast<int32_t>(threads), 1, 1}));
  launch.append("shared", builder.getStringAttr(
                              std::to_string(getRecurrenceSharedBytes(spec))));
  launch.append("sizes", sizes.getDictionary(ctx));
  // out is [B, H, S, Dv], final_state [B, H, Dk, Dv].
  NamedAttrList results;
  results.append("out",
                 builder.getStrArrayAttr({"q[0]", "q[1]", "q[2]", "v[3]"}));
  if (spec.finalState)
    results.append("final_state",
                   builder.getStrArrayAttr({"q[0]", "q[1]", "k[3]", "v[3]"}));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  if (family == KernelFamily::RecurrenceStep) {
    emitRecurrenceStepKernel(kernel, spec);
    return kernel;
  }
  if (family == KernelFamily::RecurrenceSequential) {
    emitRecurrenceSequentialKernel(kernel, spec);
    return kernel;
  }
  // 8 warps, one CTA per SM: up to 255 registers a thread for the state.
  capKernelRegisters(kernel, threads, /*ctasPerSm=*/1);
  emitRecurrenceChunkKernel(kernel, spec);
  return kernel;
}
