//===- TestKernelBlocks.cpp - Emit one kernel-layer block -------*- C++ -*-===//
//
// `-test-celeris-kernel-blocks` emits, into every gpu.func carrying
// `celeris.test_block = "<block>"`, the IR of that one block of the GPU
// kernel layer, fed by the function's arguments, so lit tests check each
// block's IR in isolation instead of whole kernels.
//
//===----------------------------------------------------------------------===//

#include "celeris/GPU/MaskTile.h"
#include "celeris/GPU/OnlineSoftmax.h"
#include "celeris/GPU/PtxInstructions.h"
#include "celeris/GPU/TensorMapCopy.h"
#include "celeris/GPU/TilePipeline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// The f32 arguments of `func` as a fragment.
AccumulatorFragment fragmentOf(gpu::GPUFuncOp func) {
  AccumulatorFragment fragment;
  for (BlockArgument arg : func.getArguments())
    if (arg.getType().isF32())
      fragment.values.push_back(arg);
  return fragment;
}

/// Keeps `values` alive for FileCheck: stores them to the first memref
/// argument of f32 elements, if any.
void sink(KernelBuilder &b, gpu::GPUFuncOp func, ValueRange values) {
  for (BlockArgument arg : func.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    if (!type || !type.getElementType().isF32())
      continue;
    for (auto [i, v] : llvm::enumerate(values))
      if (v.getType().isF32())
        memref::StoreOp::create(b, v, arg, ValueRange{b.idx(i)});
    return;
  }
}

LogicalResult emitBlock(KernelBuilder &b, gpu::GPUFuncOp func,
                        StringRef block) {
  Type bf16 = b.getBF16Type();
  auto tile = [&](int64_t rows, int64_t columns, TileLayout layout) {
    return SharedTile{rows, columns, bf16, layout};
  };
  if (block == "online-softmax-update") {
    // Scores in, probabilities, the new state and alpha out.
    AccumulatorFragment s = fragmentOf(func);
    SoftmaxUpdate update =
        updateOnlineSoftmax(b, s, SoftmaxState::initial(b), b.f32(0.18033688));
    SmallVector<Value> out = update.state.toValues();
    out.append({update.alpha[0], update.alpha[1]});
    out.append(s.values);
    sink(b, func, out);
    return success();
  }
  if (block == "online-softmax-finalize") {
    AccumulatorFragment s = fragmentOf(func);
    SoftmaxState state =
        SoftmaxState::fromValues(ArrayRef(s.values).take_front(4));
    SoftmaxResult result = finalizeOnlineSoftmax(b, state, /*withLse=*/true);
    sink(b, func,
         {result.inverseSum[0], result.inverseSum[1], result.lse[0],
          result.lse[1]});
    return success();
  }
  if (block == "lse-merge") {
    AccumulatorFragment s = fragmentOf(func);
    auto [weights, lse] = buildLseMerge(b, {s.values[0], s.values[1]});
    sink(b, func, {weights[0], weights[1], lse});
    return success();
  }
  if (block == "warp-lse-merge") {
    AccumulatorFragment s = fragmentOf(func);
    auto [weights, lse] = buildWarpLseMerge(b, s.values);
    SmallVector<Value> out(weights);
    out.push_back(lse);
    sink(b, func, out);
    return success();
  }
  if (block == "fragment") {
    AccumulatorFragment s = fragmentOf(func);
    Value max = reduceRow(b, s, 0, RowReduction::Max);
    Value sum = reduceRow(b, s, 1, RowReduction::Sum);
    SmallVector<Value> regs = toOperandA(b, s, bf16);
    sink(b, func, {max, sum});
    (void)regs;
    return success();
  }
  if (block == "tile-loader-swizzled" || block == "tile-loader-padded") {
    // Q-like tile of 64 rows x 128 columns from src[0, 0, row0 + r, :].
    TileLayout layout = block == "tile-loader-swizzled"
                            ? TileLayout::Swizzle128B
                            : TileLayout::Padded;
    SharedTile t = tile(64, 128, layout);
    SharedMemory smem = SharedMemory::create(b, bf16, t.bytes());
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TileLoader loader(b, t, tid, 128);
    SmallVector<Value> tokens = loader.load(
        b, smem, b.idx(0), func.getArgument(0), {b.idx(0), b.idx(0)},
        func.getArgument(1), func.getArgument(2));
    nvgpu::DeviceAsyncCreateGroupOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens);
    return success();
  }
  if (block == "tile-loader-columns") {
    // A weight-like tile of 64 rows x 128 columns from src[0, k0 + r,
    // column0 + c], columns from the limit on zero-filled.
    SharedTile t = tile(64, 128, TileLayout::Swizzle128B);
    SharedMemory smem = SharedMemory::create(b, bf16, t.bytes());
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TileLoader loader(b, t, tid, 128);
    SmallVector<Value> tokens = loader.load(
        b, smem, b.idx(0), func.getArgument(0), {b.idx(0)}, func.getArgument(1),
        b.idx(512), func.getArgument(2), func.getArgument(3));
    nvgpu::DeviceAsyncCreateGroupOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens);
    return success();
  }
  if (block == "wgmma-descriptor") {
    SharedTile t = tile(128, 128, TileLayout::Swizzle128B);
    SharedMemory smem = SharedMemory::create(b, bf16, 2 * t.bytes());
    Value kMajor = buildWgmmaDescriptor(b, smem, t, b.idx(0), true);
    Value mnMajor =
        buildWgmmaDescriptor(b, smem, t, b.idx(t.elements()), false);
    Value out = func.getArgument(0);
    memref::StoreOp::create(b, kMajor, out, ValueRange{b.idx(0)});
    memref::StoreOp::create(b, mnMajor, out, ValueRange{b.idx(1)});
    return success();
  }
  if (block == "pipeline-release-by-warp") {
    SharedMemory smem = SharedMemory::create(b, bf16, 4096);
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TilePipeline pipeline(smem, PipelineSync::MBarrier, /*stages=*/2,
                          /*threads=*/128, /*barrierBytes=*/2048,
                          /*releaseByWarp=*/true);
    pipeline.initialize(b, tid);
    pipeline.releaseByWarp(b, func.getArgument(0), b.remu(tid, 32));
    return success();
  }
  if (block == "pipeline-tensor-maps") {
    // Item n (argument 0) of two stages fed by a tensor map (argument 1):
    // one 64 x 64 tile of 8 KB an item.
    SharedMemory smem = SharedMemory::create(b, bf16, 17 * 1024);
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TilePipeline pipeline(smem, PipelineSync::TensorMemoryAccess,
                          /*stages=*/2, /*threads=*/128,
                          /*barrierBytes=*/16 * 1024, /*releaseByWarp=*/true);
    pipeline.initialize(b, tid);
    Value n = func.getArgument(0);
    b.ifThen(b.cmp(arith::CmpIPredicate::eq, tid, b.idx(0)), [&] {
      pipeline.produceByTensorMaps(b, n, 8192, [&](Value stage, Value full) {
        copyTensorTile(b, smem, func.getArgument(1), b.mul(stage, 4096),
                       {b.mul(n, 64), b.idx(0)}, full);
      });
    });
    pipeline.waitFull(b, n, /*forTensorCores=*/true);
    pipeline.releaseByWarp(b, n, b.remu(tid, 32));
    pipeline.drain(b);
    return success();
  }
  if (block == "pipeline-copies-and-tensor-maps") {
    // Item n (argument 0) of two stages: a 64 x 64 tile gathered by the
    // 32 threads of warp 4 with cp.async, rows from argument 2 (a
    // [rows, 64] tensor) at the tokens of argument 3, row r's token read
    // once before the item; and a 64 x 64 tile by TMA (argument 1) from
    // the warp's first thread.
    SharedTile t = tile(64, 64, TileLayout::Swizzle128B);
    SharedMemory smem = SharedMemory::create(b, bf16, 33 * 1024);
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TilePipeline pipeline(smem, PipelineSync::CopiesAndTensorMaps,
                          /*stages=*/2, /*threads=*/128,
                          /*barrierBytes=*/32 * 1024, /*releaseByWarp=*/true,
                          /*copyingThreads=*/32);
    pipeline.initialize(b, tid);
    Value n = func.getArgument(0);
    Value producer = b.sub(tid, b.idx(128));
    b.ifThen(b.cmp(arith::CmpIPredicate::sge, tid, b.idx(128)), [&] {
      TileLoader loader(b, t, producer, 32);
      SmallVector<Value> tokens;
      for (int64_t pass = 0; pass < loader.getPasses(); ++pass)
        tokens.push_back(b.toIndex(memref::LoadOp::create(
            b, func.getArgument(3), loader.getRowOfPass(b, pass))));
      pipeline.produceWithTensorMaps(
          b, n, 8192, b.cmp(arith::CmpIPredicate::eq, producer, b.idx(0)),
          [&](Value stage) {
            return loader.loadRowsByPass(
                b, smem, b.mul(stage, 8192), func.getArgument(2),
                [&](int64_t pass) {
                  TileLoader::RowSource at;
                  at.indices.push_back(tokens[pass]);
                  at.valid =
                      b.cmp(arith::CmpIPredicate::sge, tokens[pass], b.idx(0));
                  return at;
                });
          },
          [&](Value stage, Value full) {
            copyTensorTile(b, smem, func.getArgument(1),
                           b.add(b.mul(stage, 8192), 4096),
                           {b.mul(n, 64), b.idx(0)}, full);
          });
    });
    b.ifThen(b.cmp(arith::CmpIPredicate::slt, tid, b.idx(128)), [&] {
      pipeline.waitFull(b, n, /*forTensorCores=*/true);
      pipeline.releaseByWarp(b, n, b.remu(tid, 32));
    });
    return success();
  }
  if (block == "tensor-map-argument") {
    // A tensor map over argument 0 (a memref of rank 2), boxes of 128 x 64,
    // and a copy of the box at (argument 1, 64) into byte 2048.
    BlockArgument map = addTensorMapArgument(func, 0, {128, 64});
    SharedMemory smem = SharedMemory::create(b, bf16, 32 * 1024 + 8);
    copyTensorTile(b, smem, map, b.idx(1024), {func.getArgument(1), b.idx(64)},
                   smem.pointer(b, b.i32(32 * 1024)));
    return success();
  }
  if (block == "swizzled-tile-copy") {
    // A 64 x 128 tile at element 4096 from rows (argument 1) and columns
    // from argument 2 of the tensor at index 3 of its outer dimension,
    // through the tensor map of argument 0.
    SharedMemory smem = SharedMemory::create(b, bf16, 4 * 8192 + 8);
    copySwizzledTile(b, smem, func.getArgument(0),
                     tile(64, 128, TileLayout::Swizzle128B), b.idx(4096),
                     {b.idx(3)}, func.getArgument(1), func.getArgument(2),
                     smem.pointer(b, b.i32(4 * 8192)));
    return success();
  }
  if (block == "pipeline-mbarrier" || block == "pipeline-cta-barrier") {
    bool mbarrier = block == "pipeline-mbarrier";
    SharedMemory smem = SharedMemory::create(b, bf16, 4096);
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    TilePipeline pipeline(
        smem, mbarrier ? PipelineSync::MBarrier : PipelineSync::CtaBarrier,
        /*stages=*/2, /*threads=*/128,
        /*barrierBytes=*/2048);
    pipeline.initialize(b, tid);
    Value n = func.getArgument(0);
    pipeline.produce(b, n, [&](Value) { return SmallVector<Value>(); });
    pipeline.waitFull(b, n, /*forTensorCores=*/mbarrier);
    pipeline.release(b, n);
    pipeline.drain(b);
    return success();
  }
  if (block == "mma-wgmma" || block == "mma-sync") {
    bool wgmma = block == "mma-wgmma";
    TileLayout layout = wgmma ? TileLayout::Swizzle128B : TileLayout::Padded;
    // Small shapes: one k16 step, 16 columns.
    SharedTile a = tile(64, 16, layout), bt = tile(16, 16, layout);
    SharedMemory smem = SharedMemory::create(b, bf16, a.bytes() + bt.bytes());
    Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
    std::unique_ptr<TensorCoreMma> mma = TensorCoreMma::create(
        wgmma ? TensorCoreKind::Wgmma : TensorCoreKind::MmaSync, bf16, smem,
        b.remu(tid, 32));
    MmaOperandA operandA = mma->prepareA(b, {a, b.idx(0), b.idx(0), {}});
    AccumulatorFragment s = AccumulatorFragment::splat(b.f32(0.0), 16);
    // S = A B^T (B K-major), then O += toA(S) B (B MN-major).
    mma->multiply(b, s, operandA, {bt, b.idx(a.elements()), true}, 16, false);
    mma->wait(b, {&s});
    MmaOperandA p;
    p.registers = toOperandA(b, s, bf16);
    AccumulatorFragment o = AccumulatorFragment::splat(b.f32(0.0), 16);
    mma->multiply(b, o, p, {bt, b.idx(a.elements()), false}, 16, true);
    mma->wait(b, {&o});
    // One group left running (wgmma only): a pipelined GEMM's loop.
    mma->multiply(b, o, p, {bt, b.idx(a.elements()), false}, 16, true);
    mma->waitUntilPending(b, 1);
    mma->wait(b, {&o});
    sink(b, func, o.values);
    return success();
  }
  if (block == "key-tile-ranges") {
    // Queries [p, p + 128) under the mask on the function, 128-key tiles.
    auto mask = func->getAttrOfType<MaskAttr>("celeris.mask");
    if (!mask)
      return func.emitError("key-tile-ranges needs a celeris.mask attribute");
    Value p = func.getArgument(0), kvLength = func.getArgument(1);
    MaskTile maskTile(mask, b.idx(0), kvLength);
    KeyTileSequence sequence = maskTile.getKeyTiles(b, p, b.add(p, 128), 128);
    Value out = func.getArgument(3);
    memref::StoreOp::create(b, sequence.count, out, ValueRange{b.idx(0)});
    memref::StoreOp::create(b, sequence.tileAt(b, func.getArgument(2)), out,
                            ValueRange{b.idx(1)});
    return success();
  }
  if (block == "mask-tile") {
    auto mask = func->getAttrOfType<MaskAttr>("celeris.mask");
    if (!mask)
      return func.emitError("mask-tile needs a celeris.mask attribute");
    AccumulatorFragment s = fragmentOf(func);
    Value row = func.getArgument(0), key = func.getArgument(1);
    MaskTile maskTile(mask, b.idx(0), func.getArgument(2));
    auto [isEmpty, isFull] = maskTile.classify(b, row, b.add(row, 16), key, 8);
    maskTile.apply(b, s, {row, b.add(row, 8)}, key);
    SmallVector<Value> out = s.values;
    out.push_back(b.select(isEmpty, b.f32(1.0), b.f32(0.0)));
    out.push_back(b.select(isFull, b.f32(1.0), b.f32(0.0)));
    sink(b, func, out);
    return success();
  }
  if (block == "ptx") {
    AccumulatorFragment s = fragmentOf(func);
    Value t = b.tanh(s.values[0]);
    SmallVector<Value> fenced = ptx::fenceRegisters(b, s.values);
    SmallVector<Value> regs = toOperandA(b, s, bf16);
    regs.resize(4, regs.front());
    SmallVector<Value> acc = ptx::wgmmaRegisterA(b, bf16, fenced, regs,
                                                 b.i64(0), /*accumulate=*/true,
                                                 /*transposeB=*/true);
    acc.push_back(t);
    sink(b, func, acc);
    return success();
  }
  return func.emitError() << "unknown kernel-layer block '" << block << "'";
}

struct TestKernelBlocksPass
    : PassWrapper<TestKernelBlocksPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TestKernelBlocksPass)

  StringRef getArgument() const final { return "test-celeris-kernel-blocks"; }
  StringRef getDescription() const final {
    return "Emit one GPU kernel-layer block into each gpu.func marked "
           "celeris.test_block";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry
        .insert<arith::ArithDialect, gpu::GPUDialect, LLVM::LLVMDialect,
                memref::MemRefDialect, NVVM::NVVMDialect, nvgpu::NVGPUDialect,
                scf::SCFDialect, vector::VectorDialect>();
  }

  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](gpu::GPUFuncOp func) {
      auto block = func->getAttrOfType<StringAttr>("celeris.test_block");
      if (!block)
        return WalkResult::advance();
      KernelBuilder b(func.getLoc(), func.getContext());
      b.setInsertionPoint(func.getBody().back().getTerminator());
      return failed(emitBlock(b, func, block.getValue()))
                 ? WalkResult::interrupt()
                 : WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

namespace mlir::celeris::test {
void registerTestKernelBlocksPass() {
  PassRegistration<TestKernelBlocksPass>();
}
} // namespace mlir::celeris::test
