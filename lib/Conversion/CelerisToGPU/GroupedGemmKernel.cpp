//===- GroupedGemmKernel.cpp - The grouped_gemm kernel family ------------===//
//
// celeris.grouped_matmul over ragged expert segments on wgmma, composed of
// the kernel layer's blocks (celeris/GPU).
//
// The rows of x form E + 1 segments: expert e owns [offsets[e - 1],
// offsets[e]), and the tail [offsets[E - 1], N), whose output is zero. A
// tile is BM = 16 W rows of one segment (W warps) by BN = kv_tile output
// columns, so a tile never straddles two experts, nothing is padded in
// memory and an empty expert has no tile. There are ceildiv(N, BM) + E + 1
// row-tile slots (they bound the segments' tiles whatever the offsets);
// slot y takes the y-th row tile in segment order and the surplus slots
// return at once. The grid is one-dimensional, ceildiv(f, BN) CTAs a slot
// (x has room for any N, y would not), so the column tiles of a row tile
// are neighbours in launch order and its A rows and its expert's weights
// stay in L2. Each warp finds its CTA's tile on its own: a lane sums the
// tiles of (E + 1) / 32 segments, a warp scan places them, and the lane
// holding tile y hands its segment to the others, so no CTA barrier and no
// host synchronisation are needed.
//
// The swiglu form computes the gate and up projections of a tile together:
// its B slice is w[e]'s kv_tile / 2 columns followed by w_up[e]'s same
// columns (the 128-byte swizzle lays tiles out in 64-column blocks, so the
// two halves are one tile to wgmma), and a thread's accumulator for gate
// column c sits kv_tile / 4 registers before the one for up column c: the
// epilogue forms silu(gate) * up in registers and writes kv_tile / 2
// columns.
//
// Per tile, the 64-deep K slices of the A rows and of w[e] stream through a
// TilePipeline of `stages` buffers, which a producer warp fills: by TMA,
// or, in the gather form, the A rows by a producer warpgroup with cp.async
// from the token rows that source_rows names (a thread copies a 16-byte
// chunk of one row a pass, so a warp's copy reads four whole 128-byte row
// slices; the rows' addresses are formed once per tile; unnamed rows read
// as zeros) and the B slice by TMA. Each warpgroup multiplies its 64 rows by
// the B slice (A K-major, B MN-major, both from shared memory), keeping one
// slice's GEMM in flight while it releases the previous stage. Rows past
// the segment, and columns past f in a last partial column tile, load as
// zeros and are not stored; outside the swiglu form, that tile's wgmma
// covers only its 64-column blocks below f.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

#include "celeris/Conversion/CelerisToGPU/GPUCostModel.h"
#include "celeris/GPU/KernelBuilder.h"
#include "celeris/GPU/SharedTile.h"
#include "celeris/GPU/TensorCoreMma.h"
#include "celeris/GPU/TensorMapCopy.h"
#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kDepth = 64;
constexpr int64_t kLanes = 32;
/// The threads that copy a tile's rows and weights: one warp, or in the
/// gather form a warpgroup (one warp's cp.async copies of a stage take
/// longer than wgmma takes to consume one: 540 against 586 TFLOP/s on an
/// H200), unless two CTAs share an SM, where 384 threads would leave 80
/// registers a thread, too few for the computing warps.
int64_t getProducerThreads(const GroupedGemmKernelSpec &spec) {
  if (!spec.sourceRows || spec.schedule.getMinCtasPerSm() > 1)
    return kLanes;
  return 4 * kLanes;
}

/// The tile a CTA computes: its segment (E for the tail) and rows.
struct GemmTile {
  Value found, segment, rowBegin, rowEnd;
};

/// Finds tile `slot` (index) among the tiles of `rows` rows of the E + 1
/// segments of `offsets`, in segment order; every lane of the warp gets it.
GemmTile locateTile(KernelBuilder &b, Value offsets, Value rowCount, Value slot,
                    Value lane, int64_t rows) {
  using Pred = arith::CmpIPredicate;
  Value experts = memref::DimOp::create(b, offsets, 0);
  Value segments = b.add(experts, b.idx(1));
  Value perLane = b.divu(b.add(segments, b.idx(kLanes - 1)), kLanes);
  Value first = b.mul(lane, perLane);
  // Segment s's rows, clamped into [0, N) so that bad offsets cannot make
  // a tile reach outside x.
  auto bounds = [&](Value s) -> std::pair<Value, Value> {
    auto endOf = [&](Value e) {
      Value inRange = b.cmp(Pred::slt, e, experts);
      Value at = b.maxS(b.minS(e, b.sub(experts, b.idx(1))), b.idx(0));
      Value offset = b.toIndex(memref::LoadOp::create(b, offsets, at));
      offset = b.maxS(b.minS(offset, rowCount), b.idx(0));
      return b.select(inRange, offset, rowCount);
    };
    Value start = b.select(b.cmp(Pred::eq, s, b.idx(0)), b.idx(0),
                           endOf(b.sub(s, b.idx(1))));
    Value end = b.maxS(endOf(s), start);
    return {start, end};
  };
  auto tilesOf = [&](Value s) {
    auto [start, end] = bounds(s);
    Value valid = b.cmp(Pred::slt, s, segments);
    return b.select(valid,
                    b.divu(b.add(b.sub(end, start), b.idx(rows - 1)), rows),
                    b.idx(0));
  };
  // This lane's tiles, then their place among the warp's (inclusive scan).
  auto count =
      scf::ForOp::create(b, b.idx(0), perLane, b.idx(1), ValueRange{b.idx(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(count.getBody());
    Value s = b.add(first, count.getInductionVar());
    scf::YieldOp::create(
        b, ValueRange{b.add(count.getRegionIterArgs()[0], tilesOf(s))});
  }
  Value local = count.getResult(0);
  Value inclusive = b.toI32(local);
  for (int32_t delta = 1; delta < kLanes; delta *= 2) {
    Value up = b.shuffleUp(inclusive, delta);
    inclusive = b.select(b.cmp(Pred::sge, lane, b.idx(delta)),
                         b.add(inclusive, up), inclusive);
  }
  Value before = b.sub(b.toIndex(inclusive), local);
  // The lane whose tiles hold `slot` finds its segment; the others keep -1.
  Value none = b.idx(-1);
  auto find = scf::ForOp::create(b, b.idx(0), perLane, b.idx(1),
                                 ValueRange{before, none, none, none});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(find.getBody());
    ValueRange carried = find.getRegionIterArgs();
    Value s = b.add(first, find.getInductionVar());
    Value tiles = tilesOf(s);
    Value start = carried[0];
    Value here = b.andI(b.cmp(Pred::sge, slot, start),
                        b.cmp(Pred::slt, slot, b.add(start, tiles)));
    auto [rowStart, rowEnd] = bounds(s);
    Value tileBegin = b.add(rowStart, b.mul(b.sub(slot, start), b.idx(rows)));
    scf::YieldOp::create(b, ValueRange{b.add(start, tiles),
                                       b.select(here, s, carried[1]),
                                       b.select(here, tileBegin, carried[2]),
                                       b.select(here, rowEnd, carried[3])});
  }
  // One lane at most holds the tile: the maximum hands it to all.
  SmallVector<Value> held;
  for (int64_t i = 1; i < 4; ++i) {
    Value v = b.toI32(find.getResult(i));
    for (int32_t mask = 1; mask < kLanes; mask *= 2)
      v = b.maxS(v, b.shuffleXor(v, mask));
    held.push_back(b.toIndex(v));
  }
  GemmTile tile;
  tile.found = b.cmp(Pred::sge, held[0], b.idx(0));
  tile.segment = b.maxS(held[0], b.idx(0));
  tile.rowBegin = b.maxS(held[1], b.idx(0));
  tile.rowEnd =
      b.maxS(b.minS(b.add(tile.rowBegin, b.idx(rows)), held[2]), tile.rowBegin);
  return tile;
}

void emitGroupedGemmKernel(gpu::GPUFuncOp kernel,
                           const GroupedGemmKernelSpec &spec) {
  using Pred = arith::CmpIPredicate;
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  bool swiglu = static_cast<bool>(spec.wUp);
  bool gather = static_cast<bool>(spec.sourceRows);
  unsigned next = 3;
  Value x = kernel.getArgument(0), offsets = kernel.getArgument(2);
  Value sourceRows = gather ? kernel.getArgument(next++) : Value();
  // w_up is read through its tensor map.
  next += swiglu;
  Value y = kernel.getArgument(next++);
  // The tensor maps of x (unless gathered), w and w_up follow the memrefs.
  Value xMap = gather ? Value() : kernel.getArgument(next++);
  Value wMap = kernel.getArgument(next++);
  Value wUpMap = swiglu ? kernel.getArgument(next++) : Value();
  GPUScheduleAttr schedule = spec.schedule;
  int64_t warps = schedule.getWarps(), threads = kLanes * warps;
  int64_t rows = 16 * warps, columns = schedule.getKvTile();
  // The columns of y a tile writes.
  int64_t tileColumns = swiglu ? columns / 2 : columns;
  int64_t stages = schedule.getStages();
  int64_t producerThreads = getProducerThreads(spec);
  int64_t depth = spec.x.getDimSize(1);
  Type elementType = spec.x.getElementType();

  SharedTile aTile{rows, kDepth, elementType, TileLayout::Swizzle128B};
  SharedTile bTile{kDepth, columns, elementType, TileLayout::Swizzle128B};
  int64_t stageElements = aTile.elements() + bTile.elements();
  int64_t barrierBytes = 2 * stages * stageElements;
  SharedMemory smem = SharedMemory::create(
      b, elementType, barrierBytes + TilePipeline::getBarrierBytes(stages));
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value lane = b.remu(tid, kLanes);
  Value warp = b.divu(tid, kLanes);
  // The computing warps' stages are released by warp; the full barriers
  // wait for the producer warp's copies.
  TilePipeline pipeline(smem,
                        gather ? PipelineSync::CopiesAndTensorMaps
                               : PipelineSync::TensorMemoryAccess,
                        stages, threads, barrierBytes, /*releaseByWarp=*/true,
                        /*copyingThreads=*/gather ? producerThreads : 0);
  pipeline.initialize(b, tid);

  Value rowCount = memref::DimOp::create(b, gather ? sourceRows : x, 0);
  Value experts = memref::DimOp::create(b, offsets, 0);
  int64_t columnTiles = llvm::divideCeil(spec.y.getDimSize(1), tileColumns);
  Value cta = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value columnTile = b.remu(cta, columnTiles);
  Value slot = b.divu(cta, columnTiles);
  GemmTile tile = locateTile(b, offsets, rowCount, slot, lane, rows);
  Value column0 = b.mul(columnTile, tileColumns);
  // A last column tile past f loads zeros there and stores nothing.
  int64_t outputColumns = spec.y.getDimSize(1);
  Value columnLimit =
      outputColumns % tileColumns ? b.idx(outputColumns) : Value();
  Value isExpert = b.cmp(Pred::slt, tile.segment, experts);
  Value expert = b.minS(tile.segment, b.sub(experts, b.idx(1)));
  int64_t slices = depth / kDepth;

  // The producer threads copy every slice of the tile's A rows and B
  // columns (rows past N and columns past f read as zeros), each once its
  // stage is released: the first thread by TMA, or in the gather form all
  // of them gather the A rows by cp.async and the first copies B by TMA.
  Value isProducer = b.cmp(Pred::sge, warp, b.idx(warps));
  Value producerThread = b.sub(tid, b.idx(threads));
  Value isFirstProducer = b.cmp(Pred::eq, producerThread, b.idx(0));
  // B: w[e]'s columns, then w_up[e]'s.
  auto copyWeights = [&](Value stage, Value full, Value k0) {
    SharedTile bPart{kDepth, tileColumns, elementType, TileLayout::Swizzle128B};
    Value bOffset = b.add(b.mul(stage, stageElements), aTile.elements());
    copySwizzledTile(b, smem, wMap, bPart, bOffset, {expert}, k0, column0,
                     full);
    if (swiglu)
      copySwizzledTile(b, smem, wUpMap, bPart, b.add(bOffset, bPart.elements()),
                       {expert}, k0, column0, full);
  };
  Value producing = b.andI(isProducer, b.andI(tile.found, isExpert));
  if (!gather) {
    b.ifThen(b.andI(producing, isFirstProducer), [&] {
      auto loop = scf::ForOp::create(b, b.idx(0), b.idx(slices), b.idx(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value n = loop.getInductionVar();
      pipeline.produceByTensorMaps(
          b, n, 2 * stageElements, [&](Value stage, Value full) {
            Value k0 = b.mul(n, kDepth);
            copySwizzledTile(b, smem, xMap, aTile, b.mul(stage, stageElements),
                             {}, tile.rowBegin, k0, full);
            copyWeights(stage, full, k0);
          });
    });
  } else {
    b.ifThen(producing, [&] {
      // The token each of this thread's rows reads (the same every slice),
      // and whether it names one: rows past the segment and sources
      // outside [0, T) read zeros.
      TileLoader loader(b, aTile, producerThread, producerThreads);
      Value tokenCount = b.toI32(memref::DimOp::create(b, x, 0));
      SmallVector<Value> tokens, named;
      for (int64_t pass = 0; pass < loader.getPasses(); ++pass) {
        Value row = b.add(tile.rowBegin, loader.getRowOfPass(b, pass));
        Value token = memref::LoadOp::create(
            b, sourceRows, b.minS(row, b.sub(rowCount, b.idx(1))));
        named.push_back(b.andI(b.cmp(Pred::slt, row, tile.rowEnd),
                               b.andI(b.cmp(Pred::sge, token, b.i32(0)),
                                      b.cmp(Pred::slt, token, tokenCount))));
        tokens.push_back(b.toIndex(b.select(named.back(), token, b.i32(0))));
      }
      auto loop = scf::ForOp::create(b, b.idx(0), b.idx(slices), b.idx(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value n = loop.getInductionVar();
      Value k0 = b.mul(n, kDepth);
      int64_t weightBytes = 2 * bTile.elements();
      pipeline.produceWithTensorMaps(
          b, n, weightBytes, isFirstProducer,
          [&](Value stage) {
            return loader.loadRowsByPass(b, smem, b.mul(stage, stageElements),
                                         x, [&](int64_t pass) {
                                           TileLoader::RowSource at;
                                           at.indices.push_back(tokens[pass]);
                                           at.valid = named[pass];
                                           at.column0 = k0;
                                           return at;
                                         });
          },
          [&](Value stage, Value full) { copyWeights(stage, full, k0); });
    });
  }

  // The computing warps: surplus CTAs have no tile; the tail segment's
  // tiles store zeros.
  b.ifThen(b.andI(b.notI(isProducer), tile.found), [&] {
    FragmentLane fragmentLane = FragmentLane::get(b, tid);
    std::unique_ptr<TensorCoreMma> mma =
        TensorCoreMma::create(TensorCoreKind::Wgmma, elementType, smem, lane);
    // The K loop over the first `width` columns of the B slice (the
    // swizzled layout stores its 64-column blocks one after another, so a
    // prefix of them is a narrower tile to wgmma).
    auto multiplyTile = [&](int64_t width) {
      SmallVector<Value> init(width / 2, b.f32(0.0));
      MmaOperandA aOperand{aTile, Value(), b.mul(b.divu(warp, 4), 64), {}};
      SharedTile bSlice{kDepth, width, elementType, TileLayout::Swizzle128B};
      // Slice n's GEMM runs while the warpgroup waits for slice n - 1's and
      // releases its stage to the producer.
      auto loop =
          scf::ForOp::create(b, b.idx(0), b.idx(slices), b.idx(1), init);
      {
        OpBuilder::InsertionGuard loopGuard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value n = loop.getInductionVar();
        pipeline.waitFull(b, n, /*forTensorCores=*/true);
        Value aOffset = b.mul(pipeline.stageOf(b, n), stageElements);
        aOperand.tileOffset = aOffset;
        AccumulatorFragment acc{SmallVector<Value>(loop.getRegionIterArgs())};
        mma->multiply(b, acc, aOperand,
                      {bSlice, b.add(aOffset, aTile.elements()),
                       /*kMajor=*/false},
                      kDepth, /*accumulate=*/true);
        mma->waitUntilPending(b, 1);
        b.ifThen(b.cmp(Pred::sgt, n, b.idx(0)),
                 [&] { pipeline.releaseByWarp(b, b.sub(n, b.idx(1)), lane); });
        scf::YieldOp::create(b, acc.values);
      }
      AccumulatorFragment result{SmallVector<Value>(loop.getResults())};
      mma->wait(b, {&result});
      return result.values;
    };
    // Epilogue through shared memory (the stages are all read): the
    // fragments as pairs of the element type into a staging tile with rows
    // padded by 8 elements (the 8 rows and 4 quads of a store hit distinct
    // banks), then 16-byte vectors to y, a row's columns by consecutive
    // threads, for the segment's rows and the columns below f.
    auto storeTile = [&](SmallVector<Value> acc) {
      if (swiglu) {
        // silu(gate) * up, in f32: gate column c's register i pairs with up
        // column c's register i + columns / 4.
        int64_t half = acc.size() / 2;
        for (int64_t i = 0; i < half; ++i) {
          Value gate = acc[i];
          Value denominator =
              b.addF(b.exp2(b.mulF(gate, b.f32(-M_LOG2E))), b.f32(1.0));
          // An approximate division (2 ulp, div.approx.f32): the result is
          // rounded to 16 bits.
          Value silu = arith::DivFOp::create(b, gate, denominator,
                                             arith::FastMathFlags::afn);
          acc[i] = b.mulF(silu, acc[i + half]);
        }
        acc.resize(half);
      }
      int64_t stride = tileColumns + 8;
      assert(rows * stride <= stages * stageElements &&
             "the staging tile fits in the stages");
      Value staging = smem.view();
      // The computing warps alone meet (named barrier 1): every stage is
      // read, and no copy is in flight.
      auto computingWarpsBarrier = [&] {
        NVVM::BarrierOp::create(b, /*res=*/Type(), b.i32(1), b.i32(threads),
                                /*reductionOp=*/nullptr,
                                /*reductionPredicate=*/Value());
      };
      computingWarpsBarrier();
      Value rowInTile = b.add(b.mul(warp, 16), fragmentLane.group);
      Value quadColumn = b.mul(fragmentLane.quad, 2);
      auto narrowType = VectorType::get({2}, elementType);
      auto pairType = VectorType::get({2}, b.getF32Type());
      for (int64_t i = 0; i < static_cast<int64_t>(acc.size()); i += 2) {
        Value pair = vector::FromElementsOp::create(
            b, pairType, ValueRange{acc[i], acc[i + 1]});
        Value narrow = arith::TruncFOp::create(b, narrowType, pair);
        Value row = b.add(rowInTile, 8 * AccumulatorFragment::rowOf(i));
        Value at = b.add(b.mul(row, stride),
                         b.add(quadColumn, AccumulatorFragment::columnOf(i)));
        vector::StoreOp::create(b, narrow, staging, ValueRange{at},
                                /*nontemporal=*/false, llvm::MaybeAlign(4));
      }
      computingWarpsBarrier();
      auto chunkType = VectorType::get({8}, elementType);
      int64_t chunksPerRow = tileColumns / 8;
      for (int64_t pass = 0; pass < rows * chunksPerRow / threads; ++pass) {
        Value chunk = b.add(tid, pass * threads);
        Value row = b.divu(chunk, chunksPerRow);
        Value column = b.mul(b.remu(chunk, chunksPerRow), 8);
        Value inside = b.cmp(Pred::slt, b.add(tile.rowBegin, row), tile.rowEnd);
        if (columnLimit)
          inside = b.andI(
              inside, b.cmp(Pred::slt, b.add(column0, column), columnLimit));
        b.ifThen(inside, [&] {
          Value values = vector::LoadOp::create(
              b, chunkType, staging,
              ValueRange{b.add(b.mul(row, stride), column)},
              /*nontemporal=*/false, llvm::MaybeAlign(16));
          vector::StoreOp::create(
              b, values, y,
              ValueRange{b.add(tile.rowBegin, row), b.add(column0, column)},
              /*nontemporal=*/false, llvm::MaybeAlign(16));
        });
      }
    };
    // A last column tile that reaches past f multiplies only the 64-column
    // blocks below f (f1408 in 256-column tiles: the sixth is half empty, and
    // a full-width wgmma there would spend 8% of the tensor-core time on
    // zeros). The swiglu form's gate and up halves are both partial there,
    // so it keeps the full width. Each width has its own epilogue, so that
    // no branch merges the accumulators.
    int64_t lastWidth = columns;
    if (columnLimit && !swiglu)
      lastWidth = llvm::alignTo(outputColumns % columns, 64);
    auto multiplyAndStore = [&](int64_t width) {
      SmallVector<Value> none(width / 2, b.f32(0.0));
      auto compute = scf::IfOp::create(b, TypeRange(ValueRange(none)), isExpert,
                                       /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(compute.thenBlock());
        scf::YieldOp::create(b, multiplyTile(width));
        b.setInsertionPointToStart(compute.elseBlock());
        scf::YieldOp::create(b, none);
      }
      storeTile(SmallVector<Value>(compute.getResults()));
    };
    if (lastWidth == columns) {
      multiplyAndStore(columns);
    } else {
      Value isLast = b.cmp(Pred::eq, columnTile, b.idx(columnTiles - 1));
      auto width = scf::IfOp::create(b, TypeRange(), isLast,
                                     /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(width.thenBlock());
      multiplyAndStore(lastWidth);
      b.setInsertionPointToStart(width.elseBlock());
      multiplyAndStore(columns);
    }
  });
  gpu::ReturnOp::create(b);
}

} // namespace

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildGroupedGemmKernel(gpu::GPUModuleOp module, StringRef name,
                                      Location loc,
                                      const GroupedGemmKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  FailureOr<gpu::GPUFuncOp> created =
      createKernel(module, name, loc,
                   {{spec.x, "x"},
                    {spec.w, "w"},
                    {spec.offsets, "offsets"},
                    {spec.sourceRows, "source_rows"},
                    {spec.wUp, "w_up"},
                    {spec.y, "y"}},
                   spec.schedule);
  if (failed(created))
    return failure();
  gpu::GPUFuncOp kernel = *created;
  GPUScheduleAttr schedule = spec.schedule;
  int64_t rows = 16 * schedule.getWarps();
  NamedAttrList sizes;
  StringRef rowCount = spec.sourceRows ? "source_rows[0]" : "x[0]";
  sizes.append("N", builder.getStringAttr(rowCount));
  std::string experts = std::to_string(spec.offsets.getDimSize(0));
  if (spec.offsets.isDynamicDim(0)) {
    sizes.append("E", builder.getStringAttr("offsets[0]"));
    experts = "E";
  }
  int64_t tileColumns = schedule.getKvTile() / (spec.wUp ? 2 : 1);
  std::string columnTiles =
      std::to_string(llvm::divideCeil(spec.y.getDimSize(1), tileColumns));
  int64_t threads = kLanes * schedule.getWarps() + getProducerThreads(spec);
  NamedAttrList launch =
      getKernelLaunch(builder,
                      {columnTiles + "*(ceildiv(N," + std::to_string(rows) +
                       ")+" + experts + "+1)"},
                      threads, getGroupedGemmSharedBytes(schedule));
  launch.append("sizes", sizes.getDictionary(ctx));
  NamedAttrList results;
  results.append("y", builder.getStrArrayAttr(
                          {rowCount, std::to_string(spec.y.getDimSize(1))}));
  launch.append("results", results.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  // The copies: a slice of the tile's rows of x (unless gathered), and
  // 64 x 64 blocks of the weights.
  if (!spec.sourceRows)
    addTensorMapArgument(kernel, 0, {rows, kDepth});
  addTensorMapArgument(kernel, 1, {1, kDepth, 64});
  if (spec.wUp)
    addTensorMapArgument(kernel, spec.sourceRows ? 4 : 3, {1, kDepth, 64});
  capKernelRegisters(kernel, threads, schedule.getMinCtasPerSm());
  emitGroupedGemmKernel(kernel, spec);
  return kernel;
}
