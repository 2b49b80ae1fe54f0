//===- SharedTile.h - Tiles in shared memory --------------------*- C++ -*-===//
//
// A kernel's dynamic shared memory (its base aligned to 1024 bytes at run
// time, the period of the 128-byte swizzle), the tiles laid out in it, their
// asynchronous fill from global memory, and the matrix descriptors wgmma
// reads them through.
//
// Layouts of a tile of R rows x C columns of 2-byte elements:
//  - Swizzle128B (wgmma): C/64 column blocks of R rows x 128 bytes, block
//    after block; 16-byte chunk c of row r sits at chunk position
//    c ^ (r % 8). This is the canonical layout the descriptors name: K-major
//    with a stride of 1024 bytes between 8-row groups, or MN-major with
//    R x 128 bytes between column blocks.
//  - Padded (ldmatrix): rows of C + 8 elements, so that the eight rows of an
//    ldmatrix phase fall in distinct bank groups.
//
//===----------------------------------------------------------------------===//

#ifndef CELERIS_GPU_SHAREDTILE_H
#define CELERIS_GPU_SHAREDTILE_H

#include "celeris/GPU/KernelBuilder.h"

namespace mlir::celeris {

enum class TileLayout { Swizzle128B, Padded };

/// The shape and layout of a tile; where it lives is an element offset into
/// the kernel's shared memory, given when it is used (stages move it).
struct SharedTile {
  int64_t rows, columns;
  Type elementType;
  TileLayout layout;

  int64_t rowStride() const {
    return layout == TileLayout::Padded ? columns + 8 : 64;
  }
  int64_t elements() const {
    return layout == TileLayout::Padded ? rows * (columns + 8) : rows * columns;
  }
  int64_t bytes() const { return 2 * elements(); }
  /// Element offset of (row, column) inside the tile, column a multiple of
  /// 8 (a 16-byte chunk).
  Value offsetOf(KernelBuilder &b, Value row, Value column) const;
};

/// The kernel's dynamic shared memory, viewed as elements of one type.
class SharedMemory {
public:
  /// Emits the aligned view of `bytes` bytes (the launch must reserve
  /// getReservedBytes(bytes)).
  static SharedMemory create(KernelBuilder &b, Type elementType, int64_t bytes);
  /// Bytes the launch reserves for `bytes` usable ones: 1 KB of alignment
  /// slack.
  static int64_t getReservedBytes(int64_t bytes) { return bytes + 1024; }

  /// memref<?xT, workgroup> at the aligned base.
  Value view() const { return elements; }
  /// The aligned base as index.
  Value baseIndex() const { return base; }
  /// An !llvm.ptr<3> to byte `byteOffset` (i32) of the memory.
  Value pointer(KernelBuilder &b, Value byteOffset) const;
  /// memref<count x type, workgroup> at byte `byteOffset` of the aligned
  /// memory (for data other than the tiles: lists, flags).
  Value viewAt(KernelBuilder &b, Type type, int64_t byteOffset,
               int64_t count) const;

private:
  Value raw, pad, elements, base, base32;
};

/// Fills tiles of one shape from global tensors with cp.async, every thread
/// of the CTA copying 16-byte chunks.
class TileLoader {
public:
  TileLoader(KernelBuilder &b, const SharedTile &tile, Value threadId,
             int64_t threads);

  /// Starts copying rows [row0, row0 + tile.rows) of
  /// `source[outer..., row, column0 + (0 .. tile.columns)]` (column0 null:
  /// 0) into the tile at element `tileOffset`, zero-filling rows >=
  /// `rowLimit` (which read nothing: a row limit of 0 loads zeros) and,
  /// with a `columnLimit`, the 8-column chunks from it on. Returns the
  /// copies' tokens (a pipeline commits them).
  SmallVector<Value> load(KernelBuilder &b, const SharedMemory &smem,
                          Value tileOffset, Value source, ValueRange outer,
                          Value row0, Value rowLimit, Value column0 = nullptr,
                          Value columnLimit = nullptr) const;

  /// Where tile row `r` comes from: the indices of `source` but the last
  /// (in bounds even when the row is not valid), and whether it is valid
  /// (else it reads nothing and is zero-filled).
  struct RowSource {
    SmallVector<Value> indices;
    Value valid;
    /// The first column the tile holds (null: 0), and the column from
    /// which chunks read nothing and are zero-filled (null: none; a
    /// multiple of 8).
    Value column0 = nullptr, columnLimit = nullptr;
  };
  /// As `load`, for rows that are not consecutive in the source (query
  /// heads packed into one tile, pages of a paged cache).
  SmallVector<Value> loadRows(KernelBuilder &b, const SharedMemory &smem,
                              Value tileOffset, Value source,
                              function_ref<RowSource(Value r)> rowSource) const;

  /// A thread copies one 16-byte chunk of one row a pass: the number of
  /// passes that fill the tile, and the tile row of this thread's pass.
  int64_t getPasses() const { return tile.rows / rowsPerPass; }
  Value getRowOfPass(KernelBuilder &b, int64_t pass) const;
  /// As `loadRows`, with the source of this thread's row in each pass, so
  /// that a caller can compute the sources once, outside a loop of loads.
  SmallVector<Value>
  loadRowsByPass(KernelBuilder &b, const SharedMemory &smem, Value tileOffset,
                 Value source,
                 function_ref<RowSource(int64_t pass)> rowSource) const;

private:
  SharedTile tile;
  int64_t rowsPerPass;
  Value copyRow, column;
  /// The thread's offset in the tile for pass p is threadOffsets[p %
  /// size()] plus a constant: the swizzle repeats every 8 rows.
  SmallVector<Value> threadOffsets;
};

/// A wgmma matrix descriptor of `tile` (Swizzle128B) at element offset
/// `tileOffset` (index): K-major (rows are the M or N dimension, K along
/// columns) or MN-major (K along rows).
Value buildWgmmaDescriptor(KernelBuilder &b, const SharedMemory &smem,
                           const SharedTile &tile, Value tileOffset,
                           bool kMajor);

} // namespace mlir::celeris

#endif // CELERIS_GPU_SHAREDTILE_H
