//===- DispatchKernel.cpp - The moe_dispatch kernel family ----------------===//
//
// celeris.dispatch on the CUDA cores, as four kernels one launch runs in
// order (manifest steps), with no host synchronisation. The T k assignments
// (token, slot), in row-major order, are cut into chunks of 4096, and a
// chunk into 8 runs of 512, one a warp:
//   count:  CTA c counts its chunk's assignments per expert (hist[c][e] in
//           the workspace); a warp groups the lanes holding one expert with
//           match.any, and the group's first lane adds their number;
//   scan:   one CTA turns hist into each chunk's prefix per expert and the
//           totals into counts (at most the capacity), offsets and the
//           experts' first rows;
//   rank:   CTA c counts its runs per expert again, places each run after
//           the chunks and runs before it, and walks the runs in order:
//           an assignment's rank in its expert is its run's prefix plus
//           the earlier lanes of its match group, so ranks follow the
//           (token, slot) order exactly;
//   rows:   a warp per assignment copies its token's row to row_map's row
//           (16-byte vectors where the row allows; a static row of up to
//           8 KB with every load in flight first), and zeroes row a of
//           `permuted` when a is past the kept rows.
// celeris.dispatch_map is the first three: its rank step writes each kept
// assignment's token to source_rows[row] and -1 to source_rows[a] when a is
// past the kept rows.
// Counts are integers: the result is the same for any scheduling.
//
//===----------------------------------------------------------------------===//

#include "FunctionKernel.h"
#include "MoEKernels.h"

#include "celeris/GPU/KernelBuilder.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::celeris;

namespace {

constexpr int64_t kLanes = 32;
constexpr int64_t kWarps = 8;
constexpr int64_t kThreads = kLanes * kWarps;
/// Assignments a lane reads per run: a run is 32 x 16 = 512, a chunk 4096.
constexpr int64_t kPerLane = 16;
constexpr int64_t kRun = kLanes * kPerLane;
constexpr int64_t kChunk = kWarps * kRun;
/// Threads of the scan step: one an expert.
constexpr int64_t kScanThreads = 1024;
/// The widest static row (in elements) the rows step copies unrolled.
constexpr int64_t kMaxUnrolledRow = 4096;
using Pred = arith::CmpIPredicate;

/// The views of the launch's arguments a step works with.
struct DispatchArgs {
  /// x and permuted for celeris.dispatch, source_rows for
  /// celeris.dispatch_map (the others null).
  Value x, experts, permuted, sourceRows, offsets, rowMap, workspace;
  int64_t numExperts;
  std::optional<int64_t> capacity;
  /// The assignments (T k) and chunks.
  Value assignments, chunks;
  /// hist[chunk][expert] and first[expert] (i32) in the workspace.
  Value hist, first;
  /// The thread, its warp and its lane.
  Value tid, warp, lane;
  const DispatchKernelSpec &spec;

  DispatchArgs(KernelBuilder &b, gpu::GPUFuncOp kernel,
               const DispatchKernelSpec &spec)
      : spec(spec) {
    unsigned next = 0;
    auto argument = [&](MemRefType type) {
      return type ? Value(kernel.getArgument(next++)) : Value();
    };
    x = argument(spec.x);
    experts = argument(spec.experts);
    permuted = argument(spec.permuted);
    sourceRows = argument(spec.sourceRows);
    offsets = argument(spec.offsets);
    rowMap = argument(spec.rowMap);
    workspace = kernel.getArgument(next);
    numExperts = spec.numExperts;
    capacity = spec.capacity;
    Value tokens = memref::DimOp::create(b, experts, 0);
    Value slotCount = memref::DimOp::create(b, experts, 1);
    assignments = b.mul(tokens, slotCount);
    chunks = b.divu(b.add(assignments, b.idx(kChunk - 1)), kChunk);
    auto i32 = b.getI32Type();
    auto view = [&](Value byteOffset, Value count) {
      return memref::ViewOp::create(
          b, MemRefType::get({ShapedType::kDynamic}, i32), workspace,
          byteOffset, ValueRange{count});
    };
    Value histWords = b.mul(chunks, b.idx(numExperts));
    hist = view(b.idx(0), histWords);
    first = view(b.mul(histWords, 4), b.idx(numExperts));
    tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    warp = b.divu(tid, kLanes);
    lane = b.remu(tid, kLanes);
  }

  /// The expert of assignment `a` (flat index), and whether it is a real
  /// assignment to an expert in [0, E).
  std::pair<Value, Value> expertOf(KernelBuilder &b, Value a) const {
    Value inRange = b.cmp(Pred::slt, a, assignments);
    Value last = b.maxS(b.sub(assignments, b.idx(1)), b.idx(0));
    Value at = b.minS(a, last);
    Value slotCount = memref::DimOp::create(b, experts, 1);
    Value expert = memref::LoadOp::create(
        b, experts,
        ValueRange{arith::DivUIOp::create(b, at, slotCount),
                   arith::RemUIOp::create(b, at, slotCount)});
    Value valid =
        b.andI(inRange, b.andI(b.cmp(Pred::sge, expert, b.i32(0)),
                               b.cmp(Pred::slt, expert, b.i32(numExperts))));
    return {expert, valid};
  }
};

/// Lanes of the warp that hold `key` (all lanes take part), and this lane's
/// place among them.
std::pair<Value, Value> matchGroup(KernelBuilder &b, Value key) {
  Value peers = NVVM::MatchSyncOp::create(b, b.getI32Type(), b.i32(-1), key,
                                          NVVM::MatchSyncKind::any);
  Value below = NVVM::LaneMaskLtOp::create(b, b.getI32Type());
  Value place = LLVM::CtPopOp::create(b, b.andI(peers, below));
  return {peers, place};
}

void syncWarp(KernelBuilder &b) { NVVM::SyncWarpOp::create(b, b.i32(-1)); }

/// Walks the run of warp `warp` of chunk `chunk`: `visit(a, expert, valid,
/// peers, place)` per assignment, 32 at a time, after all 16 of the lane's
/// loads were issued; a warp barrier separates the rounds.
void walkRun(KernelBuilder &b, const DispatchArgs &args, Value chunk,
             Value warp, Value lane,
             function_ref<void(Value, Value, Value, Value, Value)> visit) {
  Value base = b.add(b.mul(chunk, kChunk), b.mul(warp, kRun));
  SmallVector<std::pair<Value, Value>> loaded;
  SmallVector<Value> indices;
  for (int64_t i = 0; i < kPerLane; ++i) {
    Value a = b.add(base, b.add(lane, i * kLanes));
    indices.push_back(a);
    loaded.push_back(args.expertOf(b, a));
  }
  for (int64_t i = 0; i < kPerLane; ++i) {
    auto [expert, valid] = loaded[i];
    // Invalid assignments share the key E, which no expert has.
    Value key = b.select(valid, expert, b.i32(args.numExperts));
    auto [peers, place] = matchGroup(b, key);
    visit(indices[i], expert, valid, peers, place);
    syncWarp(b);
  }
}

/// Per-warp counts of every expert, `counts[warp][e]` in shared memory
/// (i32), zeroed by the CTA first.
Value zeroedWarpCounts(KernelBuilder &b, const DispatchArgs &args, Value tid,
                       Value smem) {
  int64_t words = kWarps * args.numExperts;
  auto loop = scf::ForOp::create(b, tid, b.idx(words), b.idx(kThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    memref::StoreOp::create(b, b.i32(0), smem, loop.getInductionVar());
  }
  gpu::BarrierOp::create(b);
  return smem;
}

Value sharedWords(KernelBuilder &b, int64_t words) {
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value raw = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr,
                         workgroup));
  return memref::ViewOp::create(
      b, MemRefType::get({words}, b.getI32Type(), nullptr, workgroup), raw,
      b.idx(0), ValueRange{});
}

/// Counts the run of this warp into counts[warp][e].
void countRun(KernelBuilder &b, const DispatchArgs &args, Value chunk,
              Value warp, Value lane, Value counts) {
  walkRun(b, args, chunk, warp, lane,
          [&](Value, Value expert, Value valid, Value peers, Value place) {
            Value leader = b.andI(valid, b.cmp(Pred::eq, place, b.i32(0)));
            b.ifThen(leader, [&] {
              Value at = b.add(b.mul(warp, args.numExperts), b.toIndex(expert));
              Value count = memref::LoadOp::create(b, counts, at);
              memref::StoreOp::create(
                  b, b.add(count, LLVM::CtPopOp::create(b, peers)), counts, at);
            });
          });
}

void emitCountStep(KernelBuilder &b, const DispatchArgs &args) {
  Value tid = args.tid, warp = args.warp, lane = args.lane;
  Value chunk = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  Value counts =
      zeroedWarpCounts(b, args, tid, sharedWords(b, kWarps * args.numExperts));
  countRun(b, args, chunk, warp, lane, counts);
  gpu::BarrierOp::create(b);
  auto loop =
      scf::ForOp::create(b, tid, b.idx(args.numExperts), b.idx(kThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value e = loop.getInductionVar();
    Value sum = b.i32(0);
    for (int64_t w = 0; w < kWarps; ++w)
      sum = b.add(sum, memref::LoadOp::create(b, counts,
                                              b.add(e, w * args.numExperts)));
    memref::StoreOp::create(b, sum, args.hist,
                            b.add(b.mul(chunk, args.numExperts), e));
  }
}

void emitScanStep(KernelBuilder &b, const DispatchArgs &args) {
  Value tid = args.tid, warp = args.warp, lane = args.lane;
  int64_t experts = args.numExperts;
  // Thread e turns hist[:][e] into the chunks' exclusive prefix and sums
  // expert e's assignments.
  Value isExpert = b.cmp(Pred::slt, tid, b.idx(experts));
  auto prefix = scf::ForOp::create(b, b.idx(0), args.chunks, b.idx(1),
                                   ValueRange{b.i32(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(prefix.getBody());
    Value running = prefix.getRegionIterArgs()[0];
    auto add = scf::IfOp::create(b, TypeRange{b.getI32Type()}, isExpert,
                                 /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard ifGuard(b);
      b.setInsertionPointToStart(add.thenBlock());
      Value where = b.add(b.mul(prefix.getInductionVar(), experts), tid);
      Value count = memref::LoadOp::create(b, args.hist, where);
      memref::StoreOp::create(b, running, args.hist, where);
      scf::YieldOp::create(b, ValueRange{b.add(running, count)});
      b.setInsertionPointToStart(add.elseBlock());
      scf::YieldOp::create(b, ValueRange{running});
    }
    scf::YieldOp::create(b, add.getResults());
  }
  Value kept = prefix.getResult(0);
  if (args.capacity)
    kept = b.minS(kept, b.i32(*args.capacity));
  // Offsets: an inclusive scan of the kept counts over the CTA (a warp
  // scan, then the scan of the warps' sums).
  Value inclusive = kept;
  for (int32_t delta = 1; delta < kLanes; delta *= 2) {
    Value up = b.shuffleUp(inclusive, delta);
    inclusive = b.select(b.cmp(Pred::sge, lane, b.idx(delta)),
                         b.add(inclusive, up), inclusive);
  }
  Value sums = sharedWords(b, kScanThreads / kLanes);
  b.ifThen(b.cmp(Pred::eq, lane, b.idx(kLanes - 1)),
           [&] { memref::StoreOp::create(b, inclusive, sums, warp); });
  gpu::BarrierOp::create(b);
  auto before =
      scf::ForOp::create(b, b.idx(0), warp, b.idx(1), ValueRange{b.i32(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(before.getBody());
    Value sum = memref::LoadOp::create(b, sums, before.getInductionVar());
    scf::YieldOp::create(b,
                         ValueRange{b.add(before.getRegionIterArgs()[0], sum)});
  }
  inclusive = b.add(inclusive, before.getResult(0));
  b.ifThen(isExpert, [&] {
    memref::StoreOp::create(b, inclusive, args.offsets, tid);
    memref::StoreOp::create(b, b.sub(inclusive, kept), args.first, tid);
  });
}

void emitRankStep(KernelBuilder &b, const DispatchArgs &args) {
  Value tid = args.tid, warp = args.warp, lane = args.lane;
  Value chunk = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  int64_t experts = args.numExperts;
  Value counts =
      zeroedWarpCounts(b, args, tid, sharedWords(b, kWarps * experts));
  countRun(b, args, chunk, warp, lane, counts);
  gpu::BarrierOp::create(b);
  // counts[w][e] becomes the rank in expert e of run w's first assignment:
  // the chunks before (hist, now a prefix) and the runs before.
  auto place = scf::ForOp::create(b, tid, b.idx(experts), b.idx(kThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(place.getBody());
    Value e = place.getInductionVar();
    Value running =
        memref::LoadOp::create(b, args.hist, b.add(b.mul(chunk, experts), e));
    for (int64_t w = 0; w < kWarps; ++w) {
      Value at = b.add(e, w * experts);
      Value count = memref::LoadOp::create(b, counts, at);
      memref::StoreOp::create(b, running, counts, at);
      running = b.add(running, count);
    }
  }
  gpu::BarrierOp::create(b);
  Value slotCount = memref::DimOp::create(b, args.experts, 1);
  // The map form marks the rows past the kept ones (the scan wrote the
  // offsets), read once.
  Value keptRows = args.sourceRows
                       ? b.toIndex(memref::LoadOp::create(
                             b, args.offsets, b.idx(args.numExperts - 1)))
                       : Value();
  walkRun(b, args, chunk, warp, lane,
          [&](Value a, Value expert, Value valid, Value peers, Value place) {
            Value at = b.add(b.mul(warp, experts),
                             b.toIndex(b.select(valid, expert, b.i32(0))));
            Value base = memref::LoadOp::create(b, counts, at);
            Value rank = b.add(base, place);
            Value kept = valid;
            if (args.capacity)
              kept =
                  b.andI(kept, b.cmp(Pred::slt, rank, b.i32(*args.capacity)));
            Value first = memref::LoadOp::create(
                b, args.first, b.toIndex(b.select(valid, expert, b.i32(0))));
            Value row = b.select(kept, b.add(first, rank), b.i32(-1));
            b.ifThen(b.cmp(Pred::slt, a, args.assignments), [&] {
              Value token = arith::DivUIOp::create(b, a, slotCount);
              memref::StoreOp::create(
                  b, row, args.rowMap,
                  ValueRange{token, arith::RemUIOp::create(b, a, slotCount)});
              if (!args.sourceRows)
                return;
              // The map form names the rows instead of copying them.
              b.ifThen(kept, [&] {
                memref::StoreOp::create(b, b.toI32(token), args.sourceRows,
                                        b.toIndex(row));
              });
              b.ifThen(b.cmp(Pred::sge, a, keptRows), [&] {
                memref::StoreOp::create(b, b.i32(-1), args.sourceRows, a);
              });
            });
            // The group's first lane moves the run's count on, after every
            // lane of the group read it.
            syncWarp(b);
            b.ifThen(b.andI(valid, b.cmp(Pred::eq, place, b.i32(0))), [&] {
              memref::StoreOp::create(
                  b, b.add(base, LLVM::CtPopOp::create(b, peers)), counts, at);
            });
          });
}

/// Elements a lane copies at once: 16 bytes where the row width allows.
int64_t getCopyWidth(MemRefType x) {
  int64_t columns = x.getDimSize(1);
  int64_t vector = 16 / (x.getElementTypeBitWidth() / 8);
  if (ShapedType::isDynamic(columns))
    return 1;
  for (int64_t width = vector; width > 1; width /= 2)
    if (columns % width == 0)
      return width;
  return 1;
}

void emitRowsStep(KernelBuilder &b, const DispatchArgs &args) {
  const DispatchKernelSpec &spec = args.spec;
  Value warp = args.warp, lane = args.lane;
  Value a =
      b.add(b.mul(gpu::BlockIdOp::create(b, gpu::Dimension::x), kWarps), warp);
  int64_t width = getCopyWidth(spec.x);
  auto rowType = VectorType::get({width}, spec.x.getElementType());
  // Rows are whole vectors apart, and the runtime checks that the tensors
  // start 16-byte aligned.
  llvm::MaybeAlign align(width * spec.x.getElementTypeBitWidth() / 8);
  Value columns = memref::DimOp::create(b, args.x, 1);
  Value slotCount = memref::DimOp::create(b, args.experts, 1);
  b.ifThen(b.cmp(Pred::slt, a, args.assignments), [&] {
    Value token = arith::DivUIOp::create(b, a, slotCount);
    Value row = b.toIndex(memref::LoadOp::create(
        b, args.rowMap,
        ValueRange{token, arith::RemUIOp::create(b, a, slotCount)}));
    Value keptRows = b.toIndex(
        memref::LoadOp::create(b, args.offsets, b.idx(args.numExperts - 1)));
    Value copy = b.cmp(Pred::sge, row, b.idx(0));
    Value clear = b.cmp(Pred::sge, a, keptRows);
    Value zeros = arith::ConstantOp::create(
        b, rowType,
        DenseElementsAttr::get(rowType,
                               b.getFloatAttr(spec.x.getElementType(), 0.0)));
    int64_t staticColumns = spec.x.getDimSize(1);
    if (!ShapedType::isDynamic(staticColumns) &&
        staticColumns <= kMaxUnrolledRow) {
      // A static row: every load of the lane in flight before its stores.
      SmallVector<Value> at;
      for (int64_t c = 0; c < staticColumns; c += kLanes * width)
        at.push_back(b.add(b.mul(lane, width), c));
      b.ifThen(copy, [&] {
        SmallVector<Value> values;
        for (Value column : at)
          values.push_back(b.select(
              b.cmp(Pred::slt, column, columns),
              vector::LoadOp::create(
                  b, rowType, args.x,
                  ValueRange{token,
                             b.minS(column, b.sub(columns, b.idx(width)))},
                  /*nontemporal=*/false, align),
              zeros));
        for (auto [column, value] : llvm::zip(at, values))
          b.ifThen(b.cmp(Pred::slt, column, columns), [&] {
            vector::StoreOp::create(b, value, args.permuted,
                                    ValueRange{row, column},
                                    /*nontemporal=*/false, align);
          });
      });
      b.ifThen(clear, [&] {
        for (Value column : at)
          b.ifThen(b.cmp(Pred::slt, column, columns), [&] {
            vector::StoreOp::create(b, zeros, args.permuted,
                                    ValueRange{a, column},
                                    /*nontemporal=*/false, align);
          });
      });
      return;
    }
    auto loop = scf::ForOp::create(b, b.mul(lane, width), columns,
                                   b.idx(kLanes * width));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value column = loop.getInductionVar();
    b.ifThen(copy, [&] {
      Value values =
          vector::LoadOp::create(b, rowType, args.x, ValueRange{token, column},
                                 /*nontemporal=*/false, align);
      vector::StoreOp::create(b, values, args.permuted, ValueRange{row, column},
                              /*nontemporal=*/false, align);
    });
    b.ifThen(clear, [&] {
      vector::StoreOp::create(b, zeros, args.permuted, ValueRange{a, column},
                              /*nontemporal=*/false, align);
    });
  });
}

using StepEmitter = void (*)(KernelBuilder &, const DispatchArgs &);

/// Emits the body of step `kernel`: `emit` on the launch's arguments, then
/// the return.
void emitStep(gpu::GPUFuncOp kernel, const DispatchKernelSpec &spec,
              StepEmitter emit) {
  KernelBuilder b(kernel.getLoc(), kernel.getContext());
  b.setInsertionPointToStart(&kernel.getBody().front());
  DispatchArgs args(b, kernel, spec);
  emit(b, args);
  gpu::ReturnOp::create(b);
}

} // namespace

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildDispatchKernel(gpu::GPUModuleOp module, StringRef name,
                                   Location loc,
                                   const DispatchKernelSpec &spec) {
  MLIRContext *ctx = module.getContext();
  Builder builder(ctx);
  MemRefType workspace =
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
  SmallVector<KernelArgument> arguments = {{spec.x, "x"},
                                           {spec.experts, "experts"},
                                           {spec.permuted, "permuted"},
                                           {spec.sourceRows, "source_rows"},
                                           {spec.offsets, "offsets"},
                                           {spec.rowMap, "row_map"},
                                           {workspace, "workspace"}};
  std::string chunks = "ceildiv(T*K," + std::to_string(kChunk) + ")";
  std::string experts = std::to_string(spec.numExperts);
  int64_t countBytes = 4 * kWarps * spec.numExperts;
  struct Step {
    std::string suffix, grid;
    int64_t threads, sharedBytes;
    StepEmitter emit;
  };
  Step steps[] = {
      {"", chunks, kThreads, countBytes, emitCountStep},
      {"_scan", "1", kScanThreads, 4 * (kScanThreads / kLanes), emitScanStep},
      {"_rank", chunks, kThreads, countBytes, emitRankStep},
      {"_rows", "ceildiv(T*K," + std::to_string(kWarps) + ")", kThreads, 0,
       emitRowsStep}};
  // The map form has no rows to copy.
  ArrayRef<Step> used(steps);
  if (spec.sourceRows)
    used = used.drop_back();
  gpu::GPUFuncOp entry;
  SmallVector<StringRef> stepNames;
  for (const Step &step : used) {
    std::string symbol = (name + step.suffix).str();
    FailureOr<gpu::GPUFuncOp> created =
        createKernel(module, symbol, loc, arguments, spec.schedule);
    if (failed(created))
      return failure();
    if (!entry) {
      entry = *created;
      continue;
    }
    (*created)->setAttr(
        "celeris.launch",
        getKernelLaunch(builder, {step.grid}, step.threads, step.sharedBytes)
            .getDictionary(ctx));
    stepNames.push_back((*created).getName());
    emitStep(*created, spec, step.emit);
  }
  // The entry kernel (count) carries the launch: sizes, results, the
  // workspace (hist[chunks][E] and first[E], i32) and the steps.
  NamedAttrList launch =
      getKernelLaunch(builder, {chunks}, kThreads, countBytes);
  NamedAttrList sizes;
  sizes.append("T", builder.getStringAttr("experts[0]"));
  sizes.append("K", builder.getStringAttr("experts[1]"));
  launch.append("sizes", sizes.getDictionary(ctx));
  launch.append("workspace",
                builder.getStringAttr("4*" + experts + "*(" + chunks + "+1)"));
  launch.append("steps", builder.getStrArrayAttr(stepNames));
  NamedAttrList results;
  if (spec.sourceRows)
    results.append("source_rows",
                   builder.getStrArrayAttr({"experts[0]*experts[1]"}));
  else
    results.append("permuted",
                   builder.getStrArrayAttr({"experts[0]*experts[1]", "x[1]"}));
  results.append("offsets", builder.getStrArrayAttr({experts}));
  results.append("row_map",
                 builder.getStrArrayAttr({"experts[0]", "experts[1]"}));
  launch.append("results", results.getDictionary(ctx));
  entry->setAttr("celeris.launch", launch.getDictionary(ctx));
  emitStep(entry, spec, emitCountStep);
  return entry;
}
