//===- AttentionKernelBuilder.cpp - mma.sync attention kernel ---*- C++ -*-===//
//
// FlashAttention-2 forward on NVIDIA tensor cores (sm_80+), fully unrolled
// over register fragments: every register of a warp's tile is its own SSA
// value, so the emitter below is the schedule, op for op. Scale, mask and
// GQA group are fixed at compile time.
//
// Work split: grid (ceildiv(Sq, BM), Hq, B), W warps, BM = 16 W. CTA (t, h, b)
// owns query rows [BM t, BM t + BM) of head h, warp w the 16 rows from
// BM t + 16 w, so a softmax row lives in one warp: in lanes 4g..4g+3
// (lane = 4g + q), rows r0 = BM t + 16 w + g and r1 = r0 + 8. The W warps
// share every 64-key K/V tile, read from shared memory with ldmatrix.
//
// Shared memory: one dynamic buffer of R x (D + 8) elements,
// R = max(128 stages, 64 + BM); stage s holds K at rows 128 s.. and V at
// 128 s + 64..; the Q tile is staged in the last BM rows before the loop.
// The 8-element row padding puts the 8 rows of an ldmatrix phase in distinct
// bank groups. Tiles arrive by cp.async (16-byte chunks, D/8 threads per row);
// rows past Sq (Q) or past kvlim = min(Sk, 64 ntiles) (K/V) are zero-filled
// with a source size of 0 and a clamped address, so padded keys score 0
// (then masked) and padded V rows contribute 0.
//
// Fragments (mma.m16n8k16, lane = 4g + q): Q as the A operand, D/16 chunks
// loaded once; S = Q K^T in 8 n8 blocks of vector<4xf32>; P = the S blocks
// truncated in registers (two adjacent n8 C blocks are one k16 A chunk); V
// by ldmatrix.trans as the B operand; O in D/8 n8 blocks.
//
// Two stages (cp.async groups retire in issue order):
//   Q, K_0, V_0; wait Q; barrier; Q fragments; barrier; K_1
//   for j:  wait K_j; barrier; V_{j+1}; S = Q K_j^T; mask; softmax;
//           wait V_j; barrier; K_{j+2}; O += P V_j
// One stage: Q -> V rows, K_0; wait; barrier; Q fragments;
//   for j:  wait; barrier; V_j; S, mask, softmax; wait; barrier;
//           K_{j+1} if any; O += P V_j
//
// Online softmax per row, base 2 (c = scale log2 e):
//   m' = max(m, c rowmax(s)) (the max over the row's 4 lanes by shuffles);
//   mu = m' == -inf ? 0 : m' (never -inf - -inf); p = exp2(s c - mu);
//   alpha = exp2(m - mu); l' = alpha l + sum p (lane-partial, reduced once
//   after the loop); O' = alpha O + P V.
// Epilogue: out = l > 0 ? O / l : 0, lse = l > 0 ? (m + log2 l) ln 2 : -inf,
// so a row without an allowed key is 0 and -inf, never NaN.
//
// Causal (bottom-right aligned: key j allowed for row i iff j <= i + Sk - Sq):
// the loop stops after the diagonal of the tile's last row, and only tiles
// crossing Sk or the diagonal evaluate the mask.
//
//===----------------------------------------------------------------------===//

#include "celeris/Conversion/CelerisToGPU/AttentionKernelBuilder.h"
#include "WgmmaAttentionKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// Keys per K/V tile. The fragment bookkeeping (8 n8 blocks of S, 4 k16
/// chunks of P, 4 ldmatrix row groups) is written for 64.
constexpr int64_t kKvTile = 64;

/// The device functions the kernel calls (internal linkage: LLVM inlines
/// them).
struct KernelHelpers {
  /// D = A B + C for one m16n8k16 tile, A as ldmatrix.x4 returns it.
  func::FuncOp mma;
  /// The same with A as its four registers (P built from S).
  func::FuncOp mmaRegs;
  /// ex2.approx.f32, fma.f32 and lg2.approx.f32 as NVVM intrinsics:
  /// math.exp2 would go through libdevice, which is not linked.
  func::FuncOp exp2, fma, log2;
};

//===----------------------------------------------------------------------===//
// Device functions
//===----------------------------------------------------------------------===//

using HelperBody = function_ref<void(ImplicitLocOpBuilder &, ValueRange)>;

/// The private function `name` of `module`, created with `body` on first
/// use.
FailureOr<func::FuncOp> getOrCreateHelper(gpu::GPUModuleOp module, Location loc,
                                          StringRef name, FunctionType type,
                                          HelperBody body) {
  if (Operation *existing = module.lookupSymbol(name)) {
    auto func = dyn_cast<func::FuncOp>(existing);
    if (func && func.getFunctionType() == type)
      return func;
    return emitError(loc) << "gpu.module @" << module.getName()
                          << " already has a symbol @" << name
                          << " that is not the attention kernel's helper";
  }
  MLIRContext *ctx = module.getContext();
  OpBuilder moduleBuilder = OpBuilder::atBlockBegin(module.getBody());
  auto func = func::FuncOp::create(moduleBuilder, loc, name, type);
  func.setPrivate();
  func->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(ctx, LLVM::linkage::Linkage::Internal));
  ImplicitLocOpBuilder b =
      ImplicitLocOpBuilder::atBlockEnd(loc, func.addEntryBlock());
  body(b, func.getArguments());
  return func;
}

/// A function calling the NVVM intrinsic `intrinsic` on its f32 arguments.
FailureOr<func::FuncOp> getOrCreateIntrinsic(gpu::GPUModuleOp module,
                                             Location loc, StringRef name,
                                             StringRef intrinsic,
                                             unsigned arity) {
  Type f32 = Float32Type::get(module.getContext());
  SmallVector<Type> inputs(arity, f32);
  auto type = FunctionType::get(module.getContext(), inputs, {f32});
  return getOrCreateHelper(
      module, loc, name, type, [&](ImplicitLocOpBuilder &b, ValueRange args) {
        Value result = LLVM::CallIntrinsicOp::create(
                           b, f32, b.getStringAttr(intrinsic), args)
                           .getResult(0);
        func::ReturnOp::create(b, result);
      });
}

FailureOr<KernelHelpers> getOrCreateHelpers(gpu::GPUModuleOp module,
                                            Location loc, Type elementType) {
  MLIRContext *ctx = module.getContext();
  bool isBF16 = elementType.isBF16();
  std::string suffix = isBF16 ? "bf16" : "f16";
  Type f32 = Float32Type::get(ctx);
  Type i32 = IntegerType::get(ctx, 32);
  auto acc = VectorType::get({4}, f32);
  auto pair = VectorType::get({2}, elementType);
  auto fragment = VectorType::get({4, 2}, elementType);
  KernelHelpers helpers;

  // nvgpu.mma.sync does not lower bf16 in MLIR 22, so the tile is
  // nvvm.mma.sync for both types (one code path): bf16 operands go as i32
  // registers, f16 operands as vector<2xf16>.
  auto regsType =
      FunctionType::get(ctx, {pair, pair, pair, pair, pair, pair, acc}, {acc});
  FailureOr<func::FuncOp> mmaRegs = getOrCreateHelper(
      module, loc, "celeris_mma_" + suffix + "_regs", regsType,
      [&](ImplicitLocOpBuilder &b, ValueRange args) {
        SmallVector<Value> regs;
        for (Value arg : args.take_front(6))
          regs.push_back(isBF16 ? LLVM::BitcastOp::create(b, i32, arg) : arg);
        SmallVector<Value> c;
        for (int64_t i = 0; i < 4; ++i)
          c.push_back(vector::ExtractOp::create(b, args[6], i));
        auto resultType =
            LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
        NVVM::MMATypes ptxType =
            isBF16 ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
        Value d = NVVM::MmaOp::create(
            b, resultType, ArrayRef(regs).take_front(4),
            ArrayRef(regs).slice(4, 2), c, {16, 8, 16},
            /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
            std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
            std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                           NVVM::MMALayout::col});
        SmallVector<Value> elements;
        for (int64_t i = 0; i < 4; ++i)
          elements.push_back(LLVM::ExtractValueOp::create(b, d, i));
        func::ReturnOp::create(
            b, ValueRange{vector::FromElementsOp::create(b, acc, elements)});
      });
  if (failed(mmaRegs))
    return failure();
  helpers.mmaRegs = *mmaRegs;

  auto mmaType = FunctionType::get(ctx, {fragment, pair, pair, acc}, {acc});
  FailureOr<func::FuncOp> mma = getOrCreateHelper(
      module, loc, "celeris_mma_" + suffix, mmaType,
      [&](ImplicitLocOpBuilder &b, ValueRange args) {
        SmallVector<Value> operands;
        for (int64_t i = 0; i < 4; ++i)
          operands.push_back(vector::ExtractOp::create(b, args[0], i));
        operands.append(args.begin() + 1, args.end());
        auto call = func::CallOp::create(b, helpers.mmaRegs, operands);
        func::ReturnOp::create(b, call.getResults());
      });
  if (failed(mma))
    return failure();
  helpers.mma = *mma;

  FailureOr<func::FuncOp> exp2 = getOrCreateIntrinsic(
      module, loc, "celeris_exp2", "llvm.nvvm.ex2.approx.f32", 1);
  FailureOr<func::FuncOp> fma =
      getOrCreateIntrinsic(module, loc, "celeris_fma", "llvm.fma.f32", 3);
  FailureOr<func::FuncOp> log2 = getOrCreateIntrinsic(
      module, loc, "celeris_log2", "llvm.nvvm.lg2.approx.f", 1);
  if (failed(exp2) || failed(fma) || failed(log2))
    return failure();
  helpers.exp2 = *exp2;
  helpers.fma = *fma;
  helpers.log2 = *log2;
  return helpers;
}

//===----------------------------------------------------------------------===//
// Kernel body
//===----------------------------------------------------------------------===//

/// The online-softmax update of one key/value tile, before O += P V.
struct SoftmaxStep {
  /// The loop state after the tile but O: m0, m1, l0, l1.
  SmallVector<Value> rowState;
  /// O rescaled by alpha.
  SmallVector<Value> o;
  /// P in registers, per n8 block: its row-r0 pair and its row-r1 pair.
  SmallVector<Value> pLow, pHigh;
};

/// Emits the body of one kernel; see the file comment for the schedule.
class AttentionKernelEmitter {
public:
  AttentionKernelEmitter(gpu::GPUFuncOp kernel, const AttentionKernelSpec &spec,
                         const KernelHelpers &helpers);

  void emit();

private:
  //===--- Constants, at the top of the kernel ----------------------------===//
  template <typename BuildFn> Value constant(BuildFn build);
  Value idx(int64_t value);
  Value i32(int64_t value);

  //===--- Arithmetic -----------------------------------------------------===//
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value add(Value x, int64_t y) { return add(x, idx(y)); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, int64_t y) { return arith::MulIOp::create(b, x, idx(y)); }
  Value divu(Value x, int64_t y) {
    return arith::DivUIOp::create(b, x, idx(y));
  }
  Value remu(Value x, int64_t y) {
    return arith::RemUIOp::create(b, x, idx(y));
  }
  Value cmp(arith::CmpIPredicate pred, Value x, Value y) {
    return arith::CmpIOp::create(b, pred, x, y);
  }
  Value extract(Value vector, int64_t i) {
    return vector::ExtractOp::create(b, vector, i);
  }
  Value call(func::FuncOp callee, ValueRange args) {
    return func::CallOp::create(b, callee, args).getResult(0);
  }

  //===--- Building blocks ------------------------------------------------===//
  /// cp.async of a `rows` x D tile of src[batch, head, row0 + r, :] into the
  /// shared rows base + r (a null base is 0), zero-filling rows >= limit.
  /// Returns the cp.async group.
  Value copyTile(Value src, Value head, Value row0, Value limit, Value base,
                 int64_t rows);
  /// Waits until at most `pending` cp.async groups are in flight.
  void waitGroups(int64_t pending);
  Value ldmatrix(Value row, Value col, bool transpose);
  /// x combined, by max or by sum, with x of lane ^ mask.
  Value shuffleXor(Value x, int64_t mask, bool max);

  //===--- Kernel sections ------------------------------------------------===//
  void emitIndexing();
  void emitPrologue();
  /// The key/value loop; returns m0, m1, l0, l1 and the O blocks.
  SmallVector<Value> emitLoop();
  /// S = Q K^T for the K tile at shared rows kRows, masked where needed.
  SmallVector<Value> emitScores(Value j0, ArrayRef<Value> kRows);
  SoftmaxStep emitSoftmax(ArrayRef<Value> s, ValueRange state);
  /// O += P V for the V tile at shared rows vRows.
  void emitProbabilitiesTimesValues(SoftmaxStep &step, ArrayRef<Value> vRows);
  void emitEpilogue(ArrayRef<Value> state);

  const AttentionKernelSpec &spec;
  const KernelHelpers &helpers;
  ImplicitLocOpBuilder b;
  Block *entry;
  Operation *lastConstant = nullptr;
  llvm::SmallDenseMap<int64_t, Value> indexConstants, i32Constants;

  // Geometry.
  int64_t headDim, stages, queryTile, qStageRow;
  int64_t chunksPerRow, rowsPerPass, kChunks, oBlocks;

  // Types.
  Type f32;
  VectorType acc, fragment;
  MemRefType sharedType;
  Type tokenType;

  // Arguments.
  Value q, k, v, out, lse;
  // Constants.
  Value zeroAcc, negInf, negInfAcc, zero, one, ln2, scaleLog2e;
  // Kernel-wide values (names as in the file comment).
  Value smem, batch, head, kvHead, sq, sk, queryBegin, lane4, lane4x2;
  Value copyRow, copyCol, ldRow, ldCol, qRow;
  Value rows[2], keyLimits[2], numTiles, kvLimit, diagonal;
  Value queryGroup;
  SmallVector<Value> qFragments, ldCols;
};

AttentionKernelEmitter::AttentionKernelEmitter(gpu::GPUFuncOp kernel,
                                               const AttentionKernelSpec &spec,
                                               const KernelHelpers &helpers)
    : spec(spec), helpers(helpers),
      b(ImplicitLocOpBuilder::atBlockEnd(kernel.getLoc(),
                                         &kernel.getBody().front())),
      entry(&kernel.getBody().front()) {
  const AttentionKernelConfig &config = spec.config;
  headDim = spec.headDim;
  stages = config.stages;
  queryTile = config.queryTile();
  int64_t sharedRows = std::max(2 * kKvTile * stages, kKvTile + queryTile);
  qStageRow = sharedRows - queryTile;
  chunksPerRow = headDim / 8;
  rowsPerPass = config.threads() / chunksPerRow;
  kChunks = headDim / 16;
  oBlocks = headDim / 8;
  assert(config.kvTile == kKvTile && "the fragment code is for 64-key tiles");
  assert(config.threads() % chunksPerRow == 0 && kKvTile % rowsPerPass == 0 &&
         queryTile % rowsPerPass == 0 && "copy passes must tile the rows");

  MLIRContext *ctx = kernel.getContext();
  f32 = b.getF32Type();
  acc = VectorType::get({4}, f32);
  fragment = VectorType::get({4, 2}, spec.elementType);
  sharedType = MemRefType::get(
      {sharedRows, headDim + 8}, spec.elementType, MemRefLayoutAttrInterface{},
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  tokenType = nvgpu::DeviceAsyncTokenType::get(ctx);

  q = kernel.getArgument(0);
  k = kernel.getArgument(1);
  v = kernel.getArgument(2);
  out = kernel.getArgument(3);
  if (spec.storeLse)
    lse = kernel.getArgument(4);
}

template <typename BuildFn>
Value AttentionKernelEmitter::constant(BuildFn build) {
  OpBuilder::InsertionGuard guard(b);
  if (lastConstant)
    b.setInsertionPointAfter(lastConstant);
  else
    b.setInsertionPointToStart(entry);
  Value value = build();
  lastConstant = value.getDefiningOp();
  return value;
}

Value AttentionKernelEmitter::idx(int64_t value) {
  Value &slot = indexConstants[value];
  if (!slot)
    slot = constant([&] { return arith::ConstantIndexOp::create(b, value); });
  return slot;
}

Value AttentionKernelEmitter::i32(int64_t value) {
  Value &slot = i32Constants[value];
  if (!slot)
    slot = constant([&] {
      return arith::ConstantOp::create(b, b.getI32IntegerAttr(value));
    });
  return slot;
}

Value AttentionKernelEmitter::copyTile(Value src, Value head, Value row0,
                                       Value limit, Value base, int64_t rows) {
  Value lastRow = sub(limit, idx(1));
  SmallVector<Value> tokens;
  for (int64_t i = 0; i < rows / rowsPerPass; ++i) {
    Value r = i ? add(copyRow, rowsPerPass * i) : copyRow;
    Value row = add(row0, r);
    Value inside = cmp(arith::CmpIPredicate::slt, row, limit);
    // Rows past the limit copy 0 bytes from a clamped, valid address.
    Value elements = arith::SelectOp::create(b, inside, idx(8), idx(0));
    Value clamped = arith::MinSIOp::create(b, row, lastRow);
    clamped = arith::MaxSIOp::create(b, clamped, idx(0));
    Value sharedRow = base ? add(base, r) : r;
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, tokenType, smem, ValueRange{sharedRow, copyCol}, src,
        ValueRange{batch, head, clamped, copyCol}, b.getIndexAttr(8), elements,
        b.getUnitAttr()));
  }
  return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, tokens);
}

void AttentionKernelEmitter::waitGroups(int64_t pending) {
  // The wait takes a group token, but numGroups alone decides what it waits
  // for: any token serves.
  nvgpu::DeviceAsyncWaitOp::create(b, queryGroup, b.getI32IntegerAttr(pending));
}

Value AttentionKernelEmitter::ldmatrix(Value row, Value col, bool transpose) {
  return nvgpu::LdMatrixOp::create(b, fragment, smem, ValueRange{row, col},
                                   transpose, /*numTiles=*/4);
}

Value AttentionKernelEmitter::shuffleXor(Value x, int64_t mask, bool max) {
  auto shuffle = gpu::ShuffleOp::create(
      b, x, i32(mask), i32(32),
      gpu::ShuffleModeAttr::get(b.getContext(), gpu::ShuffleMode::XOR));
  Value other = shuffle.getShuffleResult();
  if (max)
    return arith::MaximumFOp::create(b, x, other);
  return arith::AddFOp::create(b, x, other);
}

void AttentionKernelEmitter::emitIndexing() {
  MLIRContext *ctx = b.getContext();
  APFloat negInfValue = APFloat::getInf(APFloat::IEEEsingle(), true);
  auto f32Constant = [&](Attribute value) {
    return constant(
        [&] { return arith::ConstantOp::create(b, cast<TypedAttr>(value)); });
  };
  zeroAcc = f32Constant(DenseElementsAttr::get(acc, b.getF32FloatAttr(0)));
  negInf = f32Constant(b.getFloatAttr(f32, negInfValue));
  negInfAcc = f32Constant(
      DenseElementsAttr::get(acc, b.getFloatAttr(f32, negInfValue)));
  zero = f32Constant(b.getF32FloatAttr(0));
  one = f32Constant(b.getF32FloatAttr(1));
  ln2 = f32Constant(b.getF32FloatAttr(llvm::numbers::ln2f));
  scaleLog2e = f32Constant(b.getF32FloatAttr(spec.scaleLog2e));

  auto bytes = MemRefType::get(
      {ShapedType::kDynamic}, b.getI8Type(), MemRefLayoutAttrInterface{},
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
  Value dynamicShared = gpu::DynamicSharedMemoryOp::create(b, bytes);
  smem = memref::ViewOp::create(b, sharedType, dynamicShared, idx(0),
                                ValueRange{});
  Value tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  Value queryTileId = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  sq = memref::DimOp::create(b, q, idx(2));
  sk = memref::DimOp::create(b, k, idx(2));
  // GQA: query head h reads key/value head h / (Hq / Hkv), computed as
  // h Hkv / Hq (equal when Hkv divides Hq, and never past Hkv - 1) from the
  // argument shapes, so one kernel serves every head count. One division,
  // not two: a second one costs the D = 64 kernel its 128-register cap on
  // sm_80 (16 bytes of spills).
  Value numHeads = memref::DimOp::create(b, q, idx(1));
  Value numKvHeads = memref::DimOp::create(b, k, idx(1));
  kvHead = arith::DivUIOp::create(b, arith::MulIOp::create(b, head, numKvHeads),
                                  numHeads);
  queryBegin = mul(queryTileId, queryTile);
  Value warp = divu(tid, 32);
  Value lane = remu(tid, 32);
  Value laneRow = divu(lane, 4);
  lane4 = remu(lane, 4);
  // Copy coordinates: rows copyRow + rowsPerPass i, column chunk copyCol.
  copyRow = divu(tid, chunksPerRow);
  copyCol = mul(remu(tid, chunksPerRow), 8);
  // ldmatrix addressing: lane l -> row l % 16, column 8 (l / 16).
  ldRow = remu(lane, 16);
  ldCol = mul(divu(lane, 16), 8);
  Value warpRow = mul(warp, 16);
  qRow = add(add(warpRow, ldRow), qStageRow);
  // This lane's rows r0 = m0 + 16 w + g and r1 = r0 + 8.
  rows[0] = add(add(queryBegin, warpRow), laneRow);
  rows[1] = add(rows[0], 8);
  Value keyEnd = sk;
  if (spec.causal) {
    Value skMinusSq = sub(sk, sq);
    // Exclusive key limits of rows r0, r1: min(Sk, r + Sk - Sq + 1).
    for (int r = 0; r < 2; ++r)
      keyLimits[r] =
          arith::MinSIOp::create(b, add(add(rows[r], skMinusSq), 1), sk);
    // The loop stops after the diagonal of the tile's last row.
    Value lastRowEnd =
        arith::MinUIOp::create(b, add(queryBegin, queryTile), sq);
    keyEnd = arith::MaxSIOp::create(b, add(lastRowEnd, skMinusSq), idx(0));
    keyEnd = arith::MinSIOp::create(b, keyEnd, sk);
    numTiles = divu(add(keyEnd, kKvTile - 1), kKvTile);
    kvLimit = arith::MinSIOp::create(b, mul(numTiles, kKvTile), sk);
    // Tiles with 64 j + 63 past the first row's diagonal need the mask.
    diagonal = add(queryBegin, skMinusSq);
    return;
  }
  keyLimits[0] = keyLimits[1] = sk;
  numTiles = divu(add(keyEnd, kKvTile - 1), kKvTile);
  // K/V rows past the last tile are zero-filled, never read from memory.
  kvLimit = arith::MinSIOp::create(b, mul(numTiles, kKvTile), sk);
}

void AttentionKernelEmitter::emitPrologue() {
  queryGroup = copyTile(q, head, queryBegin, sq, idx(qStageRow), queryTile);
  copyTile(k, kvHead, idx(0), kvLimit, Value(), kKvTile);
  if (stages == 2)
    copyTile(v, kvHead, idx(0), kvLimit, idx(kKvTile), kKvTile);
  waitGroups(stages == 2 ? 2 : 0);
  gpu::BarrierOp::create(b);
  for (int64_t d = 0; d < kChunks; ++d)
    qFragments.push_back(
        ldmatrix(qRow, d ? add(ldCol, 16 * d) : ldCol, /*transpose=*/false));
  if (stages == 2) {
    // Every warp has its Q fragments: the Q staging rows (stage 1) are free.
    gpu::BarrierOp::create(b);
    copyTile(k, kvHead, idx(kKvTile), kvLimit, idx(2 * kKvTile), kKvTile);
  }
  lane4x2 = mul(lane4, 2);
  ldCols.push_back(ldCol);
  for (int64_t d = 1; d < kChunks; ++d)
    ldCols.push_back(add(ldCol, 16 * d));
}

SmallVector<Value> AttentionKernelEmitter::emitScores(Value j0,
                                                      ArrayRef<Value> kRows) {
  SmallVector<Value> s(8, zeroAcc);
  for (int64_t d = 0; d < kChunks; ++d) {
    for (int64_t p = 0; p < 4; ++p) {
      // Registers {0, 2} are the B operand of keys +0..7, {1, 3} of +8..15.
      Value kf = ldmatrix(kRows[p], ldCols[d], /*transpose=*/false);
      Value kr[4];
      for (int64_t i = 0; i < 4; ++i)
        kr[i] = extract(kf, i);
      s[2 * p] = call(helpers.mma, {qFragments[d], kr[0], kr[2], s[2 * p]});
      s[2 * p + 1] =
          call(helpers.mma, {qFragments[d], kr[1], kr[3], s[2 * p + 1]});
    }
  }

  // Only tiles crossing Sk (or, causal, the diagonal) evaluate the mask.
  Value needMask = cmp(arith::CmpIPredicate::sgt, add(j0, kKvTile), sk);
  if (spec.causal) {
    Value crossesDiagonal =
        cmp(arith::CmpIPredicate::sgt, add(j0, kKvTile - 1), diagonal);
    needMask = arith::OrIOp::create(b, needMask, crossesDiagonal);
  }
  SmallVector<Type> types(8, acc);
  auto masked = scf::IfOp::create(b, types, needMask, /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(masked.thenBlock());
  // Key 8n + 2q + {0, 1} of the tile is allowed for row r iff it is below
  // the row's key limit.
  Value keyBase = add(j0, lane4x2);
  Value limits[2];
  for (int r = 0; r < 2; ++r)
    limits[r] = sub(keyLimits[r], keyBase);
  for (int r = 0; r < 2; ++r)
    limits[r] = arith::IndexCastOp::create(b, b.getI32Type(), limits[r]);
  auto i32x4 = VectorType::get({4}, b.getI32Type());
  Value limitVec = vector::FromElementsOp::create(
      b, i32x4, ValueRange{limits[0], limits[0], limits[1], limits[1]});
  SmallVector<Value> results;
  for (int32_t n = 0; n < 8; ++n) {
    Value offsets = arith::ConstantOp::create(
        b, DenseIntElementsAttr::get(
               i32x4, ArrayRef<int32_t>{8 * n, 8 * n + 1, 8 * n, 8 * n + 1}));
    Value allowed = cmp(arith::CmpIPredicate::slt, offsets, limitVec);
    results.push_back(arith::SelectOp::create(b, allowed, s[n], negInfAcc));
  }
  scf::YieldOp::create(b, results);
  b.setInsertionPointToStart(masked.elseBlock());
  scf::YieldOp::create(b, s);
  return llvm::to_vector_of<Value>(masked.getResults());
}

SoftmaxStep AttentionKernelEmitter::emitSoftmax(ArrayRef<Value> s,
                                                ValueRange state) {
  // The row max over this lane's values, then over the 4 lanes of the row.
  Value rowMax = s[0];
  for (int64_t n = 1; n < 8; ++n)
    rowMax = arith::MaximumFOp::create(b, rowMax, s[n]);
  Value e[4];
  for (int64_t i = 0; i < 4; ++i)
    e[i] = extract(rowMax, i);
  Value laneMax[2] = {arith::MaximumFOp::create(b, e[0], e[1]),
                      arith::MaximumFOp::create(b, e[2], e[3])};
  Value mNew[2], negMu[2], alpha[2];
  for (int r = 0; r < 2; ++r) {
    Value m = shuffleXor(laneMax[r], 1, /*max=*/true);
    m = shuffleXor(m, 2, /*max=*/true);
    Value scaled = arith::MulFOp::create(b, m, scaleLog2e);
    mNew[r] = arith::MaximumFOp::create(b, state[r], scaled);
    // A row without an allowed key so far keeps m = -inf: exponentiate
    // against 0 so that p = 0 and alpha = 0, never -inf - -inf.
    Value isNegInf =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mNew[r], negInf);
    Value mu = arith::SelectOp::create(b, isNegInf, zero, mNew[r]);
    alpha[r] = call(helpers.exp2, {arith::SubFOp::create(b, state[r], mu)});
    negMu[r] = arith::NegFOp::create(b, mu);
  }
  SmallVector<Value> p;
  Value partialSum[2];
  for (int64_t n = 0; n < 8; ++n) {
    SmallVector<Value> values;
    for (int64_t i = 0; i < 4; ++i) {
      int r = i < 2 ? 0 : 1;
      Value t = call(helpers.fma, {extract(s[n], i), scaleLog2e, negMu[r]});
      Value pv = call(helpers.exp2, {t});
      values.push_back(pv);
      partialSum[r] =
          partialSum[r] ? arith::AddFOp::create(b, partialSum[r], pv) : pv;
    }
    p.push_back(vector::FromElementsOp::create(b, acc, values));
  }
  SoftmaxStep step;
  step.rowState = {mNew[0], mNew[1]};
  // The sum stays lane-partial: the 4 lanes of a row share m, so it is
  // reduced once after the loop.
  for (int r = 0; r < 2; ++r)
    step.rowState.push_back(
        call(helpers.fma, {alpha[r], state[2 + r], partialSum[r]}));
  Value alphaVec = vector::FromElementsOp::create(
      b, acc, ValueRange{alpha[0], alpha[0], alpha[1], alpha[1]});
  for (int64_t n = 0; n < oBlocks; ++n)
    step.o.push_back(arith::MulFOp::create(b, state[4 + n], alphaVec));
  // P stays in registers: two adjacent n8 C blocks are one k16 A chunk.
  auto narrow = VectorType::get({4}, spec.elementType);
  for (int64_t n = 0; n < 8; ++n) {
    Value pn = arith::TruncFOp::create(b, narrow, p[n]);
    step.pLow.push_back(
        vector::ShuffleOp::create(b, pn, pn, ArrayRef<int64_t>{0, 1}));
    step.pHigh.push_back(
        vector::ShuffleOp::create(b, pn, pn, ArrayRef<int64_t>{2, 3}));
  }
  return step;
}

void AttentionKernelEmitter::emitProbabilitiesTimesValues(
    SoftmaxStep &step, ArrayRef<Value> vRows) {
  for (int64_t c = 0; c < 4; ++c) {
    Value a[4] = {step.pLow[2 * c], step.pHigh[2 * c], step.pLow[2 * c + 1],
                  step.pHigh[2 * c + 1]};
    for (int64_t d = 0; d < kChunks; ++d) {
      // Registers {0, 1} are the B operand of O block 2d, {2, 3} of 2d + 1.
      Value vf = ldmatrix(vRows[c], ldCols[d], /*transpose=*/true);
      Value vr[4];
      for (int64_t i = 0; i < 4; ++i)
        vr[i] = extract(vf, i);
      Value &o0 = step.o[2 * d], &o1 = step.o[2 * d + 1];
      o0 = call(helpers.mmaRegs, {a[0], a[1], a[2], a[3], vr[0], vr[1], o0});
      o1 = call(helpers.mmaRegs, {a[0], a[1], a[2], a[3], vr[2], vr[3], o1});
    }
  }
}

SmallVector<Value> AttentionKernelEmitter::emitLoop() {
  SmallVector<Value> inits = {negInf, negInf, zero, zero};
  inits.append(oBlocks, zeroAcc);
  auto loop = scf::ForOp::create(b, idx(0), numTiles, idx(1), inits);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value j = loop.getInductionVar();
  ValueRange state = loop.getRegionIterArgs();
  Value j0 = mul(j, kKvTile);

  Value stageBase;
  if (stages == 2) {
    // Tile j lives in stage j % 2: K at rows stageBase.., V 64 rows below;
    // the other stage starts at 128 - stageBase.
    stageBase = mul(remu(j, 2), 2 * kKvTile);
    Value otherBase = sub(idx(2 * kKvTile), stageBase);
    Value otherVBase = add(otherBase, kKvTile);
    // In flight: K_j, V_j, K_{j+1}. Wait for K_j; the barrier also certifies
    // that every warp is past P V_{j-1}, so the other stage's V rows are free.
    waitGroups(2);
    gpu::BarrierOp::create(b);
    // V_{j+1} is in flight for 1.5 iterations.
    copyTile(v, kvHead, add(j0, kKvTile), kvLimit, otherVBase, kKvTile);
  } else {
    waitGroups(0);
    gpu::BarrierOp::create(b);
    // V_j lands during S = Q K^T and the softmax.
    copyTile(v, kvHead, j0, kvLimit, idx(kKvTile), kKvTile);
  }
  SmallVector<Value> kRows = {stageBase ? add(ldRow, stageBase) : ldRow};
  for (int64_t p = 1; p < 4; ++p)
    kRows.push_back(add(kRows[0], 16 * p));
  SmallVector<Value> vRows;
  for (int64_t p = 0; p < 4; ++p)
    vRows.push_back(stages == 2 ? add(kRows[p], kKvTile)
                                : add(ldRow, kKvTile + 16 * p));

  SmallVector<Value> s = emitScores(j0, kRows);
  SoftmaxStep step = emitSoftmax(s, state);

  if (stages == 2) {
    // In flight: V_j, K_{j+1}, V_{j+1}. Wait for V_j; after the barrier
    // every warp is done with K_j, so K_{j+2} (in flight for 1.5
    // iterations) may take its rows.
    waitGroups(2);
    gpu::BarrierOp::create(b);
    copyTile(k, kvHead, add(j0, 2 * kKvTile), kvLimit, stageBase, kKvTile);
  } else {
    waitGroups(0);
    gpu::BarrierOp::create(b);
    // K_{j+1} lands during O += P V_j.
    Value more = cmp(arith::CmpIPredicate::ult, add(j, 1), numTiles);
    auto ifMore = scf::IfOp::create(b, TypeRange{}, more,
                                    /*addThenBlock=*/true,
                                    /*addElseBlock=*/false);
    OpBuilder::InsertionGuard ifGuard(b);
    b.setInsertionPointToStart(ifMore.thenBlock());
    copyTile(k, kvHead, add(j0, kKvTile), kvLimit, Value(), kKvTile);
    scf::YieldOp::create(b);
  }
  emitProbabilitiesTimesValues(step, vRows);

  SmallVector<Value> next = step.rowState;
  next.append(step.o);
  scf::YieldOp::create(b, next);
  return llvm::to_vector_of<Value>(loop.getResults());
}

void AttentionKernelEmitter::emitEpilogue(ArrayRef<Value> state) {
  // No copy may still write shared memory when the block exits.
  waitGroups(0);
  Value inverse[2], logSumExp[2];
  for (int r = 0; r < 2; ++r) {
    Value l = shuffleXor(state[2 + r], 1, /*max=*/false);
    l = shuffleXor(l, 2, /*max=*/false);
    Value positive =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, l, zero);
    Value reciprocal = arith::DivFOp::create(b, one, l);
    // l == 0 only for a row without any allowed key: out = 0, lse = -inf.
    inverse[r] = arith::SelectOp::create(b, positive, reciprocal, zero);
    if (!spec.storeLse)
      continue;
    Value log2Sum = arith::AddFOp::create(b, state[r], call(helpers.log2, {l}));
    Value natural = arith::MulFOp::create(b, log2Sum, ln2);
    logSumExp[r] = arith::SelectOp::create(b, positive, natural, negInf);
  }
  Value leadLane;
  if (spec.storeLse)
    leadLane = cmp(arith::CmpIPredicate::eq, lane4, idx(0));
  auto pairType = VectorType::get({2}, f32);
  auto narrowPair = VectorType::get({2}, spec.elementType);
  for (int r = 0; r < 2; ++r) {
    // Rows past Sq are not stored.
    Value inside = cmp(arith::CmpIPredicate::slt, rows[r], sq);
    auto store = scf::IfOp::create(b, TypeRange{}, inside,
                                   /*addThenBlock=*/true,
                                   /*addElseBlock=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(store.thenBlock());
    Value inverseVec = vector::FromElementsOp::create(
        b, pairType, ValueRange{inverse[r], inverse[r]});
    int64_t low = 2 * r;
    for (int64_t n = 0; n < oBlocks; ++n) {
      Value col = n ? add(lane4x2, 8 * n) : lane4x2;
      Value o = state[4 + n];
      Value rowPair =
          vector::ShuffleOp::create(b, o, o, ArrayRef<int64_t>{low, low + 1});
      Value scaled = arith::MulFOp::create(b, rowPair, inverseVec);
      Value narrow = arith::TruncFOp::create(b, narrowPair, scaled);
      vector::StoreOp::create(b, narrow, out,
                              ValueRange{batch, head, rows[r], col},
                              /*nontemporal=*/false, llvm::MaybeAlign(4));
    }
    if (spec.storeLse) {
      auto lead = scf::IfOp::create(b, TypeRange{}, leadLane,
                                    /*addThenBlock=*/true,
                                    /*addElseBlock=*/false);
      OpBuilder::InsertionGuard leadGuard(b);
      b.setInsertionPointToStart(lead.thenBlock());
      memref::StoreOp::create(b, logSumExp[r], lse,
                              ValueRange{batch, head, rows[r]});
      scf::YieldOp::create(b);
    }
    scf::YieldOp::create(b);
  }
}

void AttentionKernelEmitter::emit() {
  emitIndexing();
  emitPrologue();
  SmallVector<Value> state = emitLoop();
  emitEpilogue(state);
  gpu::ReturnOp::create(b);
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

FailureOr<gpu::GPUFuncOp>
mlir::celeris::buildAttentionKernel(gpu::GPUModuleOp module, StringRef name,
                                    Location loc,
                                    const AttentionKernelSpec &spec) {
  if (module.lookupSymbol(name))
    return emitError(loc) << "gpu.module @" << module.getName()
                          << " already has a symbol @" << name;
  bool wgmma = spec.config.tensorCores == TensorCoreKind::Wgmma;
  FailureOr<KernelHelpers> helpers = KernelHelpers();
  if (!wgmma)
    helpers = getOrCreateHelpers(module, loc, spec.elementType);
  if (failed(helpers))
    return failure();

  MLIRContext *ctx = module.getContext();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  int64_t dynamic = ShapedType::kDynamic;
  auto tensorType = MemRefType::get({dynamic, dynamic, dynamic, spec.headDim},
                                    spec.elementType);
  SmallVector<Type> argTypes(4, tensorType);
  SmallVector<StringRef> argNames = {"q", "k", "v", "out"};
  if (spec.storeLse) {
    argTypes.push_back(
        MemRefType::get({dynamic, dynamic, dynamic}, builder.getF32Type()));
    argNames.push_back("lse");
  }
  auto kernel = gpu::GPUFuncOp::create(builder, loc, name,
                                       FunctionType::get(ctx, argTypes, {}));
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                  builder.getUnitAttr());

  // Launch geometry as expressions of named sizes, each bound from an
  // argument's shape, so one binary serves every sequence length.
  const AttentionKernelConfig &config = spec.config;
  auto i32Array = [&](int64_t x) {
    return builder.getDenseI32ArrayAttr({static_cast<int32_t>(x), 1, 1});
  };
  NamedAttrList sizes;
  sizes.append("B", builder.getStringAttr("q[0]"));
  sizes.append("Hq", builder.getStringAttr("q[1]"));
  sizes.append("Sq", builder.getStringAttr("q[2]"));
  NamedAttrList launch;
  launch.append("grid",
                builder.getStrArrayAttr(
                    {"ceildiv(Sq," + std::to_string(config.queryTile()) + ")",
                     "Hq", "B"}));
  launch.append("block", i32Array(config.threads()));
  launch.append("shared",
                builder.getStringAttr(std::to_string(config.sharedBytes)));
  launch.append("sizes", sizes.getDictionary(ctx));
  kernel->setAttr("celeris.launch", launch.getDictionary(ctx));
  kernel->setAttr("celeris.arg_names", builder.getStrArrayAttr(argNames));
  if (config.minCtasPerSm > 0) {
    // .maxntid and .minnctapersm let ptxas cap the registers at
    // 65536 / (threads * minCtasPerSm).
    kernel->setAttr(NVVM::NVVMDialect::getMaxntidAttrName(),
                    i32Array(config.threads()));
    kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    builder.getI32IntegerAttr(config.minCtasPerSm));
  }

  if (wgmma)
    emitWgmmaAttentionKernelBody(kernel, spec);
  else
    AttentionKernelEmitter(kernel, spec, *helpers).emit();
  return kernel;
}
