//===- WgmmaAttentionKernel.cpp - The sm_90a attention kernel ---*- C++ -*-===//
//
// FlashAttention forward on Hopper's warpgroup tensor cores (wgmma).
//
// Work split: grid (ceildiv(Sq, 64 W), Hq, B), W warpgroups of 128 threads
// per CTA; warpgroup i owns query rows 64 i + [0, 64) of the CTA's tile and
// warp w of it the 16 rows 16 w + [0, 16), so every softmax row lives in the
// four lanes 4g..4g+3 of one warp (lane = 4g + q; rows g and g + 8).
//
// Per key/value tile of N keys: S = Q K^T is a chain of D/16 wgmma
// m64nNk16 reading Q and K from shared memory through matrix descriptors
// (both K-major); the online softmax runs on S in registers (fp32, base 2);
// P is converted to bf16/f16 pairs in registers, whose layout is the A
// operand layout of wgmma (n8 accumulator blocks 2c, 2c+1 = k16 chunk c);
// O += P V is a chain of N/16 wgmma m64nDk16 with A from registers and V
// read transposed (MN-major) from shared memory.
//
// Shared memory: one dynamic buffer whose base is aligned up to 1024 B at
// run time; the Q tile, then two stages of (K tile, V tile). A tile of R
// rows x D columns is stored as D/64 column blocks of R rows x 128 B with
// the 128-byte swizzle (16-byte chunk c of row r at chunk position
// c ^ (r % 8)), the canonical layout the descriptors name: K-major with the
// stride byte offset 1024 B between 8-row groups; MN-major with the leading
// byte offset R x 128 B between column blocks.
//
// Loads: cp.async of 16-byte chunks by every thread, swizzled addresses,
// rows past the tensor zero-filled (source size 0); with S stages (2 or 3)
// tile j+S-1 is issued at the start of iteration j into the stage that tile
// j-1 used. Synchronisation is by
// mbarriers, not CTA barriers, so the warpgroups drift apart and one's
// softmax overlaps the other's GEMMs: full[s] completes when every thread's
// copies into stage s landed (`cp.async.mbarrier.arrive.noinc`), empty[s]
// when every thread finished reading it (its wgmma chain retired). The
// copies are generic-proxy writes read by the tensor cores' async proxy:
// each consumer fences (`fence.proxy.async.shared::cta`) after observing
// full[s]. Measured on H100 (B2 H16 S8192 D128 full): 423-433 TFLOP/s with
// mbarriers vs 384-406 with a CTA barrier per tile; an explicit ping-pong
// (named barriers making the warpgroups alternate their GEMMs) gave 406.
//
// Three stages pipeline within the warpgroup (FlashAttention-3's intra-
// warpgroup overlap): the scores of tile j+1 are issued before the softmax
// of tile j and carried into the next iteration, at the cost of a second
// score tile in registers. Measured slower so far (64-key tiles: 361 vs
// 398-450 unpipelined), so the cost model keeps two stages.
//
//===----------------------------------------------------------------------===//

#include "WgmmaAttentionKernel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::celeris;

namespace {

/// Matrix descriptor fields (PTX ISA, "Matrix Descriptor Format"): start
/// address >> 4 in bits 0-13, leading byte offset >> 4 in 16-29, stride
/// byte offset >> 4 in 32-45, swizzle mode in 62-63 (1 = 128 B).
int64_t descriptorBits(int64_t leadingBytes, int64_t strideBytes) {
  return ((leadingBytes >> 4) << 16) | ((strideBytes >> 4) << 32) |
         (int64_t(1) << 62);
}

/// Emits the body of one kernel; all values are per thread.
class WgmmaKernelEmitter {
public:
  WgmmaKernelEmitter(ImplicitLocOpBuilder &b, const AttentionKernelSpec &spec,
                     gpu::GPUFuncOp func)
      : b(b), spec(spec), func(func), d(spec.headDim),
        warpgroups(spec.config.warps / 4), rowsPerCta(64 * warpgroups),
        keys(spec.config.kvTile), threads(128 * warpgroups),
        qBytes(rowsPerCta * d * 2), kvBytes(keys * d * 2) {}

  void emit();

private:
  // Constants and arithmetic.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, v, 32); }
  Value i64(int64_t v) { return arith::ConstantIntOp::create(b, v, 64); }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, b.getF32Type(), APFloat(float(v)));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value add(Value x, int64_t y) {
    return y ? add(x, x.getType().isIndex() ? idx(y) : i64(y)) : x;
  }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, x, x.getType().isIndex() ? idx(y) : i64(y));
  }
  Value intrinsic(StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, b.getF32Type(),
                                         b.getStringAttr(name), args)
        .getResult(0);
  }
  // ftz: one MUFU.EX2; without it ptxas wraps each in range fixups for
  // denormal results, which a probability below 2^-126 does not need.
  Value exp2(Value x) { return intrinsic("llvm.nvvm.ex2.approx.ftz.f32", x); }
  Value fma(Value x, Value y, Value z) {
    return LLVM::FMAOp::create(b, x, y, z);
  }
  /// Reduces `x` over the four lanes of a row (shuffles xor 1, 2).
  template <typename CombineOp> Value rowReduce(Value x) {
    for (int32_t mask : {1, 2}) {
      Value other =
          gpu::ShuffleOp::create(b, x, mask, 32, gpu::ShuffleMode::XOR)
              .getShuffleResult();
      x = CombineOp::create(b, x, other);
    }
    return x;
  }

  /// Issues cp.async of an `rows` x D tile of `src`[batch, head, row0 + r]
  /// into the swizzled tile at element offset `base` of shared memory, zero
  /// filling rows >= `limit`; returns the group token.
  Value copyTile(Value src, Value head, Value row0, Value limit, Value base,
                 int64_t rows);
  /// Runs a wgmma chain through inline PTX and returns the accumulators.
  SmallVector<Value> wgmma(StringRef shape, ArrayRef<Value> acc,
                           ArrayRef<Value> aRegs, Value aDesc, Value bDesc,
                           bool accumulate, bool transposeB);
  /// Passes `values` through an empty volatile asm: no use of a wgmma
  /// result may be scheduled above the wait that makes it valid.
  SmallVector<Value> pin(ArrayRef<Value> values);
  /// (lo, hi) as a vector of two elements of the kernel's element type.
  Value narrowPair(Value lo, Value hi);
  /// The same as one 32-bit register (a wgmma A-operand register).
  Value packPair(Value lo, Value hi) {
    return LLVM::BitcastOp::create(b, b.getI32Type(), narrowPair(lo, hi));
  }
  /// A PTX statement with side effects on memory.
  void ptx(StringRef text, StringRef constraints, ValueRange args) {
    createAsm(TypeRange(), text, (constraints + ",~{memory}").str(), args);
  }
  /// Volatile inline PTX (AT&T operand syntax: $0, $1, ...).
  Operation *createAsm(TypeRange results, StringRef text, StringRef constraints,
                       ValueRange operands);
  /// Volatile inline PTX whose results are `n` f32 values.
  SmallVector<Value> asmFloats(StringRef text, StringRef constraints,
                               ValueRange operands, int64_t n);
  /// Blocks until the phase of parity `parity` of the mbarrier at shared
  /// address `bar` completed.
  void waitBarrier(Value bar, Value parity) {
    ptx("{ .reg .pred p; W${:uid}: mbarrier.try_wait.parity.shared.b64 p, "
        "[$0], $1; @!p bra W${:uid}; }",
        "r,r", {bar, parity});
  }
  /// Arrives on the mbarrier at `bar` once this thread's cp.async landed.
  void arriveOnCopies(Value bar) {
    ptx("cp.async.mbarrier.arrive.noinc.shared.b64 [$0];", "r", bar);
  }
  Value toI32(Value index) {
    return arith::IndexCastOp::create(b, b.getI32Type(), index);
  }

  ImplicitLocOpBuilder &b;
  const AttentionKernelSpec &spec;
  gpu::GPUFuncOp func;
  const int64_t d, warpgroups, rowsPerCta, keys, threads, qBytes, kvBytes;
  Value smem, batch, tid, chunkCol, copyRow, tileOffsetQ, tileOffsetKV;
};

} // namespace

Value WgmmaKernelEmitter::copyTile(Value src, Value head, Value row0,
                                   Value limit, Value base, int64_t rows) {
  int64_t chunks = d / 8;
  int64_t rowsPerPass = threads / chunks;
  Value lastRow = arith::SubIOp::create(b, limit, idx(1));
  Value tileOffset = rows == rowsPerCta ? tileOffsetQ : tileOffsetKV;
  Value dst0 = add(tileOffset, base);
  SmallVector<Value> tokens;
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  for (int64_t pass = 0; pass < rows / rowsPerPass; ++pass) {
    Value r = add(copyRow, pass * rowsPerPass);
    Value row = add(row0, r);
    Value inside =
        arith::CmpIOp::create(b, arith::CmpIPredicate::slt, row, limit);
    Value count = arith::SelectOp::create(b, inside, idx(8), idx(0));
    // Clamped into the tensor: nothing is read when count is 0.
    Value clamped = arith::MaxSIOp::create(
        b, arith::MinSIOp::create(b, row, lastRow), idx(0));
    Value dst = add(dst0, pass * rowsPerPass * 64);
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, tokenType, smem, ValueRange{dst}, src,
        ValueRange{batch, head, clamped, chunkCol}, b.getIndexAttr(8), count,
        b.getUnitAttr()));
  }
  return nvgpu::DeviceAsyncCreateGroupOp::create(b, tokenType, tokens);
}

SmallVector<Value> WgmmaKernelEmitter::wgmma(StringRef shape,
                                             ArrayRef<Value> acc,
                                             ArrayRef<Value> aRegs, Value aDesc,
                                             Value bDesc, bool accumulate,
                                             bool transposeB) {
  int64_t n = acc.size();
  std::string regs, constraints;
  for (int64_t i = 0; i < n; ++i) {
    regs += (i ? ", $" : "$") + std::to_string(i);
    constraints += "=f,";
  }
  for (int64_t i = 0; i < n; ++i)
    constraints += std::to_string(i) + ",";
  StringRef type = spec.elementType.isBF16() ? "bf16" : "f16";
  std::string ptx = "wgmma.mma_async.sync.aligned." + shape.str() + ".f32." +
                    type.str() + "." + type.str() + " {" + regs + "}, ";
  SmallVector<Value> operands(acc);
  int64_t next = 2 * n;
  if (aDesc) {
    ptx += "$" + std::to_string(next++) + ", ";
    constraints += "l,";
    operands.push_back(aDesc);
  } else {
    ptx += "{";
    for (auto [i, reg] : llvm::enumerate(aRegs)) {
      ptx += (i ? ", $" : "$") + std::to_string(next++);
      constraints += "r,";
      operands.push_back(reg);
    }
    ptx += "}, ";
  }
  ptx += "$" + std::to_string(next++) + ", ";
  constraints += "l";
  operands.push_back(bDesc);
  // scale-d (0: D = A B), scale-a, scale-b, [transpose-a,] transpose-b.
  ptx += accumulate ? "1, 1, 1" : "0, 1, 1";
  if (aDesc)
    ptx += ", 0";
  ptx += transposeB ? ", 1;" : ", 0;";
  return asmFloats(ptx, constraints, operands, n);
}

SmallVector<Value> WgmmaKernelEmitter::pin(ArrayRef<Value> values) {
  int64_t n = values.size();
  std::string constraints;
  for (int64_t i = 0; i < n; ++i)
    constraints += "=f,";
  for (int64_t i = 0; i < n; ++i)
    constraints += std::to_string(i) + (i + 1 < n ? "," : "");
  return asmFloats("", constraints, values, n);
}

Operation *WgmmaKernelEmitter::createAsm(TypeRange results, StringRef text,
                                         StringRef constraints,
                                         ValueRange operands) {
  return LLVM::InlineAsmOp::create(
      b, results, operands, text, constraints, /*has_side_effects=*/true,
      /*is_align_stack=*/false, LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
      ArrayAttr());
}

SmallVector<Value> WgmmaKernelEmitter::asmFloats(StringRef text,
                                                 StringRef constraints,
                                                 ValueRange operands,
                                                 int64_t n) {
  SmallVector<Type> types(n, b.getF32Type());
  auto structType = LLVM::LLVMStructType::getLiteral(b.getContext(), types);
  Value result =
      createAsm(structType, text, constraints, operands)->getResult(0);
  SmallVector<Value> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, result, i));
  return out;
}

Value WgmmaKernelEmitter::narrowPair(Value lo, Value hi) {
  Value pair = vector::FromElementsOp::create(
      b, VectorType::get({2}, b.getF32Type()), ValueRange{lo, hi});
  return arith::TruncFOp::create(b, VectorType::get({2}, spec.elementType),
                                 pair);
}

void WgmmaKernelEmitter::emit() {
  MLIRContext *ctx = b.getContext();
  Type f32Type = b.getF32Type();
  Value q = func.getArgument(0), k = func.getArgument(1),
        v = func.getArgument(2), out = func.getArgument(3);
  Value lse = spec.storeLse ? func.getArgument(4) : Value();
  int64_t stages = spec.config.stages;
  bool pipelined = stages == 3;
  int64_t totalBytes = qBytes + 2 * stages * kvBytes;
  int64_t barrierOffset = totalBytes;
  int64_t kvOffset = qBytes; // stage s: K at kvOffset + 2 kvBytes s, V after

  Value zero = f32(0.0), negInf = f32(-INFINITY);
  Value scaleLog2e = f32(spec.scaleLog2e);

  // Shared memory, its base aligned up to 1024 B: the 128-byte swizzle
  // pattern repeats every 8 rows of 128 B and is taken from address bits.
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value raw = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr,
                         workgroup));
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, raw);
  Value aligned = arith::AndIOp::create(b, add(base, 1023), idx(-1024));
  Value pad = arith::SubIOp::create(b, aligned, base);
  smem = memref::ViewOp::create(
      b,
      MemRefType::get({totalBytes / 2}, spec.elementType, nullptr, workgroup),
      raw, pad, ValueRange{});

  tid = gpu::ThreadIdOp::create(b, gpu::Dimension::x);
  // The mbarriers (shared addresses), each expecting every thread: full[s]
  // then empty[s] for each stage s.
  Value barriers = arith::AddIOp::create(b, toI32(aligned), i32(barrierOffset));
  {
    auto first = scf::IfOp::create(
        b, TypeRange(),
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tid, idx(0)),
        /*else=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(first.thenBlock());
    for (int64_t i = 0; i < 2 * stages; ++i)
      ptx("mbarrier.init.shared.b64 [$0], $1;", "r,r",
          {arith::AddIOp::create(b, barriers, i32(8 * i)), i32(threads)});
  }
  gpu::BarrierOp::create(b);
  Value tile = gpu::BlockIdOp::create(b, gpu::Dimension::x);
  if (spec.causal) {
    // Causal work grows with the query tile: launch the longest first so
    // the short ones fill the last wave.
    Value tiles = gpu::GridDimOp::create(b, gpu::Dimension::x);
    tile =
        arith::SubIOp::create(b, arith::SubIOp::create(b, tiles, idx(1)), tile);
  }
  Value head = gpu::BlockIdOp::create(b, gpu::Dimension::y);
  batch = gpu::BlockIdOp::create(b, gpu::Dimension::z);
  Value sq = memref::DimOp::create(b, q, 2);
  Value sk = memref::DimOp::create(b, k, 2);
  // GQA: query head h reads key/value head h / (Hq / Hkv).
  Value group = arith::DivUIOp::create(b, memref::DimOp::create(b, q, 1),
                                       memref::DimOp::create(b, k, 1));
  Value kvHead = arith::DivUIOp::create(b, head, group);
  Value m0 = mul(tile, rowsPerCta);
  Value warp = arith::DivUIOp::create(b, tid, idx(32));
  Value lane = arith::RemUIOp::create(b, tid, idx(32));
  Value wg = arith::DivUIOp::create(b, warp, idx(4));
  Value g = arith::DivUIOp::create(b, lane, idx(4));
  Value quad = arith::RemUIOp::create(b, lane, idx(4));
  // This lane's rows r0 = m0 + 16 warp + g and r1 = r0 + 8.
  Value r0 = add(add(m0, mul(warp, 16)), g);
  Value r1 = add(r0, 8);
  Value skMinusSq = arith::SubIOp::create(b, sk, sq);
  // Exclusive key limits of rows r0, r1: Sk, or min(Sk, r + Sk - Sq + 1)
  // under the causal mask.
  auto keyLimit = [&](Value r) -> Value {
    if (!spec.causal)
      return sk;
    return arith::MinSIOp::create(b, add(add(r, skMinusSq), 1), sk);
  };
  Value limit0 = keyLimit(r0), limit1 = keyLimit(r1);
  // Key tiles: causal stops after the diagonal of the tile's last row.
  Value keyEnd = sk;
  if (spec.causal) {
    Value lastRow = arith::MinUIOp::create(b, add(m0, rowsPerCta), sq);
    keyEnd = arith::MinSIOp::create(
        b,
        arith::MaxSIOp::create(b, arith::AddIOp::create(b, lastRow, skMinusSq),
                               idx(0)),
        sk);
  }
  Value numTiles = arith::DivUIOp::create(b, add(keyEnd, keys - 1), idx(keys));
  Value kvLimit = arith::MinSIOp::create(b, mul(numTiles, keys), sk);
  Value diagonal = add(m0, skMinusSq);

  // Copy coordinates: 16-byte chunk `chunk` of rows copyRow + rowsPerPass i;
  // rowsPerPass is a multiple of 8, so the swizzle term is per thread.
  int64_t chunks = d / 8;
  copyRow = arith::DivUIOp::create(b, tid, idx(chunks));
  Value chunk = arith::RemUIOp::create(b, tid, idx(chunks));
  chunkCol = mul(chunk, 8);
  Value column = arith::DivUIOp::create(b, chunk, idx(8));
  Value swizzled =
      arith::XOrIOp::create(b, arith::RemUIOp::create(b, chunk, idx(8)),
                            arith::RemUIOp::create(b, copyRow, idx(8)));
  Value inBlock = add(mul(copyRow, 64), mul(swizzled, 8));
  tileOffsetQ = add(mul(column, rowsPerCta * 64), inBlock);
  tileOffsetKV =
      keys == rowsPerCta ? tileOffsetQ : add(mul(column, keys * 64), inBlock);

  // Descriptors: the address field is added to constant layout bits (the
  // 18-bit shared address >> 4 never carries into them).
  Value addr4 = arith::ShRUIOp::create(
      b, arith::IndexCastOp::create(b, b.getI64Type(), aligned), i64(4));
  int64_t kMajor = descriptorBits(16, 1024);
  int64_t mnMajor = descriptorBits(keys * 128, 1024);
  // This warpgroup's 64 rows start 8 KB into each Q column block.
  Value qDesc = add(
      add(addr4, kMajor),
      mul(arith::IndexCastOp::create(b, b.getI64Type(), wg), (64 * 128) >> 4));
  Value kDesc0 = add(addr4, kMajor + (kvOffset >> 4));
  Value vDesc0 = add(addr4, mnMajor + ((kvOffset + kvBytes) >> 4));

  // Tile t lives in stage t % stages; its full barrier completes for the
  // (t / stages)-th time when it landed.
  auto stageOf = [&](Value t) -> Value {
    return arith::RemUIOp::create(b, t, idx(stages));
  };
  auto barrier = [&](int64_t kind, Value stage) -> Value {
    return arith::AddIOp::create(
        b, barriers,
        toI32(add(mul(stage, 8), kind * 8 * stages))); // kind 0 full, 1 empty
  };
  auto waitFull = [&](Value t) {
    Value phase = arith::RemUIOp::create(
        b, arith::DivUIOp::create(b, t, idx(stages)), idx(2));
    waitBarrier(barrier(0, stageOf(t)), toI32(phase));
    // The copies are generic-proxy writes; the tensor cores read through
    // the async proxy.
    NVVM::FenceProxyOp::create(
        b, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
  };
  // Loads tile t into its stage (rows past the keys zero-filled, so tiles
  // past the last one read nothing).
  auto loadTile = [&](Value t) {
    Value stage = stageOf(t);
    Value kBase = add(mul(stage, kvBytes), kvOffset / 2); // 2 tiles per stage
    Value row0 = mul(t, keys);
    copyTile(k, kvHead, row0, kvLimit, kBase, keys);
    copyTile(v, kvHead, row0, kvLimit, add(kBase, kvBytes / 2), keys);
    arriveOnCopies(barrier(0, stage));
  };
  auto stageDescOffset = [&](Value t) -> Value {
    return mul(arith::IndexCastOp::create(b, b.getI64Type(), stageOf(t)),
               (2 * kvBytes) >> 4);
  };
  // Issues S = Q K_t^T (D/16 wgmma, the first one overwriting) as one
  // commit group; the results are valid after the next wait.
  std::string sShape = "m64n" + std::to_string(keys) + "k16";
  int64_t numS = keys / 2, numO = d / 2;
  auto issueScores = [&](Value t) -> SmallVector<Value> {
    Value kDesc = arith::AddIOp::create(b, kDesc0, stageDescOffset(t));
    NVVM::WgmmaFenceAlignedOp::create(b);
    SmallVector<Value> s(numS, zero);
    for (int64_t step = 0; step < d / 16; ++step) {
      int64_t inRow = (step % 4) * 32, block = step / 4;
      s = wgmma(sShape, s, {},
                add(qDesc, (block * rowsPerCta * 128 + inRow) >> 4),
                add(kDesc, (block * keys * 128 + inRow) >> 4), step != 0,
                /*transposeB=*/false);
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b);
    return s;
  };

  // Prologue: Q with tile 0, then tiles 1 .. stages - 2; with three stages
  // the scores of tile 0 too.
  Value qGroup = copyTile(q, head, m0, sq, idx(0), rowsPerCta);
  for (int64_t t = 0; t + 1 < stages; ++t)
    loadTile(idx(t));
  SmallVector<Value> inits = {negInf, negInf, zero, zero};
  inits.append(numO, zero);
  if (pipelined) {
    waitFull(idx(0));
    SmallVector<Value> s0 = issueScores(idx(0));
    NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
    inits.append(pin(s0));
  }

  auto loop = scf::ForOp::create(b, idx(0), numTiles, idx(1), inits);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    Value j0 = mul(j, keys);
    if (!pipelined)
      waitFull(j);
    // Tile j + stages - 1 goes into the stage of tile j-1 once every thread
    // finished that (empty, phase (j-1) / stages; for j = 0 the parity
    // before the first phase, which passes at once).
    Value freePhase = arith::RemUIOp::create(
        b, add(arith::DivUIOp::create(b, add(j, stages - 1), idx(stages)), 1),
        idx(2));
    Value ahead = add(j, stages - 1);
    waitBarrier(barrier(1, stageOf(ahead)), toI32(freePhase));
    loadTile(ahead);

    SmallVector<Value> s, next;
    if (pipelined) {
      // The scores of tile j+1 run on the tensor cores during this tile's
      // softmax (past the last tile they read zero-filled rows, unused).
      s.assign(carried.begin() + 4 + numO, carried.end());
      Value j1 = add(j, 1);
      waitFull(j1);
      next = issueScores(j1);
    } else {
      s = issueScores(j);
      NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
      s = pin(s);
    }
    // Mask only tiles crossing Sk or (causal) the diagonal.
    Value needMask =
        arith::CmpIOp::create(b, arith::CmpIPredicate::sgt, add(j0, keys), sk);
    if (spec.causal)
      needMask = arith::OrIOp::create(
          b, needMask,
          arith::CmpIOp::create(b, arith::CmpIPredicate::sgt, add(j0, keys - 1),
                                diagonal));
    SmallVector<Type> sTypes(numS, f32Type);
    auto maskIf = scf::IfOp::create(b, sTypes, needMask, /*else=*/true);
    {
      OpBuilder::InsertionGuard g2(b);
      b.setInsertionPointToStart(maskIf.thenBlock());
      Value key = add(j0, mul(quad, 2));
      Value room0 = arith::SubIOp::create(b, limit0, key);
      Value room1 = arith::SubIOp::create(b, limit1, key);
      SmallVector<Value> masked;
      for (int64_t i = 0; i < numS; ++i) {
        Value room = i % 4 < 2 ? room0 : room1;
        Value ok = arith::CmpIOp::create(b, arith::CmpIPredicate::slt,
                                         idx(8 * (i / 4) + i % 2), room);
        masked.push_back(arith::SelectOp::create(b, ok, s[i], negInf));
      }
      scf::YieldOp::create(b, masked);
      b.setInsertionPointToStart(maskIf.elseBlock());
      scf::YieldOp::create(b, s);
    }
    s.assign(maskIf.getResults().begin(), maskIf.getResults().end());

    // Online softmax per row (base 2): m' = max(m, c max s), mu = m' or 0
    // when -inf (never -inf - -inf), p = exp2(c s - mu), alpha =
    // exp2(m - mu), l' = alpha l + sum p (lane-partial; reduced at the end).
    Value rowMax[2], negMu[2], alpha[2];
    for (int row = 0; row < 2; ++row) {
      SmallVector<Value> vals;
      for (int64_t i = 0; i < numS; ++i)
        if ((i % 4) / 2 == row)
          vals.push_back(s[i]);
      while (vals.size() > 1) {
        SmallVector<Value> next;
        for (size_t i = 0; i + 1 < vals.size(); i += 2)
          next.push_back(arith::MaximumFOp::create(b, vals[i], vals[i + 1]));
        if (vals.size() % 2)
          next.push_back(vals.back());
        vals = std::move(next);
      }
      Value mx = rowReduce<arith::MaximumFOp>(vals[0]);
      Value mNew = arith::MaximumFOp::create(
          b, carried[row], arith::MulFOp::create(b, mx, scaleLog2e));
      Value isNegInf =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, mNew, negInf);
      Value mu = arith::SelectOp::create(b, isNegInf, zero, mNew);
      alpha[row] = exp2(arith::SubFOp::create(b, carried[row], mu));
      negMu[row] = arith::NegFOp::create(b, mu);
      rowMax[row] = mNew;
    }
    SmallVector<Value> p;
    Value sum[2] = {};
    for (int64_t i = 0; i < numS; ++i) {
      int row = (i % 4) / 2;
      p.push_back(exp2(fma(s[i], scaleLog2e, negMu[row])));
      sum[row] =
          sum[row] ? arith::AddFOp::create(b, sum[row], p.back()) : p.back();
    }
    Value rowSum[2];
    for (int row = 0; row < 2; ++row)
      rowSum[row] = fma(alpha[row], carried[2 + row], sum[row]);
    SmallVector<Value> o;
    for (int64_t i = 0; i < numO; ++i)
      o.push_back(arith::MulFOp::create(b, carried[4 + i], alpha[(i % 4) / 2]));
    SmallVector<Value> packs;
    for (int64_t i = 0; i < numS; i += 2)
      packs.push_back(packPair(p[i], p[i + 1]));

    // O += P V_j: N/16 wgmma, P from registers, V MN-major.
    Value vDesc = arith::AddIOp::create(b, vDesc0, stageDescOffset(j));
    std::string oShape = "m64n" + std::to_string(d) + "k16";
    NVVM::WgmmaFenceAlignedOp::create(b);
    for (int64_t c = 0; c < keys / 16; ++c)
      o = wgmma(oShape, o, ArrayRef<Value>(packs).slice(4 * c, 4), Value(),
                add(vDesc, (c * 16 * 128) >> 4), /*accumulate=*/true,
                /*transposeB=*/true);
    NVVM::WgmmaGroupSyncAlignedOp::create(b);
    NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
    o.append(next);
    o = pin(o);
    ptx("mbarrier.arrive.shared.b64 _, [$0];", "r", barrier(1, stageOf(j)));
    SmallVector<Value> yields = {rowMax[0], rowMax[1], rowSum[0], rowSum[1]};
    yields.append(o);
    scf::YieldOp::create(b, yields);
  }
  // No copy may still write shared memory when the block exits.
  nvgpu::DeviceAsyncWaitOp::create(b, qGroup, b.getI32IntegerAttr(0));

  // Epilogue: l over the row's lanes; out = O / l, lse = (m + log2 l) ln 2;
  // a row without any allowed key gets 0 and -inf.
  ValueRange res = loop.getResults();
  Value lead = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, quad, idx(0));
  Value col0 = mul(quad, 2);
  for (int row = 0; row < 2; ++row) {
    Value l = rowReduce<arith::AddFOp>(res[2 + row]);
    Value positive =
        arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, l, zero);
    Value inv = arith::SelectOp::create(
        b, positive, arith::DivFOp::create(b, f32(1.0), l), zero);
    Value r = row ? r1 : r0;
    Value inside = arith::CmpIOp::create(b, arith::CmpIPredicate::slt, r, sq);
    auto store = scf::IfOp::create(b, TypeRange(), inside, /*else=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(store.thenBlock());
    for (int64_t i = 2 * row; i < numO; i += 4) {
      // Named first: the order of evaluation of call arguments is unspecified.
      Value lo = arith::MulFOp::create(b, res[4 + i], inv);
      Value hi = arith::MulFOp::create(b, res[4 + i + 1], inv);
      Value narrow = narrowPair(lo, hi);
      auto st = vector::StoreOp::create(
          b, narrow, out, ValueRange{batch, head, r, add(col0, 8 * (i / 4))});
      st.setAlignment(4);
    }
    if (lse) {
      Value log2l = intrinsic("llvm.nvvm.lg2.approx.f", l);
      Value natural =
          arith::MulFOp::create(b, arith::AddFOp::create(b, res[row], log2l),
                                f32(0.693147180559945309));
      Value value = arith::SelectOp::create(b, positive, natural, negInf);
      auto leadIf = scf::IfOp::create(b, TypeRange(), lead, false);
      b.setInsertionPointToStart(leadIf.thenBlock());
      memref::StoreOp::create(b, value, lse, ValueRange{batch, head, r});
    }
  }
  gpu::ReturnOp::create(b);
}

void mlir::celeris::emitWgmmaAttentionKernelBody(
    gpu::GPUFuncOp func, const AttentionKernelSpec &spec) {
  ImplicitLocOpBuilder b(func.getLoc(), func.getContext());
  b.setInsertionPointToStart(&func.getBody().front());
  WgmmaKernelEmitter(b, spec, func).emit();
}
