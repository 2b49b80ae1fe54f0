//===- TensorCoreMma.cpp - Tensor-core GEMMs behind one interface --------===//
//
// WarpMma: mma.sync.m16n8k16 per warp, A and B fragments by ldmatrix from
// padded tiles (B of a K-major tile without transposition, of an MN-major
// tile with ldmatrix.trans). WarpgroupMma: chains of wgmma m64nNk16, one per
// k16 step, stepping the descriptors through the swizzled tiles: inside a
// 64-column block by 32 bytes, across blocks by R x 128 bytes (K-major), or
// down 16 rows of 128 bytes (MN-major).
//
//===----------------------------------------------------------------------===//

#include "celeris/GPU/TensorCoreMma.h"
#include "celeris/GPU/PtxInstructions.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::celeris;

FragmentLane FragmentLane::get(KernelBuilder &b, Value threadId) {
  Value lane = b.remu(threadId, 32);
  return {b.divu(lane, 4), b.remu(lane, 4)};
}

static Value combine(KernelBuilder &b, Value x, Value y, RowReduction kind) {
  return kind == RowReduction::Max ? b.maxF(x, y) : b.addF(x, y);
}

Value mlir::celeris::reduceAcrossQuad(KernelBuilder &b, Value value,
                                      RowReduction kind) {
  for (int32_t mask : {1, 2})
    value = combine(b, value, b.shuffleXor(value, mask), kind);
  return value;
}

Value mlir::celeris::reduceRow(KernelBuilder &b,
                               const AccumulatorFragment &fragment, int64_t row,
                               RowReduction kind) {
  SmallVector<Value> values;
  for (auto [i, v] : llvm::enumerate(fragment.values))
    if (AccumulatorFragment::rowOf(i) == row)
      values.push_back(v);
  // A balanced tree: a chain would serialise the reduction.
  while (values.size() > 1) {
    SmallVector<Value> next;
    for (size_t i = 0; i + 1 < values.size(); i += 2)
      next.push_back(combine(b, values[i], values[i + 1], kind));
    if (values.size() % 2)
      next.push_back(values.back());
    values = std::move(next);
  }
  return reduceAcrossQuad(b, values.front(), kind);
}

SmallVector<Value>
mlir::celeris::toOperandA(KernelBuilder &b, const AccumulatorFragment &fragment,
                          Type elementType) {
  auto pairType = VectorType::get({2}, b.getF32Type());
  auto narrowType = VectorType::get({2}, elementType);
  SmallVector<Value> registers;
  for (size_t i = 0; i < fragment.values.size(); i += 2) {
    Value pair = vector::FromElementsOp::create(
        b, pairType, ValueRange{fragment.values[i], fragment.values[i + 1]});
    Value narrow = arith::TruncFOp::create(b, narrowType, pair);
    registers.push_back(LLVM::BitcastOp::create(b, b.getI32Type(), narrow));
  }
  return registers;
}

TensorCoreMma::~TensorCoreMma() = default;

namespace {

//===----------------------------------------------------------------------===//
// mma.sync
//===----------------------------------------------------------------------===//

class WarpMma : public TensorCoreMma {
public:
  using TensorCoreMma::TensorCoreMma;

  int64_t getRowsPerUnit() const override { return 16; }
  TileLayout getTileLayout() const override { return TileLayout::Padded; }

  MmaOperandA prepareA(KernelBuilder &b, const MmaOperandA &a) override {
    if (a.inRegisters())
      return a;
    MmaOperandA result = a;
    if (!a.kMajor) {
      // A^T in the tile: ldmatrix.trans of the four 8 x 8 blocks (rows
      // 0-7 / 8-15 of A, k 0-7 / 8-15); lane l addresses tile row (k) l % 8
      // + 8 (l / 16) at column (A row) 8 ((l / 8) % 2), so register i of
      // the x4 load is A's block i in the fragment layout.
      Value k = b.add(b.remu(laneId, 8), b.mul(b.divu(laneId, 16), 8));
      Value col = b.add(a.rowOffset, b.mul(b.remu(b.divu(laneId, 8), 2), 8));
      for (int64_t c = 0; c < a.tile.rows / 16; ++c) {
        Value fragment = ldmatrix(b, a.tile, a.tileOffset, b.add(k, 16 * c),
                                  col, /*transpose=*/true);
        for (int64_t i = 0; i < 4; ++i)
          result.registers.push_back(toRegister(b, fragment, i));
      }
      return result;
    }
    Value row = b.add(a.rowOffset, b.remu(laneId, 16));
    Value col = b.mul(b.divu(laneId, 16), 8);
    for (int64_t c = 0; c < a.tile.columns / 16; ++c) {
      Value fragment = ldmatrix(b, a.tile, a.tileOffset, row,
                                b.add(col, 16 * c), /*transpose=*/false);
      for (int64_t i = 0; i < 4; ++i)
        result.registers.push_back(toRegister(b, fragment, i));
    }
    return result;
  }

  void multiply(KernelBuilder &b, AccumulatorFragment &acc,
                const MmaOperandA &a, const MmaOperandB &bOperand,
                int64_t depth, bool accumulate) override {
    assert(a.inRegisters() && "mma.sync reads A from registers");
    int64_t blocks = acc.getColumns() / 8;
    Value zero = b.f32(0.0);
    Value ldRow = b.remu(laneId, 16);
    Value ldCol = b.mul(b.divu(laneId, 16), 8);
    for (int64_t c = 0; c < depth / 16; ++c) {
      ArrayRef<Value> aRegs = ArrayRef(a.registers).slice(4 * c, 4);
      for (int64_t p = 0; p < blocks / 2; ++p) {
        Value fragment;
        Value bRegs[2][2];
        if (bOperand.kMajor) {
          // Rows are the 16 columns 16 p .. of the product, K along
          // columns: registers {0, 2} feed block 2p, {1, 3} block 2p + 1.
          fragment = ldmatrix(b, bOperand.tile, bOperand.tileOffset,
                              b.add(ldRow, 16 * p), b.add(ldCol, 16 * c),
                              /*transpose=*/false);
          bRegs[0][0] = toOperand(b, fragment, 0);
          bRegs[0][1] = toOperand(b, fragment, 2);
          bRegs[1][0] = toOperand(b, fragment, 1);
          bRegs[1][1] = toOperand(b, fragment, 3);
        } else {
          // K along rows: transposed, registers {0, 1} feed block 2p,
          // {2, 3} block 2p + 1.
          fragment = ldmatrix(b, bOperand.tile, bOperand.tileOffset,
                              b.add(ldRow, 16 * c), b.add(ldCol, 16 * p),
                              /*transpose=*/true);
          for (int64_t i = 0; i < 4; ++i)
            bRegs[i / 2][i % 2] = toOperand(b, fragment, i);
        }
        for (int64_t half = 0; half < 2; ++half) {
          int64_t block = 2 * p + half;
          MutableArrayRef<Value> c4 =
              MutableArrayRef(acc.values).slice(4 * block, 4);
          SmallVector<Value> cIn(c4.begin(), c4.end());
          if (!accumulate && c == 0)
            cIn.assign(4, zero);
          SmallVector<Value> d = mma(b, aRegs, bRegs[half], cIn);
          llvm::copy(d, c4.begin());
        }
      }
    }
  }

  void wait(KernelBuilder &, ArrayRef<AccumulatorFragment *>) override {}
  void waitUntilPending(KernelBuilder &, int64_t) override {}

private:
  Value ldmatrix(KernelBuilder &b, const SharedTile &tile, Value tileOffset,
                 Value row, Value col, bool transpose) {
    auto type = VectorType::get({4, 2}, elementType);
    Value offset = b.add(tileOffset, tile.offsetOf(b, row, col));
    return nvgpu::LdMatrixOp::create(b, type, smem.view(), ValueRange{offset},
                                     transpose, /*numTiles=*/4);
  }
  Value toRegister(KernelBuilder &b, Value fragment, int64_t i) {
    Value pair = vector::ExtractOp::create(b, fragment, i);
    return LLVM::BitcastOp::create(b, b.getI32Type(), pair);
  }
  /// An operand register as nvvm.mma.sync takes it: i32 for bf16,
  /// vector<2xf16> for f16.
  Value toOperand(KernelBuilder &b, Value fragment, int64_t i) {
    Value pair = vector::ExtractOp::create(b, fragment, i);
    if (elementType.isBF16())
      return LLVM::BitcastOp::create(b, b.getI32Type(), pair);
    return pair;
  }
  Value fromRegister(KernelBuilder &b, Value reg) {
    if (elementType.isBF16())
      return reg;
    return LLVM::BitcastOp::create(b, VectorType::get({2}, elementType), reg);
  }
  SmallVector<Value> mma(KernelBuilder &b, ArrayRef<Value> aRegs,
                         ArrayRef<Value> bRegs, ArrayRef<Value> c) {
    MLIRContext *ctx = b.getContext();
    SmallVector<Value> aOps;
    for (Value reg : aRegs)
      aOps.push_back(fromRegister(b, reg));
    Type f32 = b.getF32Type();
    auto resultType =
        LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    NVVM::MMATypes type =
        elementType.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
    Value d =
        NVVM::MmaOp::create(b, resultType, aOps, bRegs, c, {16, 8, 16},
                            /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
                            std::array<NVVM::MMATypes, 2>{type, type},
                            std::array<NVVM::MMALayout, 2>{
                                NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, d, i));
    return out;
  }
};

//===----------------------------------------------------------------------===//
// wgmma
//===----------------------------------------------------------------------===//

class WarpgroupMma : public TensorCoreMma {
public:
  using TensorCoreMma::TensorCoreMma;

  int64_t getRowsPerUnit() const override { return 64; }
  TileLayout getTileLayout() const override { return TileLayout::Swizzle128B; }
  MmaOperandA prepareA(KernelBuilder &, const MmaOperandA &a) override {
    assert(a.kMajor && "wgmma reads K-major A tiles");
    return a;
  }

  void multiply(KernelBuilder &b, AccumulatorFragment &acc,
                const MmaOperandA &a, const MmaOperandB &bOperand,
                int64_t depth, bool accumulate) override {
    Value aDesc;
    if (!a.inRegisters()) {
      aDesc = buildWgmmaDescriptor(b, smem, a.tile, a.tileOffset,
                                   /*kMajor=*/true);
      // The unit's rows start rowOffset x 128 bytes into each column block.
      aDesc = b.add(aDesc, b.mul(b.toI64(a.rowOffset), 128 >> 4));
    }
    Value bDesc = buildWgmmaDescriptor(b, smem, bOperand.tile,
                                       bOperand.tileOffset, bOperand.kMajor);
    NVVM::WgmmaFenceAlignedOp::create(b);
    for (int64_t c = 0; c < depth / 16; ++c) {
      bool scaleD = accumulate || c > 0;
      Value bStep = b.add(bDesc, stepOffset(bOperand.tile, bOperand.kMajor, c));
      if (a.inRegisters()) {
        acc.values = ptx::wgmmaRegisterA(b, elementType, acc.values,
                                         ArrayRef(a.registers).slice(4 * c, 4),
                                         bStep, scaleD,
                                         /*transposeB=*/!bOperand.kMajor);
        continue;
      }
      Value aStep = b.add(aDesc, stepOffset(a.tile, /*kMajor=*/true, c));
      acc.values =
          wgmmaShared(b, acc.values, aStep, bStep, scaleD, bOperand.kMajor);
    }
    NVVM::WgmmaGroupSyncAlignedOp::create(b);
  }

  void waitUntilPending(KernelBuilder &b, int64_t pending) override {
    NVVM::WgmmaWaitGroupSyncOp::create(b, pending);
  }

  void wait(KernelBuilder &b,
            ArrayRef<AccumulatorFragment *> fragments) override {
    NVVM::WgmmaWaitGroupSyncOp::create(b, 0);
    SmallVector<Value> all;
    for (AccumulatorFragment *f : fragments)
      all.append(f->values);
    SmallVector<Value> fenced = ptx::fenceRegisters(b, all);
    ArrayRef<Value> rest = fenced;
    for (AccumulatorFragment *f : fragments) {
      size_t n = f->values.size();
      f->values.assign(rest.begin(), rest.begin() + n);
      rest = rest.drop_front(n);
    }
  }

private:
  /// Descriptor offset (>> 4) of k16 step c.
  static int64_t stepOffset(const SharedTile &tile, bool kMajor, int64_t c) {
    if (!kMajor)
      return (c * 16 * 128) >> 4;
    return ((c / 4) * tile.rows * 128 + (c % 4) * 32) >> 4;
  }

  SmallVector<Value> wgmmaShared(KernelBuilder &b, ArrayRef<Value> acc,
                                 Value aDesc, Value bDesc, bool scaleD,
                                 bool bKMajor) {
    MLIRContext *ctx = b.getContext();
    int64_t n = acc.size();
    SmallVector<Type> types(n, b.getF32Type());
    auto structType = LLVM::LLVMStructType::getLiteral(ctx, types);
    Value packed = LLVM::PoisonOp::create(b, structType);
    for (auto [i, v] : llvm::enumerate(acc))
      packed = LLVM::InsertValueOp::create(b, packed, v, i);
    NVVM::WGMMATypes type =
        elementType.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    Value result = NVVM::WgmmaMmaAsyncOp::create(
        b, Type(structType), packed, aDesc, bDesc,
        NVVM::MMAShapeAttr::get(ctx, 64, 2 * n, 16), type, type,
        NVVM::WGMMATypes::f32,
        scaleD ? NVVM::WGMMAScaleOut::one : NVVM::WGMMAScaleOut::zero,
        NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, NVVM::MMALayout::row,
        bKMajor ? NVVM::MMALayout::col : NVVM::MMALayout::row,
        /*satfinite=*/NVVM::MMAIntOverflowAttr());
    SmallVector<Value> out;
    for (int64_t i = 0; i < n; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, result, i));
    return out;
  }
};

} // namespace

std::unique_ptr<TensorCoreMma> TensorCoreMma::create(TensorCoreKind kind,
                                                     Type elementType,
                                                     const SharedMemory &smem,
                                                     Value laneId) {
  if (kind == TensorCoreKind::Wgmma)
    return std::unique_ptr<TensorCoreMma>(
        new WarpgroupMma(elementType, smem, laneId));
  return std::unique_ptr<TensorCoreMma>(new WarpMma(elementType, smem, laneId));
}
