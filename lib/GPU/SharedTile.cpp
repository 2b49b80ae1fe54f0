//===- SharedTile.cpp - Tiles in shared memory ---------------------------===//

#include "celeris/GPU/SharedTile.h"

#include <numeric>

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace mlir::celeris;

Value SharedTile::offsetOf(KernelBuilder &b, Value row, Value column) const {
  if (layout == TileLayout::Padded)
    return b.add(b.mul(row, rowStride()), column);
  // Column block, then the swizzled chunk of the row.
  Value block = b.divu(column, 64);
  Value chunk = b.remu(b.divu(column, 8), 8);
  Value swizzled = arith::XOrIOp::create(b, chunk, b.remu(row, 8));
  return b.add(b.add(b.mul(block, rows * 64), b.mul(row, 64)),
               b.mul(swizzled, 8));
}

SharedMemory SharedMemory::create(KernelBuilder &b, Type elementType,
                                  int64_t bytes) {
  MLIRContext *ctx = b.getContext();
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Value raw = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(), nullptr,
                         workgroup));
  Value start = memref::ExtractAlignedPointerAsIndexOp::create(b, raw);
  SharedMemory smem;
  smem.base = arith::AndIOp::create(b, b.add(start, 1023), b.idx(-1024));
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  smem.elements = memref::ViewOp::create(
      b,
      MemRefType::get({bytes / elementBytes}, elementType, nullptr, workgroup),
      raw, b.sub(smem.base, start), ValueRange{});
  smem.base32 = b.toI32(smem.base);
  smem.raw = raw;
  smem.pad = b.sub(smem.base, start);
  return smem;
}

Value SharedMemory::viewAt(KernelBuilder &b, Type type, int64_t byteOffset,
                           int64_t count) const {
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  return memref::ViewOp::create(
      b, MemRefType::get({count}, type, nullptr, workgroup), raw,
      b.add(pad, byteOffset), ValueRange{});
}

Value SharedMemory::pointer(KernelBuilder &b, Value byteOffset) const {
  auto type = LLVM::LLVMPointerType::get(b.getContext(), 3);
  return LLVM::IntToPtrOp::create(b, type, b.add(base32, byteOffset));
}

TileLoader::TileLoader(KernelBuilder &b, const SharedTile &tile, Value threadId,
                       int64_t threads)
    : tile(tile) {
  int64_t chunks = tile.columns / 8;
  rowsPerPass = threads / chunks;
  assert(rowsPerPass > 0 && tile.rows % rowsPerPass == 0 &&
         "copy passes must tile the rows");
  copyRow = b.divu(threadId, chunks);
  column = b.mul(b.remu(threadId, chunks), 8);
  // The swizzle term of pass p depends on (copyRow + p rowsPerPass) % 8
  // only: one offset per residue, plus a constant per pass.
  int64_t period = tile.layout == TileLayout::Padded || rowsPerPass % 8 == 0
                       ? 1
                       : 8 / std::gcd<int64_t>(rowsPerPass, 8);
  for (int64_t p = 0; p < std::min(period, tile.rows / rowsPerPass); ++p)
    threadOffsets.push_back(
        tile.offsetOf(b, b.add(copyRow, p * rowsPerPass), column));
}

SmallVector<Value> TileLoader::load(KernelBuilder &b, const SharedMemory &smem,
                                    Value tileOffset, Value source,
                                    ValueRange outer, Value row0,
                                    Value rowLimit, Value column0,
                                    Value columnLimit) const {
  Value lastRow = b.sub(rowLimit, b.idx(1));
  return loadRows(b, smem, tileOffset, source, [&](Value r) {
    Value row = b.add(row0, r);
    // Clamped into the tensor: nothing is read when the row is not valid.
    RowSource at{SmallVector<Value>(outer),
                 b.cmp(arith::CmpIPredicate::slt, row, rowLimit)};
    at.indices.push_back(b.maxS(b.minS(row, lastRow), b.idx(0)));
    at.column0 = column0;
    at.columnLimit = columnLimit;
    return at;
  });
}

Value TileLoader::getRowOfPass(KernelBuilder &b, int64_t pass) const {
  return b.add(copyRow, pass * rowsPerPass);
}

SmallVector<Value>
TileLoader::loadRows(KernelBuilder &b, const SharedMemory &smem,
                     Value tileOffset, Value source,
                     function_ref<RowSource(Value r)> rowSource) const {
  return loadRowsByPass(b, smem, tileOffset, source, [&](int64_t pass) {
    return rowSource(getRowOfPass(b, pass));
  });
}

SmallVector<Value> TileLoader::loadRowsByPass(
    KernelBuilder &b, const SharedMemory &smem, Value tileOffset, Value source,
    function_ref<RowSource(int64_t pass)> rowSource) const {
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  SmallVector<Value> tokens;
  for (int64_t pass = 0; pass < getPasses(); ++pass) {
    RowSource at = rowSource(pass);
    Value sourceColumn = at.column0 ? b.add(at.column0, column) : column;
    if (at.columnLimit) {
      // Chunks past the limit read nothing, from a column in bounds.
      at.valid = b.andI(at.valid, b.cmp(arith::CmpIPredicate::slt, sourceColumn,
                                        at.columnLimit));
      sourceColumn = b.minS(sourceColumn, b.sub(at.columnLimit, b.idx(8)));
    }
    Value count = b.select(at.valid, b.idx(8), b.idx(0));
    int64_t period = threadOffsets.size();
    Value inTile =
        b.add(threadOffsets[pass % period],
              (pass / period) * period * rowsPerPass * tile.rowStride());
    at.indices.push_back(sourceColumn);
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, tokenType, smem.view(), ValueRange{b.add(tileOffset, inTile)},
        source, at.indices, b.getIndexAttr(8), count, b.getUnitAttr()));
  }
  return tokens;
}

/// Matrix descriptor fields (PTX ISA, "Matrix Descriptor Format"): start
/// address >> 4 in bits 0-13, leading byte offset >> 4 in 16-29, stride
/// byte offset >> 4 in 32-45, swizzle mode in 62-63 (1 = 128 B).
static int64_t descriptorBits(int64_t leadingBytes, int64_t strideBytes) {
  return ((leadingBytes >> 4) << 16) | ((strideBytes >> 4) << 32) |
         (int64_t(1) << 62);
}

Value mlir::celeris::buildWgmmaDescriptor(KernelBuilder &b,
                                          const SharedMemory &smem,
                                          const SharedTile &tile,
                                          Value tileOffset, bool kMajor) {
  assert(tile.layout == TileLayout::Swizzle128B &&
         "wgmma reads swizzled tiles");
  // The address field is added to constant layout bits: the 18-bit shared
  // address >> 4 never carries into them.
  Value address = b.toI64(b.add(smem.baseIndex(), b.mul(tileOffset, 2)));
  Value field = arith::ShRUIOp::create(b, address, b.i64(4));
  int64_t bits =
      kMajor ? descriptorBits(16, 1024) : descriptorBits(tile.rows * 128, 1024);
  return b.add(field, bits);
}
