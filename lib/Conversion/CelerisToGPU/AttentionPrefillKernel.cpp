//===- AttentionPrefillKernel.cpp - The attention prefill family ---------===//
//
// FlashAttention forward as a composition of the kernel layer's blocks
// (celeris/GPU): one body for both tensor-core families and every mask.
//
// Work split: grid (ceildiv(Sq, 16 W), Hq, B), W warps; warp w owns query
// rows 16 w + [0, 16) of the CTA's tile (with wgmma, warpgroup i the 64 rows
// from 64 i), so every softmax row lives in the four lanes of one warp.
// Where the mask makes work grow with the row, the CTAs run longest first.
//
// The CTA visits the key tiles its rows can reach (MaskTile: ranges from
// the mask, never a loop that skips), streamed through a TilePipeline of
// `stages` K/V buffers (mbarriers with wgmma, CTA barriers with mma.sync).
// Per tile:
//   S = Q K^T                       (TensorCoreMma, Q from shared memory or
//                                    registers, K K-major)
//   S = transform(S)                (ALiBi, softcap; else the scale is
//                                    folded into the softmax exponent)
//   mask S where the tile is partial (full tiles do no mask math)
//   P = online softmax update of S  (OnlineSoftmax), O *= alpha
//   O += P V                        (P from registers, V MN-major)
// then out = O / l and lse for the rows below Sq.
//
//===----------------------------------------------------------------------===//

#include "AttentionPrefillKernel.h"

#include "celeris/GPU/MaskTile.h"
#include "celeris/GPU/OnlineSoftmax.h"
#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// Shared-memory layout: Q, then per stage a K tile and a V tile, then the
/// pipeline's mbarriers.
struct SharedLayout {
  SharedTile q, kv;
  int64_t stages;

  SharedLayout(GPUScheduleAttr schedule, int64_t headDim, Type elementType) {
    TileLayout layout = schedule.getTensorCores() == TensorCoreKind::Wgmma
                            ? TileLayout::Swizzle128B
                            : TileLayout::Padded;
    q = {schedule.getQueryTile(), headDim, elementType, layout};
    kv = {schedule.getKvTile(), headDim, elementType, layout};
    stages = schedule.getStages();
  }
  /// Element offsets.
  int64_t keyOffset(int64_t stage) const {
    return q.elements() + 2 * stage * kv.elements();
  }
  int64_t barrierBytes() const { return 2 * keyOffset(stages); }
  int64_t usableBytes() const {
    return barrierBytes() + TilePipeline::getBarrierBytes(stages);
  }
};

class PrefillKernelEmitter {
public:
  PrefillKernelEmitter(gpu::GPUFuncOp kernel, const AttentionKernelSpec &spec)
      : spec(spec), schedule(spec.schedule),
        b(kernel.getLoc(), kernel.getContext()),
        layout(spec.schedule, spec.getHeadDim(), spec.getElementType()) {
    b.setInsertionPointToStart(&kernel.getBody().front());
    unsigned arg = 0;
    q = kernel.getArgument(arg++);
    k = kernel.getArgument(arg++);
    v = kernel.getArgument(arg++);
    if (spec.alibiSlopes)
      alibi = kernel.getArgument(arg++);
    if (spec.kvLengths)
      kvLengths = kernel.getArgument(arg++);
    out = kernel.getArgument(arg++);
    if (spec.lse)
      lse = kernel.getArgument(arg++);
  }

  void emit();

private:
  SmallVector<Value> emitTile(TensorCoreMma &mma, const MmaOperandA &query,
                              Value keyTile, Value stageOffset,
                              ValueRange carried);
  void emitEpilogue(ValueRange results);

  const AttentionKernelSpec &spec;
  GPUScheduleAttr schedule;
  KernelBuilder b;
  SharedLayout layout;
  Value q, k, v, alibi, kvLengths, out, lse;

  // Per-thread values of the kernel, named as in the file comment.
  Value batch, head, sq, rowBegin, rowEnd, rows[2], quad;
  std::optional<MaskTile> mask;
  ScoreTransform transform;
};

} // namespace

SmallVector<Value> PrefillKernelEmitter::emitTile(TensorCoreMma &mma,
                                                  const MmaOperandA &query,
                                                  Value keyTile,
                                                  Value stageOffset,
                                                  ValueRange carried) {
  int64_t headDim = spec.getHeadDim(), kvTile = schedule.getKvTile();
  AccumulatorFragment s = AccumulatorFragment::splat(b.f32(0.0), kvTile);
  mma.multiply(b, s, query, {layout.kv, stageOffset, /*kMajor=*/true},
               headDim, /*accumulate=*/false);
  mma.wait(b, {&s});

  Value keyBegin = b.mul(keyTile, kvTile);
  Value keyBase = b.add(keyBegin, b.mul(quad, 2));
  Value factor = transform.apply(b, s, rows, keyBase);
  auto [isEmpty, isFull] =
      mask->classify(b, rowBegin, rowEnd, keyBegin, kvTile);
  (void)isEmpty;
  if (!matchPattern(isFull, m_One())) {
    SmallVector<Type> types(s.values.size(), b.getF32Type());
    auto partial = scf::IfOp::create(b, types, b.notI(isFull),
                                     /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(partial.thenBlock());
    AccumulatorFragment masked = s;
    mask->apply(b, masked, rows, keyBase);
    scf::YieldOp::create(b, masked.values);
    b.setInsertionPointToStart(partial.elseBlock());
    scf::YieldOp::create(b, s.values);
    s.values.assign(partial.getResults().begin(), partial.getResults().end());
  }

  SoftmaxState state = SoftmaxState::fromValues(carried.take_front(4));
  AccumulatorFragment o{llvm::to_vector(carried.drop_front(4))};
  SoftmaxUpdate update = updateOnlineSoftmax(b, s, state, factor);
  rescaleRows(b, o, update.alpha);
  MmaOperandA p;
  p.registers = toOperandA(b, s, spec.getElementType());
  mma.multiply(b, o, p,
               {layout.kv, b.add(stageOffset, layout.kv.elements()),
                /*kMajor=*/false},
               kvTile, /*accumulate=*/true);
  mma.wait(b, {&o});
  SmallVector<Value> next = update.state.toValues();
  next.append(o.values);
  return next;
}

void PrefillKernelEmitter::emitEpilogue(ValueRange results) {
  SoftmaxState state = SoftmaxState::fromValues(results.take_front(4));
  ValueRange o = results.drop_front(4);
  SoftmaxResult result = finalizeOnlineSoftmax(b, state, lse != nullptr);
  Value column = b.mul(quad, 2);
  auto narrowType = VectorType::get({2}, spec.getElementType());
  auto pairType = VectorType::get({2}, b.getF32Type());
  for (int64_t row = 0; row < 2; ++row) {
    b.ifThen(b.cmp(arith::CmpIPredicate::slt, rows[row], sq), [&] {
      for (int64_t i = 2 * row; i < int64_t(o.size()); i += 4) {
        Value lo = b.mulF(o[i], result.inverseSum[row]);
        Value hi = b.mulF(o[i + 1], result.inverseSum[row]);
        Value pair = vector::FromElementsOp::create(b, pairType,
                                                    ValueRange{lo, hi});
        Value narrow = arith::TruncFOp::create(b, narrowType, pair);
        vector::StoreOp::create(
            b, narrow, out,
            ValueRange{batch, head, rows[row], b.add(column, 8 * (i / 4))},
            /*nontemporal=*/false, llvm::MaybeAlign(4));
      }
      if (lse)
        b.ifThen(b.cmp(arith::CmpIPredicate::eq, quad, b.idx(0)), [&] {
          memref::StoreOp::create(b, result.lse[row], lse,
                                  ValueRange{batch, head, rows[row]});
        });
    });
  }
}

void PrefillKernelEmitter::emit() {
  bool wgmma = schedule.getTensorCores() == TensorCoreKind::Wgmma;
  int64_t warps = schedule.getWarps(), threads = schedule.getThreads();
  int64_t rowsPerCta = schedule.getQueryTile(), kvTile = schedule.getKvTile();
  int64_t stages = schedule.getStages(), headDim = spec.getHeadDim();

  SharedMemory smem =
      SharedMemory::create(b, spec.getElementType(), layout.usableBytes());
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value warp = b.divu(tid, 32), laneId = b.remu(tid, 32);
  FragmentLane lane = FragmentLane::get(b, tid);
  quad = lane.quad;
  std::unique_ptr<TensorCoreMma> mma = TensorCoreMma::create(
      schedule.getTensorCores(), spec.getElementType(), smem, lane, laneId);
  TilePipeline pipeline(
      smem, wgmma ? PipelineSync::MBarrier : PipelineSync::CtaBarrier, stages,
      threads, layout.barrierBytes());
  pipeline.initialize(b, tid);

  Value tile = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  if (spec.mask.dependsOnQueryPosition()) {
    // Work grows with the query tile under causal-like masks: launch the
    // longest first so the short ones fill the last wave.
    Value tiles = gpu::GridDimOp::create(b, gpu::Dimension::x);
    tile = b.sub(b.sub(tiles, b.idx(1)), tile);
  }
  head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  sq = memref::DimOp::create(b, q, 2);
  Value sk = memref::DimOp::create(b, k, 2);
  // GQA: query head h reads key/value head h Hkv / Hq (= h / (Hq / Hkv)
  // when Hkv divides Hq): one division.
  Value kvHead = arith::DivUIOp::create(
      b, b.mul(head, memref::DimOp::create(b, k, 1)),
      memref::DimOp::create(b, q, 1));
  Value kvLength = sk, lengthForOffset = sk;
  if (kvLengths) {
    Value length = b.toIndex(memref::LoadOp::create(b, kvLengths, batch));
    lengthForOffset = length;
    kvLength = b.minS(b.maxS(length, b.idx(0)), sk);
  }
  Value queryOffset = spec.queryOffset ? b.idx(*spec.queryOffset)
                                       : b.sub(lengthForOffset, sq);
  mask.emplace(spec.mask, queryOffset, kvLength);
  transform = {spec.scale, spec.softcap, Value(), queryOffset};
  if (alibi)
    transform.alibiSlope = memref::LoadOp::create(b, alibi, head);

  rowBegin = b.mul(tile, rowsPerCta);
  rowEnd = b.minS(b.add(rowBegin, rowsPerCta), sq);
  rows[0] = b.add(b.add(rowBegin, b.mul(warp, 16)), lane.group);
  rows[1] = b.add(rows[0], 8);
  KeyTileSequence keyTiles = mask->getKeyTiles(b, rowBegin, rowEnd, kvTile);

  TileLoader queryLoader(b, layout.q, tid, threads);
  TileLoader kvLoader(b, layout.kv, tid, threads);
  auto stageOffset = [&](Value stage) {
    return b.add(b.mul(stage, 2 * layout.kv.elements()), layout.keyOffset(0));
  };
  // Visit n loads its key tile into stage n % stages; visits past the last
  // load nothing (row limit 0) but still complete their stage. The Q tile
  // travels with visit 0.
  auto produce = [&](Value n, bool withQuery) {
    pipeline.produce(b, n, [&](Value stage) {
      SmallVector<Value> tokens;
      if (withQuery)
        tokens = queryLoader.load(b, smem, b.idx(0), q, {batch, head},
                                  rowBegin, sq);
      Value valid = b.cmp(arith::CmpIPredicate::slt, n, keyTiles.count);
      Value limit = b.select(valid, kvLength, b.idx(0));
      Value row0 = b.mul(keyTiles.tileAt(b, n), kvTile);
      Value offset = stageOffset(stage);
      tokens.append(kvLoader.load(b, smem, offset, k, {batch, kvHead}, row0,
                                  limit));
      tokens.append(kvLoader.load(b, smem,
                                  b.add(offset, layout.kv.elements()), v,
                                  {batch, kvHead}, row0, limit));
      return tokens;
    });
  };
  for (int64_t n = 0; n + 1 < stages; ++n)
    produce(b.idx(n), /*withQuery=*/n == 0);

  int64_t unitRows = mma->getRowsPerUnit();
  MmaOperandA query{layout.q, b.idx(0),
                    b.mul(b.divu(warp, unitRows / 16), unitRows),
                    {}};
  if (!wgmma) {
    // mma.sync reads Q from registers: load them once, when Q landed.
    pipeline.waitFull(b, b.idx(0), /*forTensorCores=*/false);
    query = mma->prepareA(b, query);
  }

  SmallVector<Value> inits = SoftmaxState::initial(b).toValues();
  inits.append(headDim / 2, b.f32(0.0));
  auto loop = scf::ForOp::create(b, b.idx(0), keyTiles.count, b.idx(1), inits);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value n = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    pipeline.waitFull(b, n, /*forTensorCores=*/wgmma);
    produce(b.add(n, stages - 1), /*withQuery=*/false);
    Value keyTile = keyTiles.tileAt(b, n);
    Value offset = stageOffset(pipeline.stageOf(b, n));
    SmallVector<Value> next;
    if (mask->mayVisitEmptyTiles()) {
      // Tiles inside the ranges that the mask still leaves empty: skip.
      auto [isEmpty, isFull] = mask->classify(
          b, rowBegin, rowEnd, b.mul(keyTile, kvTile), kvTile);
      (void)isFull;
      auto visit = scf::IfOp::create(b, TypeRange(carried), b.notI(isEmpty),
                                     /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard ifGuard(b);
        b.setInsertionPointToStart(visit.thenBlock());
        scf::YieldOp::create(b,
                             emitTile(*mma, query, keyTile, offset, carried));
        b.setInsertionPointToStart(visit.elseBlock());
        scf::YieldOp::create(b, carried);
      }
      next.assign(visit.getResults().begin(), visit.getResults().end());
    } else {
      next = emitTile(*mma, query, keyTile, offset, carried);
    }
    pipeline.release(b, n);
    scf::YieldOp::create(b, next);
  }
  (void)warps;
  // No copy may still write shared memory when the CTA exits.
  pipeline.drain(b);
  emitEpilogue(loop.getResults());
  gpu::ReturnOp::create(b);
}

int64_t mlir::celeris::getAttentionPrefillSharedBytes(GPUScheduleAttr schedule,
                                                      int64_t headDim) {
  // The element type does not change the size: both are 2 bytes.
  SharedLayout layout(schedule, headDim,
                      BFloat16Type::get(schedule.getContext()));
  return SharedMemory::getReservedBytes(layout.usableBytes());
}

FailureOr<gpu::GPUFuncOp> mlir::celeris::buildAttentionPrefillKernel(
    gpu::GPUModuleOp module, StringRef name, Location loc,
    const AttentionKernelSpec &spec) {
  if (module.lookupSymbol(name))
    return emitError(loc) << "gpu.module @" << module.getName()
                          << " already has a symbol @" << name;
  MLIRContext *ctx = module.getContext();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  SmallVector<Type> argTypes = {spec.query, spec.key, spec.value};
  SmallVector<StringRef> argNames = {"q", "k", "v"};
  if (spec.alibiSlopes) {
    argTypes.push_back(spec.alibiSlopes);
    argNames.push_back("alibi_slopes");
  }
  if (spec.kvLengths) {
    argTypes.push_back(spec.kvLengths);
    argNames.push_back("kv_lengths");
  }
  argTypes.push_back(spec.output);
  argNames.push_back("out");
  if (spec.lse) {
    argTypes.push_back(spec.lse);
    argNames.push_back("lse");
  }
  auto kernel = gpu::GPUFuncOp::create(builder, loc, name,
                                       FunctionType::get(ctx, argTypes, {}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());

  // Launch geometry as expressions of named sizes, each bound from an
  // argument's shape, so one binary serves every sequence length.
  GPUScheduleAttr schedule = spec.schedule;
  auto i32Array = [&](int64_t x) {
    return builder.getDenseI32ArrayAttr({static_cast<int32_t>(x), 1, 1});
  };
  NamedAttrList sizes;
  sizes.append("B", builder.getStringAttr("q[0]"));
  sizes.append("Hq", builder.getStringAttr("q[1]"));
  sizes.append("Sq", builder.getStringAttr("q[2]"));
  NamedAttrList launch;
  launch.append("grid", builder.getStrArrayAttr(
                            {"ceildiv(Sq," +
                                 std::to_string(schedule.getQueryTile()) + ")",
                             "Hq", "B"}));
  launch.append("block", i32Array(schedule.getThreads()));
  launch.append("shared",
                builder.getStringAttr(std::to_string(spec.sharedBytes)));
  launch.append("sizes", sizes.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  kernel->setAttr("celeris.arg_names", builder.getStrArrayAttr(argNames));
  kernel->setAttr("celeris.gpu_schedule", schedule);
  if (schedule.getMinCtasPerSm() > 0) {
    // .maxntid and .minnctapersm let ptxas cap the registers at
    // 65536 / (threads * minCtasPerSm).
    kernel->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                    i32Array(schedule.getThreads()));
    kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    builder.getI32IntegerAttr(schedule.getMinCtasPerSm()));
  }
  PrefillKernelEmitter(kernel, spec).emit();
  return kernel;
}
