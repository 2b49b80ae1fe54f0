//===- ScanKernel.cpp - Blocked scans: celeris.scan, selective_scan -------===//
//
// The scan_blocked and selective_scan kernels: first-order linear
// recurrences h_t = a_t h_{t-1} + b_t over the tokens of many independent
// channels (Mamba-1, RG-LRU, HGRN, LRU). A lane owns a channel, a CTA 32 of
// them; the sequence goes by blocks of 8 warps x 8 tokens:
//
//   1. each warp scans its 8 tokens from h = 0 in registers, giving the
//      run's aggregate (A, B) = (prod a, local h): h_out = A h_in + B;
//   2. the 8 aggregates meet in shared memory (double-buffered: one CTA
//      barrier a block); each lane folds the runs before its warp onto the
//      carry of the previous block in a fixed order, and all 8 runs into the
//      next block's carry;
//   3. each warp rescans its 8 tokens from its carry-in (held in registers)
//      and writes h (or, for the selective scan, y = C.h + D u, gated).
//
// The operands are read once and the output written once. selective_scan
// fuses Mamba-1's discretisation: a = exp(delta A[d, n]), b = delta B u are
// formed per token in registers, so the [B, D, L, N] state never exists.
//
//===----------------------------------------------------------------------===//

#include "ScanKernel.h"
#include "FunctionKernel.h"

#include "celeris/GPU/KernelBuilder.h"
#include "celeris/GPU/SharedTile.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::celeris;

namespace {
constexpr int64_t kWarps = 8;
constexpr int64_t kLanes = 32;

/// The indices of one channel of a tensor scanned along `axis`: the
/// channel's outer and inner indices, with the token's inserted at `axis`.
struct ChannelIndices {
  SmallVector<Value> outer, inner;

  SmallVector<Value> at(Value token) const {
    SmallVector<Value> all(outer);
    all.push_back(token);
    llvm::append_range(all, inner);
    return all;
  }
  SmallVector<Value> withoutAxis() const {
    SmallVector<Value> all(outer);
    llvm::append_range(all, inner);
    return all;
  }
};

/// Step 2 of the file comment for `states` recurrences a lane: the runs'
/// aggregates of this warp go to buffer `buffer` of `smem` (layout
/// [buffer][state][A, B][warp][lane]), and each lane gets, per state, the
/// carry into its warp's run and the carry out of the block.
struct BlockCarries {
  SmallVector<Value> into, out;
};
BlockCarries combineRuns(KernelBuilder &b, Value smem, Value buffer, Value warp,
                         Value lane, ArrayRef<Value> aggregateA,
                         ArrayRef<Value> aggregateB, ArrayRef<Value> carries) {
  int64_t states = carries.size();
  int64_t bufferFloats = states * 2 * kWarps * kLanes;
  Value base = b.mul(buffer, bufferFloats);
  auto slot = [&](int64_t state, int64_t part, Value w) {
    return b.add(base,
                 b.add(b.mul(w, kLanes),
                       b.add(lane, (state * 2 + part) * kWarps * kLanes)));
  };
  for (int64_t s = 0; s < states; ++s) {
    memref::StoreOp::create(b, aggregateA[s], smem,
                            ValueRange{slot(s, 0, warp)});
    memref::StoreOp::create(b, aggregateB[s], smem,
                            ValueRange{slot(s, 1, warp)});
  }
  gpu::BarrierOp::create(b);
  // A loop over the warps, not unrolled: the 2 x 8 aggregates of every
  // state at once would take the registers of the selective scan.
  SmallVector<Value> carried(carries);
  llvm::append_range(carried, carries);
  auto fold = scf::ForOp::create(b, b.idx(0), b.idx(kWarps), b.idx(1), carried);
  {
    OpBuilder::InsertionGuard inLoop(b);
    b.setInsertionPointToStart(fold.getBody());
    Value w = fold.getInductionVar();
    ValueRange args = fold.getRegionIterArgs();
    // The carry into warp `warp` is the fold of the runs before it.
    Value before = b.cmp(arith::CmpIPredicate::ult, w, warp);
    SmallVector<Value> next;
    for (int64_t s = 0; s < states; ++s) {
      Value runA = memref::LoadOp::create(b, smem, ValueRange{slot(s, 0, w)});
      Value runB = memref::LoadOp::create(b, smem, ValueRange{slot(s, 1, w)});
      next.push_back(b.fma(runA, args[s], runB));
    }
    for (int64_t s = 0; s < states; ++s)
      next.push_back(b.select(before, next[s], args[states + s]));
    scf::YieldOp::create(b, next);
  }
  BlockCarries result;
  for (int64_t s = 0; s < states; ++s) {
    result.out.push_back(fold.getResult(s));
    result.into.push_back(fold.getResult(states + s));
  }
  return result;
}

/// Bytes of shared memory for `states` recurrences a lane.
int64_t getCarryBytes(int64_t states) {
  return 2 * states * 2 * kWarps * kLanes * 4;
}

/// Runtime sizes D<i> bound to `arg`[i] for the dynamic dims of `type`.
void bindSizes(Builder &builder, NamedAttrList &sizes, StringRef arg,
               MemRefType type) {
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.append(("D" + Twine(i)).str(),
                   builder.getStringAttr((arg + "[" + Twine(i) + "]").str()));
}

/// Records the launch of a scan kernel on `kernel`: CTAs of 8 warps over 32
/// of `channels` (an expression of `sizes`), shared memory for the carries
/// of `states` recurrences a lane, and the result shapes.
void setScanLaunch(gpu::GPUFuncOp kernel, StringRef channels,
                   const NamedAttrList &sizes, int64_t states,
                   const NamedAttrList &results) {
  MLIRContext *ctx = kernel.getContext();
  Builder builder(ctx);
  NamedAttrList launch;
  launch.append("grid",
                builder.getStrArrayAttr(
                    {("ceildiv(" + channels + "," + Twine(kLanes) + ")").str(),
                     "1", "1"}));
  launch.append("block", builder.getDenseI32ArrayAttr(
                             {static_cast<int32_t>(kWarps * kLanes), 1, 1}));
  launch.append("shared",
                builder.getStringAttr(std::to_string(
                    SharedMemory::getReservedBytes(getCarryBytes(states)))));
  launch.append("sizes", sizes.getDictionary(ctx));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
}

std::string sizeTerm(MemRefType type, int64_t dim) {
  return type.isDynamicDim(dim) ? "D" + std::to_string(dim)
                                : std::to_string(type.getDimSize(dim));
}
} // namespace

//===----------------------------------------------------------------------===//
// scan_blocked
//===----------------------------------------------------------------------===//

static void emitScanKernel(gpu::GPUFuncOp kernel, const ScanKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  unsigned arg = 0;
  Value a = kernel.getArgument(arg++);
  Value bIn = kernel.getArgument(arg++);
  Value initial = spec.initial ? kernel.getArgument(arg++) : Value();
  Value h = kernel.getArgument(arg++);
  int64_t tokens = spec.schedule.getKvTile();
  int64_t rank = spec.h.getRank();

  SharedMemory smem =
      SharedMemory::create(b, b.getF32Type(), getCarryBytes(/*states=*/1));
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, kLanes);
  Value warp = b.divu(tid, kLanes);

  // The channel of this lane over the dims other than the axis, clamped so
  // that a lane past the last channel reads in bounds (and writes nothing).
  SmallVector<Value> dims;
  for (int64_t i = 0; i < rank; ++i)
    dims.push_back(memref::DimOp::create(b, h, i));
  Value channels = b.idx(1);
  for (int64_t i = 0; i < rank; ++i)
    if (i != spec.axis)
      channels = b.mul(channels, dims[i]);
  Value channel =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kLanes), lane);
  Value valid = b.cmp(arith::CmpIPredicate::ult, channel, channels);
  Value rest = b.minS(channel, b.sub(channels, b.idx(1)));
  ChannelIndices indices;
  for (int64_t i = rank - 1; i >= 0; --i) {
    if (i == spec.axis)
      continue;
    Value index = arith::RemUIOp::create(b, rest, dims[i]);
    rest = arith::DivUIOp::create(b, rest, dims[i]);
    SmallVector<Value> &list = i < spec.axis ? indices.outer : indices.inner;
    list.insert(list.begin(), index);
  }
  Value length = dims[spec.axis];

  Value carry = initial ? loadAsF32(b, b.getLoc(), initial,
                                    indices.withoutAxis(), spec.initialPrologue)
                        : b.f32(0.0);
  Value blockTokens = b.idx(kWarps * tokens);
  Value blocks = arith::CeilDivUIOp::create(b, length, blockTokens);
  auto loop = scf::ForOp::create(b, b.idx(0), blocks, b.idx(1), carry);
  {
    OpBuilder::InsertionGuard inLoop(b);
    b.setInsertionPointToStart(loop.getBody());
    Value block = loop.getInductionVar();
    Value blockCarry = loop.getRegionIterArgs()[0];
    Value first = b.add(b.mul(block, blockTokens), b.mul(warp, tokens));
    // Step 1: this warp's run, tokens past the end the identity (1, 0).
    SmallVector<Value> as, bs, positions, inRange;
    Value runA = b.f32(1.0), runB = b.f32(0.0);
    for (int64_t j = 0; j < tokens; ++j) {
      Value t = b.add(first, j);
      Value inside = b.cmp(arith::CmpIPredicate::ult, t, length);
      Value clamped = b.minS(t, b.sub(length, b.idx(1)));
      Value position =
          spec.reverse ? b.sub(b.sub(length, b.idx(1)), clamped) : clamped;
      SmallVector<Value> at = indices.at(position);
      Value aj = b.select(
          inside, loadAsF32(b, b.getLoc(), a, at, spec.aPrologue), b.f32(1.0));
      Value bj =
          b.select(inside, loadAsF32(b, b.getLoc(), bIn, at, spec.bPrologue),
                   b.f32(0.0));
      runA = b.mulF(runA, aj);
      runB = b.fma(aj, runB, bj);
      as.push_back(aj);
      bs.push_back(bj);
      positions.push_back(position);
      inRange.push_back(b.andI(inside, valid));
    }
    // Step 2.
    BlockCarries carries = combineRuns(b, smem.view(), b.remu(block, 2), warp,
                                       lane, runA, runB, blockCarry);
    // Step 3.
    Value state = carries.into[0];
    for (int64_t j = 0; j < tokens; ++j) {
      state = b.fma(as[j], state, bs[j]);
      b.ifThen(inRange[j], [&] {
        storeFromF32(b, b.getLoc(), state, h, indices.at(positions[j]));
      });
    }
    scf::YieldOp::create(b, carries.out[0]);
  }
  gpu::ReturnOp::create(b);
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildScanKernel(gpu::GPUModuleOp module, StringRef name,
                               Location loc, const ScanKernelSpec &spec) {
  Builder builder(module.getContext());
  FailureOr<gpu::GPUFuncOp> created = createKernel(
      module, name, loc,
      {{spec.a, "a"}, {spec.b, "b"}, {spec.initial, "initial"}, {spec.h, "h"}},
      spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;

  // A CTA per 32 channels: the product of the extents but the axis.
  NamedAttrList sizes;
  bindSizes(builder, sizes, "b", spec.b);
  std::string channels;
  for (int64_t i = 0; i < spec.h.getRank(); ++i)
    if (i != spec.axis)
      channels += (channels.empty() ? "" : "*") + sizeTerm(spec.b, i);
  if (channels.empty())
    channels = "1";
  SmallVector<std::string> shape;
  for (int64_t i = 0; i < spec.h.getRank(); ++i)
    shape.push_back("b[" + std::to_string(i) + "]");
  NamedAttrList results;
  results.append("h", builder.getStrArrayAttr(
                          SmallVector<StringRef>(shape.begin(), shape.end())));
  setScanLaunch(kernel, channels, sizes, /*states=*/1, results);
  emitScanKernel(kernel, spec);
  return kernel;
}

//===----------------------------------------------------------------------===//
// selective_scan
//===----------------------------------------------------------------------===//

static void emitSelectiveScanKernel(gpu::GPUFuncOp kernel,
                                    const SelectiveScanKernelSpec &spec) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  unsigned arg = 0;
  auto next = [&](bool present) {
    return present ? kernel.getArgument(arg++) : Value();
  };
  Value u = next(true), delta = next(true), stateMatrix = next(true),
        inputMatrix = next(true), outputMatrix = next(true),
        skip = next(bool(spec.D)), gate = next(bool(spec.z)),
        bias = next(bool(spec.deltaBias)), y = next(true),
        last = next(bool(spec.lastState));
  int64_t tokens = spec.schedule.getKvTile();
  int64_t states = spec.getStateDim();

  SharedMemory smem =
      SharedMemory::create(b, b.getF32Type(), getCarryBytes(states));
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, kLanes);
  Value warp = b.divu(tid, kLanes);
  Value batches = memref::DimOp::create(b, y, 0);
  Value width = memref::DimOp::create(b, y, 1);
  Value length = memref::DimOp::create(b, y, 2);
  Value channels = b.mul(batches, width);
  Value channel =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kLanes), lane);
  Value valid = b.cmp(arith::CmpIPredicate::ult, channel, channels);
  Value clamped = b.minS(channel, b.sub(channels, b.idx(1)));
  Value batch = arith::DivUIOp::create(b, clamped, width);
  Value d = arith::RemUIOp::create(b, clamped, width);

  auto load = [&](Value source, ValueRange indices,
                  const std::optional<OperandPrologue> &prologue) {
    return loadAsF32(b, b.getLoc(), source, indices, prologue);
  };
  SmallVector<Value> decayRates; // A[d, n]
  for (int64_t n = 0; n < states; ++n)
    decayRates.push_back(load(stateMatrix, {d, b.idx(n)}, spec.APrologue));
  Value skipWeight = skip ? load(skip, {d}, spec.DPrologue) : Value();
  Value deltaBias = bias ? load(bias, {d}, spec.deltaBiasPrologue) : Value();
  auto exp = [&](Value x) { return b.exp2(b.mulF(x, b.f32(M_LOG2E))); };
  // softplus(x) = max(x, 0) + log(1 + exp(-|x|)), as in the op's definition.
  auto softplus = [&](Value x) {
    Value negAbs = arith::MinimumFOp::create(b, x, arith::NegFOp::create(b, x));
    Value tail = b.mulF(b.log2(b.addF(b.f32(1.0), exp(negAbs))), b.f32(M_LN2));
    return b.addF(b.maxF(x, b.f32(0.0)), tail);
  };

  SmallVector<Value> zeros(states, b.f32(0.0));
  Value blockTokens = b.idx(kWarps * tokens);
  Value blocks = arith::CeilDivUIOp::create(b, length, blockTokens);
  auto loop = scf::ForOp::create(b, b.idx(0), blocks, b.idx(1), zeros);
  {
    OpBuilder::InsertionGuard inLoop(b);
    b.setInsertionPointToStart(loop.getBody());
    Value block = loop.getInductionVar();
    ValueRange blockCarry = loop.getRegionIterArgs();
    Value first = b.add(b.mul(block, blockTokens), b.mul(warp, tokens));
    // Token j of this warp's run: dt (0 past the end, the identity), u, z.
    // The run is walked twice by loops, not unrolled, and each walk reloads
    // the token (from L1): a channel's 16 states, their runs and carries
    // already take the registers.
    struct Token {
      Value step, input, gate, position, inRange;
    };
    auto loadToken = [&](Value j) {
      Token token;
      Value t = b.add(first, j);
      Value inside = b.cmp(arith::CmpIPredicate::ult, t, length);
      token.position = b.minS(t, b.sub(length, b.idx(1)));
      Value dt = load(delta, {batch, d, token.position}, spec.deltaPrologue);
      if (deltaBias)
        dt = b.addF(dt, deltaBias);
      if (spec.deltaSoftplus)
        dt = softplus(dt);
      token.step = b.select(inside, dt, b.f32(0.0));
      token.input = load(u, {batch, d, token.position}, spec.uPrologue);
      if (gate)
        token.gate = load(gate, {batch, d, token.position}, spec.zPrologue);
      token.inRange = b.andI(inside, valid);
      return token;
    };
    // The discretised a = exp(dt A[d, n]) and b = dt B[n] u of a token.
    auto discretise = [&](const Token &token,
                          int64_t n) -> std::pair<Value, Value> {
      Value a = exp(b.mulF(token.step, decayRates[n]));
      Value input = load(inputMatrix, {batch, b.idx(n), token.position},
                         spec.BmatPrologue);
      return {a, b.mulF(b.mulF(token.step, input), token.input)};
    };
    // Step 1: the run's aggregates from (1, 0).
    SmallVector<Value> identity(states, b.f32(1.0));
    identity.append(states, b.f32(0.0));
    auto runLoop =
        scf::ForOp::create(b, b.idx(0), b.idx(tokens), b.idx(1), identity);
    {
      OpBuilder::InsertionGuard inRun(b);
      b.setInsertionPointToStart(runLoop.getBody());
      Token token = loadToken(runLoop.getInductionVar());
      ValueRange runs = runLoop.getRegionIterArgs();
      SmallVector<Value> runA, runB;
      for (int64_t n = 0; n < states; ++n) {
        auto [a, bn] = discretise(token, n);
        runA.push_back(b.mulF(runs[n], a));
        runB.push_back(b.fma(a, runs[states + n], bn));
      }
      runA.append(runB);
      scf::YieldOp::create(b, runA);
    }
    ValueRange runs = runLoop.getResults();
    // Step 2.
    BlockCarries carries =
        combineRuns(b, smem.view(), b.remu(block, 2), warp, lane,
                    SmallVector<Value>(runs.take_front(states)),
                    SmallVector<Value>(runs.drop_front(states)),
                    SmallVector<Value>(blockCarry));
    // Step 3: y = C.h (+ D u) (* silu(z)).
    auto outLoop =
        scf::ForOp::create(b, b.idx(0), b.idx(tokens), b.idx(1), carries.into);
    {
      OpBuilder::InsertionGuard inRun(b);
      b.setInsertionPointToStart(outLoop.getBody());
      Token token = loadToken(outLoop.getInductionVar());
      SmallVector<Value> state(outLoop.getRegionIterArgs());
      Value readout = b.f32(0.0);
      for (int64_t n = 0; n < states; ++n) {
        auto [a, bn] = discretise(token, n);
        state[n] = b.fma(a, state[n], bn);
        Value weight = load(outputMatrix, {batch, b.idx(n), token.position},
                            spec.CPrologue);
        readout = b.fma(weight, state[n], readout);
      }
      if (skipWeight)
        readout = b.fma(skipWeight, token.input, readout);
      if (gate) {
        Value z = token.gate;
        Value silu = arith::DivFOp::create(
            b, z, b.addF(b.f32(1.0), exp(arith::NegFOp::create(b, z))));
        readout = b.mulF(readout, silu);
      }
      b.ifThen(token.inRange, [&] {
        storeFromF32(b, b.getLoc(), readout, y, {batch, d, token.position});
      });
      scf::YieldOp::create(b, state);
    }
    scf::YieldOp::create(b, carries.out);
  }
  if (last)
    b.ifThen(valid, [&] {
      for (int64_t n = 0; n < states; ++n)
        storeFromF32(b, b.getLoc(), loop.getResult(n), last,
                     {batch, d, b.idx(n)});
    });
  gpu::ReturnOp::create(b);
}

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildSelectiveScanKernel(gpu::GPUModuleOp module, StringRef name,
                                        Location loc,
                                        const SelectiveScanKernelSpec &spec) {
  Builder builder(module.getContext());
  FailureOr<gpu::GPUFuncOp> created =
      createKernel(module, name, loc,
                   {{spec.u, "u"},
                    {spec.delta, "delta"},
                    {spec.A, "A"},
                    {spec.Bmat, "B"},
                    {spec.C, "C"},
                    {spec.D, "D"},
                    {spec.z, "z"},
                    {spec.deltaBias, "delta_bias"},
                    {spec.y, "y"},
                    {spec.lastState, "last_state"}},
                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;

  // A CTA per 32 channels (batch x width).
  NamedAttrList sizes;
  bindSizes(builder, sizes, "u", spec.u);
  NamedAttrList results;
  results.append("y", builder.getStrArrayAttr({"u[0]", "u[1]", "u[2]"}));
  if (spec.lastState)
    results.append("last_state",
                   builder.getStrArrayAttr({"u[0]", "u[1]", "A[1]"}));
  setScanLaunch(kernel, sizeTerm(spec.u, 0) + "*" + sizeTerm(spec.u, 1), sizes,
                spec.getStateDim(), results);
  emitSelectiveScanKernel(kernel, spec);
  return kernel;
}
